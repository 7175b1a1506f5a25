"""Pydantic models the core hands to the CLI (JSON) and the GUI."""

from __future__ import annotations

from pydantic import BaseModel, Field

from models.llm import Timings


class Passage(BaseModel):
    """A numbered stretch of one source shown to the model: `text == source[start:end]`."""

    n: int
    source_id: str
    start: int
    end: int
    text: str
    relevance: float = 0.0


class Evidence(BaseModel):
    """The sentence of a cited passage that best supports an answer sentence."""

    n: int
    source_id: str
    start: int
    end: int


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


class Citation(BaseModel):
    n: int
    source_id: str
    start: int
    end: int
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
    refused: bool
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


class Turn(BaseModel):
    """One exchange of a conversation, for follow-up questions."""

    question: str
    answer: str
