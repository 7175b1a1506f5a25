"""The briefing: overview, per-source summaries, quote ledger, timeline, differences, sources and
provenance, assembled from the library in one call (`brief`) and written by `export`."""

from __future__ import annotations

import importlib.metadata
import threading
from datetime import UTC, datetime

import numpy as np

from models.llm import LLM
from prompts import PromptSet, chat_messages
from retrieval.library import Library

from .answer_check import check_answer
from .ask import format_passages
from .citations import without_unfinished_end
from .differences import find_differences
from .progress import StepProgressFn
from .quotes import find_quotes, group_quotes
from .schema import Briefing, ModelInfo, Passage, Provenance, SourceSpan, SourceSummary
from .summaries import content_sentences, summarize
from .timeline import find_events, sort_events

OVERVIEW_MAX_TOKENS = 300
OVERVIEW_POINTS_PER_SOURCE = 4  # summary points per source shown to the model for the overview
PROMPT_NAMES = (
    "summary_system",
    "summary_user",
    "overview_system",
    "overview_user",
)


class BriefingCancelled(RuntimeError):
    pass


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
    when the text, model and prompts are unchanged."""
    prompts = prompts or PromptSet()
    sources = [s for s in library.sources() if source_ids is None or s.id in source_ids]
    total = len(sources) + 3
    step = 0

    def tick(label: str) -> None:
        if cancel is not None and cancel.is_set():
            raise BriefingCancelled("The briefing was cancelled.")
        if progress:
            progress(step, total, label)

    summaries: list[SourceSummary] = []
    for source in sources:
        tick(f"Summarising {source.meta.title or source.id}")
        summaries.append(summarize(source.id, library=library, llm=llm, cancel=cancel,
                                   prompts=prompts))  # fmt: skip
        step += 1

    tick("Collecting quotes and dates")
    texts = {s.id: library.source_text(s.id) or "" for s in sources}
    quotes, events, undated, sentences = [], [], [], []
    for source in sources:
        text = texts[source.id]
        quotes += find_quotes(source.id, text)
        found, loose = find_events(source.id, text, source.meta.published)
        events += found
        undated += loose
        ranges = [(c.start, c.end) for c in library.chunks_of(source.id)]
        sentences += [
            SourceSpan(source_id=source.id, start=a, end=b, text=text[a:b])
            for a, b in content_sentences(text, ranges)
        ]
    groups = group_quotes(quotes)
    step += 1

    tick("Comparing sources")
    vectors = library.embedder.embed([s.text for s in sentences]) if sentences else None
    differences = (
        find_differences(sentences, vectors, groups, llm=llm, prompts=prompts, cancel=cancel)
        if vectors is not None
        else []
    )
    step += 1

    tick("Writing the overview")
    overview, overview_sources = _overview(summaries, library, llm, prompts, cancel)
    step += 1
    if progress:
        progress(step, total, "Done")

    now = datetime.now(UTC).isoformat(timespec="seconds")
    return Briefing(
        title=_title(sources, sentences, vectors),
        generated_at=now,
        overview=overview,
        overview_sources=overview_sources,
        summaries=summaries,
        quotes=groups,
        timeline=sort_events(events),
        undated=undated,
        differences=differences,
        sources=sources,
        provenance=Provenance(
            dossier_version=_version(),
            model=ModelInfo(id=llm.model_id, sha256=llm.sha256),
            prompt_hashes={name: prompts.template_hash(name) for name in PROMPT_NAMES},
            embedder=library.embedder.name,
            index=_index_description(library),
            generated_at=now,
        ),
    )


def _overview(summaries, library, llm, prompts, cancel):
    """A short synthesis citing the summary points' evidence, checked like an answer."""
    passages: list[Passage] = []
    seen: set[tuple[str, int]] = set()
    for summary in summaries:
        for point in [p for p in summary.points if p.supported][:OVERVIEW_POINTS_PER_SOURCE]:
            for span in point.evidence[:1]:
                if (span.source_id, span.start) in seen:
                    continue
                seen.add((span.source_id, span.start))
                passages.append(
                    Passage(
                        n=len(passages) + 1,
                        source_id=span.source_id,
                        start=span.start,
                        end=span.end,
                        text=span.text,
                    )
                )
    if not passages:
        return [], []
    system = prompts.render("overview_system")
    user = prompts.render("overview_user", passages=format_passages(passages))
    messages = chat_messages(system, user)
    completion = llm.stream(messages, max_tokens=OVERVIEW_MAX_TOKENS, cancel=cancel)
    text = completion.text()
    timings = completion.timings
    if timings is not None and timings.completion_tokens >= OVERVIEW_MAX_TOKENS:
        text = without_unfinished_end(text)  # the token limit cut the last sentence
    sentences, _ = check_answer(text, passages, library.embedder)
    spans = [SourceSpan(source_id=p.source_id, start=p.start, end=p.end, text=p.text)
             for p in passages]  # fmt: skip
    # Only sentences the passages support go into a document someone will rely on.
    return [s for s in sentences if s.supported], spans


def _title(sources, sentences, vectors) -> str:
    """'Briefing: <headline of the most central source>' — the story the sources share."""
    if not sources:
        return "Briefing: empty library"
    titled = [s for s in sources if s.meta.title and not s.meta.title_derived]  # stated ones
    if vectors is None or not titled:
        return f"Briefing: {len(sources)} sources"
    centroid = vectors.mean(axis=0)
    best, best_score = titled[0], -np.inf
    for source in titled:
        rows = [i for i, s in enumerate(sentences) if s.source_id == source.id]
        if rows:
            score = float(vectors[rows].mean(axis=0) @ centroid)
            if score > best_score:
                best, best_score = source, score
    return f"Briefing: {best.meta.title}"


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
