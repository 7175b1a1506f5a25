"""The FAISS vector index over normalised vectors, keyed by chunk id: exact while small,
HNSW (approximate) above a size threshold.

- Below `HNSW_THRESHOLD` vectors: `IndexFlatIP`, exact inner product (= cosine). At 50k
  vectors one exact query costs a few ms on one core, and exact is always right.
- From `HNSW_THRESHOLD` on: `IndexHNSWFlat` (inner product). The switch happens once, inside
  `add`, from the vectors the flat index already holds; later adds go into the graph
  incrementally (HNSW inserts do not rebuild anything). Parameters (M, efConstruction,
  efSearch) were chosen with `bench/search.py`, which reports recall@10 against exact search.
- HNSW cannot delete vectors, so removed ids are kept as tombstones and filtered out of
  results (the search asks for k + tombstones). When tombstones pass `REBUILD_FRACTION` of the
  index, `needs_rebuild` says so and the library rebuilds the index from the stored vectors.

The kind in use is `kind` ("flat-ip" or "hnsw") and is recorded in the library manifest.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

import faiss
import numpy as np

from .atomic import atomic_write_bytes

log = logging.getLogger(__name__)

FLAT = "flat-ip"
HNSW = "hnsw"
HNSW_THRESHOLD = 50_000
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 384  # recall@10 0.992 vs exact at 100k (bench/search.py), ~3.4 ms a query
REBUILD_FRACTION = 0.2


def _new_index(kind: str, dim: int):
    if kind == HNSW:
        base = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        base.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        base.hnsw.efSearch = HNSW_EF_SEARCH
    else:
        base = faiss.IndexFlatIP(dim)
    return faiss.IndexIDMap2(base)


def _kind_of(index) -> str:
    return HNSW if isinstance(faiss.downcast_index(index.index), faiss.IndexHNSW) else FLAT


class DenseIndex:
    def __init__(self, dim: int, *, threshold: int | None = None) -> None:
        self.dim = dim
        self.threshold = threshold or HNSW_THRESHOLD
        self._index = _new_index(FLAT, dim)
        self._deleted: set[int] = set()

    @property
    def kind(self) -> str:
        return _kind_of(self._index)

    @property
    def size(self) -> int:
        """Live vectors (tombstoned ones not counted)."""
        return self._index.ntotal - len(self._deleted)

    @property
    def needs_rebuild(self) -> bool:
        return bool(self._deleted) and len(self._deleted) > REBUILD_FRACTION * self._index.ntotal

    def params(self) -> dict:
        if self.kind == HNSW:
            return {
                "kind": HNSW,
                "M": HNSW_M,
                "ef_construction": HNSW_EF_CONSTRUCTION,
                "ef_search": HNSW_EF_SEARCH,
                "threshold": self.threshold,
            }
        return {"kind": FLAT, "threshold": self.threshold}

    @classmethod
    def build(
        cls, dim: int, ids: np.ndarray, vectors: np.ndarray, *, threshold: int | None = None
    ) -> DenseIndex:
        """A fresh index of the right kind for this many vectors (`add` switches to HNSW)."""
        dense = cls(dim, threshold=threshold)
        dense.add(ids, vectors)
        return dense

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if not len(ids):
            return
        ids = np.asarray(ids, np.int64)
        vectors = np.ascontiguousarray(vectors, np.float32)
        if self.kind == FLAT and self._index.ntotal + len(ids) >= self.threshold:
            self._switch_to_hnsw()
        if self._deleted:
            self._deleted.difference_update(ids.tolist())  # ids are never reused; be safe
        self._index.add_with_ids(vectors, ids)

    def _switch_to_hnsw(self) -> None:
        """Move the vectors the flat index holds into a new HNSW graph (once per library)."""
        n = self._index.ntotal
        old_ids = faiss.vector_to_array(self._index.id_map).astype(np.int64)
        old_vectors = self._index.index.reconstruct_n(0, n) if n else np.zeros((0, self.dim))
        self._index = _new_index(HNSW, self.dim)
        if n:
            self._index.add_with_ids(np.ascontiguousarray(old_vectors, np.float32), old_ids)

    def remove(self, ids: list[int]) -> None:
        if not ids:
            return
        if self.kind == FLAT:
            self._index.remove_ids(np.asarray(ids, dtype=np.int64))
        else:
            self._deleted.update(int(i) for i in ids)

    def ids(self) -> np.ndarray:
        """The chunk ids of the live vectors (tombstones left out), sorted."""
        ids = faiss.vector_to_array(self._index.id_map).astype(np.int64)
        if self._deleted:
            ids = ids[~np.isin(ids, np.fromiter(self._deleted, np.int64, len(self._deleted)))]
        return np.sort(ids)

    def vectors(self, ids: np.ndarray) -> np.ndarray:
        """The stored vectors of `ids` (each must be live), in that order."""
        return (
            np.stack([self._index.reconstruct(int(i)) for i in ids])
            if len(ids)
            else (np.zeros((0, self.dim), np.float32))
        )

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Chunk ids and cosine scores of the best k, best first."""
        if self.size <= 0 or k <= 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        fetch = min(k + len(self._deleted), self._index.ntotal)
        query = np.asarray(query, np.float32).reshape(1, -1)
        if self.kind == HNSW:
            base = faiss.downcast_index(self._index.index)
            base.hnsw.efSearch = max(HNSW_EF_SEARCH, fetch)
        # One query is memory-bound: a second OpenMP thread costs more in hand-over than it
        # saves (measured 7.9 ms on one thread vs 14.1 ms on two for 100k flat vectors).
        threads = faiss.omp_get_max_threads()
        faiss.omp_set_num_threads(1)
        try:
            scores, ids = self._index.search(query, fetch)
        finally:
            faiss.omp_set_num_threads(threads)
        keep = ids[0] >= 0
        if self._deleted:
            keep &= ~np.isin(ids[0], np.fromiter(self._deleted, np.int64, len(self._deleted)))
        return ids[0][keep][:k], scores[0][keep][:k]

    # -- persistence: files are named after the store generation they reflect --------------
    @staticmethod
    def file_for(folder: Path, generation: int) -> Path:
        return folder / f"vectors-{generation}.faiss"

    def save(self, folder: Path, generation: int) -> None:
        """One file holds the index and its tombstones, written atomically."""
        buffer = io.BytesIO()
        np.savez(
            buffer,
            index=faiss.serialize_index(self._index),
            deleted=np.fromiter(self._deleted, np.int64, len(self._deleted)),
            threshold=np.int64(self.threshold),
        )
        target = self.file_for(folder, generation)
        atomic_write_bytes(target, buffer.getvalue())
        for old in folder.glob("vectors-*.faiss"):
            if old.name != target.name:
                old.unlink(missing_ok=True)

    @classmethod
    def load(
        cls, folder: Path, generation: int, dim: int, *, threshold: int | None = None
    ) -> DenseIndex | None:
        threshold = threshold or HNSW_THRESHOLD
        path = cls.file_for(folder, generation)
        if not path.exists():
            return None
        try:
            with np.load(path, allow_pickle=False) as data:
                index = faiss.deserialize_index(data["index"])
                deleted = data["deleted"]
                saved_threshold = int(data["threshold"])
        except Exception as exc:  # truncated files raise BadZipFile, EOFError, ...
            # A damaged or old-format cache is rebuilt from the vectors in SQLite.
            log.warning("vector index %s cannot be read (%s): rebuilt", path.name, exc)
            return None
        if index.d != dim or saved_threshold != threshold:
            return None
        dense = cls(dim, threshold=threshold)
        dense._index = index
        dense._deleted = set(deleted.tolist())
        return dense
