"""Where sources differ: figures and times for the same measure of the same thing, the same
event told with one key word changed, quotes given to different people, and
what only one source reports. Candidates come from sentence embeddings and string rules;
figures are compared as unit-normalised ranges (dossier.quantities), so "about 190" and "more
than 180" agree. A model, when given, judges the wording candidates (under a YES/NO grammar:
two versions that state each other are synonyms, not a difference). Sentences of opposite
polarity are not compared: on the labelled set and the seeds every such pair the model
confirmed was two statements about different decisions or times. Every label is a template
filled from the sentences and checked against them.
"""

from __future__ import annotations

import re
import threading
from difflib import SequenceMatcher

import numpy as np

from models.llm import LLM
from prompts import PromptSet
from retrieval.search import content_terms

from .judge import Judge, ModelJudge
from .quantities import FAMILY_NAMES, Figure, figures
from .quotes import speakers_disagree
from .schema import Difference, DifferenceSide, QuoteGroup, SourceSpan

NUMBER_TOPIC_COSINE = 0.55  # two sentences this close, sharing terms, talk about the same thing
UNIQUE_COSINE = 0.45  # a sentence no other source comes this close to is reported by one only
MAX_UNIQUE_PER_SOURCE = 2
MIN_SHARED_TERMS = 2
MIN_UNIQUE_WORDS = 10
WORDING_COSINE = 0.6  # near-parallel sentences: the same event told twice
MAX_WORDING_CHECKS = 12  # each costs two judgments
MAX_CHANGED_WORDS = 3  # a changed stretch longer than this is a paraphrase, not one key word
MIN_PARALLEL = 0.6  # share of each sentence's content words the other one has too
CONTEXT_TOKENS = 6  # words either side of a figure that say what it measures
_LIGHT_VERBS = set(
    content_terms(
        "have has had be been do does did get got make made can could will would may might"
    )
)
_TOKEN = re.compile(r"[\w’'-]+|[$€£%]")
_ATTRIBUTION = re.compile(
    r"(?:,\s*(?:according to\b[^,.;]*|(?:\w+\s+){0,4}(?:said|says|told|reported|added|"
    r"announced|confirmed)\b[^,.;]*)|^(?:\w+\s+){1,4}(?:said|says|told reporters)(?:\s+that)?\s)",
    re.IGNORECASE,
)


Sentence = SourceSpan


def find_differences(
    sentences: list[Sentence],
    vectors: np.ndarray,
    quote_groups: list[QuoteGroup],
    *,
    llm: LLM | None = None,
    prompts: PromptSet | None = None,
    cancel: threading.Event | None = None,
    judge: Judge | None = None,
) -> list[Difference]:
    """Differences between sources; `vectors[i]` is the normalised embedding of `sentences[i]`.
    `judge` (default: the model's, when `llm` is given) decides the wording candidates."""
    if not sentences:
        return []
    sims = vectors @ vectors.T
    ids = np.array([s.source_id for s in sentences])
    same_source = ids[:, None] == ids[None, :]
    sims = np.where(same_source, -1.0, sims)
    found = number_differences(sentences, sims)
    if judge is None and llm is not None:
        judge = ModelJudge(llm, prompts, cancel)
    if judge is not None:
        # Without a judge, a changed word may be a synonym: nothing to show.
        found += wording_differences(sentences, sims, judge, cancel)
    found += speaker_differences(quote_groups)
    found += only_one_source(sentences, sims)
    return found


def number_differences(sentences: list[Sentence], sims: np.ndarray) -> list[Difference]:
    """Pairs of sources giving figures (or clock times) for the same measure of the same thing
    that cannot both be true: same unit family, same counted noun, the same words around the
    figure (unless each source states only one figure of that kind), no clashing names, and
    value ranges that do not meet once qualifiers ("about", "more than") and units are applied.
    """
    figs = [figures(s.text) for s in sentences]
    per_source: dict[tuple[str, str], int] = {}
    for sentence, found in zip(sentences, figs, strict=True):
        for fig in found:
            key = (sentence.source_id, fig.family)
            per_source[key] = per_source.get(key, 0) + 1
    # Each figure is matched with the figure of each other source it most looks like (the
    # most shared words around it, then the closest sentence); only mutual best matches about
    # the same measure are compared, so "1:28" meets "1:29" and not an hour later's "2:10".
    candidates: dict[tuple, tuple] = {}
    for i, j in _pairs(sims, NUMBER_TOPIC_COSINE):
        if not figs[i] or not figs[j]:
            continue
        a_text, b_text = sentences[i].text, sentences[j].text
        if len(_shared_terms(a_text, b_text)) < MIN_SHARED_TERMS or _names_clash(a_text, b_text):
            continue
        for x, fa in enumerate(figs[i]):
            for y, fb in enumerate(figs[j]):
                if fa.family != fb.family or _local_names_clash(a_text, fa, b_text, fb):
                    continue  # another kind of figure, or each next to a name the other lacks
                shared = _context_words(a_text, fa, b_text, fb)
                single = (
                    per_source[(sentences[i].source_id, fa.family)] == 1
                    and per_source[(sentences[j].source_id, fb.family)] == 1
                )
                if not shared and not single:
                    continue  # two measures of one kind: only the words around tell which
                rank = (len(shared), float(sims[i, j]))
                for one, other in (((i, x), (j, y)), ((j, y), (i, x))):
                    key = (one, sentences[other[0]].source_id)
                    if key not in candidates or rank > candidates[key][0]:
                        candidates[key] = (rank, other, shared if one[0] == i else None)
    found_diffs: list[Difference] = []
    for ((i, x), _source), (_, (j, y), shared) in sorted(candidates.items()):
        back = candidates.get(((j, y), sentences[i].source_id))
        if shared is None or back is None or back[1] != (i, x):
            continue  # not each other's best match (or the pair is listed from its other end)
        fa, fb = figs[i][x], figs[j][y]
        if any(fa.agrees_with(o) for o in figs[j] if o.family == fa.family) or any(
            fb.agrees_with(o) for o in figs[i] if o.family == fb.family
        ):
            continue  # the other sentence states this value too (or both agree)
        diff = Difference(
            kind="number",
            topic=figure_topic(fa, shared),
            sides=[
                DifferenceSide(statement=sentences[i], value=fa.text),
                DifferenceSide(statement=sentences[j], value=fb.text),
            ],
        )
        if label_is_grounded(diff):
            found_diffs.append(diff)
    return found_diffs


def wording_differences(
    sentences: list[Sentence], sims: np.ndarray, judge: Judge, cancel=None
) -> list[Difference]:
    """Two sources telling the same event in the same words but one: "the ship lost power" vs
    "the ship lost propulsion". A candidate is a pair of near-parallel sentences whose content
    words differ in one short stretch (not names, not figures, not who said it); it is kept
    when the judge finds the two versions do not state each other (so synonyms drop out)."""
    found: list[Difference] = []
    seen: set[tuple[str, str]] = set()
    checks = 0
    for i, j in _pairs(sims, WORDING_COSINE):
        if cancel is not None and cancel.is_set():
            break
        candidate = _one_change(sentences[i].text, sentences[j].text)
        if candidate is None:
            continue
        (a0, a1), (b0, b1) = candidate
        a_text, b_text = sentences[i].text, sentences[j].text
        key = (a_text[a0:a1].lower(), b_text[b0:b1].lower())
        if key in seen:
            continue
        seen.add(key)
        if checks >= MAX_WORDING_CHECKS:
            break
        checks += 1
        swapped = a_text[:a0] + b_text[b0:b1] + a_text[a1:]
        if judge.entails(a_text, swapped) and judge.entails(swapped, a_text):
            continue  # the same fact in other words
        pa, pb = _phrase(a_text, a0, a1), _phrase(b_text, b0, b1)
        diff = Difference(
            kind="stance",
            topic=_wording_topic(a_text, a0, a1, b_text[b0:b1]),
            sides=[
                DifferenceSide(statement=sentences[i], value=pa),
                DifferenceSide(statement=sentences[j], value=pb),
            ],
        )
        if label_is_grounded(diff):
            found.append(diff)
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


def _specificity(text: str) -> int:
    counted = len(figures(text)) + len(re.findall(r"\d", text)) // 4
    quotes = len(re.findall(r"[\"“]", text)) // 2
    names = len(re.findall(r"(?<=\s)[A-Z][a-z]+", text))
    return 2 * counted + 2 * quotes + min(names, 3)


def figure_topic(fig: Figure, shared: list[str]) -> str:
    """'Number of runners — started, race', 'Amount — cost, repairs', 'Time — alarm, raised'."""
    if fig.family.startswith("count:"):
        head = f"Number of {fig.noun}"
    elif fig.family.startswith("money:"):
        head = "Amount"
    else:
        head = FAMILY_NAMES.get(fig.family, fig.family.capitalize())
    words = [w for w in shared if w.lower() != fig.noun.lower()][:3]
    return f"{head} — {', '.join(words)}" if words else head


def label_is_grounded(d: Difference) -> bool:
    """Each side's value is in its own sentence, and the topic's words are in every sentence."""
    if any(side.value and side.value not in side.statement.text for side in d.sides):
        return False
    head, _, words = d.topic.partition(" — ")
    if d.kind == "stance":
        return True  # the topic is the first sentence with both values in it
    for word in [w for w in words.split(", ") if w]:
        if not all(_stem(word) in _stems(side.statement.text) for side in d.sides):
            return False
    return bool(head)


def _tokens(text: str) -> list[tuple[str, int, int]]:
    return [(m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text)]


def _stem(word: str) -> str:
    terms = content_terms(word)
    ok = terms and not terms[0].isdigit() and terms[0] not in _LIGHT_VERBS
    return terms[0] if ok else ""


def _local_names_clash(a_text: str, fa: Figure, b_text: str, fb: Figure) -> bool:
    na, nb = _names(a_text), _names(b_text)
    own_a = {w.lower() for w, _, _ in _near(a_text, fa) if w.lower() in na} - nb
    own_b = {w.lower() for w, _, _ in _near(b_text, fb) if w.lower() in nb} - na
    return bool(own_a and own_b)


def _stems(text: str) -> set[str]:
    return {t for t in content_terms(text) if not t.isdigit()}


def _context_words(a_text: str, fa: Figure, b_text: str, fb: Figure) -> list[str]:
    """Words near figure `fa` (as written in `a_text`, nearest first) whose stems are near `fb`
    too: what both figures measure ("cost", "turnout", "start line")."""
    near_b = {_stem(w) for w, _, _ in _near(b_text, fb)} - {""}
    out: list[str] = []
    for word, _, _ in _near(a_text, fa):
        stem = _stem(word)
        if stem and stem in near_b and word not in out and not word[0].isdigit():
            out.append(word)
    return out


def _near(text: str, fig: Figure) -> list[tuple[str, int, int]]:
    """The tokens around a figure, nearest first, the figure's own words left out."""
    tokens = _tokens(text)
    at = [k for k, (_, s, e) in enumerate(tokens) if fig.start <= s and e <= fig.end] or [0]
    before = tokens[max(0, at[0] - CONTEXT_TOKENS) : at[0]][::-1]
    after = tokens[at[-1] + 1 : at[-1] + 1 + CONTEXT_TOKENS]
    mixed = [t for pair in zip(before, after, strict=False) for t in pair]
    longer = before if len(before) > len(after) else after
    mixed += longer[min(len(before), len(after)) :]
    units = {_stem(w) for w, _, _ in _tokens(fig.text)}
    return [t for t in mixed if _stem(t[0]) not in units]


def _names(text: str) -> set[str]:
    """Capitalised words past the first one: the names a sentence is about."""
    words = _tokens(text)[1:]
    return {w.lower() for w, _, _ in words if w[:1].isupper() and len(w) > 1}


def _names_clash(a: str, b: str) -> bool:
    """Both sentences name something, and nothing in common: about different things."""
    na, nb = _names(a), _names(b)
    return bool(na and nb and not na & nb)


def _one_change(a: str, b: str) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """The character spans of the one stretch of content words that differs between two
    otherwise parallel sentences (attribution, figures and times left out), or None."""
    ta, tb = _content_tokens(a), _content_tokens(b)
    sa, sb = [t[0] for t in ta], [t[0] for t in tb]
    if not sa or not sb:
        return None
    matcher = SequenceMatcher(a=sa, b=sb, autojunk=False)
    same = sum(block.size for block in matcher.get_matching_blocks())
    if same < 3 or same < MIN_PARALLEL * len(sa) or same < MIN_PARALLEL * len(sb):
        return None
    changes = [op for op in matcher.get_opcodes() if op[0] != "equal"]
    if len(changes) != 1 or changes[0][0] != "replace":
        return None
    _, i1, i2, j1, j2 = changes[0]
    if i2 - i1 > MAX_CHANGED_WORDS or j2 - j1 > MAX_CHANGED_WORDS:
        return None
    changed_a, changed_b = ta[i1:i2], tb[j1:j2]
    if any(t[3] for t in changed_a + changed_b):
        return None  # a name changed: another person or place, told apart elsewhere
    if {t[0] for t in changed_a} & set(sb) or {t[0] for t in changed_b} & set(sa):
        return None  # the word is there on both sides: reordered, not changed
    return (changed_a[0][1], changed_a[-1][2]), (changed_b[0][1], changed_b[-1][2])


def _content_tokens(text: str) -> list[tuple[str, int, int, bool]]:
    """(stem, start, end, is a name) of the content words outside figures and attribution."""
    cut = len(text)
    attribution = _ATTRIBUTION.search(text)
    skip = [(f.start, f.end) for f in figures(text)]
    if attribution:
        if attribution.start() == 0:
            skip.append(attribution.span())
        else:
            cut = attribution.start()
    out = []
    for k, (word, start, end) in enumerate(_tokens(text[:cut])):
        stem = _stem(word)
        if stem and not any(s <= start < e for s, e in skip):
            out.append((stem, start, end, k > 0 and word[:1].isupper()))
    return out


def _phrase(text: str, start: int, end: int) -> str:
    """The changed words with the content word they hang on: "found cracks", "lost power"."""
    before = [t for t in _tokens(text[:start]) if _stem(t[0])]
    if before and not before[-1][0][:1].isupper() and start - before[-1][2] <= 12:
        return text[before[-1][1] : end]
    after = [t for t in _tokens(text[end:]) if _stem(t[0])]
    if after and after[0][1] <= 12:
        return text[start : end + after[0][2]]
    return text[start:end]


def _wording_topic(a_text: str, start: int, end: int, other: str, most: int = 7) -> str:
    """The first sentence around the change with both versions: 'Inspectors found cracks /
    corrosion in a support beam'."""
    before = a_text[:start].split()[-most:]
    after = a_text[end:].split()[:most]
    text = " ".join([*before, f"{a_text[start:end]} / {other}", *after])
    return text.rstrip(" .,;:")
