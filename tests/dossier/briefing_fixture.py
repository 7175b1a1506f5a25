"""A small briefing built by hand from one invented article: no library, no model."""

from __future__ import annotations

from dossier.quotes import find_quotes, group_quotes
from dossier.schema import (
    AnswerSentence,
    Briefing,
    ModelInfo,
    Provenance,
    SourceSpan,
    SourceSummary,
    SummaryPoint,
)
from dossier.timeline import find_events, sort_events
from retrieval.schema import Source, SourceMeta

SOURCE_ID = "ferry-01"
TEXT = (
    "Night ferry loses steering off Port Ellis\n"
    "PORT ELLIS, June 10, 2024 — The night ferry Tamsin lost steering at 1:28 a.m. on March 26, "
    "the harbour board said.\n"
    '"We heard the engines stop and then nothing at all," said Ines Varga, a deckhand.\n'
    "“Nobody was hurt and the tugs were there within the hour,” the board said.\n"
    "Divers inspected the hull on May 7.\n"
)
MODEL = ModelInfo(id="scripted", sha256="0" * 64)


def span(words: str, source_id: str = SOURCE_ID, text: str = TEXT) -> SourceSpan:
    start = text.index(words)
    return SourceSpan(source_id=source_id, start=start, end=start + len(words), text=words)


def sentence(first_words: str) -> SourceSpan:
    """The line of TEXT that starts with `first_words` (each line is one sentence)."""
    line = next(line for line in TEXT.splitlines() if line.startswith(first_words))
    return span(line)


def make_briefing(**overrides) -> Briefing:
    lost = sentence("PORT ELLIS")
    varga = sentence('"We heard')
    board = sentence("“Nobody")
    events, undated = find_events(SOURCE_ID, TEXT)
    source = Source(
        id=SOURCE_ID,
        path="/articles/ferry.txt",
        content_hash="c" * 64,
        meta=SourceMeta(
            title="Night ferry loses steering off Port Ellis after a long night at sea",
            outlet="Ellis Courier",
        ),
        n_chars=len(TEXT),
        n_chunks=1,
        added_at="2024-06-11T00:00:00+00:00",
    )
    summary = SourceSummary(
        source_id=SOURCE_ID,
        title=source.meta.title,
        outlet=source.meta.outlet,
        points=[
            SummaryPoint(text="The ferry lost steering.", supported=True, evidence=[lost]),
            SummaryPoint(
                text="A deckhand heard the engines stop.", supported=True, evidence=[varga]
            ),  # fmt: skip
            SummaryPoint(text="Nobody was hurt.", supported=True, evidence=[board]),
            # the same passage, cut shorter: inside the note above
            SummaryPoint(
                text="Tugs came within the hour.",
                supported=True,
                evidence=[span("the tugs were there within the hour")],
            ),  # fmt: skip
        ],
        model=MODEL,
        prompt_hash="p",
        content_hash="c" * 64,
    )
    fields = dict(
        title="Briefing: Night ferry loses steering off Port Ellis",
        generated_at="2024-06-11T00:00:00+00:00",
        overview=[
            AnswerSentence(text="The Tamsin lost steering.", citations=[1], supported=True),
            AnswerSentence(text="A deckhand heard it.", citations=[2], supported=True),
        ],
        overview_sources=[lost, varga],
        summaries=[summary],
        quotes=group_quotes(find_quotes(SOURCE_ID, TEXT)),
        timeline=sort_events(events),
        undated=undated,
        sources=[source],
        provenance=Provenance(
            dossier_version="test",
            model=MODEL,
            prompt_hashes={"summary_system": "h"},
            embedder="fake",
            index="fake",
            generated_at="2024-06-11T00:00:00+00:00",
        ),
    )
    return Briefing(**(fields | overrides))
