"""Getting a library ready for the briefing: which sources still need a summary, and making them.

The desktop summarises these on an idle worker after an ingest (pausable, pre-empted by a
question); `dossier ingest --summarize` does the same in the terminal. A summary made here is
the one `dossier.briefing.brief` finds in the cache. Once every summary is made,
`prepare_briefing` makes the overview, the differences and the title the same way, so an
export then runs no model at all.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable

from models.llm import LLM
from prompts import PromptSet
from retrieval.library import Library

from .briefing import overview_needed, prepare_overview
from .summaries import SourceNotFound, summarize, uncached_sources


def sources_to_summarize(
    library: Library,
    llm: LLM,
    prompts: PromptSet | None = None,
    *,
    source_ids: Iterable[str] | None = None,
    cancel: threading.Event | None = None,
) -> list[str]:
    """The ids (of `source_ids`, default every source, in library order) whose summary is not
    cached for this model and these prompts. Runs no model; a source removed meanwhile is left
    out; a set `cancel` stops the scan early."""
    ids = list(source_ids) if source_ids is not None else None
    return uncached_sources(library, llm, prompts, source_ids=ids, cancel=cancel)


def summarize_missing(
    library: Library,
    llm: LLM,
    *,
    source_ids: Iterable[str] | None = None,
    prompts: PromptSet | None = None,
    progress: Callable[[int, int, str], None] | None = None,
    cancel: threading.Event | None = None,
) -> list[str]:
    """Summarise (and cache) the sources of `sources_to_summarize`, one after the other; the ids
    summarised. `progress(done, total, source_id)` before each source and once at the end; a
    set `cancel` stops it (the source in progress is not cached)."""
    todo = sources_to_summarize(library, llm, prompts, source_ids=source_ids, cancel=cancel)
    made = []
    for i, source_id in enumerate(todo):
        if cancel is not None and cancel.is_set():
            break
        if progress:
            progress(i, len(todo), source_id)
        try:
            summarize(source_id, library=library, llm=llm, cancel=cancel, prompts=prompts)
        except SourceNotFound:  # removed by another process meanwhile
            continue
        if cancel is not None and cancel.is_set():
            break
        made.append(source_id)
    if progress:
        progress(len(made), len(todo), "done")
    return made


def prepare_briefing(
    library: Library,
    llm: LLM,
    *,
    prompts: PromptSet | None = None,
    cancel: threading.Event | None = None,
) -> bool:
    """After the last summary: make (and cache) the briefing's overview and differences for the
    library's sources, unless they are already prepared or a summary is missing. True when
    something was made; a set `cancel` stops it, caching nothing."""
    return prepare_overview(library, llm, prompts=prompts, cancel=cancel)


def briefing_needs_preparing(
    library: Library, llm: LLM, *, prompts: PromptSet | None = None
) -> bool:
    """Every summary is made but the briefing's overview for them is not: what
    `prepare_briefing` would make now. Runs no model."""
    return overview_needed(library, llm, prompts)
