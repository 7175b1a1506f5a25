"""`dossier check`: does the library's derived data (vector index, manifest) match SQLite?

SQLite is the single commit point; the vector index file and the manifest are derived from it
and can always be rebuilt (`repair`). A damaged SQLite file cannot be rebuilt from anything
inside the folder: the check says which sources can still be read and which of their original
files still exist, so they can be ingested again into a new library.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from pydantic import BaseModel, Field

from models.embedder import Embedder

from .database import readable_source_paths
from .errors import LibraryError
from .index import DEFAULT_INDEX, INDEX_FILE_GLOB, VectorIndex, index_type
from .library import manifest_for
from .store import CHECKED_KEYS, DATABASE_NAME, FORMAT_VERSION, Store

VECTOR_TOLERANCE = 1e-4  # float32 round trip through FAISS is exact; leave room for HNSW storage
MAX_VECTORS_COMPARED = 2_000  # a sample, spread over the ids: enough to see a wrong index


class CheckReport(BaseModel):
    folder: str
    ok: bool = True
    database: str = "ok"  # ok | missing | damaged
    sources: int | None = None
    chunks: int | None = None
    generation: int | None = None
    manifest: str = "ok"  # ok | missing | unreadable | mismatch
    index: str = "ok"  # ok | missing | unreadable | differs
    index_vectors: int | None = None
    missing_from_index: int = 0  # chunks in SQLite with no vector in the index
    not_in_library: int = 0  # vectors in the index for chunks SQLite no longer has
    vectors_differing: int = 0  # sampled vectors that differ from the ones stored in SQLite
    bad_offsets: int = 0  # chunks whose text is not source_text[start:end]
    stray_files: list[str] = Field(default_factory=list)  # old index files, temporary files
    problems: list[str] = Field(default_factory=list)
    repaired: list[str] = Field(default_factory=list)
    # For a damaged database: original files of sources that can still be read, to ingest again.
    recoverable_paths: list[str] = Field(default_factory=list)

    def problem(self, text: str) -> None:
        self.ok = False
        self.problems.append(text)


def check_library(
    folder: Path, *, embedder: Embedder, index: str = DEFAULT_INDEX, repair: bool = False
) -> CheckReport:
    """Compare SQLite, the vector index and the manifest; with `repair`, rebuild what is derived.

    Never raises for a damaged library: what is wrong is in the report.
    """
    folder = Path(folder)
    report = CheckReport(folder=str(folder))
    try:
        store = Store(folder, {}, check_manifest=False)
    except LibraryError as exc:
        report.database = "damaged" if (folder / DATABASE_NAME).exists() else "missing"
        report.problem(str(exc))
        report.recoverable_paths = _readable_source_paths(folder / DATABASE_NAME)
        return report
    try:
        _check_database(store, report)
        if report.database == "ok":
            _check_manifest(store, embedder, report)
            kind = index_type(index)
            _check_index(store, embedder, kind, report)
            _check_stray_files(store, kind, report)
            if repair and not report.ok:
                _repair(store, embedder, kind, report)
    finally:
        store.close()
    return report


def _check_database(store: Store, report: CheckReport) -> None:
    try:
        result = [(line,) for line in store.quick_check()]
        report.sources = store.count_sources()
        report.chunks = store.count_chunks()
        report.generation = store.generation()
        report.bad_offsets = _bad_offsets(store)
    except LibraryError as exc:
        result = [(str(exc),)]
    if [r[0] for r in result] != ["ok"]:
        report.database = "damaged"
        report.problem(f"the database is damaged: {'; '.join(str(r[0]) for r in result[:3])}")
        report.recoverable_paths = _readable_source_paths(store.database_path)
    elif report.bad_offsets:
        report.problem(f"{report.bad_offsets} passages do not match their source text")


def _bad_offsets(store: Store) -> int:
    bad = 0
    for source_id, text, _meta in store.all_source_texts():
        for chunk in store.chunks_of(source_id):
            bad += text[chunk.start : chunk.end] != chunk.text
    return bad


def _check_manifest(store: Store, embedder: Embedder, report: CheckReport) -> None:
    found = store.read_manifest()
    if not store.manifest_path.exists():
        report.manifest = "missing"
    elif not found:
        report.manifest = "unreadable"
    else:
        expected = _expected_manifest(embedder)
        differing = [k for k in CHECKED_KEYS if found.get(k) != expected[k]]
        if differing:
            report.manifest = "mismatch"
            report.problem(
                f"the library was built with another {', '.join(differing)} than this Dossier "
                "uses: run `dossier reindex` (check --repair does not re-embed)"
            )
            return
    if report.manifest != "ok":
        report.problem(f"the manifest is {report.manifest}")


def _check_index(
    store: Store, embedder: Embedder, kind: type[VectorIndex], report: CheckReport
) -> None:
    path = kind.file_for(store.folder, report.generation or 0)
    dense = kind.load(store.folder, report.generation or 0, embedder.dim)
    if dense is None:
        report.index = "missing" if not path.exists() else "unreadable"
        report.problem(f"the vector index {path.name} is {report.index}")
        return
    ids, vectors = store.all_vectors(embedder.dim)
    indexed = dense.ids()
    report.index_vectors = len(indexed)
    report.missing_from_index = int(np.setdiff1d(ids, indexed, assume_unique=True).size)
    report.not_in_library = int(np.setdiff1d(indexed, ids, assume_unique=True).size)
    both = np.intersect1d(ids, indexed, assume_unique=True)
    sample = both[np.linspace(0, len(both) - 1, min(len(both), MAX_VECTORS_COMPARED), dtype=int)]
    if len(sample):
        stored = vectors[np.searchsorted(ids, sample)]
        deviation = np.abs(dense.vectors(sample) - stored).max(axis=1)
        report.vectors_differing = int((deviation > VECTOR_TOLERANCE).sum())
    if report.missing_from_index or report.not_in_library or report.vectors_differing:
        report.index = "differs"
        report.problem(
            f"the vector index differs from the library: {report.missing_from_index} passages "
            f"missing, {report.not_in_library} removed ones still there, "
            f"{report.vectors_differing} of {len(sample)} sampled vectors differ"
        )


def _check_stray_files(store: Store, kind: type[VectorIndex], report: CheckReport) -> None:
    current = kind.file_for(store.folder, report.generation or 0).name
    stray = [p for p in store.folder.glob(INDEX_FILE_GLOB) if p.name != current]
    stray += list(store.folder.glob(".*.tmp"))  # left by a write that was killed
    report.stray_files = sorted(p.name for p in stray)


def _repair(store: Store, embedder: Embedder, kind: type[VectorIndex], report: CheckReport) -> None:
    """Rebuild the derived files from SQLite, under the write lock."""
    with store.write_lock():
        generation = store.generation()
        if report.manifest in ("missing", "unreadable"):
            store.rewrite_manifest(manifest_for(embedder))
            report.repaired.append("manifest rewritten")
        if report.index != "ok":
            ids, vectors = store.all_vectors(embedder.dim)
            kind.build(embedder.dim, ids, vectors).save(store.folder, generation)
            report.repaired.append(f"vector index rebuilt from {len(ids)} stored vectors")
        for name in report.stray_files:
            (store.folder / name).unlink(missing_ok=True)
        if report.stray_files:
            report.repaired.append(f"{len(report.stray_files)} stray files removed")
    fixable = report.manifest != "mismatch" and report.bad_offsets == 0
    report.ok = fixable
    if fixable:
        report.problems = [f"{p} (repaired)" for p in report.problems]


def _expected_manifest(embedder: Embedder) -> dict:
    return {"format": FORMAT_VERSION, **manifest_for(embedder)}


def _readable_source_paths(database: Path) -> list[str]:
    """Original paths of the sources a damaged database still yields, that exist on disk."""
    return [path for path in readable_source_paths(database) if Path(path).is_file()]
