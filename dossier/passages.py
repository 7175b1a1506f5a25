"""Choose what the model reads: the sentences that matter from the best hits, within a budget."""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

from models.embedder import Embedder
from retrieval.metadata import title_of_text
from retrieval.schema import Hit
from retrieval.search import content_terms
from retrieval.sentences import sentence_spans

from .focus import asks_reason, expected_answer, holds_answer_kind
from .schema import Passage

# A sentence scoring this much below the best one is not worth its tokens.
FILL_MARGIN = 0.5
# A "sentence" with fewer plain lower-case words than this is a dateline, a heading or a name
# ("Aug 17, 2021 ...", "Pixel 5a."), not a statement: it is read with the sentence after it.
FRAGMENT_WORDS = 2
_PLAIN_WORD = re.compile(r"(?<![\w-])[a-z]{3,}\b")
REASON_FOLLOW_ON = 2  # for a "why" question, the best this many sentences bring the next one
# How many chunks back a warm-up joins a chunk's leaning first sentence to (`texts_to_embed`):
# the best 12 chunks of a question rarely skip more of one source than that.
JOIN_REACH = 8
# Added to a sentence holding the kind of answer asked for (a figure for "how many", a date for
# "when", a name for "who"): measured on all suites at once (bench/evidence.py), 0.1 to 0.3
# all lift the newsroom and RGB noise suites and lower none.
ANSWER_KIND_BONUS = 0.2

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
    count_tokens_many: Callable[[list[str]], list[int]],
    skip_to_fill: bool = True,
    require: list[str] | None = None,
) -> list[Passage]:
    """Best sentences of the hits, merged into contiguous passages, numbered by relevance.

    With `skip_to_fill`, a sentence too long for what is left of the budget is passed over for
    shorter, less relevant ones; without it, selection stops there (only the very closest).
    With `require`, only sentences containing every one of those strings are candidates.
    """
    candidates: dict[tuple[str, int], tuple[int, float]] = {}  # (source, start) -> (end, hit score)
    for rank, hit in enumerate(hits):
        chunk = hit.chunk
        for a, b in _units(chunk.text):
            key = (chunk.source_id, chunk.start + a)
            if key not in candidates:
                candidates[key] = (chunk.start + b, 1.0 / (1 + rank))
    if require:
        candidates = {
            (s, a): v
            for (s, a), v in candidates.items()
            if all(r in texts[s][a : v[0]] for r in require)
        }
    candidates = _without_repeats(candidates, texts)
    if not candidates:
        return []
    keys = list(candidates)
    sentences = [texts[s][start : candidates[(s, start)][0]] for s, start in keys]
    vectors = embedder.embed(sentences)
    tokens = dict(zip(keys, count_tokens_many(sentences), strict=True))  # one backend call
    vectors = _with_context(keys, sentences, vectors, question_vector, embedder)
    vectors = _with_headline(keys, sentences, vectors, question_vector, embedder, texts)
    ranks = [candidates[key][1] for key in keys]
    scores = sentence_scores(question, question_vector, sentences, vectors, ranks)
    order = np.argsort(-np.asarray(scores), kind="stable")

    chosen: dict[tuple[str, int], float] = {}
    used = 0
    # News gives the reason for a decision in the sentence after it ("X did Y. Officials
    # said the decision came after Z."), which rarely looks like the question itself.
    follow_on = REASON_FOLLOW_ON if asks_reason(question) else 0
    # Short sentences about something else would fill a budget's tail and distract the model.
    floor = scores[order[0]] - FILL_MARGIN
    for place, i in enumerate(order):
        if scores[i] < floor:
            break
        key = keys[i]
        group = [key]
        if sentences[i].lower().startswith(_LEANING_STARTS):
            previous = _neighbour(keys, key, -1)
            if previous is not None and previous not in chosen:
                group.insert(0, previous)
        if place < follow_on:
            following = _neighbour(keys, key, +1)
            gap = texts[key[0]][candidates[key][0] : following[1]] if following else None
            # only the sentence right after it, in the same paragraph
            if following not in chosen and gap is not None and gap.strip(" \t") in ("", "\n"):
                group.append(following)
        cost = sum(tokens[member] for member in group if member not in chosen)
        if used + cost > budget_tokens and chosen:
            if skip_to_fill:
                continue
            break  # the best sentence always goes in, even over budget
        for member in group:
            chosen.setdefault(member, scores[i])
        used += cost
    return _merge(chosen, candidates, texts)


def sentence_scores(
    question: str,
    question_vector: np.ndarray,
    sentences: list[str],
    vectors: np.ndarray,
    chunk_ranks: list[float],
) -> list[float]:
    """How well each candidate sentence answers `question` (higher is better)."""
    query_terms = set(content_terms(question))
    kind = expected_answer(question)
    scores = []
    for sentence, vector, rank in zip(sentences, vectors, chunk_ranks, strict=True):
        overlap = len(query_terms & set(content_terms(sentence))) / max(1, len(query_terms))
        # Similarity to the question decides; keyword overlap and the chunk's rank break ties.
        score = float(vector @ question_vector) + 0.3 * overlap + 0.1 * rank
        if kind is not None and holds_answer_kind(kind, sentence, question):
            score += ANSWER_KIND_BONUS
        scores.append(score)
    return scores


def _units(text: str) -> list[tuple[int, int]]:
    """Sentence spans, a fragment too short to say anything alone ("Aug 17, 2021 ...", a
    heading) joined to the sentence after it in the same paragraph."""
    units: list[list[int]] = []
    pending: list[int] | None = None
    for a, b in sentence_spans(text):
        if pending is not None and "\n" not in text[pending[1] : a]:
            a = pending[0]
        pending = None
        if len(_PLAIN_WORD.findall(text[a:b])) < FRAGMENT_WORDS:
            pending = [a, b]
            continue
        units.append([a, b])
    if pending is not None:
        units.append(pending)
    return [(a, b) for a, b in units]


def texts_to_embed(text: str, chunks: list) -> list[str]:
    """What `select_passages` may embed for a source (`text`) whose chunks are `chunks`: each
    chunk's units, each unit read under the source's headline (when it states one), and each
    leaning sentence joined to the candidate before it, each text once.
    That candidate is the unit before it in its chunk or the source (overlapping chunks hit
    together) or, for a chunk's first unit, the last unit of an earlier chunk hit without the
    ones between (up to `JOIN_REACH` chunks back). Warming a vector cache with these makes a
    question's passage selection run no model; a join this misses is embedded when needed."""
    spans: set[tuple[int, int]] = set()
    pairs: set[tuple[tuple[int, int], tuple[int, int]]] = set()
    per_chunk = []
    for chunk in sorted(chunks, key=lambda c: c.start):
        units = [(chunk.start + a, chunk.start + b) for a, b in _units(chunk.text)]
        spans.update(units)
        pairs.update(zip(units, units[1:], strict=False))
        if units:
            per_chunk.append(units)
    for j, units in enumerate(per_chunk):
        earlier = per_chunk[max(0, j - JOIN_REACH) : j]
        pairs.update((e[-1], units[0]) for e in earlier if e[-1][0] < units[0][0])
    by_start: dict[int, list[tuple[int, int]]] = {}
    for span in sorted(spans):
        by_start.setdefault(span[0], []).append(span)
    starts = sorted(by_start)
    for before, start in zip(starts, starts[1:], strict=False):
        pairs.update((p, s) for p in by_start[before] for s in by_start[start])
    texts = dict.fromkeys(text[a:b] for a, b in sorted(spans))
    for (a, b), (c, d) in sorted(pairs):
        if text[c:d].lower().startswith(_LEANING_STARTS):
            texts.setdefault(f"{text[a:b]} {text[c:d]}")
    if headline := headline_of(text):
        for a, b in sorted(spans):
            if titled := under_headline(headline, text[a:b]):
                texts.setdefault(titled)
    return list(texts)


def _with_context(keys, sentences, vectors, question_vector, embedder):
    """A sentence leaning on the one before ("It was announced on...") is scored as read with
    it, when that reads closer to the question: alone it lacks the subject it is about."""
    leaning = [
        (i, previous)
        for i, key in enumerate(keys)
        if sentences[i].lower().startswith(_LEANING_STARTS)
        and (previous := _neighbour(keys, key, -1)) is not None
    ]
    index = {key: i for i, key in enumerate(keys)}
    joined = [(i, f"{sentences[index[prev]]} {sentences[i]}") for i, prev in leaning]
    return _closer_readings(vectors, joined, question_vector, embedder)


def headline_of(text: str) -> str | None:
    """The headline `text` states at its start, if any (a title cut from a first sentence
    is not one: it adds nothing the sentence does not say)."""
    title, derived = title_of_text(text)
    return None if derived or not title else title


def under_headline(headline: str, sentence: str) -> str | None:
    """The text a sentence is also embedded as, read under its article's headline; None for
    the headline itself."""
    if " ".join(sentence.split()) == " ".join(headline.split()):
        return None
    return f"{headline.rstrip('.')}. {sentence}"


def _with_headline(keys, sentences, vectors, question_vector, embedder, texts):
    """A sentence is also scored as read under its article's headline, when that reads closer
    to the question: a news sentence deep in an article names only part of what it is about
    ("On the first day, the minister offered..."); the headline names the rest."""
    headlines = {source: headline_of(texts[source]) for source in {key[0] for key in keys}}
    titled = [
        (i, text)
        for i, key in enumerate(keys)
        if (headline := headlines[key[0]]) and (text := under_headline(headline, sentences[i]))
    ]
    return _closer_readings(vectors, titled, question_vector, embedder)


def _closer_readings(vectors, readings: list[tuple[int, str]], question_vector, embedder):
    """`vectors` with row i replaced by the vector of its other reading (i, text) wherever
    that reads closer to the question."""
    if not readings:
        return vectors
    other = embedder.embed([text for _, text in readings])
    vectors = vectors.copy()
    for (i, _), vector in zip(readings, other, strict=True):
        if float(vector @ question_vector) > float(vectors[i] @ question_vector):
            vectors[i] = vector
    return vectors


def _without_repeats(candidates: dict, texts: dict[str, str]) -> dict:
    """One of each sentence that several sources (or one, twice) carry word for word: a repeat
    would only spend the budget. Sentences that differ in anything, a figure included, stay."""
    seen: set[str] = set()
    kept = {}
    for (source_id, start), value in candidates.items():
        words = " ".join(texts[source_id][start : value[0]].lower().split())
        if words not in seen:
            seen.add(words)
            kept[(source_id, start)] = value
    return kept


def _neighbour(keys: list[tuple[str, int]], key: tuple[str, int], step: int):
    """The candidate sentence of the same source just before (step -1) or after (+1) `key`."""
    same_source = sorted(k for k in keys if k[0] == key[0])
    at = same_source.index(key) + step
    return same_source[at] if 0 <= at < len(same_source) else None


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
