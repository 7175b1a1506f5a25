"""Grounded answers: retrieve, let the model answer from numbered passages, check every citation."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable

import numpy as np
from pydantic import BaseModel

from models.llm import LLM, Timings
from prompts import REFUSAL, PromptSet, chat_messages
from retrieval.library import Library
from retrieval.sentences import sentence_spans

from .citations import parse_citations, split_answer
from .focus import (
    adds_nothing,
    numbers_in_question,
    shares_terms,
    unmentioned_names,
    wrong_kind,
)
from .passages import select_passages
from .schema import Answer, AnswerSentence, Citation, Evidence, ModelInfo, Passage, Turn
from .settings import DEFAULT_K
from .verify import Support, assess

PASSAGE_BUDGET_TOKENS = 200  # prompt evaluation dominates time to first token on a CPU
SECOND_LOOK_BUDGET_TOKENS = 90  # the closest two or three sentences
# Why a draft may get a second look. Not a question asking for a kind of detail no passage
# gives (fewer passages will not have it either), nor a draft that restates the question:
# that is how the model says it found nothing, and a second look then answers something else.
SECOND_LOOK_PROBLEMS = {"model_refused", "unsupported", "off_question"}
SECOND_LOOK_NOTE = "\n\n(Checking the closest passages again…)\n\n"
# An answer that shares no content word with the question and none of whose sentences is this
# close to it in meaning is about something else ("Who went with her?" → "The council declined
# to comment.").
OFF_QUESTION_COSINE = 0.3
MAX_ANSWER_TOKENS = 300
HISTORY_TURNS = 3
# A cited passage scoring this much below the best-supporting one is a mis-citation.
CITATION_MARGIN = 0.15
# Below this cosine no passage is about the question at all: refuse without asking the model.
MIN_RELEVANCE = 0.2

TokenFn = Callable[[str], None]


def ask(
    question: str,
    *,
    history: list[Turn] | None = None,
    library: Library,
    llm: LLM,
    k: int = DEFAULT_K,
    on_token: TokenFn | None = None,
    cancel: threading.Event | None = None,
    prompts: PromptSet | None = None,
) -> Answer:
    """Answer `question` from the library, streaming the model's text to `on_token`."""
    prompts = prompts or PromptSet()
    started = time.perf_counter()
    standalone = condense(question, history or [], llm=llm, prompts=prompts, cancel=cancel)

    # Passage selection and the citation check embed the same sentences: embed them once.
    embedder = MemoEmbedder(library.embedder)
    query_vector = embedder.embed([standalone])[0]
    hits = library.search_with_vector(standalone, query_vector, k=k)
    texts = {h.chunk.source_id: library.source_text(h.chunk.source_id) for h in hits}
    passages = select_passages(
        standalone,
        query_vector,
        hits,
        texts,
        embedder,
        budget_tokens=PASSAGE_BUDGET_TOKENS,
        count_tokens_many=llm.count_tokens_many,
    )
    system = prompts.render("answer_system")
    model = ModelInfo(id=llm.model_id, sha256=llm.sha256)
    if not passages or not _relevant(hits):
        return _refusal(
            question, standalone, passages, model, system.hash, Timings(), "no_relevant_passage"
        )

    if unmentioned_names(standalone, [h.chunk.text for h in hits]):
        # The question is about someone or something the sources never name: no model needed.
        return _refusal(
            question, standalone, passages, model, system.hash, Timings(), "unmentioned_name"
        )

    attempt = _attempt(standalone, passages, system, prompts, llm, embedder, on_token, cancel)
    problem = _problem(standalone, attempt, embedder)
    first_draft = ""
    look = _second_look(standalone, attempt, problem, passages, texts)
    if look is not None:
        require, must_improve = look
        closest = select_passages(
            standalone,
            query_vector,
            hits,
            texts,
            embedder,
            budget_tokens=SECOND_LOOK_BUDGET_TOKENS,
            count_tokens_many=llm.count_tokens_many,
            skip_to_fill=False,
            require=require,
        )
        if closest and [p.text for p in closest] != [p.text for p in passages]:
            if on_token:
                on_token(SECOND_LOOK_NOTE)
            second = _attempt(standalone, closest, system, prompts, llm, embedder, on_token, cancel)
            second_problem = _problem(standalone, second, embedder)
            better = second_problem is None and not _missing_figures(
                standalone, second, closest, texts
            )
            if second.cancelled or not must_improve or better:
                first_draft, first_ttft = attempt.text, attempt.timings.ttft_s
                attempt, problem, passages = second, second_problem, closest
                attempt.timings.ttft_s = first_ttft  # the reader saw the first words then
    timings = attempt.timings
    timings.total_s = round(time.perf_counter() - started, 3)
    prompt_hash = f"{system.hash}:{attempt.user_hash}"
    if problem is not None:
        return _refusal(
            question, standalone, passages, model, prompt_hash, timings, problem,
            draft=attempt.text, first_draft=first_draft,
        )  # fmt: skip
    return Answer(
        question=question,
        standalone_question=standalone,
        # A cancelled answer is shown as far as it came, unchecked text included.
        answer=attempt.text if attempt.cancelled else render_answer(attempt.sentences),
        draft=attempt.text,
        first_draft=first_draft,
        refused=False,
        sentences=attempt.sentences,
        citations=attempt.citations,
        passages=passages,
        model=model,
        prompt_hash=prompt_hash,
        timings=timings,
        cancelled=attempt.cancelled,
    )


def _second_look(question, attempt, problem, passages, texts):
    """Whether to ask again over only the closest sentences: (required strings, must improve).

    A small model often balks at, or wanders off, a long context that does hold the answer.
    An answer that passes the check but whose evidence lacks a figure the question pins its
    subject to ("in May 2023"), while a passage has it, gets a second look at the sentences
    with that figure, kept only if it does better. (The same for "who" questions answered
    without a name was tried and dropped: the second look named the wrong person.)
    """
    if problem in SECOND_LOOK_PROBLEMS:
        return None, False
    if problem is None and not attempt.cancelled:
        missing = _missing_figures(question, attempt, passages, texts)
        if missing:
            return missing, True
    return None


def _missing_figures(question, attempt, passages, texts) -> list[str]:
    """Figures of the question that the answer's evidence lacks while some passage has them."""
    evidence = " ".join(
        texts[e.source_id][e.start : e.end]
        for s in attempt.sentences
        if s.supported
        for e in s.evidence
    )
    shown = " ".join(p.text for p in passages)
    return [n for n in numbers_in_question(question) if n not in evidence and n in shown]


class _Attempt(BaseModel):
    """One reply of the model to one set of passages, checked."""

    text: str
    sentences: list[AnswerSentence]
    citations: list[Citation]
    timings: Timings
    user_hash: str
    cancelled: bool


def _attempt(question, passages, system, prompts, llm, embedder, on_token, cancel) -> _Attempt:
    user = prompts.render("answer_user", passages=format_passages(passages), question=question)
    messages = chat_messages(system, user)
    pieces: list[str] = []
    completion = llm.stream(messages, max_tokens=MAX_ANSWER_TOKENS, cancel=cancel)
    for piece in completion:
        pieces.append(piece)
        if on_token:
            on_token(piece)
    text = "".join(pieces).strip()
    sentences, citations = check_answer(text, passages, embedder)
    return _Attempt(
        text=text,
        sentences=sentences,
        citations=citations,
        timings=completion.timings or Timings(),
        user_hash=user.hash,
        cancelled=bool(cancel is not None and cancel.is_set()),
    )


def _problem(question: str, attempt: _Attempt, embedder) -> str | None:
    """Why this attempt cannot be shown as an answer, or None when it can (or was cancelled)."""
    if attempt.cancelled:
        return None
    if is_refusal(attempt.text):
        return "model_refused"
    supported = [s.text for s in attempt.sentences if s.supported]
    if not supported:
        return "unsupported"
    if wrong_kind(question, supported) is not None:
        return "wrong_kind"
    if adds_nothing(question, supported):
        return "restates_question"
    if not shares_terms(question, supported):
        vectors = embedder.embed([question, *supported])
        if float(np.max(vectors[1:] @ vectors[0])) < OFF_QUESTION_COSINE:
            return "off_question"
    return None


class MemoEmbedder:
    """An embedder that remembers the vectors it computed, for the length of one question."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self._vectors: dict[str, np.ndarray] = {}

    def embed(self, texts: list[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self._vectors]
        if missing:
            self._vectors.update(zip(missing, self.inner.embed(missing), strict=True))
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._vectors[t] for t in texts])


def _relevant(hits) -> bool:
    """Some passage shares a content word with the question or is close to it in meaning."""
    best = max((h.dense_score or 0.0 for h in hits), default=0.0)
    return best >= MIN_RELEVANCE or any(h.bm25_rank is not None for h in hits)


def condense(
    question: str,
    history: list[Turn],
    *,
    llm: LLM,
    prompts: PromptSet,
    cancel: threading.Event | None = None,
) -> str:
    """A follow-up rewritten to stand alone (the model does it); the question itself otherwise."""
    if not history:
        return question
    lines = []
    for turn in history[-HISTORY_TURNS:]:
        lines.append(f"User: {turn.question}")
        lines.append(f"Assistant: {' '.join(turn.answer.split())[:400]}")
    prompt = prompts.render("condense", history="\n".join(lines), question=question)
    reply = llm.stream(
        [{"role": "user", "content": prompt.text}], max_tokens=60, stop=["\n"], cancel=cancel
    ).text()
    rewritten = reply.strip().strip('"').strip()
    return rewritten if len(rewritten) > 3 else question


_CONTROL_TOKEN = re.compile(r"<\|[^|<>]{0,40}\|>")


def format_passages(passages: list[Passage]) -> str:
    """Numbered passages; chat control tokens in a source are removed so it stays data."""
    return "\n".join(
        f"[{p.n}] {' '.join(_CONTROL_TOKEN.sub(' ', p.text).split())}" for p in passages
    )


def is_refusal(text: str) -> bool:
    core = REFUSAL.lower().rstrip(".")
    return core in " ".join(text.lower().split())[: len(core) + 40]


def check_answer(
    text: str, passages: list[Passage], embedder
) -> tuple[list[AnswerSentence], list[Citation]]:
    """Map every [n] to its passage and keep only citations that support their sentence."""
    by_n = {p.n: p for p in passages}
    raw = [parse_citations(s) for s in split_answer(text)]
    raw = [(clean, numbers) for clean, numbers in raw if clean and not is_refusal(clean)]
    if not raw:
        return [], []
    passage_sentences = {
        p.n: [(p.start + a, p.start + b) for a, b in sentence_spans(p.text)] or [(p.start, p.end)]
        for p in passages
    }
    flat = [(n, span) for n, spans in passage_sentences.items() for span in spans]
    source_of = {p.n: p for p in passages}
    vectors = embedder.embed(
        [clean for clean, _ in raw] + [_slice(source_of[n], span) for n, span in flat]
    )
    sentence_vectors, span_vectors = vectors[: len(raw)], vectors[len(raw) :]
    rows_of = {n: [i for i, (m, _) in enumerate(flat) if m == n] for n in passage_sentences}

    def support(i: int, n: int) -> Support:
        rows = rows_of[n]
        return assess(
            raw[i][0],
            sentence_vectors[i],
            by_n[n].text,
            [flat[r][1] for r in rows],
            span_vectors[rows],
        )

    sentences: list[AnswerSentence] = []
    best_support: dict[int, float] = {}
    for i, (clean, numbers) in enumerate(raw):
        kept, rejected, evidence = [], [], []
        results = {n: support(i, n) for n in by_n}
        best_score = max((r.score for r in results.values() if r.supported), default=0.0)
        for n in numbers:
            if n not in by_n:
                rejected.append(n)
                continue
            result = results[n]
            # A cited passage must support the sentence about as well as the best one does:
            # small models often cite a neighbour of the passage they used.
            if result.supported and result.score >= best_score - CITATION_MARGIN:
                kept.append(n)
                evidence.append(_evidence(by_n[n], result))
                best_support[n] = max(best_support.get(n, 0.0), result.score)
            else:
                rejected.append(n)
        attributed = False
        if not kept:
            strong = {n: r for n, r in results.items() if r.strong}
            if strong:
                n = max(strong, key=lambda m: strong[m].score)
                kept, attributed = [n], True
                evidence.append(_evidence(by_n[n], strong[n]))
                best_support[n] = max(best_support.get(n, 0.0), strong[n].score)
        sentences.append(
            AnswerSentence(
                text=clean,
                citations=kept,
                supported=bool(kept),
                attributed=attributed,
                rejected_citations=rejected,
                evidence=evidence,
            )
        )
    citations = [
        Citation(
            n=n,
            source_id=by_n[n].source_id,
            start=by_n[n].start,
            end=by_n[n].end,
            text=by_n[n].text,
            support=best_support[n],
        )
        for n in sorted(best_support)
    ]
    return sentences, citations


def render_answer(sentences: list[AnswerSentence]) -> str:
    """The answer text with only the citations that survived the check, before the full stop."""
    parts = []
    for s in sentences:
        marks = "".join(f"[{n}]" for n in s.citations)
        body, end = (s.text[:-1], s.text[-1]) if s.text[-1:] in ".!?" else (s.text, "")
        parts.append(f"{body} {marks}{end}" if marks else s.text)
    return " ".join(parts)


def _slice(passage: Passage, span: tuple[int, int]) -> str:
    return passage.text[span[0] - passage.start : span[1] - passage.start]


def _evidence(passage: Passage, support: Support) -> Evidence:
    start, end = support.evidence
    return Evidence(n=passage.n, source_id=passage.source_id, start=start, end=end)


def _refusal(
    question, standalone, passages, model, prompt_hash, timings, reason, draft="", first_draft=""
) -> Answer:
    return Answer(
        question=question,
        standalone_question=standalone,
        answer=REFUSAL,
        draft=draft,
        first_draft=first_draft,
        refused=True,
        refusal_reason=reason,
        passages=passages[:3],
        model=model,
        prompt_hash=prompt_hash,
        timings=timings,
    )
