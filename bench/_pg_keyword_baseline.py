"""The PostgreSQL keyword ranking Dossier used before 2026-12-03 evening, kept as a speed
baseline for `bench/scale.py --keyword-baseline`: PostgreSQL's English stems in a stored
column with its own GIN index, candidates the passages holding one of the question's
lexemes (in a large library the rarer ones), ranked by each lexeme's `ts_rank`
(length-normalised) times its BM25 idf. The library now ranks by BM25 over the embedded
library's terms (retrieval/postgres/keywords.py); this only times the old way on the same
rows, in the same run.
"""

from __future__ import annotations

import time

from retrieval.postgres import keywords
from retrieval.postgres import library as pg_library
from retrieval.postgres.schema import CHUNKS_TABLE

COLUMN = "tsv_english"
QUERY_LEXEMES = """
SELECT DISTINCT lexeme FROM unnest(to_tsvector('english', %(query)s))
WHERE lexeme !~ '[''\\\\]'
"""
SHARES = f"""
SELECT s.most_common_elems::text::text[], s.most_common_elem_freqs,
       (SELECT reltuples FROM pg_class WHERE oid = '{CHUNKS_TABLE}'::regclass)
FROM pg_stats s WHERE s.tablename = '{CHUNKS_TABLE}' AND s.attname = '{COLUMN}'
"""


def add_column(library) -> float:
    """The old generated column, its GIN index and statistics; seconds taken."""
    t0 = time.perf_counter()
    with library.store.transaction() as db:
        db.execute(
            f"ALTER TABLE {CHUNKS_TABLE} ADD COLUMN IF NOT EXISTS {COLUMN} tsvector "
            "GENERATED ALWAYS AS (to_tsvector('english', text)) STORED"
        )
        db.execute(
            f"CREATE INDEX IF NOT EXISTS {COLUMN}_gin ON {CHUNKS_TABLE} USING gin ({COLUMN})"
        )
    with library.store.transaction() as db:
        db.execute(f"ANALYZE {CHUNKS_TABLE}")
    return time.perf_counter() - t0


def _q(lexeme: str) -> str:
    return f"'{lexeme}'"


def keyword_ids(db, query: str, depth: int) -> list[int]:
    lexemes = [r[0] for r in db.execute(QUERY_LEXEMES, {"query": query})]
    if not lexemes:
        return []
    row = db.execute(SHARES).fetchone()
    share, passages = (
        ({}, 0.0)
        if not row or not row[0]
        else (dict(zip(row[0], row[1], strict=False)), float(row[2] or 0))
    )
    pick = lexemes
    if passages >= pg_library.GATED_FROM_PASSAGES:
        pick = [x for x in lexemes if share.get(x, 0.0) <= pg_library.COMMON_SHARE]
        pick = pick or [min(lexemes, key=lambda x: share.get(x, 0.0))]
    counts = {x: share[x] * passages for x in lexemes if passages and x in share}
    rest = [x for x in lexemes if x not in counts]
    if rest or not passages:
        columns = ", ".join([f"count(*) FILTER (WHERE {COLUMN} @@ %s::tsquery)"] * len(rest))
        row = db.execute(
            f"SELECT (SELECT count(*) FROM {CHUNKS_TABLE}){', ' if rest else ''}{columns} "
            f"FROM {CHUNKS_TABLE} WHERE {COLUMN} @@ %s::tsquery",
            [*map(_q, rest), " | ".join(map(_q, rest or lexemes))],
        ).fetchone()
        passages = passages or float(row[0] or 0)
        counts.update(zip(rest, map(float, row[1:]), strict=True))
    weights = [keywords.idf(counts[x], max(passages, 1.0)) for x in lexemes]
    rank = " + ".join([f"ts_rank(c.{COLUMN}, %s::tsquery, 1) * %s"] * len(lexemes))
    params: list = [f for x, w in zip(lexemes, weights, strict=True) for f in (_q(x), w)]
    rows = db.execute(
        f"SELECT c.id FROM {CHUNKS_TABLE} c WHERE c.{COLUMN} @@ %s::tsquery "
        f"ORDER BY ({rank}) DESC, c.id LIMIT %s",
        [" | ".join(map(_q, pick)), *params, depth],
    )
    return [r[0] for r in rows]
