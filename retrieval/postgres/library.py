"""A library in PostgreSQL: pgvector HNSW for meaning, the embedded library's BM25 computed in
SQL for words (keywords.py), fused by reciprocal rank exactly as the embedded library fuses
FAISS and BM25.

Ingest is the embedded library's own pipeline (reading, parsing, chunking, metadata,
skipping stored files, batches, progress, cancel): its methods are reused as they are, and
only the commit of a batch differs. Each batch is one transaction under the library's write
lock (an advisory lock), which re-checks every file's path and content hash: two Dossier
processes ingesting overlapping folders at once store each source exactly once. A crash
loses at most the batch being committed; running the ingest again resumes after the last
committed batch, as in the embedded library.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from models.embedder import Embedder

from ..dense import HNSW_EF_SEARCH
from ..holders import hold_library
from ..library import IngestProgressFn, Library, _Prepared, manifest_for
from ..schema import Hit, IngestReport
from ..search import hits_from_rankings
from . import keywords
from .connection import LibraryURL
from .schema import TERM_SHARES, dense_query
from .store import PgStore

# HNSW candidate list at query time: the embedded index's efSearch (at least twice the depth).
EF_SEARCH_MIN = HNSW_EF_SEARCH
# Ranking every passage that holds any word of the question grows with the library (every
# match is read and ranked). From this many passages on, a word found in more than
# COMMON_SHARE of them no longer brings candidates on its own (it still counts in the rank):
# BM25 gives such words little weight anyway. Below it, all matches are ranked.
GATED_FROM_PASSAGES = 20_000
COMMON_SHARE = 0.02
STATS_TTL_S = 60.0  # the planner statistics are re-read at most this often


class PgLibrary:
    """The library protocol (`retrieval.backend.LibraryBackend`) on a PostgreSQL database.

    `folder` is a local folder for what stays on this machine (the summary cache).
    """

    index_name = "hnsw"

    def __init__(self, url: str | LibraryURL, *, embedder: Embedder, folder: Path) -> None:
        self.url = url if isinstance(url, LibraryURL) else LibraryURL.parse(url)
        self.folder = Path(folder)
        self.embedder = embedder
        self.sentence_embedder: Embedder = embedder  # see retrieval.library.Library
        self.store = PgStore(self.url, manifest_for(embedder))
        # The dossier's folder is in use as for a library folder (see retrieval.holders).
        self._hold = hold_library(self.folder)
        self.on_lock_wait = None  # writers wait on the server's lock, briefly, per batch
        self._dense = None  # the shared ingest pipeline passes it on; nothing to keep here
        self._ef_search = 0
        self._stats: tuple[float, dict[int, float], float] = (-STATS_TTL_S, {}, 0.0)
        self._totals: tuple[float, float, float] = (-STATS_TTL_S, 0.0, 1.0)

    @property
    def notices(self) -> list[str]:
        """See retrieval.backend.LibraryBackend: the vector index left with older parameters."""
        return [self.store.notice] if self.store.notice else []

    @property
    def location(self) -> str:
        return f"postgresql://{self.url.server}"

    # -- reading: the embedded library's, over this store ------------------------------------
    sources = Library.sources
    is_empty = Library.is_empty
    source_text = Library.source_text
    chunks_of = Library.chunks_of
    search = Library.search

    def search_with_vector(
        self, query: str, query_vector: np.ndarray, k: int = 8, *, candidates: int = 50
    ) -> list[Hit]:
        depth = max(candidates, k)
        vector = np.asarray(query_vector, np.float32)
        with self.store.reading() as db:
            ef_search = max(EF_SEARCH_MIN, 2 * depth)
            if ef_search != self._ef_search:
                db.execute("SELECT set_config('hnsw.ef_search', %s, false)", (str(ef_search),))
                self._ef_search = ef_search
            dense = db.execute(
                dense_query(self.store.vector_type), {"v": vector, "depth": depth}
            ).fetchall()
            keyword = self._keyword_ids(db, query, depth)
        return hits_from_rankings(
            np.array([r[0] for r in dense], np.int64),
            np.array([r[1] for r in dense], np.float64),
            np.array(keyword, np.int64),
            k,
            self.store.chunks_by_ids,
        )

    def _keyword_ids(self, db, query: str, depth: int) -> list[int]:
        counts = keywords.query_weights(query)
        terms = list(counts)
        if not terms:
            return []
        share, passages = self._term_shares(db)
        pick = terms
        if passages >= GATED_FROM_PASSAGES:
            pick = [x for x in terms if share.get(x, 0.0) <= COMMON_SHARE]
            pick = pick or [min(terms, key=lambda x: share.get(x, 0.0))]
        frequencies, passages, average = self._collection(db, terms, share, passages)
        params: dict = {"average": average, "candidates": pick, "depth": depth}
        for i, x in enumerate(terms):
            params[f"l{i}"] = x
            params[f"w{i}"] = counts[x] * keywords.idf(frequencies[x], passages)
        rows = db.execute(keywords.ranked_query(len(terms)), params)
        return [r[0] for r in rows]

    def _collection(
        self, db, terms: list[int], share: dict, passages: float
    ) -> tuple[dict[int, float], float, float]:
        """What BM25 needs of the whole library: each term's document frequency, the number
        of passages and their average number of terms. Exact in a small library (counted
        through the GIN index, at every search); in a large one the frequent terms' counts
        come from the planner statistics, and the totals are re-read at most every
        STATS_TTL_S seconds."""
        large = passages >= GATED_FROM_PASSAGES
        counts = {x: share[x] * passages for x in terms if large and x in share}
        rest = [x for x in terms if x not in counts]
        if rest:
            params = {f"l{i}": x for i, x in enumerate(rest)}
            row = db.execute(
                keywords.document_frequencies(len(rest)), {**params, "candidates": rest}
            ).fetchone()
            counts.update(zip(rest, map(float, row), strict=True))
        read_at, total, average = self._totals
        if not large or time.monotonic() - read_at >= STATS_TTL_S:
            row = db.execute(keywords.TOTALS).fetchone()
            total, average = float(row[0] or 0), float(row[1] or 1)
            self._totals = (time.monotonic(), total, average)
        return counts, max(total, 1.0), average

    def _term_shares(self, db) -> tuple[dict[int, float], float]:
        read_at, shares, passages = self._stats
        if time.monotonic() - read_at >= STATS_TTL_S:
            row = db.execute(TERM_SHARES).fetchone()
            if row and row[0]:
                shares, passages = dict(zip(row[0], row[1], strict=False)), float(row[2] or 0)
            else:  # not analysed yet: a new or small library, where ranking all is cheap
                shares, passages = {}, 0.0
            self._stats = (time.monotonic(), shares, passages)
        return shares, passages

    # -- writing ----------------------------------------------------------------------------
    def ingest(
        self,
        paths: list[Path],
        *,
        progress: IngestProgressFn | None = None,
        cancel: threading.Event | None = None,
    ) -> IngestReport:
        """Add or update files and folders; bad files are reported, the rest go in."""
        return self._ingest(paths, progress, cancel)

    _ingest = Library._ingest
    _prepare = Library._prepare

    def _commit(self, batch: list[_Prepared], report: IngestReport) -> None:
        vectors = self.embedder.embed([p.text[a:b] for p in batch for a, b in p.spans])
        now = datetime.now(UTC).isoformat(timespec="seconds")
        rows: list[tuple[str, int, int, int, str]] = []
        kept: list[np.ndarray] = []
        offset = 0
        with self.store.transaction() as db:
            for prepared in batch:
                own = vectors[offset : offset + len(prepared.spans)]
                offset += len(prepared.spans)
                source_id, replaced = self._place(db, prepared, report)
                if source_id is None:
                    continue
                self.store.write_source(db, source_id, prepared, added_at=now)
                text = prepared.text
                rows += [(source_id, n, a, b, text[a:b]) for n, (a, b) in enumerate(prepared.spans)]
                kept.append(own)
                (report.replaced if replaced else report.added).append(source_id)
                report.chunks_added += len(prepared.spans)
            if rows:
                self.store.insert_chunks(db, rows, np.concatenate(kept))

    def _place(self, db, prepared: _Prepared, report: IngestReport) -> tuple[str | None, bool]:
        """(source id, replaces a stored source) for a prepared file, checked again under the
        write lock: another process may have stored this path or these bytes since it was
        read. (None, False) when it is already stored."""
        known = self.store.source_by_path(prepared.path, db)
        if known and known[1] == prepared.content_hash:
            report.unchanged.append(known[0])
            return None, False
        if known:
            return known[0], True
        duplicate = self.store.source_by_hash(prepared.content_hash, db)
        if duplicate:
            report.unchanged.append(duplicate)
            return None, False
        base = Path(prepared.path).stem
        candidate, n = base, 1
        while self.store.id_taken(candidate, db):
            n += 1
            candidate = f"{base}-{n}"
        return candidate, False

    def _refresh_indexes(self) -> None:
        """The server keeps its indexes current at every commit: nothing to rebuild."""

    def _record_manifest(self, dense=None, *, embedded: bool = False) -> None:
        backend = getattr(self.embedder, "backend", None)
        if not embedded or not backend:
            return
        used = list(self.store.read_manifest().get("embedder_backends", []))
        if backend not in used:
            self.store.update_manifest({"embedder_backends": [*used, backend]})

    def remove(self, source_id: str) -> bool:
        """Delete a source, its chunks and its vectors. False when no such source."""
        return self.store.delete_source(source_id)

    def count_chunks(self) -> int:
        return self.store.count_chunks()

    def database_bytes(self) -> int:
        """The size on disk of the library's tables and their indexes."""
        with self.store.reading() as db:
            return (
                db.execute(
                    "SELECT sum(pg_total_relation_size(c.oid))::bigint FROM pg_class c "
                    "WHERE c.relname LIKE 'dossier\\_%%' AND c.relkind = 'r'"
                ).fetchone()[0]
                or 0
            )

    def close(self) -> None:
        self.store.close()
        if self._hold is not None:
            self._hold.release()
            self._hold = None
