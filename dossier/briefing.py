"""The briefing: overview, per-source summaries, quote ledger, timeline, differences, sources and
provenance, assembled from the library in one call (`brief`) and written by `export`."""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import threading
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from models.llm import LLM
from prompts import PromptSet, chat_messages
from retrieval.library import Library
from retrieval.schema import Source

from .answer_check import check_answer
from .ask import format_passages
from .cache import SummaryCache
from .citations import cited_text_grammar, without_unfinished_end
from .differences import find_differences
from .progress import StepProgressFn
from .quotes import find_quotes, group_quotes
from .schema import (
    Briefing,
    ModelInfo,
    Passage,
    PreparedBriefing,
    Provenance,
    SourceSpan,
    SourceSummary,
    Story,
)
from .stories import STORY_RULES, group_sources, representative, source_vectors, story_similarity
from .summaries import cached_summaries, content_sentences, summarize
from .timeline import find_events, sort_events

OVERVIEW_PASSAGES = 6  # summary points' sentences shown to the model, whatever the sources
OVERVIEW_CLAUSES = 4  # the prompt asks for 3 sentences: a sentence citing mid-way uses two
OVERVIEW_CLAUSE_WORDS = 35  # the prompt asks for fewer than 30
# Room for the longest overview the grammar allows; the grammar ends it well before, usually.
OVERVIEW_MAX_TOKENS = 300
PROMPT_NAMES = (
    "summary_system",
    "summary_user",
    "guide",
    "overview_system",
    "overview_user",
)


# The progress label of one story's overview when the sources tell several ("… 2 of 3: <title>").
STORY_STEP = "Writing the overview of story"


class BriefingCancelled(RuntimeError):
    pass


# Bump when what goes into the prepared parts (overview, differences, title) changes, so
# briefings prepared by an older Dossier are made again.
PREPARED_RULES = 2  # 2: the stories the sources tell, each with its title and overview
PREPARED_PROMPTS = (
    "overview_system",
    "overview_user",
    "judge_entails_system",
    "judge_entails_user",
)


@dataclass
class _Run:
    """What one briefing (or one preparation) works on."""

    library: Library
    llm: LLM
    prompts: PromptSet
    cancel: threading.Event | None
    sources: list[Source]
    texts: dict[str, str]


def brief(
    *,
    library: Library,
    llm: LLM,
    progress: StepProgressFn | None = None,
    cancel: threading.Event | None = None,
    prompts: PromptSet | None = None,
    source_ids: list[str] | None = None,
) -> Briefing:
    """Build the briefing of the whole library (or of `source_ids`); summaries come from cache
    when the text, model and prompts are unchanged, and so do the overview, the differences
    and the title when they were prepared for these summaries (`prepare_overview`): then no
    model runs at all."""
    prompts = prompts or PromptSet()
    sources = [s for s in library.sources() if source_ids is None or s.id in source_ids]
    total = [len(sources) + 3]  # one more step per story beyond the first, once they are known
    done = [0]

    def tick(label: str) -> None:
        if cancel is not None and cancel.is_set():
            raise BriefingCancelled("The briefing was cancelled.")
        if label.startswith(STORY_STEP) and not label.startswith(f"{STORY_STEP} 1 "):
            total[0] += 1
        if progress:
            progress(done[0], total[0], label)
        done[0] += 1

    summaries: list[SourceSummary] = []
    for source in sources:
        tick(f"Summarising {source.meta.title or source.id}")
        summaries.append(summarize(source.id, library=library, llm=llm, cancel=cancel,
                                   prompts=prompts))  # fmt: skip

    tick("Collecting quotes and dates")
    run = _Run(library, llm, prompts, cancel, sources, {})
    run.texts = {s.id: library.source_text(s.id) or "" for s in sources}
    quotes, events, undated = [], [], []
    for source in sources:
        text = run.texts[source.id]
        quotes += find_quotes(source.id, text)
        found, loose = find_events(source.id, text, source.meta.published)
        events += found
        undated += loose
    groups = group_quotes(quotes)

    key = prepared_key(summaries, library, llm, prompts)
    parts = _cached_parts(library, key)
    prepared = parts is not None
    if prepared:
        tick("Using the prepared comparison and overview")
        done[0] += 1
    else:
        parts = _make_parts(run, summaries, groups, key, tick)
        if cancel is None or not cancel.is_set():
            _store_parts(library, parts)
    if progress:
        progress(total[0], total[0], "Done")

    now = datetime.now(UTC).isoformat(timespec="seconds")
    return Briefing(
        title=parts.title,
        generated_at=now,
        overview=parts.overview,
        overview_sources=parts.overview_sources,
        summaries=summaries,
        quotes=groups,
        timeline=sort_events(events),
        undated=undated,
        differences=parts.differences,
        stories=parts.stories,
        sources=sources,
        provenance=Provenance(
            dossier_version=_version(),
            model=ModelInfo(id=llm.model_id, sha256=llm.sha256),
            prompt_hashes={name: prompts.template_hash(name) for name in PROMPT_NAMES},
            embedder=library.embedder.name,
            index=_index_description(library),
            generated_at=now,
        ),
        overview_prepared=prepared,
    )


def prepare_overview(
    library: Library,
    llm: LLM,
    *,
    prompts: PromptSet | None = None,
    cancel: threading.Event | None = None,
) -> bool:
    """Make (and cache) the briefing's overview, differences and title for the summaries of
    every source, when all are cached and these parts are not yet: after this, `brief` runs no
    model. True when something was made; a set `cancel` stops it and nothing is cached."""
    prompts = prompts or PromptSet()
    sources = library.sources()
    summaries = cached_summaries(library, llm, prompts, sources)
    if not sources or summaries is None:
        return False  # a summary is missing: the background worker makes it first
    key = prepared_key(summaries, library, llm, prompts)
    if _cached_parts(library, key) is not None:
        return False

    def tick(label: str) -> None:
        if cancel is not None and cancel.is_set():
            raise BriefingCancelled("The preparation was cancelled.")

    run = _Run(library, llm, prompts, cancel, sources, {})
    run.texts = {s.id: library.source_text(s.id) or "" for s in sources}
    quotes = [q for s in sources for q in find_quotes(s.id, run.texts[s.id])]
    try:
        parts = _make_parts(run, summaries, group_quotes(quotes), key, tick)
    except BriefingCancelled:
        return False
    if cancel is not None and cancel.is_set():
        return False  # a cancelled model call returns what it had: not worth keeping
    _store_parts(library, parts)
    return True


def overview_needed(library: Library, llm: LLM, prompts: PromptSet | None = None) -> bool:
    """Every summary is cached but the overview and differences for them are not: what
    `prepare_overview` would make now. Runs no model."""
    prompts = prompts or PromptSet()
    sources = library.sources()
    summaries = cached_summaries(library, llm, prompts, sources)
    if not sources or summaries is None:
        return False
    return _cached_parts(library, prepared_key(summaries, library, llm, prompts)) is None


def prepared_key(summaries: list[SourceSummary], library: Library, llm: LLM,
                 prompts: PromptSet) -> str:  # fmt: skip
    """A hash of everything the prepared parts depend on: each source's text (content hash),
    title and summary points, the model, the prompts, the embedder and the index."""
    data = {
        "rules": PREPARED_RULES,
        "model": [llm.model_id, llm.sha256],
        "prompts": {name: prompts.template_hash(name) for name in PREPARED_PROMPTS},
        "embedder": library.embedder.name,
        "index": _index_description(library),
        # The grouping of the sources into stories: their texts, the embedder and these.
        "stories": [STORY_RULES, story_similarity(library.embedder)],
        "summaries": [
            [
                s.source_id,
                s.content_hash,
                s.title,
                s.prompt_hash,
                [p.model_dump(mode="json") for p in s.points],
            ]
            for s in summaries
        ],  # fmt: skip
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode("utf-8")).hexdigest()


def _make_parts(run: _Run, summaries, groups, key: str, tick) -> PreparedBriefing:
    """The title, the differences and the overview: the parts that embed every sentence and
    call the model."""
    tick("Comparing sources")
    library = run.library
    sentences = []
    for source in run.sources:
        text = run.texts[source.id]
        ranges = [(c.start, c.end) for c in library.chunks_of(source.id)]
        sentences += [
            SourceSpan(source_id=source.id, start=a, end=b, text=text[a:b])
            for a, b in content_sentences(text, ranges)
        ]
    # The sentence cache: a second briefing (and one after the summaries) embeds nothing again.
    embedder = library.sentence_embedder
    vectors = embedder.embed([s.text for s in sentences]) if sentences else None
    differences = (
        find_differences(sentences, vectors, groups, llm=run.llm, prompts=run.prompts,
                         cancel=run.cancel)
        if vectors is not None
        else []
    )  # fmt: skip
    stories = _stories(run, summaries, sentences, vectors, tick)
    one = stories[0] if len(stories) == 1 else None
    return PreparedBriefing(
        key=key,
        title=_title(run.sources, stories),
        overview=one.overview if one else [],
        overview_sources=one.overview_sources if one else [],
        differences=differences,
        stories=stories,
    )


def _stories(run: _Run, summaries, sentences, vectors, tick) -> list[Story]:
    """The stories the sources tell (see dossier.stories), each named and with an overview
    written from its own sources' summaries only."""
    ids = [s.id for s in run.sources]
    owners = [s.source_id for s in sentences]
    per_source = source_vectors(ids, owners, vectors) if vectors is not None else None
    groups = _groups(per_source, len(ids), story_similarity(run.library.embedder))
    stories = []
    for i, rows in enumerate(groups):
        members = [run.sources[r] for r in rows]
        title = _story_title(members, per_source[rows] if per_source is not None else None, run)
        if len(groups) == 1:
            tick("Writing the overview")
        else:
            tick(f"{STORY_STEP} {i + 1} of {len(groups)}: {title}")
        member_ids = set(ids[r] for r in rows)
        own = [s for s in summaries if s.source_id in member_ids]
        overview, spans = _overview(own, run.library, run.llm, run.prompts, run.cancel)
        stories.append(Story(title=title, source_ids=[m.id for m in members], overview=overview,
                             overview_sources=spans))  # fmt: skip
    return stories


def _groups(per_source: np.ndarray | None, count: int, threshold: float) -> list[list[int]]:
    """Rows of the sources grouped into stories; a source with no sentence to compare (no
    vector) goes with the largest story rather than making one of its own."""
    if per_source is None or count == 0:
        return [list(range(count))] if count else []
    known = [i for i in range(count) if np.any(per_source[i])]
    if not known:
        return [list(range(count))]
    groups = [[known[r] for r in rows] for rows in group_sources(per_source[known], threshold)]
    groups[0] = sorted(groups[0] + [i for i in range(count) if i not in known])
    return groups


def _story_title(members: list[Source], vectors: np.ndarray | None, run: _Run) -> str:
    """What a story's sources share: the headline, of those its sources state, nearest the
    story's centroid (a derived title when none states one); never a source id."""
    titled = [m for m in members if m.meta.title and m.meta.title != m.id]
    stated = [m for m in titled if not m.meta.title_derived]
    candidates = stated or titled
    if not candidates:
        return f"{len(members)} source{'s' if len(members) != 1 else ''}"
    if len(candidates) == 1 or vectors is None or not np.any(vectors):
        return candidates[0].meta.title
    headlines = run.library.sentence_embedder.embed([m.meta.title for m in candidates])
    return candidates[representative(headlines, vectors)].meta.title


def _cached_parts(library: Library, key: str) -> PreparedBriefing | None:
    cache = SummaryCache(library.folder)
    try:
        parts = cache.get_prepared(key)
    finally:
        cache.close()
    return parts


def _store_parts(library: Library, parts: PreparedBriefing) -> None:
    cache = SummaryCache(library.folder)
    try:
        cache.put_prepared(parts)
    finally:
        cache.close()


def overview_passages(
    summaries: list[SourceSummary], budget: int = OVERVIEW_PASSAGES
) -> list[Passage]:
    """The passages the overview is written from: each source's first point's evidence, then
    each source's second, and so on, up to `budget`. The summaries list a source's main news
    first, and a fixed budget keeps the overview's prompt (most of its time) the same size
    however many sources the story has."""
    queues = []
    for summary in summaries:
        # A headline (or outlet) line given as a passage gets joined to the next one, its lede,
        # into one sentence of the overview: it is left out, the lede says it in full.
        lines = {_words(summary.title), _words(summary.outlet)} - {""}
        spans = [p.evidence[0] for p in summary.points if p.supported and p.evidence]
        queues.append([s for s in spans if _words(s.text) not in lines])
    passages: list[Passage] = []
    seen: set[tuple[str, int]] = set()
    for rank in range(max((len(q) for q in queues), default=0)):
        for queue in queues:
            if rank >= len(queue) or len(passages) >= budget:
                continue
            span = queue[rank]
            if (span.source_id, span.start) in seen:
                continue
            seen.add((span.source_id, span.start))
            passages.append(Passage(n=len(passages) + 1, source_id=span.source_id,
                                    start=span.start, end=span.end, text=span.text))  # fmt: skip
    return passages


def overview_grammar(passages: int) -> str:
    """A llama.cpp grammar for the overview: up to OVERVIEW_CLAUSES stretches of at most
    OVERVIEW_CLAUSE_WORDS words, each ending with citations of passages 1..`passages` (a
    sentence is one stretch, or several when it cites in the middle). Asked for "3 to 5
    sentences" without it, the model wrote until the token limit cut it off."""
    return cited_text_grammar(
        [
            f'root ::= clause (" " clause){{1,{OVERVIEW_CLAUSES - 1}}}',
            f'clause ::= word (" " word){{2,{OVERVIEW_CLAUSE_WORDS - 1}}} cite{{1,3}} "."?',
            'cite ::= " [" number "]"',
        ],
        passages,
    )


def _overview(summaries, library, llm, prompts, cancel):
    """A short synthesis citing the summary points' evidence, checked like an answer."""
    passages = overview_passages(summaries)
    if not passages:
        return [], []
    system = prompts.render("overview_system")
    user = prompts.render("overview_user", passages=format_passages(passages))
    messages = chat_messages(system, user)
    completion = llm.stream(
        messages,
        max_tokens=OVERVIEW_MAX_TOKENS,
        cancel=cancel,
        grammar=overview_grammar(len(passages)),
    )
    text = completion.text()
    timings = completion.timings
    if timings is not None and timings.completion_tokens >= OVERVIEW_MAX_TOKENS:
        text = without_unfinished_end(text)  # the token limit cut the last sentence
    sentences, _ = check_answer(text, passages, library.embedder)
    spans = [SourceSpan(source_id=p.source_id, start=p.start, end=p.end, text=p.text)
             for p in passages]  # fmt: skip
    # Only sentences the passages support go into a document someone will rely on.
    return [s for s in sentences if s.supported], spans


def _words(text: str | None) -> str:
    return " ".join((text or "").split()).casefold().strip(" .:")


def _title(sources: list[Source], stories: list[Story]) -> str:
    """'Briefing: <the story the sources share>', or how many stories they tell."""
    if not sources:
        return "Briefing: empty library"
    if len(stories) > 1:
        return f"Briefing: {len(stories)} stories in {len(sources)} sources"
    return f"Briefing: {stories[0].title}"


def _index_description(library: Library) -> str:
    """The library manifest (embedder, dimension, chunker, index kind) as one line."""
    manifest = library.store.read_manifest()
    if not manifest:
        return "unknown"
    return ", ".join(f"{key}={manifest[key]}" for key in sorted(manifest))


def _version() -> str:
    try:
        return importlib.metadata.version("dossier")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"
