"""Pydantic models that cross the retrieval boundary (CLI JSON, GUI, answers)."""

from __future__ import annotations

from pydantic import BaseModel, Field, model_validator


class SourceMeta(BaseModel):
    """What the document or its text shows about the article; None where it does not say.

    Every field has a default, so metadata stored by an older Dossier still loads.
    """

    title: str | None = None
    outlet: str | None = None
    byline: str | None = None
    # The dateline as written before its dash ("BALTIMORE, March 26, 2024"); its place and its
    # date are kept apart in `place` and `published`.
    dateline: str | None = None
    published: str | None = None  # ISO date, YYYY-MM-DD
    place: str | None = None  # where the dateline says the story was filed ("BALTIMORE")
    # The title was cut from the first sentence because nothing in the source states one.
    title_derived: bool = False

    @model_validator(mode="after")
    def _place_of_an_old_dateline(self) -> SourceMeta:
        # An older Dossier stored only the dateline's place, in `dateline`.
        if self.place is None and self.dateline and not any(c.isdigit() for c in self.dateline):
            self.place = self.dateline
        return self


class Source(BaseModel):
    id: str
    path: str
    content_hash: str
    meta: SourceMeta = Field(default_factory=SourceMeta)
    n_chars: int
    n_chunks: int
    added_at: str


class Span(BaseModel):
    """Characters `start:end` of one source's stored text: what a citation points at."""

    source_id: str
    start: int
    end: int


class Chunk(Span):
    """A passage of a source; `text == source_text[start:end]`."""

    id: int
    ordinal: int
    text: str


class Hit(BaseModel):
    chunk: Chunk
    score: float = Field(description="reciprocal-rank-fusion score")
    dense_rank: int | None = Field(None, description="1-based rank in the vector search")
    dense_score: float | None = Field(None, description="cosine similarity to the query")
    bm25_rank: int | None = Field(None, description="1-based rank in the keyword search")


class FileError(BaseModel):
    path: str
    reason: str


class IngestReport(BaseModel):
    added: list[str] = Field(default_factory=list)
    replaced: list[str] = Field(default_factory=list)
    unchanged: list[str] = Field(default_factory=list)
    failed: list[FileError] = Field(default_factory=list)
    # Paths found or named but deliberately not read (hidden file, special file, link leaving
    # the folder, unsupported type in a walked folder ...), each with its reason. Not failures.
    skipped: list[FileError] = Field(default_factory=list)
    # Problems that did not stop a file going in (e.g. a bad field in metadata.json, dropped).
    warnings: list[FileError] = Field(default_factory=list)
    chunks_added: int = 0
    cancelled: bool = False

    @property
    def ok(self) -> bool:
        return not self.failed
