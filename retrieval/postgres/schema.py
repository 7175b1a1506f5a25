"""The tables of a library in PostgreSQL: sources, chunks with their vectors and keywords.

One database may hold one library (the tables are prefixed `dossier_` so it can share a
database with other applications). Vectors are `vector(dim)` (float32) or `halfvec(dim)`
(float16, half the memory; see the README's sizing section) with an HNSW index on cosine
distance (made by `hnsw.ensure_index`, with the embedded index's parameters); keywords a
stored `tsvector` (English stems, stop words out) with a GIN index.
"""

from __future__ import annotations

from typing import Literal

VectorType = Literal["vector", "halfvec"]
VECTOR_TYPES: tuple[str, ...] = ("vector", "halfvec")
TS_CONFIG = "english"
# Taken (transaction-scoped) by every write: two Dossier processes writing at once commit
# one after the other, and each re-checks paths and content hashes under it, so a source is
# never duplicated nor lost. Readers never take it.
WRITE_LOCK_KEY = 0x0D05_51E4
SCHEMA_LOCK_KEY = 0x0D05_51E5  # creating the tables, once, whoever opens first

KV_TABLE = "dossier_kv"
SOURCES_TABLE = "dossier_sources"
CHUNKS_TABLE = "dossier_chunks"


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
        f" tsv tsvector GENERATED ALWAYS AS (to_tsvector('{TS_CONFIG}', text)) STORED)",
        f"CREATE INDEX IF NOT EXISTS {CHUNKS_TABLE}_source ON {CHUNKS_TABLE} (source_id, ordinal)",
        f"CREATE INDEX IF NOT EXISTS {CHUNKS_TABLE}_tsv ON {CHUNKS_TABLE} USING gin (tsv)",
    ]


QUERY_LEXEMES = f"""
SELECT DISTINCT lexeme FROM unnest(to_tsvector('{TS_CONFIG}', %(query)s))
WHERE lexeme !~ '[''\\\\]'
"""

# The question's content words (QUERY_LEXEMES: stemmed by the configuration of the stored
# column; lexemes with a quote or a backslash left out, as they cannot be written safely into
# to_tsquery) are OR-ed: like BM25, a passage needs not contain them all. PgLibrary ranks the
# matches by each word's ts_rank with length normalisation (1 + log length) times its BM25
# idf. Measured on the 17 dev questions over the seeds against the embedded BM25 + FAISS
# (real embedder): the fused top 8 share 7.1 passages with idf, 6.5 without; ts_rank_cd
# agreed less than ts_rank (fake embedder: keyword top 1 the same for 13 against 16) and
# ranks ~3x slower. Candidates are the passages holding one of the `pick` lexemes (all of
# them, or in a large library only the rarer ones: see PgLibrary._keyword_ids).

# How often each frequent lexeme occurs (share of passages), from the statistics the server
# keeps for the planner (ANALYZE, run by autovacuum), and the number of passages: nothing to
# maintain at ingest. Lexemes not listed are rarer than every listed one.
LEXEME_FREQUENCIES = f"""
SELECT s.most_common_elems::text::text[], s.most_common_elem_freqs,
       (SELECT reltuples FROM pg_class WHERE oid = '{CHUNKS_TABLE}'::regclass)
FROM pg_stats s WHERE s.tablename = '{CHUNKS_TABLE}' AND s.attname = 'tsv'
"""


def dense_query(vector_type: VectorType) -> str:
    """Nearest chunks by cosine distance through the HNSW index, with their cosine."""
    return (
        f"SELECT id, 1 - (embedding <=> %(v)s::{vector_type}) FROM {CHUNKS_TABLE}"
        f" ORDER BY embedding <=> %(v)s::{vector_type} LIMIT %(depth)s"
    )
