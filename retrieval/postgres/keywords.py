"""The keyword half of a PostgreSQL library: the embedded library's BM25, computed in SQL.

Each passage's terms are the embedded BM25's own (`retrieval.search.content_terms`: stop
words out, lemmas, Snowball stems), computed here in Python and stored as a `tsvector` (one
lexeme per term, its positions giving the term's frequency) beside the number of terms. A GIN
index finds the passages holding a word of the question; `ranked_query` scores them with
BM25's Lucene form, the one `bm25s` uses (k1 1.5, b 0.75): PostgreSQL's own stemming and
ts_rank rank otherwise, and answers differed between the two backends on that alone.
"""

from __future__ import annotations

import math
import struct
from collections import Counter
from dataclasses import dataclass

from ..search import content_terms
from .schema import CHUNKS_TABLE

K1 = 1.5  # bm25s's defaults, which the embedded library uses
B = 0.75
TSVECTOR_OID = 3614
MAX_LEXEME_BYTES = 2047  # a tsvector refuses longer lexemes
MAX_POSITIONS = 256  # a tsvector keeps at most this many positions per lexeme
MAX_POSITION = 16383


@dataclass(frozen=True)
class Terms:
    """A passage's BM25 terms: how often each occurs, and how many there are in all.

    `length` is at least 1, as in the embedded index, which gives an empty passage one
    placeholder term (it takes part in the average length)."""

    counts: dict[str, int]
    length: int


def terms_of(text: str) -> Terms:
    terms = content_terms(text)
    kept = {t: n for t, n in Counter(terms).items() if len(t.encode()) <= MAX_LEXEME_BYTES}
    return Terms(kept, max(len(terms), 1))


def tsvector_bytes(terms: Terms) -> bytes:
    """The binary form PostgreSQL's tsvector_recv reads: the number of lexemes, then each
    lexeme (NUL-terminated) with its positions. A term's frequency is its number of positions,
    so it is kept up to 256 (no passage comes near it)."""
    parts = [struct.pack("!i", len(terms.counts))]
    for lexeme in sorted(terms.counts):
        count = min(terms.counts[lexeme], MAX_POSITIONS)
        parts.append(lexeme.encode() + b"\x00")
        parts.append(struct.pack(f"!H{count}H", count, *range(1, count + 1)))
    return b"".join(parts)


def register(conn) -> None:
    """Let `conn` send Terms as a tsvector in binary (COPY ... FORMAT BINARY)."""
    from psycopg.adapt import Dumper
    from psycopg.pq import Format

    class TermsDumper(Dumper):
        format = Format.BINARY
        oid = TSVECTOR_OID

        def dump(self, obj: Terms) -> bytes:
            return tsvector_bytes(obj)

    conn.adapters.register_dumper(Terms, TermsDumper)


def query_weights(query: str) -> dict[str, int]:
    """The question's terms, each with how often it occurs (bm25s counts a repeated word of
    the question as many times)."""
    return dict(Counter(content_terms(query)))


def tsquery_literal(lexeme: str) -> str:
    escaped = lexeme.replace("\\", "\\\\").replace("'", "''")
    return f"'{escaped}'"


def any_of(lexemes: list[str]) -> str:
    """A tsquery matching a passage holding any of `lexemes`."""
    return " | ".join(map(tsquery_literal, lexemes))


def idf(document_frequency: float, passages: float) -> float:
    """BM25's inverse document frequency in its Lucene form (always positive)."""
    return math.log(1 + (passages - document_frequency + 0.5) / (document_frequency + 0.5))


# The passages holding a candidate word, scored by BM25 over all the question's words:
# sum of weight * tf / (tf + k1 * (1 - b + b * length / average length)), where the weight is
# the word's idf times its count in the question. Ties go to the older passage, as in the
# embedded index (rows in the order they were added).
RANKED_QUERY = f"""
SELECT c.id FROM {CHUNKS_TABLE} c,
LATERAL (
    SELECT sum(q.weight * t.tf / (t.tf + {K1} * (1 - {B} + {B} * c.n_terms / %(average)s)))
           AS score
    FROM (SELECT lexeme, cardinality(positions) AS tf FROM unnest(c.tsv)) t
    JOIN unnest(%(lexemes)s::text[], %(weights)s::float8[]) AS q(lexeme, weight) USING (lexeme)
) s
WHERE c.tsv @@ %(candidates)s::tsquery
ORDER BY s.score DESC, c.id
LIMIT %(depth)s
"""

# The number of passages and their average number of terms (BM25's length normalisation).
TOTALS = f"SELECT count(*), avg(n_terms) FROM {CHUNKS_TABLE}"
