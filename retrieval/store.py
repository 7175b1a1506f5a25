"""On-disk library: SQLite for sources and chunks (with their vectors), a manifest, FAISS files.

SQLite is the single commit point. The FAISS file is a cache of the vectors stored in SQLite,
named after the commit generation it reflects; a missing or stale one is rebuilt, so a crash
at any moment leaves a library that reopens in its last committed state.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

import numpy as np
from filelock import FileLock, Timeout
from pydantic import ValidationError

from .atomic import atomic_write_bytes
from .database import connect
from .errors import (
    LibraryLocked,
    LibraryMismatch,
    LibraryMissing,
    LibraryReadOnly,
    LibraryUnavailable,
)
from .holders import hold_library
from .schema import Chunk, Source, SourceMeta
from .source_rows import source_from_row, sources_query

__all__ = ["LibraryMismatch", "Store"]  # LibraryMismatch: old import path

log = logging.getLogger(__name__)

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


DATABASE_NAME = "library.sqlite3"
MANIFEST_NAME = "manifest.json"
LOCK_NAME = "write.lock"
INDEX_FILE_GLOB = "vectors-*"  # every vector index implementation's saved files
WRITE_LOCK_TIMEOUT_S = 900.0  # a second writer waits this long for the first to finish


def _stored_meta(raw: str) -> SourceMeta:
    """Stored metadata; a field an older Dossier stored unchecked is dropped, not fatal."""
    try:
        return SourceMeta.model_validate_json(raw)
    except ValidationError:
        try:
            data = json.loads(raw)
        except ValueError:
            return SourceMeta()
        fields = data.items() if isinstance(data, dict) else ()
        return SourceMeta(
            **{k: v for k, v in fields if k in SourceMeta.model_fields and isinstance(v, str)}
        )


class SourceFile(Protocol):
    """What the store keeps of one ingested file."""

    path: str
    content_hash: str
    text: str
    meta: SourceMeta
    size: int | None
    mtime_ns: int | None


class Store:
    """Thread-safe access to one library folder.

    Opening never creates a second, empty library over a lost one: if the folder shows that a
    library existed (its manifest or vector index is there) but its database is missing or
    empty, `LibraryMissing` says so. A folder that cannot be written is opened read-only:
    reading works, and the first write raises `LibraryReadOnly` before any work is done.
    """

    def __init__(self, folder: Path, manifest: dict, *, check_manifest: bool = True) -> None:
        self.folder = Path(folder)
        self._make_folder()
        self._refuse_lost_database()
        self.read_only = not os.access(self.folder, os.W_OK)
        self._lock = threading.RLock()
        self._db = connect(self.database_path, read_only=self.read_only)
        try:
            if not self.read_only:
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            if not self.read_only:
                self._db.executescript(_SCHEMA)
                self._migrate()
            # Reads the page index: a truncated or overwritten file fails here, on open.
            self._db.execute("SELECT count(*) FROM sources").fetchone()
            # The manifest is checked (and, for a new library, written) after the database
            # exists, so a folder with a manifest always had a database.
            if check_manifest:
                self._check_manifest(manifest)
        except BaseException:
            self._db.close()
            raise
        # Announces that this process has the library open (a dossier in use is not deleted).
        self._hold = None if self.read_only else hold_library(self.folder)

    @property
    def database_path(self) -> Path:
        return self.folder / DATABASE_NAME

    def _make_folder(self) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError) as exc:
            in_the_way = next(
                (p for p in (self.folder, *self.folder.parents) if p.exists() and not p.is_dir()),
                Path(exc.filename or self.folder),
            )
            raise LibraryUnavailable(
                f"The data folder cannot be used: {in_the_way} is a file, not a folder. "
                "Choose another folder with --data-dir (or $DOSSIER_DATA_DIR)."
            ) from exc
        except OSError as exc:
            raise LibraryUnavailable(
                f"The library folder {self.folder} cannot be created ({exc.strerror})."
            ) from exc

    def _refuse_lost_database(self) -> None:
        database = self.database_path
        lost = not database.exists() or database.stat().st_size == 0
        traces = [p.name for p in (self.manifest_path,) if p.exists()]
        traces += sorted(p.name for p in self.folder.glob(INDEX_FILE_GLOB))
        if lost and traces:
            state = "missing" if not database.exists() else "empty"
            raise LibraryMissing(
                f"The library database {database} is {state}, but {', '.join(traces)} in "
                f"{self.folder} show that a library was here. Nothing was changed. Restore "
                f"{DATABASE_NAME} from a backup, or move the folder {self.folder} away to start "
                "a new library."
            )

    def require_writable(self) -> None:
        """Raise LibraryReadOnly before a write starts, not after the work is done."""
        if self.read_only:
            raise LibraryReadOnly(
                f"The library in {self.folder} is read-only: nothing was changed. Make the "
                "folder writable, or use another one with --data-dir."
            )

    def _migrate(self) -> None:
        """Columns added after format 1 libraries were made (NULL for older rows)."""
        columns = {r[1] for r in self._db.execute("PRAGMA table_info(sources)")}
        for name in ("size", "mtime_ns"):
            if name not in columns:
                self._db.execute(f"ALTER TABLE sources ADD COLUMN {name} INTEGER")

    # -- manifest -----------------------------------------------------------------------
    @property
    def manifest_path(self) -> Path:
        return self.folder / MANIFEST_NAME

    def _check_manifest(self, expected: dict) -> None:
        expected = {"format": FORMAT_VERSION, **expected}
        found = self.read_manifest()
        if not found:
            found = self._recover_manifest(expected)
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

    def _recover_manifest(self, expected: dict) -> dict:
        """The manifest of a library whose manifest.json is missing, empty or unreadable.

        The manifest is derived: SQLite keeps a copy of its checked keys (written with it),
        which wins. A library made before that copy existed is taken to match this Dossier
        when its stored vectors have this embedder's dimension (a warning is logged; a
        `dossier reindex` re-embeds everything if the model was in fact another one).
        """
        saved = self._get_kv("manifest")
        if saved is not None:
            recovered = json.loads(saved)
        elif self._stored_dim() in (None, expected.get("dim")):
            if self._stored_dim() is not None:
                log.warning("manifest of %s rebuilt from this Dossier's settings", self.folder)
            recovered = {k: v for k, v in expected.items() if k in CHECKED_KEYS}
        else:
            recovered = {"format": FORMAT_VERSION, "dim": self._stored_dim()}
        if not self.read_only and recovered.get("dim") == expected.get("dim"):
            self._write_manifest({**expected, **recovered})
        return recovered

    def _stored_dim(self) -> int | None:
        with self._lock:
            row = self._db.execute("SELECT length(vector) FROM chunks LIMIT 1").fetchone()
        return row[0] // 4 if row else None  # float32

    def rewrite_manifest(self, manifest: dict) -> None:
        self._write_manifest({"format": FORMAT_VERSION, **manifest})

    def _write_manifest(self, data: dict) -> None:
        checked = json.dumps({k: data[k] for k in CHECKED_KEYS if k in data}, sort_keys=True)
        if self._get_kv("manifest") != checked:
            self._set_kv("manifest", checked)
        atomic_write_bytes(self.manifest_path, json.dumps(data, indent=2).encode())

    def read_manifest(self) -> dict:
        """The manifest file's contents; {} when it is missing or unreadable."""
        try:
            data = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def update_manifest(self, info: dict) -> None:
        """Merge informational keys (never the checked ones) into the manifest."""
        with self._lock:
            data = self.read_manifest()
            merged = {**data, **{k: v for k, v in info.items() if k not in CHECKED_KEYS}}
            if merged != data:
                try:
                    self._write_manifest(merged)
                except OSError as exc:  # informational keys only: never fail a command
                    log.warning("could not update %s: %s", self.manifest_path, exc)

    def _get_kv(self, key: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def _set_kv(self, key: str, value: str) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO kv(key, value) VALUES(?, ?)", (key, value))

    # -- transactions -------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic write; bumps the generation the FAISS cache is checked against."""
        self.require_writable()
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
                if self._db.in_transaction:  # SQLite may have rolled back itself (disk full)
                    self._db.execute("ROLLBACK")
                raise

    # -- one writer at a time, across processes -----------------------------------------
    @property
    def lock_path(self) -> Path:
        return self.folder / LOCK_NAME

    @contextmanager
    def write_lock(
        self, *, timeout: float = WRITE_LOCK_TIMEOUT_S, on_wait: Callable[[str], None] | None = None
    ) -> Iterator[None]:
        """Held by every ingest, removal, reindex and repair, in whatever process.

        SQLite alone keeps the database consistent, but each writer also updates the vector
        index it loaded and saves it: two writers at once each saved an index without the
        other's vectors. One writer at a time, starting from the index of the last commit,
        keeps the index equal to SQLite. A second writer waits (saying so) and fails with
        LibraryLocked after `timeout` seconds.
        """
        self.require_writable()
        lock = FileLock(self.lock_path, is_singleton=False, thread_local=False)
        try:
            lock.acquire(timeout=0)
        except Timeout:
            (on_wait or log.warning)(
                f"Waiting for another Dossier process that is writing to {self.folder}…"
            )
            try:
                lock.acquire(timeout=timeout)
            except Timeout as exc:
                raise LibraryLocked(
                    f"Another Dossier process has been writing to {self.folder} for more than "
                    f"{timeout:.0f} s. Try again when it has finished."
                ) from exc
        except OSError as exc:
            raise LibraryReadOnly(
                f"The library in {self.folder} cannot be locked for writing ({exc.strerror}): "
                "nothing was changed."
            ) from exc
        try:
            yield
        finally:
            lock.release()

    def writer_active(self) -> bool:
        """Whether some process (this one included) holds the write lock now."""
        if self.read_only or not self.lock_path.exists():
            return False
        probe = FileLock(self.lock_path, is_singleton=False, thread_local=False)
        try:
            probe.acquire(timeout=0)
        except (Timeout, OSError):
            return True
        probe.release()
        return False

    def get_flag(self, key: str) -> bool:
        return self._get_kv(key) is not None

    def set_flag(self, key: str) -> None:
        if not self.read_only:
            self._set_kv(key, "1")

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
            rows = self._db.execute(sources_query()).fetchall()
        return [source_from_row(r, _stored_meta) for r in rows]

    def all_source_texts(self) -> list[tuple[str, str, SourceMeta]]:
        """(id, text, meta) of every source."""
        with self._lock:
            rows = self._db.execute("SELECT id, text, meta FROM sources ORDER BY id").fetchall()
        return [(r[0], r[1], _stored_meta(r[2])) for r in rows]

    def source_text(self, source_id: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT text FROM sources WHERE id = ?", (source_id,)).fetchone()
        return row[0] if row else None

    def count_sources(self) -> int:
        with self._lock:
            return self._db.execute("SELECT count(*) FROM sources").fetchone()[0]

    def quick_check(self) -> list[str]:
        """SQLite's own consistency check: ["ok"] when the file is sound."""
        with self._lock:
            return [r[0] for r in self._db.execute("PRAGMA quick_check").fetchall()]

    def count_chunks(self) -> int:
        with self._lock:
            return self._db.execute("SELECT count(*) FROM chunks").fetchone()[0]

    def write_source(
        self, db: sqlite3.Connection, source_id: str, record: SourceFile, *, added_at: str
    ) -> list[int]:
        """Insert the source, or replace the one with this id (its chunks are deleted).

        Returns the ids of the chunks it had, for the vector index to drop.
        """
        old_chunks = self.chunk_ids_of(db, source_id)
        db.execute("DELETE FROM chunks WHERE source_id = ?", (source_id,))
        db.execute(
            "INSERT INTO sources(id, path, content_hash, text, meta, added_at, size, mtime_ns) "
            "VALUES (?,?,?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET path=excluded.path, "
            "content_hash=excluded.content_hash, text=excluded.text, meta=excluded.meta, "
            "added_at=excluded.added_at, size=excluded.size, mtime_ns=excluded.mtime_ns",
            (
                source_id,
                record.path,
                record.content_hash,
                record.text,
                record.meta.model_dump_json(),
                added_at,
                record.size,
                record.mtime_ns,
            ),
        )
        return old_chunks

    def delete_source(self, db: sqlite3.Connection, source_id: str) -> list[int]:
        """Delete a source and its chunks; returns the chunk ids it had."""
        old_chunks = self.chunk_ids_of(db, source_id)
        db.execute("DELETE FROM sources WHERE id = ?", (source_id,))
        return old_chunks

    @staticmethod
    def delete_all_chunks(db: sqlite3.Connection) -> None:
        db.execute("DELETE FROM chunks")

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
            if self._hold is not None:
                self._hold.release()
                self._hold = None
