"""On-disk library: SQLite for sources and chunks (with their vectors), a manifest, FAISS files.

SQLite is the single commit point. The FAISS file is a cache of the vectors stored in SQLite,
named after the commit generation it reflects; a missing or stale one is rebuilt, so a crash
at any moment leaves a library that reopens in its last committed state.
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from .schema import Chunk, Source, SourceMeta

FORMAT_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sources (
    id TEXT PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    content_hash TEXT NOT NULL,
    text TEXT NOT NULL,
    meta TEXT NOT NULL,
    added_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS chunks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    source_id TEXT NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    text TEXT NOT NULL,
    vector BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_by_source ON chunks(source_id, ordinal);
CREATE INDEX IF NOT EXISTS sources_by_hash ON sources(content_hash);
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


# Manifest keys that decide whether stored vectors can be searched with this Dossier. Other keys
# (index kind and parameters, the embedding backends that computed the vectors) are recorded
# for the user and the benchmarks, and updated as the library changes.
CHECKED_KEYS = ("format", "embedder", "dim", "chunker")


class LibraryMismatch(RuntimeError):
    """The library on disk was built with another embedder or chunker than this Dossier uses."""


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write to a temporary file in the same folder, fsync, then rename over `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class Store:
    """Thread-safe access to one library folder."""

    def __init__(self, folder: Path, manifest: dict, *, check_manifest: bool = True) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        if check_manifest:
            self._check_manifest(manifest)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(
            self.folder / "library.sqlite3", check_same_thread=False, isolation_level=None
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.executescript(_SCHEMA)
        self._migrate()

    def _migrate(self) -> None:
        """Columns added after format 1 libraries were made (NULL for older rows)."""
        columns = {r[1] for r in self._db.execute("PRAGMA table_info(sources)")}
        for name in ("size", "mtime_ns"):
            if name not in columns:
                self._db.execute(f"ALTER TABLE sources ADD COLUMN {name} INTEGER")

    # -- manifest -----------------------------------------------------------------------
    @property
    def manifest_path(self) -> Path:
        return self.folder / "manifest.json"

    def _check_manifest(self, expected: dict) -> None:
        expected = {"format": FORMAT_VERSION, **expected}
        if not self.manifest_path.exists():
            self._write_manifest(expected)
            return
        found = json.loads(self.manifest_path.read_text())
        differing = {
            k: (found.get(k), v)
            for k, v in expected.items()
            if k in CHECKED_KEYS and found.get(k) != v
        }
        if differing:
            details = "; ".join(
                f"{k}: library has {a!r}, this Dossier uses {b!r}"
                for k, (a, b) in differing.items()
            )
            raise LibraryMismatch(
                f"The library in {self.folder} was built differently ({details}). "
                "Run `dossier reindex` to rebuild it from the stored sources."
            )

    def rewrite_manifest(self, manifest: dict) -> None:
        self._write_manifest({"format": FORMAT_VERSION, **manifest})

    def _write_manifest(self, data: dict) -> None:
        atomic_write_bytes(self.manifest_path, json.dumps(data, indent=2).encode())

    def read_manifest(self) -> dict:
        try:
            return json.loads(self.manifest_path.read_text())
        except (OSError, ValueError):
            return {}

    def update_manifest(self, info: dict) -> None:
        """Merge informational keys (never the checked ones) into the manifest."""
        with self._lock:
            data = self.read_manifest()
            merged = {**data, **{k: v for k, v in info.items() if k not in CHECKED_KEYS}}
            if merged != data:
                self._write_manifest(merged)

    # -- transactions -------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic write; bumps the generation the FAISS cache is checked against."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
                self._db.execute(
                    "INSERT INTO kv(key, value) VALUES('generation', '1') ON CONFLICT(key) "
                    "DO UPDATE SET value = CAST(value AS INTEGER) + 1"
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def get_flag(self, key: str) -> bool:
        with self._lock:
            return self._db.execute("SELECT 1 FROM kv WHERE key = ?", (key,)).fetchone() is not None

    def set_flag(self, key: str) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO kv(key, value) VALUES(?, '1')", (key,))

    def generation(self) -> int:
        with self._lock:
            row = self._db.execute("SELECT value FROM kv WHERE key='generation'").fetchone()
        return int(row[0]) if row else 0

    # -- sources ------------------------------------------------------------------------
    def source_by_path(self, path: str) -> tuple[str, str] | None:
        with self._lock:
            row = self._db.execute(
                "SELECT id, content_hash FROM sources WHERE path = ?", (path,)
            ).fetchone()
        return (row[0], row[1]) if row else None

    def known_files(self) -> dict[str, tuple[str, int | None, int | None]]:
        """path -> (source id, size, mtime_ns) of every stored source, in one query."""
        with self._lock:
            rows = self._db.execute("SELECT path, id, size, mtime_ns FROM sources").fetchall()
        return {r[0]: (r[1], r[2], r[3]) for r in rows}

    def set_file_stat(self, source_id: str, size: int, mtime_ns: int) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE sources SET size = ?, mtime_ns = ? WHERE id = ?",
                (size, mtime_ns, source_id),
            )

    def source_by_hash(self, content_hash: str) -> str | None:
        with self._lock:
            row = self._db.execute(
                "SELECT id FROM sources WHERE content_hash = ?", (content_hash,)
            ).fetchone()
        return row[0] if row else None

    def id_taken(self, source_id: str) -> bool:
        with self._lock:
            return (
                self._db.execute("SELECT 1 FROM sources WHERE id = ?", (source_id,)).fetchone()
                is not None
            )

    def sources(self) -> list[Source]:
        with self._lock:
            rows = self._db.execute(
                "SELECT s.id, s.path, s.content_hash, s.meta, length(s.text), s.added_at, "
                "(SELECT count(*) FROM chunks c WHERE c.source_id = s.id) "
                "FROM sources s ORDER BY s.id"
            ).fetchall()
        return [
            Source(
                id=r[0],
                path=r[1],
                content_hash=r[2],
                meta=SourceMeta.model_validate_json(r[3]),
                n_chars=r[4],
                added_at=r[5],
                n_chunks=r[6],
            )
            for r in rows
        ]

    def all_source_texts(self) -> list[tuple[str, str, SourceMeta]]:
        """(id, text, meta) of every source."""
        with self._lock:
            rows = self._db.execute("SELECT id, text, meta FROM sources ORDER BY id").fetchall()
        return [(r[0], r[1], SourceMeta.model_validate_json(r[2])) for r in rows]

    def source_text(self, source_id: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT text FROM sources WHERE id = ?", (source_id,)).fetchone()
        return row[0] if row else None

    def count_sources(self) -> int:
        with self._lock:
            return self._db.execute("SELECT count(*) FROM sources").fetchone()[0]

    # -- chunks -------------------------------------------------------------------------
    @staticmethod
    def insert_chunks(
        db: sqlite3.Connection,
        source_id: str,
        spans: Iterable[tuple[int, int, str]],
        vectors: np.ndarray,
    ) -> list[int]:
        ids = []
        for ordinal, ((start, end, text), vector) in enumerate(zip(spans, vectors, strict=True)):
            cur = db.execute(
                'INSERT INTO chunks(source_id, ordinal, start, "end", text, vector) '
                "VALUES (?, ?, ?, ?, ?, ?)",
                (source_id, ordinal, start, end, text, np.asarray(vector, np.float32).tobytes()),
            )
            ids.append(cur.lastrowid)
        return ids

    def chunk_ids_of(self, db: sqlite3.Connection, source_id: str) -> list[int]:
        return [r[0] for r in db.execute("SELECT id FROM chunks WHERE source_id = ?", (source_id,))]

    def chunks_by_ids(self, ids: list[int]) -> dict[int, Chunk]:
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        with self._lock:
            rows = self._db.execute(
                'SELECT id, source_id, ordinal, start, "end", text FROM chunks '
                f"WHERE id IN ({marks})",
                ids,
            ).fetchall()
        return {
            r[0]: Chunk(id=r[0], source_id=r[1], ordinal=r[2], start=r[3], end=r[4], text=r[5])
            for r in rows
        }

    def chunks_of(self, source_id: str) -> list[Chunk]:
        with self._lock:
            rows = self._db.execute(
                'SELECT id, source_id, ordinal, start, "end", text FROM chunks '
                "WHERE source_id = ? ORDER BY ordinal",
                (source_id,),
            ).fetchall()
        return [
            Chunk(id=r[0], source_id=r[1], ordinal=r[2], start=r[3], end=r[4], text=r[5])
            for r in rows
        ]

    def all_vectors(self, dim: int) -> tuple[np.ndarray, np.ndarray]:
        """(chunk ids, vectors) for every chunk, in id order."""
        with self._lock:
            rows = self._db.execute("SELECT id, vector FROM chunks ORDER BY id").fetchall()
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        vectors = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32).reshape(-1, dim)
        return ids, vectors

    def all_chunk_texts(self) -> tuple[np.ndarray, list[str]]:
        with self._lock:
            rows = self._db.execute("SELECT id, text FROM chunks ORDER BY id").fetchall()
        return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows)), [
            r[1] for r in rows
        ]

    def close(self) -> None:
        with self._lock:
            self._db.close()
