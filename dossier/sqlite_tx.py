"""One write transaction on a shared SQLite connection: what the dossier's stores share."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator


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
