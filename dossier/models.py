"""The language model the app uses: chosen by name or path, loaded once per process."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from models.llm import LLM, LlamaCppLLM

from .settings import cache_dir, data_dir

MODEL_ENV = "DOSSIER_MODEL"
THREADS_ENV = "DOSSIER_THREADS"
DEFAULT_MODEL = "default"

_loaded: dict[str, LLM] = {}
_lock = threading.Lock()


def model_choice(name: str | None = None) -> str:
    """`--model`, else $DOSSIER_MODEL, else the catalog's default."""
    return name or os.environ.get(MODEL_ENV) or DEFAULT_MODEL


def default_llm(name: str | os.PathLike | None = None, data: str | Path | None = None) -> LLM:
    """The LLM for `name` (catalog name or GGUF path), shared so its weights load once."""
    choice = model_choice(str(name) if name else None)
    with _lock:
        if choice not in _loaded:
            kwargs = {}
            if os.environ.get(THREADS_ENV):
                kwargs["n_threads"] = int(os.environ[THREADS_ENV])
            _loaded[choice] = LlamaCppLLM.from_name(choice, cache_dir(data_dir(data)), **kwargs)
        return _loaded[choice]
