"""The keyword half of a PostgreSQL library: the embedded library's BM25, computed in SQL.

Each passage's terms are the embedded BM25's own (`retrieval.search.content_terms`: stop
words out, lemmas, Snowball stems), computed here in Python and stored as two aligned arrays:
the distinct terms, each as a 64-bit hash (`terms bigint[]`, with a GIN index), and how often
each occurs (`tfs`), beside the number of terms (`n_terms`). The GIN index finds the
passages holding a word of the question; `ranked_query` scores them with BM25's Lucene form,
the one `bm25s` uses (k1 1.5, b 0.75), reading each word's frequency with `array_position`.
Hashes, not the words: comparing integers is ~4x faster than comparing text, and 64 bits
make two words sharing a hash vanishingly unlikely. (Unnesting a `tsvector` per passage was
~20x slower than `ts_rank`; bench/scale.py --keyword-baseline times the two.) PostgreSQL's
own stemming and ts_rank ranked otherwise, and answers differed between the backends on that.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from dataclasses import dataclass

from ..search import content_terms
from .schema import CHUNKS_TABLE

K1 = 1.5  # bm25s's defaults, which the embedded library uses
B = 0.75
MAX_TF = 32767  # smallint; no passage comes near it


def term_hash(term: str) -> int:
    """A term as a signed 64-bit integer (PostgreSQL's bigint)."""
    digest = hashlib.blake2b(term.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


@dataclass(frozen=True)
class Terms:
    """A passage's BM25 terms (distinct, as hashes), how often each occurs, and how many
    there are in all: at least 1, as in the embedded index, which gives an empty passage one
    placeholder term (it takes part in the average length)."""

    terms: list[int]
    frequencies: list[int]
    length: int


def terms_of(text: str) -> Terms:
    words = content_terms(text)
    counts = Counter(term_hash(w) for w in words)
    terms = sorted(counts)
    return Terms(terms, [min(counts[t], MAX_TF) for t in terms], max(len(words), 1))


def query_weights(query: str) -> dict[int, int]:
    """The question's terms (hashed), each with how often it occurs (bm25s counts a repeated
    word of the question as many times)."""
    return dict(Counter(term_hash(w) for w in content_terms(query)))


def idf(document_frequency: float, passages: float) -> float:
    """BM25's inverse document frequency in its Lucene form (always positive)."""
    return math.log(1 + (passages - document_frequency + 0.5) / (document_frequency + 0.5))


def ranked_query(n_terms: int) -> str:
    """The passages holding a candidate word (%(candidates)s, a bigint[]), scored by BM25 over
    the question's words (%(l0)s, %(l1)s, ... with weights %(w0)s, ...): the sum of
    weight * tf / (tf + k1 * (1 - b + b * length / average length)), where a word's weight is
    its idf times its count in the question. Ties go to the older passage, as in the embedded
    index (rows in the order they were added)."""
    tfs = ", ".join(
        f"coalesce(c.tfs[array_position(c.terms, %(l{i})s::int8)], 0)::float8 AS tf{i}"
        for i in range(n_terms)
    )
    score = " + ".join(f"%(w{i})s * f.tf{i} / (f.tf{i} + f.norm)" for i in range(n_terms))
    # OFFSET 0 keeps the inner select apart, so each frequency is looked up once per passage.
    return f"""
SELECT c.id FROM {CHUNKS_TABLE} c,
LATERAL (
    SELECT {score} AS score
    FROM (SELECT {tfs}, {K1} * (1 - {B} + {B} * c.n_terms / %(average)s) AS norm OFFSET 0) f
) s
WHERE c.terms && %(candidates)s::int8[]
ORDER BY s.score DESC, c.id
LIMIT %(depth)s
"""


def document_frequencies(n_terms: int) -> str:
    """How many passages hold each of %(l0)s, %(l1)s, ...: counted through the GIN index."""
    columns = ", ".join(
        f"count(*) FILTER (WHERE terms @> ARRAY[%(l{i})s::int8])" for i in range(n_terms)
    )
    return f"SELECT {columns} FROM {CHUNKS_TABLE} WHERE terms && %(candidates)s::int8[]"


# The number of passages and their average number of terms (BM25's length normalisation).
TOTALS = f"SELECT count(*), avg(n_terms) FROM {CHUNKS_TABLE}"
