"""Embed ahead of questions the sentences a question can select, into the sentence-vector cache.

Passage selection embeds the sentences of the best chunks at every question (`passages.py`),
which is most of the time before the evidence is shown. After an ingest, the window (in its
background preparation, pre-empted by a question) and `dossier ingest` (inline) run
`warm_sentences`, so a question finds those vectors cached (`models.vector_cache`) and runs
no model before its passages are shown. A question asked before warming ends still works:
what is missing is embedded on the spot, and stored.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from pydantic import BaseModel

from retrieval.backend import LibraryBackend

from .passages import texts_to_embed

# Texts per model call: small enough that a question pre-empting the warm-up waits at most
# one batch (~0.1-0.3 s here) for the embedder, large enough to batch well on a CPU.
WARM_BATCH = 16
# Warm at most this share of the cache's room, so warming a library larger than the cache
# does not push out its own first sentences (or every other dossier's).
CACHE_SHARE = 0.8

WarmProgressFn = Callable[[int, int], None]  # (texts embedded so far, texts to embed)


class WarmReport(BaseModel):
    texts: int = 0  # texts a question may embed, over the whole library
    embedded: int = 0  # of those, embedded now (the rest were cached already)
    cancelled: bool = False


def warm_sentences(
    library: LibraryBackend,
    *,
    source_ids: list[str] | None = None,
    cancel: threading.Event | None = None,
    progress: WarmProgressFn | None = None,
) -> WarmReport:
    """Put into the library's sentence cache every text passage selection may embed from
    the sources `source_ids` (default: every source).

    Does nothing when the library's sentence embedder keeps no cache (it has no `missing`).
    Cancelled between batches; what was embedded until then stays cached.
    """
    cache = library.sentence_embedder
    if not hasattr(cache, "missing"):
        return WarmReport()
    texts: list[str] = []
    ids = [s.id for s in library.sources()] if source_ids is None else source_ids
    for source_id in ids:
        if cancel is not None and cancel.is_set():
            return WarmReport(texts=len(texts), cancelled=True)
        text = library.source_text(source_id)
        if text:  # None: removed meanwhile
            texts.extend(texts_to_embed(text, library.chunks_of(source_id)))
    texts = list(dict.fromkeys(texts))  # a sentence several sources carry is one text
    todo = cache.missing(texts)
    room = getattr(cache, "max_rows", None)
    if room is not None:
        todo = todo[: int(room * CACHE_SHARE)]
    report = WarmReport(texts=len(texts))
    if progress is not None:
        progress(0, len(todo))
    for at in range(0, len(todo), WARM_BATCH):
        if cancel is not None and cancel.is_set():
            report.cancelled = True
            break
        batch = todo[at : at + WARM_BATCH]
        cache.embed(batch)
        report.embedded += len(batch)
        if progress is not None:
            progress(report.embedded, len(todo))
    return report
