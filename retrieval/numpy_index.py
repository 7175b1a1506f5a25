"""An exact vector index in plain numpy: brute-force inner product over all live vectors.

The reference implementation of `retrieval.index.VectorIndex`: no FAISS, nothing
approximate, simple enough to trust. Fine for a few thousand chunks (one query over 10,000
384-d vectors is a 15 MB matrix product); the FAISS index is the default for real libraries.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

import numpy as np

from .atomic import atomic_write_bytes
from .search import top_k_dense

log = logging.getLogger(__name__)

KIND = "numpy-exact"


class NumpyIndex:
    def __init__(self, dim: int) -> None:
        self.dim = dim
        self._ids = np.zeros(0, np.int64)
        self._vectors = np.zeros((0, dim), np.float32)

    @property
    def kind(self) -> str:
        return KIND

    @property
    def size(self) -> int:
        return len(self._ids)

    @property
    def needs_rebuild(self) -> bool:
        return False  # removals delete rows at once

    def params(self) -> dict:
        return {"kind": KIND}

    @classmethod
    def build(cls, dim: int, ids: np.ndarray, vectors: np.ndarray) -> NumpyIndex:
        index = cls(dim)
        index.add(ids, vectors)
        return index

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if not len(ids):
            return
        ids = np.asarray(ids, np.int64)
        keep = ~np.isin(self._ids, ids)  # re-adding an id replaces its vector
        self._ids = np.concatenate([self._ids[keep], ids])
        self._vectors = np.concatenate(
            [self._vectors[keep], np.asarray(vectors, np.float32).reshape(-1, self.dim)]
        )

    def remove(self, ids: list[int]) -> None:
        if ids:
            keep = ~np.isin(self._ids, np.asarray(ids, np.int64))
            self._ids, self._vectors = self._ids[keep], self._vectors[keep]

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        rows, scores = top_k_dense(self._vectors, np.asarray(query, np.float32), k)
        return self._ids[rows], scores

    def ids(self) -> np.ndarray:
        return np.sort(self._ids)

    def vectors(self, ids: np.ndarray) -> np.ndarray:
        order = np.argsort(self._ids)
        return self._vectors[order[np.searchsorted(self._ids, ids, sorter=order)]]

    @staticmethod
    def file_for(folder: Path, generation: int) -> Path:
        return Path(folder) / f"vectors-{generation}.npz"

    def save(self, folder: Path, generation: int) -> None:
        buffer = io.BytesIO()
        np.savez(buffer, ids=self._ids, vectors=self._vectors)
        target = self.file_for(folder, generation)
        atomic_write_bytes(target, buffer.getvalue())
        for old in Path(folder).glob("vectors-*.npz"):
            if old.name != target.name:
                old.unlink(missing_ok=True)

    @classmethod
    def load(cls, folder: Path, generation: int, dim: int) -> NumpyIndex | None:
        path = cls.file_for(folder, generation)
        if not path.exists():
            return None
        try:
            with np.load(path, allow_pickle=False) as data:
                ids, vectors = data["ids"], data["vectors"]
        except Exception as exc:  # truncated files raise BadZipFile, EOFError, ...
            log.warning("vector index %s cannot be read (%s): rebuilt", path.name, exc)
            return None
        if vectors.ndim != 2 or vectors.shape[1] != dim or len(ids) != len(vectors):
            return None
        index = cls(dim)
        index._ids, index._vectors = ids.astype(np.int64), vectors.astype(np.float32)
        return index
