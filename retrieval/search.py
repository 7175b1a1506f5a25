"""Search primitives: dense top-k, BM25, and reciprocal-rank fusion. Pure where possible."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence

import numpy as np

from .schema import Chunk, Hit

RRF_K = 60  # the constant from Cormack et al. (2009); damps the weight of top ranks

_TOKEN = re.compile(r"(?u)\b\w\w+\b")
_QUESTION_WORDS = {"what", "who", "whom", "whose", "which", "when", "where", "why", "how", "do"}


def rrf_fuse(rankings: Sequence[Sequence[int]], k: int = RRF_K) -> list[tuple[int, float]]:
    """Reciprocal-rank fusion: each list ranks ids best first; score = sum 1/(k + rank)."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    # Ties break on the smaller id so results are deterministic.
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))


def fuse_ranked(
    dense_ids: np.ndarray, keyword_ids: np.ndarray, k: int
) -> tuple[list[tuple[int, float]], dict[int, int], dict[int, int]]:
    """The best k of a dense and a keyword ranking fused by reciprocal rank, and the 1-based
    rank of each id in the dense and in the keyword list."""
    dense_rank = {int(c): r for r, c in enumerate(dense_ids, start=1)}
    keyword_rank = {int(c): r for r, c in enumerate(keyword_ids, start=1)}
    fused = rrf_fuse([dense_ids.tolist(), keyword_ids.tolist()])[:k]
    return fused, dense_rank, keyword_rank


def hits_from_rankings(
    dense_ids: np.ndarray,
    dense_scores: np.ndarray,
    keyword_ids: np.ndarray,
    k: int,
    chunks_by_ids: Callable[[list[int]], dict[int, Chunk]],
) -> list[Hit]:
    """The best k hits of a dense ranking (with its cosine scores) and a keyword ranking,
    fused by reciprocal rank, each with its ranks in both lists; `chunks_by_ids` reads the
    fused chunks (one that is gone meanwhile is left out). Both library backends search so."""
    fused, dense_rank, keyword_rank = fuse_ranked(dense_ids, keyword_ids, k)
    cosine = {int(c): float(s) for c, s in zip(dense_ids, dense_scores, strict=True)}
    chunks = chunks_by_ids([cid for cid, _ in fused])
    return [
        Hit(
            chunk=chunks[cid],
            score=score,
            dense_rank=dense_rank.get(cid),
            dense_score=cosine.get(cid),
            bm25_rank=keyword_rank.get(cid),
        )
        for cid, score in fused
        if cid in chunks
    ]


def top_k_dense(matrix: np.ndarray, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Brute-force inner-product top-k over rows of `matrix` (the oracle for the FAISS path)."""
    if matrix.shape[0] == 0 or k <= 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    scores = matrix @ query
    k = min(k, scores.shape[0])
    idx = np.argpartition(-scores, k - 1)[:k]
    order = np.lexsort((idx, -scores[idx]))
    return idx[order].astype(np.int64), scores[idx[order]].astype(np.float32)


@functools.lru_cache(maxsize=200_000)
def _lemma(word: str) -> str:
    import simplemma

    return simplemma.lemmatize(word, lang="en").lower()


@functools.cache
def _stemmer_and_stop_words():
    import bm25s
    import Stemmer

    # bm25s's list lacks question words; questions would otherwise match on "what".
    return Stemmer.Stemmer("english"), frozenset(bm25s.stopwords.STOPWORDS_EN) | _QUESTION_WORDS


def content_terms(text: str) -> list[str]:
    """Content words of `text` as lemma stems: stop words out, "said" and "says" both "say"."""
    stemmer, stop = _stemmer_and_stop_words()
    lemmas = (_lemma(w) for w in _TOKEN.findall(text.lower()))
    return stemmer.stemWords([w for w in lemmas if w not in stop])


class Bm25Index:
    """BM25 (bm25s) over chunk texts: English stop words, lemmas, then Snowball stems.

    Lemmatising first joins irregular forms that stemming keeps apart ("said" and "say",
    "told" and "tell"): news questions are full of reporting verbs.
    """

    def __init__(self, texts: Sequence[str]) -> None:
        import bm25s

        self.size = len(texts)
        self._retriever = bm25s.BM25()
        if texts:
            corpus = [content_terms(t) or ["\u2205"] for t in texts]  # no empty docs for bm25s
            self._retriever.index(corpus, show_progress=False)

    def top_k(self, query: str, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Row indices and scores of the best k documents with a positive score."""
        if self.size == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        ids = self._retriever.get_tokens_ids(content_terms(query))
        if not ids:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        scores = self._retriever.get_scores_from_ids(ids)
        positive = np.flatnonzero(scores > 0)
        if positive.size == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        k = min(k, positive.size)
        sub = scores[positive]
        best = np.argpartition(-sub, k - 1)[:k]
        rows = positive[best]
        order = np.lexsort((rows, -scores[rows]))
        return rows[order].astype(np.int64), scores[rows[order]].astype(np.float32)
