"""Per-source summaries: key points that cite the source's own sentences, checked like answers."""

from __future__ import annotations

import re
import threading

import numpy as np

from models.llm import LLM, Timings
from prompts import PromptSet, chat_messages
from retrieval.library import Library
from retrieval.sentences import sentence_spans

from .cache import SummaryCache
from .citations import cited_text_grammar, parse_citations
from .headline import cover_headline
from .judge import ModelJudge
from .progress import StepProgressFn
from .quotes import find_quotes
from .schema import ModelInfo, SourceSpan, SourceSummary, SummaryPoint
from .source_guide import GuideDraft, SourceBody, draft_guide, guide_prompt_hash, write_guide
from .verify import assess

MAX_POINTS = 7  # for a source of average length; see max_points()
MIN_POINT_WORDS = 4  # fewer words is a name or a label, not a point
PART_TOKENS = 1200  # source text per model call; longer sources are summarised in parts
SUMMARY_MAX_TOKENS = 320
# The prompt asks for 20 words; the grammar ends a point at this many, and a point that long
# was cut off mid-phrase ("valued at over"), so it is dropped.
POINT_WORDS = 30
ANGLE_WORDS = 12
DUPLICATE_COSINE = 0.85  # two points this close say the same thing (parts overlap in topic)
PROMPTS = ("summary_system", "summary_user")
MAX_EVIDENCE = 3
EVIDENCE_MARGIN = 0.15  # a cited sentence this far below the best one is not evidence

_BULLET = re.compile(r"^\s*(?:[-*•]|\d{1,2}[.)])\s+")
_ANGLE = re.compile(r"^\s*\**angle\**\s*:\s*(.*)$", re.IGNORECASE)
# Credit and production lines carry no reporting ("X contributed to this article.",
# "Reporting by X; editing by Y"): kept out of what the model summarises.
_CREDIT = re.compile(
    r"\b(?:contributed|contributing)\b.{0,30}\b(?:to|for) this (?:article|report|story)\b"
    r"|^(?:additional )?(?:reporting|writing|editing) by\b",
    re.IGNORECASE,
)


class SourceNotFound(KeyError):
    pass


POINT_RULES = 6  # bump when what makes a point changes, so cached summaries are made again


def summary_prompt_hash(prompts: PromptSet | None = None) -> str:
    prompts = prompts or PromptSet()
    hashes = [prompts.template_hash(name) for name in PROMPTS]
    return ":".join([*hashes, f"guide{guide_prompt_hash(prompts)}", f"rules{POINT_RULES}"])


def cached_summary(
    source_id: str,
    *,
    library: Library,
    llm: LLM,
    prompts: PromptSet | None = None,
) -> SourceSummary | None:
    """The summary made earlier for this exact text, model and prompt, without running anything."""
    return _from_cache(library, _source(library, source_id), llm, prompts)


def uncached_sources(
    library: Library,
    llm: LLM,
    prompts: PromptSet | None = None,
    *,
    source_ids: list[str] | None = None,
    cancel: threading.Event | None = None,
) -> list[str]:
    """The ids (of `source_ids`, default all, in library order; unknown ids left out) whose
    summary is not cached for this text, model and prompts: one read of the sources and one
    cache connection for all of them. Stops early, with what it found, when `cancel` is set."""
    by_id = {source.id: source for source in library.sources()}
    ids = [i for i in (source_ids if source_ids is not None else by_id) if i in by_id]
    model, prompt_hash = _model_key(llm), summary_prompt_hash(prompts)
    missing = []
    cache = SummaryCache(library.folder)
    try:
        for source_id in ids:
            if cancel is not None and cancel.is_set():
                break
            if cache.get(by_id[source_id].content_hash, model, prompt_hash) is None:
                missing.append(source_id)
    finally:
        cache.close()
    return missing


def cached_summaries(
    library: Library, llm: LLM, prompts: PromptSet | None, sources: list
) -> list[SourceSummary] | None:
    """The cached summaries of `sources` (library `Source`s), in their order, read through one
    cache connection; None as soon as one is missing. Runs no model."""
    model, prompt_hash = _model_key(llm), summary_prompt_hash(prompts)
    found = []
    cache = SummaryCache(library.folder)
    try:
        for source in sources:
            summary = cache.get(source.content_hash, model, prompt_hash)
            if summary is None:
                return None
            summary.cached = True
            summary.source_id = source.id
            summary.title = source.meta.title or summary.title
            found.append(summary)
    finally:
        cache.close()
    return found


def _from_cache(library: Library, source, llm: LLM, prompts: PromptSet | None):
    cache = SummaryCache(library.folder)
    try:
        found = cache.get(source.content_hash, _model_key(llm), summary_prompt_hash(prompts))
    finally:
        cache.close()
    if found is not None:
        found.cached = True
        found.source_id = source.id
        found.title = source.meta.title or found.title  # a title derived after it was cached
    return found


def summarize(
    source_id: str,
    *,
    library: Library,
    llm: LLM,
    progress: StepProgressFn | None = None,
    cancel: threading.Event | None = None,
    refresh: bool = False,
    prompts: PromptSet | None = None,
) -> SourceSummary:
    """Key points of one source with the sentences behind them; cached unless `refresh`."""
    prompts = prompts or PromptSet()
    source = _source(library, source_id)
    if not refresh:
        found = _from_cache(library, source, llm, prompts)
        if found is not None:
            if progress:
                progress(1, 1, source_id)
            return found
    text = library.source_text(source_id) or ""
    spans = content_sentences(text, [(c.start, c.end) for c in library.chunks_of(source_id)])
    spans = [(a, b) for a, b in spans if not is_credit_line(text[a:b])]
    sentences = [text[a:b] for a, b in spans]
    embedder = library.sentence_embedder  # its cache serves the briefing's comparison after this
    vectors = embedder.embed(sentences) if sentences else np.zeros((0, 1), np.float32)
    parts = split_parts(sentences, llm.count_tokens_many(sentences), PART_TOKENS)
    title = source.meta.title or source_id
    timings = Timings()
    per_part: list[list[tuple[SummaryPoint, np.ndarray]]] = []  # points with their vectors
    angles: list[str] = []
    draft = GuideDraft()
    for i, (first, last) in enumerate(parts):
        if progress:
            progress(i, len(parts), source_id)
        if cancel is not None and cancel.is_set():
            break
        numbered = "\n".join(f"[{n - first + 1}] {' '.join(sentences[n].split())}"
                             for n in range(first, last))  # fmt: skip
        system = prompts.render("summary_system")
        user = prompts.render("summary_user", title=title, sentences=numbered)
        messages = chat_messages(system, user)
        grammar = summary_grammar(
            part_points(max_points(len(sentences)), (first, last), len(sentences)), last - first
        )
        completion = llm.stream(
            messages, max_tokens=SUMMARY_MAX_TOKENS, cancel=cancel, grammar=grammar
        )
        reply = completion.text()
        timings = _add(timings, completion.timings)
        if i == 0:  # the article's opening is in the model's cache now: the guide costs little
            draft = draft_guide(messages, reply, llm, prompts, cancel)
        lines, angle = parse_points(reply)
        cut = completion.timings is not None and (
            completion.timings.completion_tokens >= SUMMARY_MAX_TOKENS
        )
        if cut and lines and angle is None:
            lines = lines[:-1]  # the token limit stopped the reply inside its last point
        lines = [(line, nums) for line, nums in lines if len(line.split()) < POINT_WORDS]
        if angle:
            angles.append(angle)
        local = range(first, last)
        # One embedding call per part: the vectors serve the check and the merge.
        line_vectors = library.embedder.embed([line for line, _ in lines]) if lines else []
        per_part.append(
            [
                (
                    check_point(
                        line,
                        vector,
                        [first + n - 1 for n in nums if 1 <= n <= len(local)],
                        spans,
                        sentences,
                        vectors,
                        source_id,
                        local,
                    ),
                    vector,
                )
                for (line, nums), vector in zip(lines, line_vectors, strict=True)
            ]
        )
    if progress:
        progress(len(parts), len(parts), source_id)
    points = merge_points(per_part, title=source.meta.title, limit=max_points(len(sentences)))
    body = SourceBody(
        source_id=source_id,
        text=text,
        spans=spans,
        vectors=vectors,
        embedder=library.embedder,
        headline=None if source.meta.title_derived else source.meta.title,
    )
    judge = ModelJudge(llm, prompts, cancel)
    points = cover_headline(points, body, judge, max_points(len(sentences)))
    guide = write_guide(body, draft, judge)
    speakers = []
    for quote in find_quotes(source_id, text):
        if quote.speaker and quote.speaker not in speakers:
            speakers.append(quote.speaker)
    summary = SourceSummary(
        source_id=source_id,
        title=source.meta.title,
        outlet=source.meta.outlet,
        byline=source.meta.byline,
        date=source.meta.published,
        points=points,
        quoted=speakers,
        angle=angles[0] if angles else None,
        guide=guide,
        parts=len(parts),
        model=ModelInfo(id=llm.model_id, sha256=llm.sha256),
        prompt_hash=summary_prompt_hash(prompts),
        content_hash=source.content_hash,
        timings=timings,
    )
    cancelled = cancel is not None and cancel.is_set()
    if not cancelled:
        cache = SummaryCache(library.folder)
        try:
            cache.put(_model_key(llm), summary)
        finally:
            cache.close()
    return summary


def is_credit_line(sentence: str) -> bool:
    return bool(_CREDIT.search(sentence.strip()))


def max_points(sentence_count: int) -> int:
    """How many points a source earns: about one per five body sentences, 3 to 10."""
    return max(3, min(10, round(sentence_count / 5)))


def content_sentences(text: str, chunk_ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sentences inside the article body: chunks leave out bylines, headlines and boilerplate."""
    spans = sentence_spans(text)
    if not chunk_ranges:
        return spans
    return [(a, b) for a, b in spans if any(s <= a and b <= e for s, e in chunk_ranges)]


def split_parts(
    sentences: list[str], sentence_tokens: list[int], budget: int
) -> list[tuple[int, int]]:
    """Consecutive sentence ranges [first, last) of about `budget` tokens each, given each
    sentence's token count."""
    parts: list[tuple[int, int]] = []
    first, used = 0, 0
    for i, tokens in enumerate(sentence_tokens):
        cost = tokens + 4
        if used and used + cost > budget:
            parts.append((first, i))
            first, used = i, 0
        used += cost
    if first < len(sentences):
        parts.append((first, len(sentences)))
    return parts


def summary_grammar(points: int, sentences: int) -> str:
    """A llama.cpp grammar for a part's reply: 1 to `points` lines "- <at most POINT_WORDS
    words> [n]" citing only sentences 1..`sentences`, then the ANGLE line.

    A small model asked for "3 to 7 short points" writes one long point per sentence until
    the token limit; the grammar holds it to what was asked, and generation is the larger
    share of a summary's time on a CPU.
    """
    return cited_text_grammar(
        [
            f'root ::= point{{1,{points}}} "ANGLE: " word (" " word){{0,{ANGLE_WORDS - 1}}}',
            f'point ::= "- " word (" " word){{2,{POINT_WORDS - 1}}} " "? cite "."? "\\n"',
            'cite ::= "[" number "]" ("[" number "]"){0,2}',
        ],
        sentences,
    )


def part_points(limit: int, part: tuple[int, int], total: int) -> int:
    """The points a part may give: its share of the source's `limit` and one to spare (a
    point the check refuses or finds repeated is dropped), at least three."""
    first, last = part
    return max(3, round(limit * (last - first) / max(1, total)) + 1)


def parse_points(reply: str) -> tuple[list[tuple[str, list[int]]], str | None]:
    """(point text without markers, cited numbers) per point line, and the ANGLE line."""
    points: list[tuple[str, list[int]]] = []
    angle = None
    for line in reply.splitlines():
        match = _ANGLE.match(line)
        if match:
            value = match.group(1).strip().strip(".").strip()
            angle = None if value.lower() in {"", "none", "neutral", "n/a"} else value
            continue
        is_bullet = bool(_BULLET.match(line))
        body = _BULLET.sub("", line).strip()
        if not body or body.lower().startswith("key points"):
            continue
        clean, numbers = parse_citations(body)
        if clean and (is_bullet or numbers):
            points.append((clean, numbers))
    return points, angle


def check_point(
    text: str,
    vector: np.ndarray,
    cited: list[int],
    spans: list[tuple[int, int]],
    sentences: list[str],
    vectors: np.ndarray,
    source_id: str,
    part: range,
) -> SummaryPoint:
    """A point is shown as fact only when the sentences it cites (or, failing that, one strongly
    matching sentence of its part) support it: words, meaning, quotes and numbers. `vector` is
    the point's embedding, `vectors` those of `sentences`."""
    if cited:
        union = " ".join(sentences[i] for i in cited)
        support = assess(text, vector, union, [spans[i] for i in cited], vectors[cited])
        if support.supported:
            # Evidence is the cited sentences that carry the point, best first: a model that
            # cites the whole article does not get the whole article as evidence.
            scored = sorted(
                ((assess(text, vector, sentences[i], [spans[i]], vectors[[i]]), i) for i in cited),
                key=lambda pair: -pair[0].score,
            )
            best_score = scored[0][0].score
            keep = [i for s, i in scored if s.score >= best_score - EVIDENCE_MARGIN]
            keep = sorted(keep[:MAX_EVIDENCE])
            return SummaryPoint(
                text=text,
                supported=True,
                evidence=[_span(source_id, spans[i], sentences[i]) for i in keep],
            )
    candidates = list(part)
    best_i, best = None, None
    for i in candidates:
        s = assess(text, vector, sentences[i], [spans[i]], vectors[[i]])
        if s.strong and (best is None or s.score > best.score):
            best_i, best = i, s
    if best_i is not None:
        return SummaryPoint(
            text=text,
            supported=True,
            attributed=True,
            evidence=[_span(source_id, spans[best_i], sentences[best_i])],
        )
    return SummaryPoint(text=text, supported=False)


def merge_points(
    per_part: list[list[tuple[SummaryPoint, np.ndarray]]],
    *,
    title: str | None = None,
    limit: int = MAX_POINTS,
) -> list[SummaryPoint]:
    """Supported points first, taken from the parts in turn, without repeats, at most `limit`;
    unsupported ones follow, flagged, so a reader can see what the checker refused. A point
    that only restates the headline says nothing the title does not; a point of a few words
    (a name, an outlet) says nothing at all; two points resting on the same sentences say the
    same thing."""
    headline = _words(title or "")
    queues = [
        [
            (p, v)
            for p, v in part
            if p.supported
            and len(_words(p.text)) >= MIN_POINT_WORDS
            and (not headline or _words(p.text) != headline)
        ]
        for part in per_part
    ]
    ordered: list[tuple[SummaryPoint, np.ndarray]] = []
    while any(queues):
        for queue in queues:
            if queue:
                ordered.append(queue.pop(0))
    kept: list[SummaryPoint] = []
    kept_vectors: list[np.ndarray] = []
    kept_evidence: set[frozenset[tuple[int, int]]] = set()
    for point, vector in ordered:
        if any(float(vector @ v) >= DUPLICATE_COSINE for v in kept_vectors):
            continue
        evidence = frozenset((span.start, span.end) for span in point.evidence)
        if evidence in kept_evidence:
            continue
        if len(kept) < limit:
            kept.append(point)
            kept_vectors.append(vector)
            kept_evidence.add(evidence)
    unsupported = [p for part in per_part for p, _ in part if not p.supported]
    return kept + unsupported


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def _span(source_id: str, span: tuple[int, int], text: str) -> SourceSpan:
    return SourceSpan(source_id=source_id, start=span[0], end=span[1], text=text)


def _add(total: Timings, more: Timings | None) -> Timings:
    if more is None:
        return total
    return Timings(
        load_s=max(total.load_s or 0.0, more.load_s or 0.0),
        prompt_tokens=(total.prompt_tokens or 0) + (more.prompt_tokens or 0),
        cached_prompt_tokens=(total.cached_prompt_tokens or 0) + (more.cached_prompt_tokens or 0),
        ttft_s=total.ttft_s if total.ttft_s is not None else more.ttft_s,
        completion_tokens=(total.completion_tokens or 0) + (more.completion_tokens or 0),
        total_s=(total.total_s or 0.0) + (more.total_s or 0.0),
        tokens_per_s=more.tokens_per_s,
    )


def _source(library: Library, source_id: str):
    for source in library.sources():
        if source.id == source_id:
            return source
    raise SourceNotFound(f"No source {source_id!r} in the library (see `dossier sources`).")


def _model_key(llm: LLM) -> str:
    return f"{llm.model_id}:{llm.sha256}"
