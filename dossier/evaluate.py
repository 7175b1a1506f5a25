"""Run a question file against the library and score answers, citations and refusals.

Each question is scored on its own (`QuestionScores`, kept in the results file) and the
metrics of a suite are aggregated from those scores only, so a saved results file is enough
to recompute an earlier run's metrics (`--baseline`). Suites, results files and tables are in
`eval_suites.py`.
"""

from __future__ import annotations

import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import numpy as np
from pydantic import BaseModel, Field

from .schema import Answer, Passage, Turn

# Hears each selection of passages an answer is about to be written from (`ask`'s
# `on_passages`); the last one heard is what the model read first.
PassagesFn = Callable[[list[Passage]], None]
# Answers a question, given the conversation before it (empty for a first question).
AnswerFn = Callable[[str, list[Turn], PassagesFn], Answer]


class EvalQuestion(BaseModel):
    id: str
    question: str
    answerable: bool
    gold_sources: list[str] = []
    key_facts: list[list[str]] = []  # each inner list: alternative wordings of one fact
    # Earlier turns of a conversation: a question (asked first, its answer kept) or a
    # question/answer turn given as is. Only the last question, `question`, is scored.
    history: list[str | Turn] = []
    # Scored as conflicting sources: each key-fact group is a value some source gives.
    conflict: bool = False


class QuestionScores(BaseModel):
    """The scores of one answer; suite metrics are aggregated from these alone."""

    answerable: bool
    refused: bool
    refusal_reason: str = ""
    fact_hit: float | None = Field(None, description="key-fact groups in the passages shown")
    key_fact_recall: float | None = Field(None, description="key-fact groups in the answer")
    gold_source_cited: bool | None = None
    citations: int = Field(0, description="citations of the answer (each judged by its source)")
    gold_citations: int = Field(0, description="of those, to a gold source")
    sentences: int = 0
    unsupported_sentences: int = 0
    conflict: bool = False
    both_values_cited: bool | None = Field(
        None, description="conflict: every value in a supported sentence, each citing its source"
    )
    ttft_s: float | None = None
    checked_s: float | None = Field(None, description="question to fully checked answer (ask)")
    wall_s: float | None = Field(None, description="the ask call as the eval loop timed it")
    tokens_per_s: float | None = None


class EvalRecord(BaseModel):
    id: str
    answer: Answer
    retrieved_text: str  # every passage the model was shown (`shown_text`)
    history: list[Turn] = []  # the conversation the question was asked in
    wall_s: float | None = None


class EvalMetrics(BaseModel):
    """A suite's figures; `None` where no question could give one (no answerable ones...)."""

    questions: int
    answerable: int
    unanswerable: int
    retrieval_fact_hit: float | None
    key_fact_recall: float | None
    citation_precision: float | None
    gold_source_cited_rate: float | None
    refusal_accuracy: float | None
    unanswerable_refused: int = 0
    false_refusal_rate: float | None
    false_refusals: int
    # Where answerable questions were lost: each false refusal's reason (`Answer.refusal_reason`:
    # the model refused, no sentence held up, what held up does not answer...), and the answers
    # shown without any key fact.
    false_refusal_reasons: dict[str, int] = {}
    answered_without_fact: int = 0
    unsupported_sentence_rate: float | None
    conflict_questions: int = 0
    both_values_cited_rate: float | None = None
    ttft_p50_s: float | None
    ttft_p95_s: float | None
    checked_p50_s: float | None = None
    wall_p50_s: float | None = None
    tokens_per_s: float | None


def load_questions(path: Path) -> list[EvalQuestion]:
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return [EvalQuestion.model_validate_json(line) for line in lines if line.strip()]


def run(
    questions: list[EvalQuestion],
    answer_fn: AnswerFn,
    *,
    clock: Callable[[], float] = time.perf_counter,
) -> Iterator[EvalRecord]:
    for q in questions:
        history = conversation(q, answer_fn)
        selected = _Selection()
        started = clock()
        answer = answer_fn(q.question, history, selected.hear)
        wall = round(clock() - started, 3)
        yield EvalRecord(
            id=q.id,
            answer=answer,
            retrieved_text=shown_text(selected.passages, answer),
            history=history,
            wall_s=wall,
        )


class _Selection:
    """The last selection of passages an answer heard: a follow-up's early one (read with the
    question before it) is replaced by its condensed question's."""

    def __init__(self) -> None:
        self.passages: list[Passage] = []

    def hear(self, passages: list[Passage]) -> None:
        self.passages = list(passages)


def shown_text(selected: list[Passage], answer: Answer) -> str:
    """The passages the model read: those selected for the first draft and those the answer
    reports (a second look's narrower ones, another source's account), each once. The answer
    alone reports only the narrower ones after a second look, which hides what was read first.
    """
    texts = dict.fromkeys(p.text for p in [*selected, *answer.passages])
    return "\n".join(texts)


def conversation(q: EvalQuestion, answer_fn: AnswerFn) -> list[Turn]:
    """The turns before `q`: a bare earlier question is asked (in its own conversation so
    far), so the scored follow-up sees the answer Dossier really gave."""
    turns: list[Turn] = []
    for item in q.history:
        if isinstance(item, Turn):
            turns.append(item)
        else:
            reply = answer_fn(item, list(turns), lambda passages: None)
            turns.append(Turn(question=item, answer=reply.answer))
    return turns


def _plain(text: str) -> str:
    """Lower case, accents off, one space between words: "José  Núñez" and "jose nunez" match."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def found(fact_group: list[str], text: str) -> bool:
    """`text` states one of the group's ways of writing a key fact."""
    plain = _plain(text)
    return any(_plain(alt) in plain for alt in fact_group)


def score_question(
    q: EvalQuestion, record: EvalRecord, *, conflict: bool = False
) -> QuestionScores:
    """`conflict`: the suite says its questions are conflict questions (or `q.conflict`)."""
    a = record.answer
    conflict = conflict or q.conflict
    scores = QuestionScores(
        answerable=q.answerable,
        refused=a.refused,
        refusal_reason=a.refusal_reason,
        sentences=0 if a.refused else len(a.sentences),
        unsupported_sentences=0 if a.refused else sum(not s.supported for s in a.sentences),
        conflict=conflict,
        ttft_s=a.timings.ttft_s,
        # An answer refused before the model was asked carries no model timings: the eval
        # loop's own clock is then the time to that (checked) answer.
        checked_s=a.timings.total_s or record.wall_s,
        wall_s=record.wall_s,
        tokens_per_s=a.timings.tokens_per_s or None,
    )
    if q.answerable:
        groups = q.key_facts or [[]]
        sources = [c.source_id for c in a.citations]
        scores.fact_hit = _mean([found(g, record.retrieved_text) for g in groups])
        scores.key_fact_recall = 0.0 if a.refused else _mean([found(g, a.answer) for g in groups])
        scores.gold_source_cited = any(s in q.gold_sources for s in sources)
        scores.citations = len(sources)
        scores.gold_citations = sum(s in q.gold_sources for s in sources)
    if conflict:
        scores.both_values_cited = both_values_cited(q.key_facts, a)
    return scores


def both_values_cited(groups: list[list[str]], answer: Answer) -> bool:
    """Every key-fact group (a value some source gives) is named in a supported sentence that
    cites a passage holding that value, and the values are credited to different sources: the
    answer gives each side with its own citation, not one value twice or one source for all."""
    if answer.refused or len(groups) < 2:
        return False
    shown = {p.n: p for p in answer.passages}
    options = []
    for group in groups:
        credited = {
            shown[n].source_id
            for s in answer.sentences
            if s.supported and found(group, s.text)
            for n in s.citations
            if n in shown and found(group, shown[n].text)
        }
        if not credited:
            return False
        options.append(credited)
    return _distinct_pick(options, set())


def _distinct_pick(options: list[set[str]], taken: set[str]) -> bool:
    """One source per value, no source used twice (a handful of values: search them all)."""
    if not options:
        return True
    return any(_distinct_pick(options[1:], taken | {s}) for s in options[0] - taken)


def aggregate(scores: Iterable[QuestionScores]) -> EvalMetrics:
    scores = list(scores)
    answerable = [s for s in scores if s.answerable]
    unanswerable = [s for s in scores if not s.answerable]
    cited = sum(s.citations for s in answerable)
    conflict = [s for s in scores if s.conflict]
    false_refusals = sum(s.refused for s in answerable)
    sentences = sum(s.sentences for s in scores)
    ttfts = [s.ttft_s for s in scores if s.ttft_s is not None]
    speeds = [s.tokens_per_s for s in scores if s.tokens_per_s]
    return EvalMetrics(
        questions=len(scores),
        answerable=len(answerable),
        unanswerable=len(unanswerable),
        retrieval_fact_hit=_mean(_known(s.fact_hit for s in answerable)),
        key_fact_recall=_mean(_known(s.key_fact_recall for s in answerable)),
        citation_precision=_ratio(sum(s.gold_citations for s in answerable), cited),
        gold_source_cited_rate=_mean(_known(s.gold_source_cited for s in answerable)),
        refusal_accuracy=_mean([s.refused for s in unanswerable]),
        unanswerable_refused=sum(s.refused for s in unanswerable),
        false_refusal_rate=_ratio(false_refusals, len(answerable)),
        false_refusals=false_refusals,
        false_refusal_reasons=dict(
            Counter(s.refusal_reason or "unknown" for s in answerable if s.refused).most_common()
        ),
        answered_without_fact=sum(not s.refused and s.key_fact_recall == 0.0 for s in answerable),
        unsupported_sentence_rate=_ratio(sum(s.unsupported_sentences for s in scores), sentences),
        conflict_questions=len(conflict),
        both_values_cited_rate=_mean(_known(s.both_values_cited for s in conflict)),
        ttft_p50_s=_pct(ttfts, 50),
        ttft_p95_s=_pct(ttfts, 95),
        checked_p50_s=_pct([s.checked_s for s in scores if s.checked_s is not None], 50),
        wall_p50_s=_pct([s.wall_s for s in scores if s.wall_s is not None], 50),
        tokens_per_s=round(float(np.mean(speeds)), 2) if speeds else None,
    )


def score(questions: list[EvalQuestion], records: list[EvalRecord]) -> EvalMetrics:
    """The metrics of one question file's run (questions matched to records by id)."""
    by_id = {r.id: r for r in records}
    return aggregate(score_question(q, by_id[q.id]) for q in questions)


def _known(values) -> list:
    """The figures a question has (a hand-made or older results line may lack some)."""
    return [v for v in values if v is not None]


def _mean(values) -> float | None:
    return round(float(np.mean(values)), 4) if len(values) else None


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _pct(values, q) -> float | None:
    return round(float(np.percentile(values, q)), 3) if values else None
