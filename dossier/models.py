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

_loaded: dict[tuple[str, int | None], LLM] = {}
_lock = threading.Lock()


def model_choice(name: str | None = None) -> str:
    """`--model`, else $DOSSIER_MODEL, else the catalog's default."""
    return name or os.environ.get(MODEL_ENV) or DEFAULT_MODEL


def default_llm(
    name: str | os.PathLike | None = None,
    data: str | Path | None = None,
    *,
    n_threads: int | None = None,
) -> LLM:
    """The LLM for `name` (catalog name or GGUF path), shared so its weights load once.

    Threads: `n_threads`, else $DOSSIER_THREADS, else the physical cores; each count is its
    own shared instance.
    """
    choice = model_choice(str(name) if name else None)
    threads = n_threads or (int(os.environ[THREADS_ENV]) if os.environ.get(THREADS_ENV) else None)
    with _lock:
        key = (choice, threads)
        if key not in _loaded:
            _loaded[key] = LlamaCppLLM.from_name(
                choice, cache_dir(data_dir(data)), n_threads=threads
            )
        return _loaded[key]
