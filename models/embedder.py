"""The sentence embedder: all-MiniLM-L6-v2 loaded from its registry package, offline.

Two backends compute the same model: the OpenVINO path (`models.openvino_embedder`, about
2-3x faster on a laptop CPU) and sentence-transformers on torch, the fallback.
`AutoEmbedder` picks the fast one when it works here and falls back to torch otherwise
(`$DOSSIER_EMBEDDER=torch|openvino|auto` overrides; `auto` is the default); it is built by
the construction point (`dossier.runtime`) with the cache folder of the data folder in use.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

import numpy as np

from .embedding_model import (  # noqa: F401  (the embedder's identity, re-exported)
    EMBEDDER_DIM,
    EMBEDDER_NAME,
    EMBEDDER_PACKAGE,
    Embedder,
    ModelPackageMissing,
    default_threads,
    packaged_model_dir,
)
from .offline import ensure_offline

BACKEND_ENV = "DOSSIER_EMBEDDER"

log = logging.getLogger(__name__)


class SentenceTransformerEmbedder:
    """all-MiniLM-L6-v2 through sentence-transformers, loaded lazily on first use."""

    name = EMBEDDER_NAME
    dim = EMBEDDER_DIM
    backend = "torch-f32"

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
                # Never reach for a hub (the weights are in the package folder), no telemetry.
                ensure_offline()
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


class AutoEmbedder:
    """The fast OpenVINO path when it runs here, else sentence-transformers on torch.

    The choice is made on first use (it may export the model once into the cache folder);
    `backend` then names what computes the vectors and `fallback_reason` why the fast path
    was not taken, if it was not.
    """

    name = EMBEDDER_NAME
    dim = EMBEDDER_DIM

    def __init__(
        self,
        cache_dir: Path,
        *,
        prefer: str | None = None,
        threads: int | None = None,
        model_dir: Path | None = None,
    ) -> None:
        self._cache_dir = cache_dir
        self._prefer = (prefer or os.environ.get(BACKEND_ENV) or "auto").lower()
        self._threads = threads
        self._model_dir = model_dir
        self._inner: Embedder | None = None
        self._lock = threading.Lock()
        self.fallback_reason: str | None = None

    @property
    def backend(self) -> str:
        return getattr(self._resolve(), "backend", "unknown")

    def _resolve(self) -> Embedder:
        with self._lock:
            if self._inner is None:
                self._inner = self._choose()
            return self._inner

    def _choose(self) -> Embedder:
        if self._prefer in ("auto", "openvino"):
            from .openvino_embedder import FastPathUnavailable, OpenVinoEmbedder

            fast = OpenVinoEmbedder(
                self._cache_dir,
                self._model_dir,
                threads=self._threads,
            )
            try:
                fast.load()
                return fast
            except FastPathUnavailable as exc:
                self.fallback_reason = str(exc)
                log.warning("Fast embedding path unavailable, using torch: %s", exc)
        return SentenceTransformerEmbedder(self._model_dir, threads=self._threads)

    def embed(self, texts: list[str]) -> np.ndarray:
        return self._resolve().embed(texts)
