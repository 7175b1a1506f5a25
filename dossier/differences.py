"""Where sources differ: numbers for the same thing, opposite stances, quotes given to different
people, and what only one source reports. Candidates come from sentence embeddings and string
rules; a model, when given, confirms the stance candidates (a pair it calls unrelated is dropped).
"""

from __future__ import annotations

import re
import threading

import numpy as np

from models.llm import LLM
from prompts import PromptSet
from retrieval.search import content_terms

from .quotes import speakers_disagree
from .schema import Difference, DifferenceSide, QuoteGroup, SourceSpan

NUMBER_TOPIC_COSINE = 0.55  # two sentences this close, sharing terms, talk about the same thing
STANCE_COSINE = 0.7  # opposite polarity only counts for statements this close in meaning
UNIQUE_COSINE = 0.45  # a sentence no other source comes this close to is reported by one only
MAX_STANCE_CHECKS = 4
MAX_UNIQUE_PER_SOURCE = 2
MIN_SHARED_TERMS = 2
MIN_UNIQUE_WORDS = 10

_QUANTITY = re.compile(
    r"(?P<value>\d+(?:[.,]\d+)*)\s*(?:-\s*)?(?P<unit>miles?|mi\b|kilomet(?:er|re)s?|km\b|percent|%|"
    r"million|billion|troops|soldiers|people|missiles|drones|tanks|days|weeks|months|years)"
)
_UNIT_FAMILY = {
    "mile": "distance",
    "mi": "distance",
    "kilometer": "distance",
    "kilometre": "distance",
    "km": "distance",
    "percent": "share",
    "%": "share",
}
_KM_PER_MILE = 1.609344
_NEGATION = re.compile(
    r"\b(?:not|no|never|neither|nor|denied|denies|deny|refuted|rejected|unclear|yet to|"
    r"without|ruled out|won't|isn't|hasn't|haven't|didn't|doesn't|don't)\b",
    re.IGNORECASE,
)
_VERDICT = re.compile(r"\b(DIFFER|AGREE|UNRELATED)\b", re.IGNORECASE)

Sentence = SourceSpan


def find_differences(
    sentences: list[Sentence],
    vectors: np.ndarray,
    quote_groups: list[QuoteGroup],
    *,
    llm: LLM | None = None,
    prompts: PromptSet | None = None,
    cancel: threading.Event | None = None,
) -> list[Difference]:
    """Differences between sources; `vectors[i]` is the normalised embedding of `sentences[i]`."""
    if not sentences:
        return []
    sims = vectors @ vectors.T
    ids = np.array([s.source_id for s in sentences])
    same_source = ids[:, None] == ids[None, :]
    sims = np.where(same_source, -1.0, sims)
    found = number_differences(sentences, sims)
    if llm is not None:
        # Without a model, opposite-looking pairs are too often about different things to show.
        found += stance_differences(sentences, sims, llm=llm, prompts=prompts, cancel=cancel)
        found = [d for d in found if d.kind != "number" or _confirmed(llm, prompts, d, cancel)]
    found += speaker_differences(quote_groups)
    found += only_one_source(sentences, sims)
    return found


def number_differences(sentences: list[Sentence], sims: np.ndarray) -> list[Difference]:
    """Pairs of sources giving different figures, in the same unit, for the same thing."""
    quantities = [_quantities(s.text) for s in sentences]
    found: list[Difference] = []
    seen: set[tuple[str, str]] = set()
    for i, j in _pairs(sims, NUMBER_TOPIC_COSINE):
        shared_units = set(quantities[i]) & set(quantities[j])
        if not shared_units:
            continue
        topic_terms = _shared_terms(sentences[i].text, sentences[j].text)
        if len(topic_terms) < MIN_SHARED_TERMS:
            continue
        for unit in sorted(shared_units):
            a, b = quantities[i][unit], quantities[j][unit]
            if _close(a, b):
                continue
            key = tuple(sorted((f"{sentences[i].source_id}:{a}", f"{sentences[j].source_id}:{b}")))
            if key in seen:
                continue
            seen.add(key)
            found.append(
                Difference(
                    kind="number",
                    topic=topic_words(sentences[i].text, sentences[j].text),
                    sides=[
                        DifferenceSide(statement=sentences[i], value=_show(a, unit)),
                        DifferenceSide(statement=sentences[j], value=_show(b, unit)),
                    ],
                )
            )
    return found


def stance_differences(
    sentences: list[Sentence],
    sims: np.ndarray,
    *,
    llm: LLM | None,
    prompts: PromptSet | None,
    cancel: threading.Event | None = None,
) -> list[Difference]:
    """Close statements where one side negates: "no change to our policy" vs "a decision made"."""
    candidates, seen = [], set()
    for i, j in _pairs(sims, STANCE_COSINE):
        key = (sentences[i].text, sentences[j].text)
        if key in seen:
            continue
        seen.add(key)
        if (
            bool(_NEGATION.search(sentences[i].text)) != bool(_NEGATION.search(sentences[j].text))
            and len(_shared_terms(sentences[i].text, sentences[j].text)) >= MIN_SHARED_TERMS
        ):
            candidates.append((i, j))
    candidates = candidates[:MAX_STANCE_CHECKS]
    found = []
    for i, j in candidates:
        if cancel is not None and cancel.is_set():
            break
        if llm is not None and not _model_says_differ(llm, prompts, sentences[i], sentences[j]):
            continue  # the model reads them as consistent or about different things
        topic = topic_words(sentences[i].text, sentences[j].text)
        found.append(
            Difference(
                kind="stance",
                topic=topic,
                sides=[
                    DifferenceSide(statement=sentences[i], value=_stance(sentences[i].text)),
                    DifferenceSide(statement=sentences[j], value=_stance(sentences[j].text)),
                ],
            )
        )
    return found


def speaker_differences(groups: list[QuoteGroup]) -> list[Difference]:
    """The same words put in different people's mouths by different sources."""
    found = []
    for group in groups:
        if len(group.source_ids) > 1 and speakers_disagree(group):
            found.append(
                Difference(
                    kind="speaker",
                    topic=f"who said “{group.text}”",
                    sides=[
                        DifferenceSide(statement=q.sentence, value=q.speaker) for q in group.quotes
                    ],  # fmt: skip
                )
            )
    return found


def only_one_source(sentences: list[Sentence], sims: np.ndarray) -> list[Difference]:
    """Per source, the most specific sentences (figures, quotes, names) no other source echoes."""
    if len({s.source_id for s in sentences}) < 2:
        return []
    nearest_elsewhere = sims.max(axis=1)
    by_source: dict[str, list[tuple[float, int]]] = {}
    for i, sentence in enumerate(sentences):
        if nearest_elsewhere[i] >= UNIQUE_COSINE:
            continue
        if len(sentence.text.split()) < MIN_UNIQUE_WORDS:
            continue  # bylines, credits, headlines
        weight = _specificity(sentence.text)
        if weight > 0:
            by_source.setdefault(sentence.source_id, []).append((weight, i))
    found = []
    for source_id in sorted(by_source):
        ranked = sorted(by_source[source_id], key=lambda pair: (-pair[0], pair[1]))
        for _, i in ranked[:MAX_UNIQUE_PER_SOURCE]:
            found.append(
                Difference(
                    kind="only-one-source",
                    topic=topic_words(sentences[i].text),
                    sides=[DifferenceSide(statement=sentences[i])],
                )
            )
    return found


def _pairs(sims: np.ndarray, threshold: float) -> list[tuple[int, int]]:
    """Sentence pairs from different sources at or above `threshold`, closest first."""
    rows, cols = np.nonzero(np.triu(sims, k=1) >= threshold)
    order = np.argsort(-sims[rows, cols], kind="stable")
    return [(int(rows[k]), int(cols[k])) for k in order]


def _quantities(text: str) -> dict[str, float]:
    """Unit family (or unit) -> value, distances in kilometres so 190 miles meets 306 km."""
    out: dict[str, float] = {}
    for match in _QUANTITY.finditer(text):
        unit = match.group("unit").lower().rstrip("s") if match.group("unit") != "%" else "%"
        try:
            value = float(match.group("value").replace(",", ""))
        except ValueError:
            continue
        family = _UNIT_FAMILY.get(unit, unit)
        if unit in {"mile", "mi"}:
            value *= _KM_PER_MILE
        out.setdefault(family, value)
    return out


def _close(a: float, b: float) -> bool:
    """Equal up to rounding and unit conversion (about 3%)."""
    return abs(a - b) <= 0.03 * max(abs(a), abs(b), 1e-9)


def _show(value: float, family: str) -> str:
    if family == "distance":
        return f"{value:.0f} km ({value / _KM_PER_MILE:.0f} miles)"
    return f"{value:g} {family}"


def _shared_terms(a: str, b: str) -> list[str]:
    other = set(content_terms(b))
    seen: list[str] = []
    for term in content_terms(a):
        if term in other and term not in seen and not term.isdigit():
            seen.append(term)
    return seen


def topic_words(a: str, b: str | None = None, most: int = 5) -> str:
    """Words of `a`, as written, whose terms `b` shares too (or all content words of `a`)."""
    wanted = set(_shared_terms(a, b)) if b is not None else set(content_terms(a))
    words: list[str] = []
    for word in re.findall(r"[\w’'-]+", a):
        terms = content_terms(word)
        if terms and terms[0] in wanted and word.lower() not in {w.lower() for w in words}:
            words.append(word)
        if len(words) == most:
            break
    return " ".join(words)


def _stance(text: str) -> str:
    return "negative" if _NEGATION.search(text) else "affirmative"


def _specificity(text: str) -> int:
    figures = len(_QUANTITY.findall(text)) + len(re.findall(r"\d", text)) // 4
    quotes = len(re.findall(r"[\"“]", text)) // 2
    names = len(re.findall(r"(?<=\s)[A-Z][a-z]+", text))
    return 2 * figures + 2 * quotes + min(names, 3)


def _model_says_differ(llm: LLM, prompts: PromptSet | None, a: Sentence, b: Sentence) -> bool:
    prompts = prompts or PromptSet()
    rendered = prompts.render("compare", first=a.text, second=b.text)
    reply = llm.stream([{"role": "user", "content": rendered.text}], max_tokens=8).text()
    verdict = _VERDICT.search(reply)
    return bool(verdict and verdict.group(1).upper() == "DIFFER")


def _confirmed(llm: LLM, prompts: PromptSet | None, d: Difference, cancel) -> bool:
    if cancel is not None and cancel.is_set():
        return False
    return _model_says_differ(llm, prompts, d.sides[0].statement, d.sides[1].statement)
