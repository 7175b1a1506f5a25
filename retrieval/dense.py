"""The FAISS vector index: exact inner product over normalised vectors, keyed by chunk id."""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np

from .store import atomic_write_bytes

INDEX_KIND = "flat-ip"


class DenseIndex:
    def __init__(self, dim: int) -> None:
        self.dim = dim
        self._index = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))

    @property
    def size(self) -> int:
        return self._index.ntotal

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if len(ids):
            self._index.add_with_ids(
                np.ascontiguousarray(vectors, np.float32), np.asarray(ids, np.int64)
            )

    def remove(self, ids: list[int]) -> None:
        if ids:
            self._index.remove_ids(np.asarray(ids, dtype=np.int64))

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Chunk ids and cosine scores of the best k, best first."""
        if self.size == 0 or k <= 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        scores, ids = self._index.search(
            np.asarray(query, np.float32).reshape(1, -1), min(k, self.size)
        )
        keep = ids[0] >= 0
        return ids[0][keep], scores[0][keep]

    # -- persistence: files are named after the store generation they reflect --------------
    @staticmethod
    def file_for(folder: Path, generation: int) -> Path:
        return folder / f"vectors-{generation}.faiss"

    def save(self, folder: Path, generation: int) -> None:
        data = faiss.serialize_index(self._index).tobytes()
        atomic_write_bytes(self.file_for(folder, generation), data)
        for old in folder.glob("vectors-*.faiss"):
            if old.name != self.file_for(folder, generation).name:
                old.unlink(missing_ok=True)

    @classmethod
    def load(cls, folder: Path, generation: int, dim: int) -> DenseIndex | None:
        path = cls.file_for(folder, generation)
        if not path.exists():
            return None
        try:
            raw = np.frombuffer(path.read_bytes(), dtype=np.uint8)
            index = faiss.deserialize_index(raw)
        except RuntimeError:
            return None  # a damaged cache is rebuilt from the vectors in SQLite
        if index.d != dim:
            return None
        dense = cls(dim)
        dense._index = index
        return dense
