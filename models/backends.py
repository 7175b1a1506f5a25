"""The model backends, behind one registry: a model string names its backend.

`build_llm("default", options)` gives the in-process llama-cpp-python model of the catalog
(or of a .gguf path); a string with a registered prefix (`openai:http://127.0.0.1:8080/v1`)
goes to that prefix's backend. Adding a backend is one module with a builder and one
`register(...)` line below.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from . import openai_server
from .llm import LLM, LlamaCppLLM


class BackendOptions(BaseModel):
    model_config = ConfigDict(frozen=True)  # hashable: shared models are keyed by it

    cache_dir: Path  # assembled model files
    n_threads: int | None = None  # None: the physical cores
    allow_remote: bool = False  # servers: only loopback addresses unless this is set


Builder = Callable[[str, BackendOptions], LLM]
_BUILDERS: dict[str, Builder] = {}


def register(prefix: str, builder: Builder) -> None:
    """`prefix` is the text before the first colon of a model string (e.g. "openai")."""
    _BUILDERS[prefix] = builder


def backend_of(spec: str) -> str:
    """The registered prefix `spec` starts with, or "" for a catalog name or file path."""
    prefix, sep, _ = spec.partition(":")
    return prefix if sep and prefix in _BUILDERS else ""


def build_llm(spec: str, options: BackendOptions) -> LLM:
    """The model `spec` names, not loaded yet (loading happens on first use)."""
    prefix = backend_of(spec)
    if prefix:
        return _BUILDERS[prefix](spec, options)
    return LlamaCppLLM.from_name(spec, options.cache_dir, n_threads=options.n_threads)


register("openai", openai_server.build)  # openai:http://127.0.0.1:PORT/v1#MODEL
