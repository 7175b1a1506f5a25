"""SQLite for the library: connections whose errors say, in words a user can act on, what
went wrong with which file (`retrieval.errors`), and a salvage read of a damaged file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from .errors import (
    DiskFull,
    LibraryDamaged,
    LibraryError,
    LibraryLocked,
    LibraryReadOnly,
    LibraryUnavailable,
)

BUSY_TIMEOUT_S = 30  # a reader waits this long for another process's commit to finish

# SQLite primary result codes (sqlite3.Error.sqlite_errorcode & 0xFF) a user can act on.
_SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_READONLY, _SQLITE_IOERR = 5, 6, 8, 10
_SQLITE_CORRUPT, _SQLITE_FULL, _SQLITE_CANTOPEN, _SQLITE_NOTADB = 11, 13, 14, 26


def library_error(exc: sqlite3.Error, database: Path) -> LibraryError | sqlite3.Error:
    """The user-facing error for an SQLite failure on `database` (or `exc` itself)."""
    code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
    folder = database.parent
    if code in (_SQLITE_CORRUPT, _SQLITE_NOTADB):
        return LibraryDamaged(
            f"The library database {database} is damaged ({exc}). Run `dossier check` to see "
            f"what can be recovered, or move the folder {folder} away to start a new library."
        )
    if code == _SQLITE_READONLY:
        return LibraryReadOnly(
            f"The library in {folder} is read-only ({exc}): nothing was changed. Make the "
            "folder writable, or use another one with --data-dir."
        )
    if code == _SQLITE_FULL:
        return DiskFull(
            f"The disk is full: the library in {folder} could not be written and stays as it "
            "was before this command. Free some space and run the command again."
        )
    if code in (_SQLITE_BUSY, _SQLITE_LOCKED):
        return LibraryLocked(
            f"The library in {folder} is busy: another Dossier process kept it locked for "
            f"more than {BUSY_TIMEOUT_S} s. Try again when it has finished."
        )
    if code in (_SQLITE_CANTOPEN, _SQLITE_IOERR):
        return LibraryUnavailable(f"The library database {database} cannot be used ({exc}).")
    return exc


class _Cursor(sqlite3.Cursor):
    """Raises LibraryErrors that name the file instead of bare SQLite errors."""

    def _translated(self, call, *args):
        try:
            return call(*args)
        except sqlite3.Error as exc:
            raise library_error(exc, self.connection.database_path) from exc

    def execute(self, *args):
        return self._translated(super().execute, *args)

    def executescript(self, *args):
        return self._translated(super().executescript, *args)

    def fetchone(self):
        return self._translated(super().fetchone)

    def fetchall(self):
        return self._translated(super().fetchall)

    def __next__(self):
        return self._translated(super().__next__)


class _Connection(sqlite3.Connection):
    database_path: Path

    def execute(self, *args):
        return self.cursor(_Cursor).execute(*args)

    def executescript(self, *args):
        return self.cursor(_Cursor).executescript(*args)


def connect(database: Path, *, read_only: bool) -> _Connection:
    uri = f"{database.resolve().as_uri()}?mode={'ro' if read_only else 'rwc'}"
    wal = database.with_name(database.name + "-wal")
    if read_only and not (wal.exists() and wal.stat().st_size):
        # A WAL database needs its -shm file even to read; in a folder that cannot be written
        # SQLite cannot make one. Nothing can change the file then, and every commit is in it
        # (no WAL left over): `immutable` reads it without the shared-memory file.
        uri += "&immutable=1"
    try:
        db = sqlite3.connect(
            uri,
            uri=True,
            factory=_Connection,
            check_same_thread=False,
            isolation_level=None,
            timeout=BUSY_TIMEOUT_S,
        )
    except sqlite3.Error as exc:
        raise library_error(exc, database) from exc
    db.database_path = database
    return db


def readable_source_paths(database: Path) -> list[str]:
    """The source paths a possibly damaged database still yields, up to the first bad page."""
    paths: list[str] = []
    try:
        db = sqlite3.connect(f"{database.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        return paths
    try:
        for (path,) in db.execute("SELECT path FROM sources ORDER BY id"):
            paths.append(path)
    except sqlite3.Error:
        pass  # what was read before the damaged page is kept
    finally:
        db.close()
    return paths
