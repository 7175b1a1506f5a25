"""Sentence vectors remembered on disk, so a sentence is embedded once, not at every question.

`CachingEmbedder` wraps any `Embedder` with the same protocol: `embed(texts)` looks each text
up in a SQLite file and runs the inner embedder only on the texts never seen before, in one
batch, storing what it computed. Vectors are stored as their exact float32 bytes, so a cached
vector is bit for bit the one the inner embedder returned when it was stored: passage
selection and the citation check read the same vectors, without waiting for the model. (The
OpenVINO int8 embedder gave bit-identical vectors for a text alone and in batches of 7 and 20
here; an embedder whose last bits did depend on the batch would have one of those equally
valid vectors fixed by the cache.)

A row is keyed by the sha256 of the embedder's identity (name, backend, dimension) and the
text: the same sentence in two dossiers is one row (the file is shared by the data folder),
and vectors of another backend (torch against OpenVINO int8) are never mixed in.

Size: a row is ~1.6 KB (384 float32 plus its key). The file keeps at most `max_rows` rows
(default 250,000, ~400 MB: ~10,000 news articles at ~25 texts each); past that the oldest
insertions are dropped, and a sentence asked about again is embedded and stored anew.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from pathlib import Path

import numpy as np

from .embedding_model import Embedder

FILE_NAME = "sentence-vectors.sqlite"
MAX_ROWS = 250_000
# Dropping many rows at once when full keeps the trimming rare (one DELETE per 5% of rows).
TRIM_SHARE = 0.05
_LOOKUP_CHUNK = 500  # SQLite's bound parameters per statement stay well under its limit

_SCHEMA = """
CREATE TABLE IF NOT EXISTS vectors (
    id INTEGER PRIMARY KEY,  -- insertion order: the oldest go first when the file is full
    key BLOB NOT NULL UNIQUE,
    vector BLOB NOT NULL
);
"""


class CachingEmbedder:
    """`inner` with its vectors kept in `path` (SQLite); safe to call from several threads."""

    def __init__(self, inner: Embedder, path: Path, *, max_rows: int = MAX_ROWS) -> None:
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self.path = Path(path)
        self.max_rows = max_rows
        self._identity: bytes | None = None  # known on first use: `backend` may load a model
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self._rows = 0  # rows in the file as this process last counted them, plus its inserts
        self.computed = 0  # texts the inner embedder was run on (for tests and benchmarks)

    @property
    def backend(self) -> str | None:
        return getattr(self.inner, "backend", None)

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        keys = [self._key(t) for t in texts]
        found = self._lookup(set(keys))
        missing = list({k: t for k, t in zip(keys, texts, strict=True) if k not in found}.items())
        if missing:
            # The model runs outside the lock: a question's lookup never waits for a batch.
            vectors = np.asarray(self.inner.embed([t for _, t in missing]), dtype=np.float32)
            self.computed += len(missing)
            fresh = dict(zip((k for k, _ in missing), vectors, strict=True))
            self._store(fresh)
            found.update(fresh)
        return np.stack([found[k] for k in keys]).astype(np.float32, copy=False)

    def missing(self, texts: list[str]) -> list[str]:
        """The texts of `texts` that are not cached yet (each once), without embedding any."""
        keys = {self._key(t): t for t in texts}
        found = self._lookup(set(keys))
        return [t for k, t in keys.items() if k not in found]

    def count(self) -> int:
        with self._lock:
            return self._connection().execute("SELECT count(*) FROM vectors").fetchone()[0]

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    # -- storage --------------------------------------------------------------------------
    def _key(self, text: str) -> bytes:
        if self._identity is None:
            self._identity = f"{self.name}\0{self.backend}\0{self.dim}\0".encode()
        return hashlib.sha256(self._identity + text.encode("utf-8", "surrogatepass")).digest()

    def _connection(self) -> sqlite3.Connection:
        if self._db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # One connection guarded by our lock, used from the GUI's worker threads.
            db = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
            db.execute("PRAGMA journal_mode=WAL")  # other processes read while one writes
            db.execute("PRAGMA synchronous=NORMAL")  # a cache: a lost last write is re-made
            db.executescript(_SCHEMA)
            self._rows = db.execute("SELECT count(*) FROM vectors").fetchone()[0]
            self._db = db
        return self._db

    def _lookup(self, keys: set[bytes]) -> dict[bytes, np.ndarray]:
        found: dict[bytes, np.ndarray] = {}
        wanted = list(keys)
        with self._lock:
            db = self._connection()
            for i in range(0, len(wanted), _LOOKUP_CHUNK):
                part = wanted[i : i + _LOOKUP_CHUNK]
                marks = ",".join("?" * len(part))
                rows = db.execute(f"SELECT key, vector FROM vectors WHERE key IN ({marks})", part)
                for key, blob in rows:
                    vector = np.frombuffer(blob, dtype="<f4")
                    if vector.shape == (self.dim,):  # anything else is not ours: embed again
                        found[key] = vector.astype(np.float32)
        return found

    def _store(self, vectors: dict[bytes, np.ndarray]) -> None:
        rows = [(k, np.ascontiguousarray(v, dtype="<f4").tobytes()) for k, v in vectors.items()]
        with self._lock:
            db = self._connection()
            try:
                with db:
                    added = db.executemany(
                        "INSERT OR IGNORE INTO vectors (key, vector) VALUES (?, ?)", rows
                    ).rowcount
                    self._rows += max(added, 0)
                    if self._rows > self.max_rows:
                        self._trim(db)
            except sqlite3.OperationalError:
                pass  # a full disk or a busy file: the vectors are still returned, just not kept

    def _trim(self, db: sqlite3.Connection) -> None:
        # Counted again: other processes sharing the file add rows too.
        count = db.execute("SELECT count(*) FROM vectors").fetchone()[0]
        self._rows = count
        if count > self.max_rows:
            drop = count - self.max_rows + int(self.max_rows * TRIM_SHARE)
            db.execute(
                "DELETE FROM vectors WHERE id IN (SELECT id FROM vectors ORDER BY id LIMIT ?)",
                (drop,),
            )
            self._rows = count - drop
