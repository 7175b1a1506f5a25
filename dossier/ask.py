"""Grounded answers: retrieve, let the model answer from numbered passages, check every citation."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel

from models.llm import LLM, Timings
from prompts import REFUSAL, PromptSet, chat_messages
from retrieval.library import Library

from .answer_check import check_answer, is_refusal, render_answer
from .condense import condense, read_with_previous
from .conflicts import DIFFERENT_ACCOUNT, differs, other_accounts, probe_pool
from .focus import answer_values, expected_answer, numbers_in_question
from .judge import Judge, ModelJudge
from .passages import select_passages
from .schema import Answer, AnswerSentence, Citation, ModelInfo, Passage, Turn
from .settings import DEFAULT_K

# Prompt evaluation dominates time to first token on a CPU (~1.8 s per 100 tokens here). More
# tokens show more key facts (0.944 -> 0.971 at 375) but the 1.5B model did not answer better
# with them: bench/results/eval-budget375-2026-12-03.md.
PASSAGE_BUDGET_TOKENS = 300
SECOND_LOOK_BUDGET_TOKENS = 90  # the closest two or three sentences
# Why a draft may get a second look over only the closest sentences: a small model often
# balks at, or wanders off, a longer context that does hold the answer.
SECOND_LOOK_PROBLEMS = {"model_refused", "unsupported", "does_not_answer"}
SECOND_LOOK_NOTE = "\n\n(Checking the closest passages again…)\n\n"
SECOND_ACCOUNT_NOTE = "\n\n(Another source may say otherwise; checking…)\n\n"
NO_SECOND_ACCOUNT_NOTE = "(No other account held up: the answer above stands.)"
MAX_ANSWER_TOKENS = 300
# Below this cosine no passage is about the question at all: refuse without asking the model.
MIN_RELEVANCE = 0.2
# An answer to "how many" that gives no figure beyond the question's own does not answer it.
# Not for names ("who"/"where" are often answered without one: "the mayor", "at the city
# hall") nor dates ("at 2 a.m.", "shortly after midnight", "on the 30th" are dates too).
KINDS_AN_ANSWER_MUST_HOLD = ("figure",)

TokenFn = Callable[[str], None]


@dataclass(frozen=True)
class AskOptions:
    """How to answer: how many passages to retrieve, the prompt templates, and the judge of
    entailment (default: the model itself)."""

    k: int = DEFAULT_K
    prompts: PromptSet | None = None
    judge: Judge | None = None


@dataclass(frozen=True)
class AskEvents:
    """What a front end hears while an answer is made (`on_token`: each piece of text;
    `on_passages`: the passages chosen, see `ask`), and the event that stops it."""

    on_token: TokenFn | None = None
    on_passages: Callable[[list[Passage]], None] | None = None
    cancel: threading.Event | None = None


def ask(
    question: str,
    *,
    library: Library,
    llm: LLM,
    history: list[Turn] | None = None,
    options: AskOptions = AskOptions(),
    events: AskEvents = AskEvents(),
) -> Answer:
    """Answer `question` from the library, streaming the model's text to `events.on_token`.

    Every sentence is checked after the text has streamed: it stays only when a passage it
    cites entails it (`options.judge`, by default the model itself), and the answer stands only when
    what remains answers the question. Times count from the call, condensing included.

    `events.on_passages` is called once with the selected passages (numbered, best first) as soon as
    they are chosen and before the model is asked, so a front end can show the evidence while
    the model writes; these are the passages the answer reports unless a second look narrows
    them (then another source's account found among the first ones is added to the narrowed
    ones). A follow-up is condensed by the model first: before that, `on_passages` gets what
    the follow-up finds read with the question before it, and it is called again with the
    passages of the condensed question. It is not called when nothing relevant is found: the refusal
    is returned at once then.
    """
    prompts = options.prompts or PromptSet()
    run = _Run(
        llm=llm,
        prompts=prompts,
        judge=options.judge or ModelJudge(llm, prompts, cancel=events.cancel),
        on_token=events.on_token,
        cancel=events.cancel,
    )
    # Passage selection and the citation check embed the same sentences: embed them once per
    # question here; the library's sentence embedder (a cache on disk) keeps them for the next.
    run.embedder = MemoEmbedder(library.sentence_embedder)
    if history and events.on_passages is not None:
        # Condensing a follow-up costs a model call of seconds; meanwhile the user sees what
        # the follow-up finds read with the question before it, replaced once condensed.
        early = _evidence(
            read_with_previous(question, history), library, run.embedder, llm, options.k
        )
        if early.passages and _relevant(early.hits):
            events.on_passages(list(early.passages))
    standalone = condense(question, history or [], llm=llm, prompts=prompts, cancel=events.cancel)
    found = _evidence(standalone, library, run.embedder, llm, options.k)
    hits, texts, passages = found.hits, found.texts, found.passages
    run.sources = texts
    model = ModelInfo(id=llm.model_id, sha256=llm.sha256)
    if not passages or not _relevant(hits):
        return _refusal(
            question, standalone, passages, "no_relevant_passage",
            model=model, prompt_hash=run.system.hash, timings=run.timings(None),
        )  # fmt: skip
    if events.on_passages is not None:
        events.on_passages(list(passages))

    attempt = run.attempt(standalone, passages)
    problem = run.problem(standalone, attempt)
    first_draft = ""
    first_passages = passages
    look = _second_look(standalone, attempt, problem, passages, texts)
    if look is not None:
        closest = _closest_sentences(run, standalone, found, passages, look)
        must_improve = look[1]
        worth_it = closest and [p.text for p in closest] != [p.text for p in passages]
        if worth_it:
            run.say(SECOND_LOOK_NOTE)
            second = run.attempt(standalone, closest)
            second_problem = run.problem(standalone, second)
            better = second_problem is None and not _missing_figures(
                standalone, second, closest, texts
            )
            if second.cancelled or not must_improve or better:
                first_draft = attempt.text
                attempt, problem, passages = second, second_problem, closest
    second_account = None
    if problem is None and not attempt.cancelled:
        found_other = run.second_account(standalone, attempt, probe_pool(passages, first_passages))
        if found_other is not None:
            second_account, other = found_other
            if other not in passages:  # from the first selection: shown with the answer too
                passages = [*passages, other]
    timings = run.timings(attempt.timings)
    prompt_hash = f"{run.system.hash}:{attempt.user_hash}:{run.judge_hash()}"
    if problem is not None:
        return _refusal(
            question, standalone, passages, problem,
            model=model, prompt_hash=prompt_hash, timings=timings,
            draft=attempt.text, first_draft=first_draft, judge_calls=run.judge_calls(),
        )  # fmt: skip
    text = attempt.text if attempt.cancelled else render_answer(attempt.sentences)
    sentences, citations = attempt.sentences, attempt.citations
    if second_account is not None:
        text = f"{text} {DIFFERENT_ACCOUNT} {render_answer(second_account.sentences)}"
        sentences = sentences + second_account.sentences
        known = {c.n for c in citations}
        citations = sorted(
            citations + [c for c in second_account.citations if c.n not in known],
            key=lambda c: c.n,
        )
    return Answer(
        question=question,
        standalone_question=standalone,
        # A cancelled answer is shown as far as it came, unchecked text included.
        answer=text,
        sources_differ=second_account is not None,
        judge_calls=run.judge_calls(),
        draft=attempt.text,
        first_draft=first_draft,
        refused=False,
        sentences=sentences,
        citations=citations,
        passages=passages,
        model=model,
        prompt_hash=prompt_hash,
        timings=timings,
        cancelled=attempt.cancelled,
    )


def _closest_sentences(run, question, found, passages, look) -> list[Passage]:
    """What a second look reads: the closest few sentences, or none when it cannot help.

    After a failed draft the model first copies the phrase of the passages shown that gives
    what is asked (a short call instead of a whole second answer that cannot help; lenient on
    purpose, the second answer is checked in full). No such phrase, no second look; a phrase
    the passages hold word for word points at the sentences that hold it, which a small model
    wandering off a longer context may have passed over although they are not the closest.
    """
    require, must_improve = look
    if not must_improve:
        phrase = run.judge.answering_phrase(question, " ".join(p.text for p in passages))
        if phrase is None:
            return []
        if any(phrase in p.text for p in passages):
            require = [phrase]

    def closest(required):
        return select_passages(
            question,
            found.vector,
            found.hits,
            found.texts,
            run.embedder,
            budget_tokens=SECOND_LOOK_BUDGET_TOKENS,
            count_tokens_many=run.llm.count_tokens_many,
            skip_to_fill=False,
            require=required,
        )

    chosen = closest(require)
    if not chosen and require and not must_improve:
        chosen = closest(None)  # the phrase runs across two sentences: the closest ones
    return chosen


def _second_look(question, attempt, problem, passages, texts):
    """Whether to ask again over only the closest sentences: (required strings, must improve).

    Only when the first draft gave nothing that could be shown, or when it passes the check
    but its evidence lacks a figure the question pins its subject to ("in May 2023") while a
    passage has it: then the sentences with that figure get a second look, kept only if it
    does better.
    """
    if attempt.cancelled:
        return None
    if problem in SECOND_LOOK_PROBLEMS:
        return None, False
    if problem is None:
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


class _Run:
    """What one question's model calls share: the model, prompts, judge and the clock."""

    def __init__(self, *, llm: LLM, prompts: PromptSet, judge: Judge, on_token, cancel) -> None:
        self.llm = llm
        self.prompts = prompts
        self.judge = judge
        self.on_token = on_token
        self.cancel = cancel
        self.embedder = None
        self.sources: dict[str, str] = {}  # source id -> full text, of the sources retrieved
        self.system = prompts.render("answer_system")
        self.started = time.perf_counter()
        self.first_words_at: float | None = None

    def attempt(self, question: str, passages: list[Passage], *, stream: bool = True) -> _Attempt:
        """The model's answer over `passages`, checked; its text goes to `on_token` as it is
        written unless `stream` is False."""
        user = self.prompts.render(
            "answer_user", passages=format_passages(passages), question=question
        )
        pieces: list[str] = []
        completion = self.llm.stream(
            chat_messages(self.system, user),
            max_tokens=MAX_ANSWER_TOKENS,
            cancel=self.cancel,
            markers=[p.n for p in passages],  # a marker can only name a passage shown
        )
        for piece in completion:
            if self.first_words_at is None and piece.strip():
                self.first_words_at = time.perf_counter()
            pieces.append(piece)
            if self.on_token and stream:
                self.on_token(piece)
        text = "".join(pieces).strip()
        # The check runs after the text has streamed; a cancelled answer is not checked, nor
        # is one cancelled while it was being checked (the judgments cut short said NO).
        sentences, citations = (
            ([], [])
            if self.stopped()
            else check_answer(text, passages, self.embedder, self.judge, self.sources)
        )
        cancelled = self.stopped()
        if cancelled:
            sentences, citations = [], []
        return _Attempt(
            text=text,
            sentences=sentences,
            citations=citations,
            timings=completion.timings or Timings(),
            user_hash=user.hash,
            cancelled=cancelled,
        )

    def stopped(self) -> bool:
        return bool(self.cancel is not None and self.cancel.is_set())

    def problem(self, question: str, attempt: _Attempt) -> str | None:
        """Why this attempt cannot be shown as an answer, or None when it can (or was cancelled)."""
        if attempt.cancelled:
            return None
        if is_refusal(attempt.text):
            return "model_refused"
        supported = [s.text for s in attempt.sentences if s.supported]
        if not supported:
            return "unsupported"
        kind = expected_answer(question)
        if kind in KINDS_AN_ANSWER_MUST_HOLD and not answer_values(
            kind, " ".join(supported), question
        ):
            return "does_not_answer"  # asked how many, and no figure is given
        if not self.judge.answers(question, " ".join(supported)):
            # a judgment cut short by a cancel says NO: that is no verdict on the answer
            return None if self.stopped() else "does_not_answer"
        return None

    def second_account(
        self, question: str, attempt: _Attempt, passages
    ) -> tuple[_Attempt, Passage] | None:
        """A checked answer from another source that says something else, if one does, with
        the passage it was written from."""
        candidates = other_accounts(
            question, attempt.sentences, passages, self.embedder, self.judge
        )
        if not candidates:
            return None
        self.say(SECOND_ACCOUNT_NOTE)
        for other in candidates:
            # Not streamed while written: most drafts from another source do not hold up, and
            # a front end that prints the stream (the terminal) would show them as the answer.
            second = self.attempt(question, [other], stream=False)
            if second.cancelled:
                return None
            if self.problem(question, second) is None and differs(
                question, attempt.sentences, second.sentences, self.judge, passages
            ):
                self.say(f"{DIFFERENT_ACCOUNT} {render_answer(second.sentences)}")
                return second, other
        self.say(NO_SECOND_ACCOUNT_NOTE)
        return None

    def say(self, text: str) -> None:
        """A note to whoever follows the stream (a second look, another account...)."""
        if self.on_token:
            self.on_token(text)

    def judge_calls(self) -> int:
        return getattr(self.judge, "calls", 0)

    def timings(self, last: Timings | None) -> Timings:
        """The last model call's figures, with first words and total counted from the question."""
        timings = (last or Timings()).model_copy()
        timings.ttft_s = (
            round(self.first_words_at - self.started, 3) if self.first_words_at else None
        )
        timings.total_s = round(time.perf_counter() - self.started, 3)
        return timings

    def judge_hash(self) -> str:
        describe = getattr(self.judge, "prompt_hash", None)
        return describe() if describe else type(self.judge).__name__


class _Found(BaseModel):
    """What one query finds: its vector, the fused hits, their sources' texts, the passages."""

    model_config = {"arbitrary_types_allowed": True}

    vector: np.ndarray
    hits: list
    texts: dict[str, str]
    passages: list[Passage]


def _evidence(query: str, library: Library, embedder, llm: LLM, k: int) -> _Found:
    vector = embedder.embed([query])[0]
    hits = library.search_with_vector(query, vector, k=k)
    texts = {h.chunk.source_id: library.source_text(h.chunk.source_id) for h in hits}
    passages = select_passages(
        query,
        vector,
        hits,
        texts,
        embedder,
        budget_tokens=PASSAGE_BUDGET_TOKENS,
        count_tokens_many=llm.count_tokens_many,
    )
    return _Found(vector=vector, hits=hits, texts=texts, passages=passages)


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


_CONTROL_TOKEN = re.compile(r"<\|[^|<>]{0,40}\|>")


def format_passages(passages: list[Passage]) -> str:
    """Numbered passages; chat control tokens in a source are removed so it stays data."""
    return "\n".join(
        f"[{p.n}] {' '.join(_CONTROL_TOKEN.sub(' ', p.text).split())}" for p in passages
    )


def _refusal(question: str, standalone: str, passages, reason: str, **fields) -> Answer:
    """The answer "the sources do not say", with why and the nearest passages; `fields` are
    the remaining Answer fields (model, prompt_hash, timings, drafts...)."""
    return Answer(
        question=question,
        standalone_question=standalone,
        answer=REFUSAL,
        refused=True,
        refusal_reason=reason,
        passages=passages[:3],
        **fields,
    )
