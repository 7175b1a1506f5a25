"""The headline's news in the summary: when no key point says what the source's stated headline
says, the body sentence that best supports the headline becomes a point, cited to itself.

Closeness in meaning is read from the library's embedder first (cheap), and the judge decides
the unclear cases and whether a body sentence states the headline at all: a headline the body
does not support adds nothing.
"""

from __future__ import annotations

import re

import numpy as np

from .judge import Judge
from .schema import SourceSpan, SummaryPoint
from .source_guide import SourceBody

# Embeddings measure topic, not statement: a point on the same topic ("may use the weapons to
# shoot down missiles") is close to a headline it does not state ("permission to strike"). Only a
# near-paraphrase counts as covered without asking; between the two, the judge decides.
HEADLINE_COVERED = 0.85
HEADLINE_RELATED = 0.45
HEADLINE_CANDIDATES = 3  # body sentences closest to the headline that the judge reads
SAME_POINT_COSINE = 0.85  # as dossier.summaries.DUPLICATE_COSINE: a point saying the same


def cover_headline(
    points: list[SummaryPoint], body: SourceBody, judge: Judge, limit: int
) -> list[SummaryPoint]:
    """`points` with the headline's news first when no supported point states it; the added
    point replaces any resting on the same sentence or saying the same, and the supported
    points stay at most `limit`."""
    if not body.headline or not body.spans:
        return points
    supported = [p for p in points if p.supported]
    vectors = body.embedder.embed([body.headline, *(p.text for p in supported)])
    headline_vector, point_vectors = vectors[0], vectors[1:]
    if _covered(body.headline, supported, point_vectors @ headline_vector, judge):
        return points
    i = _supporting_sentence(body, headline_vector, judge)
    if i is None:
        return points
    start, end = body.spans[i]
    sentence = body.text[start:end]
    added = SummaryPoint(
        text=" ".join(sentence.split()),
        supported=True,
        covers_headline=True,
        evidence=[SourceSpan(source_id=body.source_id, start=start, end=end, text=sentence)],
    )
    same = point_vectors @ body.vectors[i] if len(supported) else np.zeros(0)
    rest = [
        p
        for p, cosine in zip(supported, same, strict=True)
        if {(e.start, e.end) for e in p.evidence} != {(start, end)}
        and float(cosine) < SAME_POINT_COSINE
    ]
    return [added, *rest][: max(1, limit)] + [p for p in points if not p.supported]


def _covered(
    headline: str, supported: list[SummaryPoint], similarity: np.ndarray, judge: Judge
) -> bool:
    if not supported:
        return False
    best = int(np.argmax(similarity))
    if similarity[best] >= HEADLINE_COVERED:
        return True
    return bool(
        similarity[best] >= HEADLINE_RELATED and judge.entails(supported[best].text, headline)
    )


def _supporting_sentence(body: SourceBody, headline_vector: np.ndarray, judge: Judge) -> int | None:
    """The body sentence closest to the headline that states it, by the judge."""
    headline = _words(body.headline or "")
    order = [
        i
        for i in np.argsort(-(body.vectors @ headline_vector)).tolist()
        if _words(body.text[body.spans[i][0] : body.spans[i][1]]) != headline  # the title line
    ]
    for i in order[:HEADLINE_CANDIDATES]:
        start, end = body.spans[i]
        if judge.entails(body.text[start:end], body.headline):
            return i
    return None


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())
