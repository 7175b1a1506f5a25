"""Choose what the model reads: the sentences that matter from the best hits, within a budget."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from models.embedder import Embedder
from retrieval.schema import Hit
from retrieval.search import content_terms
from retrieval.sentences import sentence_spans

from .schema import Passage

# A sentence that starts like this leans on the one before it, so that one comes along.
_LEANING_STARTS = (
    "he ",
    "she ",
    "they ",
    "it ",
    "this ",
    "that ",
    "these ",
    "those ",
    "his ",
    "her ",
    "their ",
)


def select_passages(
    question: str,
    question_vector: np.ndarray,
    hits: list[Hit],
    texts: dict[str, str],
    embedder: Embedder,
    *,
    budget_tokens: int,
    count_tokens: Callable[[str], int],
) -> list[Passage]:
    """Best sentences of the hits, merged into contiguous passages, numbered by relevance."""
    candidates: dict[tuple[str, int], tuple[int, float]] = {}  # (source, start) -> (end, hit score)
    for rank, hit in enumerate(hits):
        chunk = hit.chunk
        for a, b in sentence_spans(chunk.text):
            key = (chunk.source_id, chunk.start + a)
            if key not in candidates:
                candidates[key] = (chunk.start + b, 1.0 / (1 + rank))
    if not candidates:
        return []
    keys = list(candidates)
    sentences = [texts[s][start : candidates[(s, start)][0]] for s, start in keys]
    vectors = embedder.embed(sentences)
    query_terms = set(content_terms(question))
    scores = []
    for key, sentence, vector in zip(keys, sentences, vectors, strict=True):
        overlap = len(query_terms & set(content_terms(sentence))) / max(1, len(query_terms))
        # Similarity to the question decides; keyword overlap and the chunk's rank break ties.
        scores.append(float(vector @ question_vector) + 0.3 * overlap + 0.1 * candidates[key][1])
    order = np.argsort(-np.asarray(scores), kind="stable")

    chosen: dict[tuple[str, int], float] = {}
    used = 0
    for i in order:
        key = keys[i]
        group = [key]
        if sentences[i].lower().startswith(_LEANING_STARTS):
            previous = _previous_sentence(keys, key)
            if previous is not None and previous not in chosen:
                group.insert(0, previous)
        cost = sum(
            count_tokens(texts[s][a : candidates[(s, a)][0]])
            for s, a in group
            if (s, a) not in chosen
        )
        if used + cost > budget_tokens and chosen:
            continue  # the best sentence always goes in, even over budget
        for member in group:
            chosen.setdefault(member, scores[i])
        used += cost
    return _merge(chosen, candidates, texts)


def _previous_sentence(keys: list[tuple[str, int]], key: tuple[str, int]) -> tuple[str, int] | None:
    same_source = sorted(k for k in keys if k[0] == key[0] and k[1] < key[1])
    return same_source[-1] if same_source else None


def _merge(chosen, candidates, texts) -> list[Passage]:
    """Adjacent chosen sentences of one source become one passage; best passages first."""
    groups: list[list] = []
    for source_id, start in sorted(chosen):
        end = candidates[(source_id, start)][0]
        score = chosen[(source_id, start)]
        last = groups[-1] if groups else None
        gap = texts[source_id][last[2] : start] if last and last[0] == source_id else None
        if last and gap is not None and gap.strip() == "":
            last[2] = end
            last[3] = max(last[3], score)
        else:
            groups.append([source_id, start, end, score])
    groups.sort(key=lambda g: -g[3])
    return [
        Passage(n=n, source_id=s, start=a, end=b, text=texts[s][a:b], relevance=round(score, 4))
        for n, (s, a, b, score) in enumerate(groups, start=1)
    ]
