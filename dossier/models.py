"""The language model the app uses: chosen by name, path or server, loaded once per process."""

from __future__ import annotations

import os
import threading

from models.backends import BackendOptions, build_llm
from models.llm import LLM

MODEL_ENV = "DOSSIER_MODEL"
DEFAULT_MODEL = "default"

_loaded: dict[tuple[str, BackendOptions], LLM] = {}
_lock = threading.Lock()


def model_choice(name: str | None = None) -> str:
    """`--model`, else $DOSSIER_MODEL, else the catalog's default."""
    return name or os.environ.get(MODEL_ENV) or DEFAULT_MODEL


def shared_llm(spec: str, options: BackendOptions) -> LLM:
    """The model `spec` names, one instance per (spec, options) in a process, so its weights
    load once however many parts of a front end ask for it."""
    key = (spec, options)
    with _lock:
        if key not in _loaded:
            _loaded[key] = build_llm(spec, options)
        return _loaded[key]
