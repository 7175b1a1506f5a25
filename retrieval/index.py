"""The vector index is a plug-in point: a protocol and a registry of implementations.

An index is a cache of the vectors stored in SQLite (the single commit point), saved as one
file named after the commit it reflects. Every implementation keeps the library's promise the
same way: a missing, stale or damaged file is rebuilt from SQLite, so a crash at any moment
leaves the last committed state (tests/retrieval/test_crash.py runs against each one).

Adding an implementation is one module with a class that satisfies `VectorIndex` (the class
methods `build`/`load`/`file_for` included) and one line in `INDEX_TYPES`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np

from .dense import DenseIndex
from .numpy_index import NumpyIndex
from .store import INDEX_FILE_GLOB

__all__ = ["DEFAULT_INDEX", "INDEX_FILE_GLOB", "INDEX_TYPES", "VectorIndex", "index_type"]


class VectorIndex(Protocol):
    """Chunk id -> normalised vector, searched by inner product (cosine)."""

    dim: int

    @property
    def kind(self) -> str:
        """What it is now, recorded in the manifest (e.g. "flat-ip", "hnsw", "numpy-exact")."""
        ...

    @property
    def size(self) -> int:
        """Live vectors (removed ones not counted)."""
        ...

    @property
    def needs_rebuild(self) -> bool:
        """True when removals have made it worth rebuilding from SQLite."""
        ...

    def params(self) -> dict: ...

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None: ...

    def remove(self, ids: list[int]) -> None: ...

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Chunk ids and scores of the best k, best first."""
        ...

    def ids(self) -> np.ndarray:
        """Live chunk ids, sorted."""
        ...

    def vectors(self, ids: np.ndarray) -> np.ndarray: ...

    def save(self, folder: Path, generation: int) -> None:
        """Write atomically as the index of commit `generation`; remove older files."""
        ...

    @classmethod
    def build(cls, dim: int, ids: np.ndarray, vectors: np.ndarray) -> VectorIndex: ...

    @classmethod
    def load(cls, folder: Path, generation: int, dim: int) -> VectorIndex | None:
        """The saved index of commit `generation`; None if missing, stale or damaged."""
        ...

    @staticmethod
    def file_for(folder: Path, generation: int) -> Path: ...


INDEX_TYPES: dict[str, type[VectorIndex]] = {
    "faiss": DenseIndex,  # exact below 50k vectors, HNSW above (retrieval/dense.py)
    "numpy": NumpyIndex,  # exact brute force, no FAISS (retrieval/numpy_index.py)
}
DEFAULT_INDEX = "faiss"


def index_type(name: str) -> type[VectorIndex]:
    try:
        return INDEX_TYPES[name]
    except KeyError:
        raise ValueError(
            f"unknown vector index {name!r}; known: {', '.join(INDEX_TYPES)}"
        ) from None
