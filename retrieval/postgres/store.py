"""The library's rows in PostgreSQL, behind the lookups the shared ingest pipeline uses.

`retrieval.library`'s ingest (reading, chunking, metadata, skipping what is stored, batches,
progress) asks its store `known_files`, `source_by_path`, `source_by_hash`, `id_taken`,
`set_file_stat`; this store answers them from the database, so both backends ingest the
same files into the same sources.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from collections.abc import Iterator

import numpy as np

from ..errors import LibraryError, LibraryMismatch, LibraryUnavailable
from ..schema import Chunk, Source, SourceMeta
from ..source_rows import source_from_row, sources_query
from . import hnsw, keywords, schema
from .connection import LibraryURL, connect, unreachable
from .schema import CHUNKS_TABLE, KV_TABLE, SOURCES_TABLE

log = logging.getLogger(__name__)

_CHUNK_COLUMNS = 'id, source_id, ordinal, start, "end", text'
CHECKED_KEYS = ("embedder", "dim", "chunker")


def _chunk(row) -> Chunk:
    return Chunk(id=row[0], source_id=row[1], ordinal=row[2], start=row[3], end=row[4], text=row[5])


def _text(text: str) -> str:
    # PostgreSQL text cannot hold NUL; U+FFFD is one character too, so offsets stay right.
    return text.replace("\x00", "\ufffd")


def _meta(raw: str) -> SourceMeta:
    try:
        return SourceMeta.model_validate_json(raw)
    except ValueError:
        return SourceMeta()


class PgStore:
    """Two connections: one for reads (searches go on while a batch commits), one for writes.

    Each is used by one thread at a time (a lock each); every error that means the server is
    gone becomes a LibraryUnavailable naming it.
    """

    read_only = False
    notice: str | None = None  # something the owner should do (an index with old parameters)

    def __init__(self, url: LibraryURL, manifest: dict) -> None:
        self.url = url
        self._read = connect(url)
        self._write = connect(url)
        self._read_lock = threading.RLock()
        self._write_lock = threading.RLock()
        import psycopg

        try:
            self._create_schema(manifest)
        except psycopg.OperationalError as exc:
            raise unreachable(url, exc) from exc
        except psycopg.Error as exc:  # e.g. a user who may not create the extension or tables
            self.close()
            raise LibraryUnavailable(
                f"The library database at {url.server} cannot be prepared "
                f"({str(exc).strip().splitlines()[0]}). Its owner "
                "must allow this user to create tables, and run `CREATE EXTENSION vector` once."
            ) from exc
        self.vector_type = self.read_manifest().get("vector_type", "vector")

    # -- connections ------------------------------------------------------------------------
    @contextlib.contextmanager
    def reading(self) -> Iterator:
        import psycopg

        with self._read_lock:
            try:
                yield self._read
            except psycopg.OperationalError as exc:
                raise unreachable(self.url, exc) from exc

    @contextlib.contextmanager
    def transaction(self) -> Iterator:
        """A write transaction holding the library's write lock (see schema.WRITE_LOCK_KEY)."""
        import psycopg

        with self._write_lock:
            try:
                with self._write.transaction():
                    self._write.execute(
                        "SELECT pg_advisory_xact_lock(%s)", (schema.WRITE_LOCK_KEY,)
                    )
                    yield self._write
            except psycopg.OperationalError as exc:
                raise unreachable(self.url, exc) from exc

    def _create_schema(self, manifest: dict) -> None:
        from pgvector.psycopg import register_vector

        with self._write_lock, self._write.transaction():
            self._write.execute("SELECT pg_advisory_xact_lock(%s)", (schema.SCHEMA_LOCK_KEY,))
            stored = self._write.execute(
                "SELECT to_regclass(%s) IS NOT NULL", (KV_TABLE,)
            ).fetchone()[0] and self._kv(self._write, "manifest")
            if stored:
                stored = json.loads(stored)
                self._check_manifest(stored, manifest)
                vector_type = stored.get("vector_type", "vector")
                if stored.get("format", 1) < schema.FORMAT:
                    self._convert_keywords()
                    stored["format"] = schema.FORMAT
                    self._set_kv(self._write, "manifest", json.dumps(stored))
            else:
                vector_type = self.url.vector_type
                for statement in schema.ddl(manifest["dim"], vector_type):
                    self._write.execute(statement)
                first = {**manifest, "format": schema.FORMAT, "vector_type": vector_type}
                self._set_kv(self._write, "manifest", json.dumps(first))
            self.notice = hnsw.ensure_index(self._write, vector_type, self.url.server)
        for conn in (self._read, self._write):
            register_vector(conn)

    def _convert_keywords(self, batch: int = 5_000) -> None:
        """A library of format 1 (PostgreSQL's own stems in a generated `tsvector`) gets the
        embedded BM25's terms, once, inside the opening transaction: read the passages in
        batches, compute their terms here, write them back in one UPDATE, the vector index
        dropped meanwhile (the caller's ensure_index builds it again)."""
        db = self._write
        log.warning(
            "converting the keyword columns of the library at %s to this Dossier's, once "
            "(minutes for a large library)",
            self.url.server,
        )
        # Every updated row would otherwise be inserted into the HNSW graph again, one by one;
        # ensure_index builds it once afterwards, far faster (README, sizing).
        db.execute(f"DROP INDEX IF EXISTS {hnsw.INDEX}")
        db.execute(f"ALTER TABLE {CHUNKS_TABLE} DROP COLUMN IF EXISTS tsv")
        db.execute(
            f"ALTER TABLE {CHUNKS_TABLE} ADD COLUMN terms bigint[], ADD COLUMN tfs smallint[], "
            "ADD COLUMN n_terms integer"
        )
        db.execute(
            "CREATE TEMP TABLE dossier_terms (id bigint, terms bigint[], tfs smallint[], "
            "n_terms integer) ON COMMIT DROP"
        )
        last = 0
        while rows := db.execute(
            f"SELECT id, text FROM {CHUNKS_TABLE} WHERE id > %s ORDER BY id LIMIT %s",
            (last, batch),
        ).fetchall():
            with db.cursor().copy("COPY dossier_terms FROM STDIN WITH (FORMAT BINARY)") as copy:
                copy.set_types(["int8", "int8[]", "int2[]", "int4"])
                for chunk_id, text in rows:
                    terms = keywords.terms_of(text)
                    copy.write_row([chunk_id, terms.terms, terms.frequencies, terms.length])
            last = rows[-1][0]
        db.execute(
            f"UPDATE {CHUNKS_TABLE} c SET terms = t.terms, tfs = t.tfs, n_terms = t.n_terms "
            "FROM dossier_terms t WHERE c.id = t.id"
        )
        db.execute(
            f"ALTER TABLE {CHUNKS_TABLE} ALTER COLUMN terms SET NOT NULL, "
            "ALTER COLUMN tfs SET NOT NULL, ALTER COLUMN n_terms SET NOT NULL"
        )
        db.execute(schema.KEYWORD_INDEX)

    def _check_manifest(self, stored: dict, expected: dict) -> None:
        different = [k for k in CHECKED_KEYS if stored.get(k) != expected.get(k)]
        if different:
            said = ", ".join(
                f"{k} {stored.get(k)!r} (this Dossier: {expected.get(k)!r})" for k in different
            )
            raise LibraryMismatch(
                f"The library at {self.url.server} was built with {said}; open it with the "
                "Dossier that built it."
            )

    @staticmethod
    def _kv(conn, key: str) -> str | None:
        row = conn.execute(f"SELECT value FROM {KV_TABLE} WHERE key = %s", (key,)).fetchone()
        return row[0] if row else None

    @staticmethod
    def _set_kv(conn, key: str, value: str) -> None:
        conn.execute(
            f"INSERT INTO {KV_TABLE}(key, value) VALUES (%s, %s) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    # -- manifest and flags ---------------------------------------------------------------
    def read_manifest(self) -> dict:
        with self.reading() as db:
            raw = self._kv(db, "manifest")
        return json.loads(raw) if raw else {}

    def update_manifest(self, info: dict) -> None:
        with self.transaction() as db:
            data = json.loads(self._kv(db, "manifest") or "{}")
            self._set_kv(db, "manifest", json.dumps({**data, **info}))

    def get_flag(self, key: str) -> bool:
        with self.reading() as db:
            return self._kv(db, f"flag:{key}") is not None

    def set_flag(self, key: str) -> None:
        with self.transaction() as db:
            self._set_kv(db, f"flag:{key}", "1")

    # -- sources --------------------------------------------------------------------------
    def known_files(self) -> dict[str, tuple[str, int | None, int | None]]:
        with self.reading() as db:
            rows = db.execute(f"SELECT path, id, size, mtime_ns FROM {SOURCES_TABLE}").fetchall()
        return {r[0]: (r[1], r[2], r[3]) for r in rows}

    def source_by_path(self, path: str, db=None) -> tuple[str, str] | None:
        with contextlib.nullcontext(db) if db is not None else self.reading() as conn:
            row = conn.execute(
                f"SELECT id, content_hash FROM {SOURCES_TABLE} WHERE path = %s", (path,)
            ).fetchone()
        return (row[0], row[1]) if row else None

    def source_by_hash(self, content_hash: str, db=None) -> str | None:
        with contextlib.nullcontext(db) if db is not None else self.reading() as conn:
            row = conn.execute(
                f"SELECT id FROM {SOURCES_TABLE} WHERE content_hash = %s ORDER BY id LIMIT 1",
                (content_hash,),
            ).fetchone()
        return row[0] if row else None

    def id_taken(self, source_id: str, db=None) -> bool:
        with contextlib.nullcontext(db) if db is not None else self.reading() as conn:
            row = conn.execute(f"SELECT 1 FROM {SOURCES_TABLE} WHERE id = %s", (source_id,))
            return row.fetchone() is not None

    def set_file_stat(self, source_id: str, size: int, mtime_ns: int) -> None:
        with self.transaction() as db:
            db.execute(
                f"UPDATE {SOURCES_TABLE} SET size = %s, mtime_ns = %s WHERE id = %s",
                (size, mtime_ns, source_id),
            )

    def sources(self) -> list[Source]:
        with self.reading() as db:
            rows = db.execute(sources_query(SOURCES_TABLE, CHUNKS_TABLE)).fetchall()
        return [source_from_row(r, _meta) for r in rows]

    def source_text(self, source_id: str) -> str | None:
        with self.reading() as db:
            row = db.execute(
                f"SELECT text FROM {SOURCES_TABLE} WHERE id = %s", (source_id,)
            ).fetchone()
        return row[0] if row else None

    def count_sources(self) -> int:
        with self.reading() as db:
            return db.execute(f"SELECT count(*) FROM {SOURCES_TABLE}").fetchone()[0]

    def count_chunks(self) -> int:
        with self.reading() as db:
            return db.execute(f"SELECT count(*) FROM {CHUNKS_TABLE}").fetchone()[0]

    def write_source(self, db, source_id: str, record, *, added_at: str) -> None:
        """Insert the source, or replace the one with this id (its chunks deleted)."""
        db.execute(f"DELETE FROM {CHUNKS_TABLE} WHERE source_id = %s", (source_id,))
        db.execute(
            f"INSERT INTO {SOURCES_TABLE}(id, path, content_hash, text, meta, added_at, size,"
            " mtime_ns) VALUES (%s,%s,%s,%s,%s,%s,%s,%s) ON CONFLICT (id) DO UPDATE SET"
            " path=excluded.path, content_hash=excluded.content_hash, text=excluded.text,"
            " meta=excluded.meta, added_at=excluded.added_at, size=excluded.size,"
            " mtime_ns=excluded.mtime_ns",
            (
                source_id,
                record.path,
                record.content_hash,
                _text(record.text),
                record.meta.model_dump_json(),
                added_at,
                record.size,
                record.mtime_ns,
            ),
        )

    def delete_source(self, source_id: str) -> bool:
        with self.transaction() as db:
            cur = db.execute(f"DELETE FROM {SOURCES_TABLE} WHERE id = %s", (source_id,))
            return cur.rowcount > 0

    # -- chunks ---------------------------------------------------------------------------
    def insert_chunks(self, db, rows: list[tuple[str, int, int, int, str]], vectors: np.ndarray):
        """COPY (source_id, ordinal, start, end, text) rows with their vectors and keyword
        terms (keywords.terms_of), in binary."""
        with db.cursor().copy(
            f'COPY {CHUNKS_TABLE} (source_id, ordinal, start, "end", text, embedding, terms,'
            " tfs, n_terms) FROM STDIN WITH (FORMAT BINARY)"
        ) as copy:
            copy.set_types(
                ["text", "int4", "int4", "int4", "text", self.vector_type]
                + ["int8[]", "int2[]", "int4"]
            )
            for row, vector in zip(rows, np.asarray(vectors, np.float32), strict=True):
                terms = keywords.terms_of(row[4])
                keyword_columns = [terms.terms, terms.frequencies, terms.length]
                copy.write_row([*row[:4], _text(row[4]), self._vector(vector), *keyword_columns])

    def _vector(self, vector: np.ndarray):
        from pgvector import HalfVector

        return HalfVector(vector) if self.vector_type == "halfvec" else vector

    def chunks_by_ids(self, ids: list[int]) -> dict[int, Chunk]:
        if not ids:
            return {}
        with self.reading() as db:
            rows = db.execute(
                f"SELECT {_CHUNK_COLUMNS} FROM {CHUNKS_TABLE} WHERE id = ANY(%s)", (ids,)
            ).fetchall()
        return {r[0]: _chunk(r) for r in rows}

    def chunks_of(self, source_id: str) -> list[Chunk]:
        with self.reading() as db:
            rows = db.execute(
                f"SELECT {_CHUNK_COLUMNS} FROM {CHUNKS_TABLE} WHERE source_id = %s "
                "ORDER BY ordinal",
                (source_id,),
            ).fetchall()
        return [_chunk(r) for r in rows]

    def close(self) -> None:
        for lock, conn in ((self._read_lock, self._read), (self._write_lock, self._write)):
            with lock, contextlib.suppress(LibraryError, Exception):
                conn.close()
