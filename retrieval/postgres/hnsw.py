"""The HNSW index of a PostgreSQL library: built with the embedded index's parameters.

pgvector builds HNSW with m = 16, ef_construction = 64 unless told; the embedded library's
FAISS index uses M = 32, efConstruction = 80 (`retrieval.dense`), and the same figures are
given here so both backends trade recall for memory the same way. A database whose index was
built otherwise (by an earlier Dossier) is rebuilt when it is opened, if it is small enough
for that to take seconds; a larger one is left as it is (searches work, with the old recall)
and `notice` says how to rebuild it once, when nobody is ingesting.
"""

from __future__ import annotations

import logging

from ..dense import HNSW_EF_CONSTRUCTION, HNSW_M
from .schema import CHUNKS_TABLE, VectorType

log = logging.getLogger(__name__)

INDEX = f"{CHUNKS_TABLE}_hnsw"
OPTIONS = {"m": HNSW_M, "ef_construction": HNSW_EF_CONSTRUCTION}
PGVECTOR_DEFAULTS = {"m": 16, "ef_construction": 64}  # an index built without WITH (...)
# Rebuilt on opening up to this many passages (the rebuild blocks the library's other users
# while it runs); above it the rebuild is left to the owner, with the statements in the notice.
REBUILD_ON_OPEN_MAX_CHUNKS = 100_000


def _with(options: dict[str, int]) -> str:
    return ", ".join(f"{k} = {int(v)}" for k, v in options.items())


def create_index(vector_type: VectorType) -> str:
    return (
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON {CHUNKS_TABLE}"
        f" USING hnsw (embedding {vector_type}_cosine_ops) WITH ({_with(OPTIONS)})"
    )


def index_options(conn) -> dict[str, int] | None:
    """The build parameters of the library's HNSW index (None: there is none)."""
    row = conn.execute(
        "SELECT reloptions FROM pg_class WHERE oid = to_regclass(%s)", (INDEX,)
    ).fetchone()
    if row is None:
        return None
    options = dict(PGVECTOR_DEFAULTS)
    for item in row[0] or []:
        key, _, value = item.partition("=")
        if key in options:
            options[key] = int(value)
    return options


def _few_chunks(conn, limit: int) -> bool:
    row = conn.execute(
        f"SELECT count(*) FROM (SELECT 1 FROM {CHUNKS_TABLE} LIMIT %s) t", (limit + 1,)
    ).fetchone()
    return row[0] <= limit


def ensure_index(conn, vector_type: VectorType, server: str) -> str | None:
    """Make the index carry OPTIONS (inside the caller's transaction, under the schema lock).

    Returns a notice when an index built otherwise is left as it is (too large to rebuild
    while the library opens); None when the index is right (or was made right)."""
    found = index_options(conn)
    if found == OPTIONS:
        return None
    if found is not None and not _few_chunks(conn, REBUILD_ON_OPEN_MAX_CHUNKS):
        notice = (
            f"The vector index of the library at {server} was built with {_with(found)} "
            f"(this Dossier builds {_with(OPTIONS)}): searches work, with the recall of the "
            "old parameters. To rebuild it once, while nobody ingests (it takes a while: "
            "see the README's sizing section), run in the database: "
            f"DROP INDEX {INDEX}; {create_index(vector_type)};"
        )
        log.warning(notice)
        return notice
    if found is not None:
        log.info("rebuilding %s at %s: %s -> %s", INDEX, server, found, OPTIONS)
        conn.execute(f"DROP INDEX {INDEX}")
    conn.execute(create_index(vector_type))
    return None
