"""The tables of a library in PostgreSQL: sources, chunks with their vectors and keywords.

One database may hold one library (the tables are prefixed `dossier_` so it can share a
database with other applications). Vectors are `vector(dim)` (float32) or `halfvec(dim)`
(float16, half the memory; see the README's sizing section) with an HNSW index on cosine
distance (made by `hnsw.ensure_index`, with the embedded index's parameters); keywords the
embedded BM25's terms (an array with a GIN index) and their frequencies (see keywords.py).
"""

from __future__ import annotations

from typing import Literal

VectorType = Literal["vector", "halfvec"]
VECTOR_TYPES: tuple[str, ...] = ("vector", "halfvec")
# 2: the keyword column holds the embedded BM25's terms (1: PostgreSQL's English stems, a
# generated column; converted when opened, see PgStore._convert_keywords).
FORMAT = 2
# Taken (transaction-scoped) by every write: two Dossier processes writing at once commit
# one after the other, and each re-checks paths and content hashes under it, so a source is
# never duplicated nor lost. Readers never take it.
WRITE_LOCK_KEY = 0x0D05_51E4
SCHEMA_LOCK_KEY = 0x0D05_51E5  # creating the tables, once, whoever opens first

KV_TABLE = "dossier_kv"
SOURCES_TABLE = "dossier_sources"
CHUNKS_TABLE = "dossier_chunks"

KEYWORD_INDEX = (
    f"CREATE INDEX IF NOT EXISTS {CHUNKS_TABLE}_terms ON {CHUNKS_TABLE} USING gin (terms)"
)


def ddl(dim: int, vector_type: VectorType) -> list[str]:
    """CREATE statements, idempotent (IF NOT EXISTS); the HNSW index apart (see hnsw.py)."""
    if vector_type not in VECTOR_TYPES:
        raise ValueError(f"vector type must be one of {VECTOR_TYPES}, not {vector_type!r}")
    return [
        "CREATE EXTENSION IF NOT EXISTS vector",
        f"CREATE TABLE IF NOT EXISTS {KV_TABLE} (key text PRIMARY KEY, value text NOT NULL)",
        f"CREATE TABLE IF NOT EXISTS {SOURCES_TABLE} ("
        " id text PRIMARY KEY, path text NOT NULL UNIQUE, content_hash text NOT NULL,"
        " text text NOT NULL, meta text NOT NULL, added_at text NOT NULL,"
        " size bigint, mtime_ns bigint)",
        f"CREATE INDEX IF NOT EXISTS {SOURCES_TABLE}_hash ON {SOURCES_TABLE} (content_hash)",
        f"CREATE TABLE IF NOT EXISTS {CHUNKS_TABLE} ("
        " id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
        f" source_id text NOT NULL REFERENCES {SOURCES_TABLE}(id) ON DELETE CASCADE,"
        ' ordinal integer NOT NULL, start integer NOT NULL, "end" integer NOT NULL,'
        f" text text NOT NULL, embedding {vector_type}({int(dim)}) NOT NULL,"
        " terms bigint[] NOT NULL, tfs smallint[] NOT NULL, n_terms integer NOT NULL)",
        f"CREATE INDEX IF NOT EXISTS {CHUNKS_TABLE}_source ON {CHUNKS_TABLE} (source_id, ordinal)",
        KEYWORD_INDEX,
    ]


# The question's terms are OR-ed: like BM25, a passage needs not contain them all. The
# candidates are the passages holding one of them (all of them, or in a large library only
# the rarer ones: see PgLibrary._keyword_ids), ranked by BM25 (keywords.ranked_query).

# How often each frequent term occurs (share of passages), from the statistics the server
# keeps for the planner (ANALYZE, run by autovacuum), and the number of passages: nothing to
# maintain at ingest. Terms not listed are rarer than every listed one.
TERM_SHARES = f"""
SELECT s.most_common_elems::text::int8[], s.most_common_elem_freqs,
       (SELECT reltuples FROM pg_class WHERE oid = '{CHUNKS_TABLE}'::regclass)
FROM pg_stats s WHERE s.tablename = '{CHUNKS_TABLE}' AND s.attname = 'terms'
"""


def dense_query(vector_type: VectorType) -> str:
    """Nearest chunks by cosine distance through the HNSW index, with their cosine."""
    return (
        f"SELECT id, 1 - (embedding <=> %(v)s::{vector_type}) FROM {CHUNKS_TABLE}"
        f" ORDER BY embedding <=> %(v)s::{vector_type} LIMIT %(depth)s"
    )
