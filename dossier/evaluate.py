"""Run a question file against the library and score answers, citations and refusals."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
from pydantic import BaseModel

from .schema import Answer


class EvalQuestion(BaseModel):
    id: str
    question: str
    answerable: bool
    gold_sources: list[str] = []
    key_facts: list[list[str]] = []  # each inner list: alternative wordings of one fact


class EvalRecord(BaseModel):
    id: str
    answer: Answer
    retrieved_text: str  # the passages the model was shown


class EvalMetrics(BaseModel):
    questions: int
    answerable: int
    unanswerable: int
    retrieval_fact_hit: float
    key_fact_recall: float
    citation_precision: float
    gold_source_cited_rate: float
    refusal_accuracy: float
    false_refusal_rate: float
    false_refusals: int
    unsupported_sentence_rate: float
    ttft_p50_s: float | None
    ttft_p95_s: float | None
    tokens_per_s: float | None


def load_questions(path: Path) -> list[EvalQuestion]:
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return [EvalQuestion.model_validate_json(line) for line in lines if line.strip()]


def run(questions: list[EvalQuestion], answer_fn: Callable[[str], Answer]) -> Iterator[EvalRecord]:
    for q in questions:
        answer = answer_fn(q.question)
        shown = "\n".join(p.text for p in answer.passages)
        yield EvalRecord(id=q.id, answer=answer, retrieved_text=shown)


def _found(fact_group: list[str], text: str) -> bool:
    low = " ".join(text.lower().split())
    return any(" ".join(alt.lower().split()) in low for alt in fact_group)


def score(questions: list[EvalQuestion], records: list[EvalRecord]) -> EvalMetrics:
    by_id = {r.id: r for r in records}
    answerable = [q for q in questions if q.answerable]
    unanswerable = [q for q in questions if not q.answerable]
    fact_hit, recall, gold_cited, cited_total, cited_gold = [], [], [], 0, 0
    false_refusals = 0
    for q in answerable:
        r = by_id[q.id]
        groups = q.key_facts or [[]]
        fact_hit.append(np.mean([_found(g, r.retrieved_text) for g in groups]))
        recall.append(
            0.0 if r.answer.refused else np.mean([_found(g, r.answer.answer) for g in groups])
        )
        false_refusals += r.answer.refused
        sources = [c.source_id for c in r.answer.citations]
        cited_total += len(sources)
        cited_gold += sum(s in q.gold_sources for s in sources)
        gold_cited.append(any(s in q.gold_sources for s in sources))
    sentences = [s for r in records if not r.answer.refused for s in r.answer.sentences]
    ttfts = [r.answer.timings.ttft_s for r in records if r.answer.timings.ttft_s is not None]
    speeds = [r.answer.timings.tokens_per_s for r in records if r.answer.timings.tokens_per_s]
    return EvalMetrics(
        questions=len(questions),
        answerable=len(answerable),
        unanswerable=len(unanswerable),
        retrieval_fact_hit=_mean(fact_hit),
        key_fact_recall=_mean(recall),
        citation_precision=round(cited_gold / cited_total, 4) if cited_total else 0.0,
        gold_source_cited_rate=_mean(gold_cited),
        refusal_accuracy=_mean([by_id[q.id].answer.refused for q in unanswerable]),
        false_refusal_rate=round(false_refusals / len(answerable), 4) if answerable else 0.0,
        false_refusals=false_refusals,
        unsupported_sentence_rate=_mean([not s.supported for s in sentences]),
        ttft_p50_s=_pct(ttfts, 50),
        ttft_p95_s=_pct(ttfts, 95),
        tokens_per_s=round(float(np.mean(speeds)), 2) if speeds else None,
    )


def _mean(values) -> float:
    return round(float(np.mean(values)), 4) if len(values) else 0.0


def _pct(values, q) -> float | None:
    return round(float(np.percentile(values, q)), 3) if values else None


def write_records(records: list[EvalRecord], path: Path) -> None:
    with Path(path).open("w", encoding="utf-8") as out:
        for r in records:
            row = {"id": r.id, **r.answer.model_dump(mode="json")}
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
