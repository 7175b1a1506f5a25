"""Pydantic models the core hands to the CLI (JSON) and the GUI."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, computed_field

from models.llm import Timings
from retrieval.schema import Source, Span


class Passage(Span):
    """A numbered stretch of one source shown to the model: `text == source[start:end]`."""

    n: int
    text: str
    relevance: float = 0.0


class Evidence(Span):
    """The sentence of a cited passage that best supports an answer sentence."""

    n: int


class AnswerSentence(BaseModel):
    text: str = Field(description="the sentence without citation markers")
    citations: list[int] = Field(description="numbers of the passages that support it")
    supported: bool
    attributed: bool = Field(
        False, description="a citation was added by the checker, not the model"
    )
    rejected_citations: list[int] = Field(
        default_factory=list, description="numbers the model cited that do not support it"
    )
    evidence: list[Evidence] = Field(default_factory=list)


class Citation(Span):
    n: int
    text: str
    support: float = Field(
        description="best support score of this passage for a sentence citing it"
    )


class ModelInfo(BaseModel):
    id: str
    sha256: str


class Answer(BaseModel):
    question: str
    standalone_question: str = Field(description="the question rewritten without the conversation")
    answer: str
    draft: str = Field("", description="the model's own text, before the citation check")
    first_draft: str = Field(
        "", description="a first draft that failed the check before a second look, if any"
    )
    refused: bool
    refusal_reason: str = Field(
        "",
        description="no_relevant_passage, model_refused (the model said the sources do not "
        "say), unsupported (no sentence entailed by a passage it cites) or does_not_answer "
        "(what is entailed does not answer the question)",
    )
    sources_differ: bool = Field(
        False, description="another source gives a different account; the answer gives both"
    )
    sentences: list[AnswerSentence] = Field(default_factory=list)
    citations: list[Citation] = Field(default_factory=list)
    passages: list[Passage] = Field(
        default_factory=list,
        description="the passages shown to the model (nearest ones on refusal)",
    )
    model: ModelInfo
    prompt_hash: str
    timings: Timings = Field(default_factory=Timings)
    cancelled: bool = False
    judge_calls: int = Field(0, description="entailment and answer judgments the check made")


class Turn(BaseModel):
    """One exchange of a conversation, for follow-up questions."""

    question: str
    answer: str


# -- summaries and the briefing (see summaries.py, quotes.py, timeline.py, briefing.py) -------


class SourceSpan(Span):
    """A stretch of one source: `text == source_text[start:end]`."""

    text: str


class SummaryPoint(BaseModel):
    text: str
    supported: bool = Field(description="the cited source sentences support the point")
    attributed: bool = Field(False, description="the checker found the evidence, not the model")
    evidence: list[SourceSpan] = Field(default_factory=list)
    covers_headline: bool = Field(
        False,
        description="added because no point said what the headline says: the body "
        "sentence that best supports the headline, as the source words it",
    )


class GuideSentence(BaseModel):
    """One sentence of a source guide, with the source sentences that state it."""

    text: str
    evidence: list[SourceSpan] = Field(default_factory=list)
    from_attributions: bool = Field(
        False, description="built from the quotations the text attributes, not by the model"
    )


class SourceGuide(BaseModel):
    """A short paragraph on what a source reports, whom it quotes and what it stresses. Only
    sentences the source entails are kept; the refused ones are listed apart, never shown."""

    sentences: list[GuideSentence] = Field(default_factory=list)
    dropped: list[str] = Field(
        default_factory=list, description="the model's sentences the source does not entail"
    )
    seconds: float | None = Field(None, description="time spent writing and checking it")

    @computed_field
    @property
    def text(self) -> str:
        """The paragraph as shown: the kept sentences only."""
        return " ".join(s.text for s in self.sentences)


class SourceSummary(BaseModel):
    source_id: str
    title: str | None = None
    outlet: str | None = None
    byline: str | None = None
    date: str | None = None
    points: list[SummaryPoint] = Field(default_factory=list)
    quoted: list[str] = Field(default_factory=list, description="speakers quoted in the source")
    angle: str | None = Field(None, description="the model's one-line reading of the framing")
    guide: SourceGuide | None = Field(None, description="the paragraph shown above the points")
    parts: int = Field(1, description="pieces a long source was summarised in")
    model: ModelInfo
    prompt_hash: str
    content_hash: str
    cached: bool = False
    timings: Timings = Field(default_factory=Timings)


class Quote(BaseModel):
    """A direct quotation in a source, with its speaker as the text attributes it."""

    text: str
    speaker: str | None = None
    speaker_inferred: bool = Field(
        False, description="the sentence says 'he/she said'; the speaker is the last one named"
    )
    setting: str | None = None
    span: SourceSpan = Field(description="the quoted words, offsets into the source")
    sentence: SourceSpan
    verbatim: bool = Field(description="the quoted words are in the source exactly")


class QuoteGroup(BaseModel):
    """The same quotation as reported by one or more sources."""

    text: str
    speaker: str | None
    quotes: list[Quote]

    @property
    def source_ids(self) -> list[str]:
        return sorted({q.span.source_id for q in self.quotes})


class TimelineEvent(BaseModel):
    when: str = Field(description="the date as resolved, e.g. 2024-09-11, 2022-09, 'August 6'")
    date_text: str = Field(description="the words in the source that state the date")
    precision: str = Field(description="day, month or year")
    year_known: bool
    sort_key: tuple[int, int, int]
    sentence: SourceSpan


class DifferenceSide(BaseModel):
    statement: SourceSpan
    value: str | None = Field(None, description="the differing number or stance, when there is one")


class Difference(BaseModel):
    kind: str = Field(description="number, stance, speaker or only-one-source")
    topic: str
    sides: list[DifferenceSide]


class Provenance(BaseModel):
    dossier_version: str
    model: ModelInfo
    prompt_hashes: dict[str, str]
    embedder: str
    index: str
    generated_at: str


# -- notes the user pins (see notes.py) ---------------------------------------------------

NoteKind = Literal["answer", "passage", "summary_point", "text"]
SourceStatus = Literal["present", "removed", "changed"]


class NoteCitation(SourceSpan):
    """A passage a note cites; `text` is the passage as it read when it was pinned."""

    n: int = Field(description="1-based, in order of first use in the note")
    source_status: SourceStatus = Field(
        "present",
        description="set when notes are read against the library: 'removed' (the source is "
        "gone) or 'changed' (its text at these offsets is no longer the quoted text)",
    )


class NoteSentence(BaseModel):
    text: str
    citations: list[int] = Field(default_factory=list, description="`n` of the note's citations")


class Note(BaseModel):
    """An answer, a source passage or a summary point pinned to the dossier's notes."""

    id: int
    kind: NoteKind
    text: str
    sentences: list[NoteSentence] = Field(default_factory=list)
    citations: list[NoteCitation] = Field(default_factory=list)
    user_edited: bool = Field(False, description="the text is the user's words, not the source's")
    position: int = Field(description="1-based place in the user's order")
    origin: str = Field("", description="the question answered, or the source id pinned from")
    conversation_id: int | None = None
    created_at: str
    updated_at: str


class Story(BaseModel):
    """One story the dossier's sources tell, found from their text (see dossier.stories)."""

    title: str = Field(description="the headline, of the story's sources, nearest its centroid")
    source_ids: list[str] = Field(description="the sources that tell it, in library order")
    overview: list[AnswerSentence] = Field(
        default_factory=list, description="written from this story's summaries only"
    )
    overview_sources: list[SourceSpan] = Field(
        default_factory=list, description="the passage behind overview citation n is item n-1"
    )


class PreparedBriefing(BaseModel):
    """The briefing's cross-source parts that need the model (or take a while): made once for a
    set of summaries, model and prompts, and reused by every export until one of them changes
    (see dossier.briefing.prepare_overview)."""

    key: str = Field(description="hash of what these parts depend on (see briefing.prepared_key)")
    title: str
    overview: list[AnswerSentence] = Field(default_factory=list)
    overview_sources: list[SourceSpan] = Field(default_factory=list)
    differences: list[Difference] = Field(default_factory=list)
    stories: list[Story] = Field(default_factory=list)


class NewSource(BaseModel):
    """A source added, or whose text changed, since the dossier's previous briefing export."""

    source_id: str
    title: str | None = None
    status: Literal["added", "changed"]
    points: list[SummaryPoint] = Field(
        default_factory=list, description="its summary's checked key points"
    )


class NewSinceLast(BaseModel):
    """The "New since the last briefing" section (see dossier.briefing_history)."""

    previous_export_at: str = Field(description="when the previous briefing was exported")
    previous_path: str = ""
    sources: list[NewSource] = Field(default_factory=list)


class Briefing(BaseModel):
    title: str
    generated_at: str
    overview: list[AnswerSentence] = Field(default_factory=list)
    overview_sources: list[SourceSpan] = Field(
        default_factory=list, description="the passage behind overview citation n is item n-1"
    )
    summaries: list[SourceSummary] = Field(default_factory=list)
    quotes: list[QuoteGroup] = Field(default_factory=list)
    timeline: list[TimelineEvent] = Field(default_factory=list)
    undated: list[SourceSpan] = Field(
        default_factory=list, description="sentences naming a day with no date to resolve it"
    )
    differences: list[Difference] = Field(default_factory=list)
    stories: list[Story] = Field(
        default_factory=list,
        description="the stories the sources tell: one (whose overview is the briefing's), or "
        "several, each with its own section, title, sources and overview",
    )
    sources: list[Source] = Field(default_factory=list)
    provenance: Provenance
    notes: list[Note] = Field(
        default_factory=list, description="the user's pinned notes, in the user's order"
    )
    new_since_last_briefing: NewSinceLast | None = Field(
        None, description="what was added or changed since the previous export; None: the first"
    )
    overview_prepared: bool = Field(
        False, description="the overview and differences came ready-made: no model call"
    )
