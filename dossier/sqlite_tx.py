"""What the dossier's SQLite stores (saved conversations, notes) share: opening the file with
its schema, one write transaction on the shared connection, and the messages for SQLite's
errors, worded for each store by its `StoreWords`."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

BUSY_TIMEOUT_S = 5  # another process (the CLI and the window) writing the same file


@dataclass(frozen=True)
class StoreWords:
    """How one store names itself in its messages, and the error it raises."""

    title: str  # "The notes": the file, as a message starts
    purpose: str  # "notes": what its folder is for
    item: str  # "the note": what a full disk failed to save
    start_over: str  # what to do with a damaged file
    error: type[Exception]
    after_full: str = ""  # said after a full disk's message


def sqlite_message(words: StoreWords, exc: sqlite3.Error, path: Path) -> str:
    """The user's message for an SQLite error on the store's file `path`."""
    code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
    if code in (11, 26):  # SQLITE_CORRUPT, SQLITE_NOTADB
        return f"{words.title} {path} are damaged ({exc}). {words.start_over}"
    if code == 8:  # SQLITE_READONLY
        return f"{words.title} {path} cannot be written: the file is read-only ({exc})."
    if code == 13:  # SQLITE_FULL
        return f"The disk is full: {words.item} could not be saved in {path}.{words.after_full}"
    if code in (5, 6):  # SQLITE_BUSY, SQLITE_LOCKED
        return (
            f"{words.title} {path} are busy: another Dossier process kept them locked for "
            f"more than {BUSY_TIMEOUT_S} s. Try again."
        )
    return f"{words.title} {path} cannot be used ({exc})."


@contextlib.contextmanager
def store_errors(words: StoreWords, path: Path) -> Iterator[None]:
    """SQLite's errors on `path` raised as the store's error, with the user's message."""
    try:
        yield
    except sqlite3.ProgrammingError as exc:  # used after close(): a bug, not the disk
        raise words.error(f"{words.title} {path} are closed.") from exc
    except sqlite3.Error as exc:
        raise words.error(sqlite_message(words, exc, path)) from exc


def open_store(
    words: StoreWords, path: Path, schema: str, version: int, *, foreign_keys: bool = False
) -> sqlite3.Connection:
    """The store's file `path` opened (its folder made) in WAL mode, `schema` created and its
    `version` recorded; a file of a newer version is refused."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise words.error(
            f"The folder {path.parent} for {words.purpose} cannot be created "
            f"({exc.strerror or exc})."
        ) from exc
    try:
        db = sqlite3.connect(
            path, check_same_thread=False, isolation_level=None, timeout=BUSY_TIMEOUT_S
        )
    except sqlite3.Error as exc:
        raise words.error(sqlite_message(words, exc, path)) from exc
    try:
        with store_errors(words, path):
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            if foreign_keys:
                db.execute("PRAGMA foreign_keys=ON")
            with immediate_transaction(db, threading.Lock()):
                for statement in filter(str.strip, schema.split(";")):
                    db.execute(statement)
                if db.execute("PRAGMA user_version").fetchone()[0] > version:
                    raise words.error(
                        f"{words.title} {path} were written by a newer Dossier; update "
                        "Dossier to read them."
                    )
                db.execute(f"PRAGMA user_version={version}")
    except BaseException:
        db.close()
        raise
    return db


@contextlib.contextmanager
def immediate_transaction(
    db: sqlite3.Connection, lock: threading.Lock
) -> Iterator[sqlite3.Connection]:
    """One write transaction, taken at once (BEGIN IMMEDIATE): all of it or nothing."""
    with lock:
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
            db.execute("COMMIT")
        except BaseException:
            # SQLite may have rolled back already (a full disk); a failed COMMIT has not
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
