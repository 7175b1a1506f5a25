"""The model as judge: does a text entail a claim, does an answer answer its question?

Word overlap and embedding similarity measure whether two texts are about the same topic,
not whether one states the other: "the minister visited A" and "the minister visited B"
overlap almost entirely. The judge asks the model for one word, YES or NO, constrained by a
grammar so it cannot wander, with a short prompt per claim. Where the model can say how
likely each word is (`models.llm.ChoiceScorer`), the judge reads the probability of YES
against NO and a claim is entailed when it reaches `ENTAILMENT_THRESHOLD`. The prompt's
instructions come first and never change, so the model's prompt cache evaluates them once
per session; each judgment pays only for its evidence and claim.

Whether an answer gives what its question asks is asked twice: as a reading task, the model
copies the phrase of the answer that gives it, or says NONE (a phrase that only hands back the
question's own words does not count); then YES/NO as above, on the sentences holding that phrase,
with the phrase named after them.
"""

from __future__ import annotations

import re
import threading
from typing import Protocol

from models.llm import LLM, ChoiceScorer
from prompts import PromptSet, chat_messages
from retrieval.search import content_terms
from retrieval.sentences import sentence_spans

YES_NO_GRAMMAR = 'root ::= "YES" | "NO"'
# The plain pick of the likelier word. A higher threshold trades answers for precision: 0.65,
# the best F1 on the labelled pairs (0.93 / 0.93 against 0.86 / 0.95 here), refused more of
# the unanswerable questions of the eval suites but many more answerable ones
# (bench/results/eval-judge-0.65-2026-12-03.md). The judge cannot tell a right claim it is
# unsure of from a wrong-subject one, so no threshold fixes both; `ModelJudge(threshold=...)`
# keeps the dial.
ENTAILMENT_THRESHOLD = 0.5
# Does an answer give what was asked? Asked for YES/NO, the model finds nearly every topical
# answer to answer; asked to copy the phrase that gives it, it says NONE or copies the
# question's own words for more of the non-answers, but it also copies a figure or a name from
# an answer about another subject, which YES/NO catches. Each misses what the other catches,
# so an answer must pass both (bench/judge_answers.py, bench/results/eval-all-2026-12-04.md).
# The phrase is one line of a few words: a longer reply is not a phrase.
ANSWER_PHRASE_GRAMMAR = r"root ::= [^\n]+"
ANSWER_PHRASE_TOKENS = 24
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def gives_more_than(phrase: str, question: str) -> bool:
    """`phrase` has a content word or a number that `question` lacks: it is not the question's
    own words handed back ("What had Russia moved?" -> "Russia")."""

    def words(text: str) -> set[str]:
        return set(content_terms(text)) | set(_NUMBER.findall(text))

    return bool(words(phrase) - words(question))


def holding_sentences(text: str, phrase: str) -> str:
    """The sentences of `text` that hold `phrase` (case aside), or all of `text` when none
    does. Asked whether a several-sentence answer answers, the model weighs every sentence,
    and one about something else drags a right answer's YES below NO
    (bench/judge_answers.py); read alone, the sentence that holds the answer is judged on
    what it says."""
    text = " ".join(text.split())
    wanted = " ".join(phrase.split()).casefold()
    sentences = [text[start:end] for start, end in sentence_spans(text)]
    holding = [s for s in sentences if wanted in s.casefold()]
    return " ".join(holding) if holding else text


class Judge(Protocol):
    """What the answer check asks of a judge."""

    def entails(self, evidence: str, claim: str) -> bool:
        """`evidence` states everything `claim` says."""
        ...

    def answers(self, question: str, answer: str) -> bool:
        """`answer` gives what `question` asks for, about the subject it names."""
        ...

    def answer_probability(self, question: str, answer: str) -> float:
        """How likely the judge finds it that `answer` gives what `question` asks for: to
        tell which of two answers answers more directly."""
        ...

    def answering_phrase(self, question: str, text: str) -> str | None:
        """The phrase of `text` that may give what `question` asks for, if any (lenient:
        whether and where to read it again)."""
        ...


class ModelJudge:
    """A judge that asks the language model, one constrained word per judgment."""

    def __init__(
        self,
        llm: LLM,
        prompts: PromptSet | None = None,
        cancel: threading.Event | None = None,
        *,
        threshold: float = ENTAILMENT_THRESHOLD,
    ) -> None:
        self.llm = llm
        self.prompts = prompts or PromptSet()
        self.cancel = cancel
        self.threshold = threshold
        self.calls = 0
        # The same judgment is asked again when another account is weighed against the answer.
        self._asked: dict[tuple[str, str, tuple[tuple[str, str], ...]], float] = {}

    def entails(self, evidence: str, claim: str) -> bool:
        return self.entailment_probability(evidence, claim) >= self.threshold

    def entailment_probability(self, evidence: str, claim: str) -> float:
        """How likely the model finds it that `evidence` states `claim` (0 or 1 when the
        model can only pick a word)."""
        return self._yes(
            "judge_entails_system",
            "judge_entails_user",
            evidence=" ".join(evidence.split()),
            claim=" ".join(claim.split()),
        )

    def answers(self, question: str, answer: str) -> bool:
        """The model copies a phrase of `answer` that gives what `question` asks and says more
        than the question, and then finds YES likelier than NO to "does it give what the
        question asks?", read on the sentences that hold the phrase (`holding_sentences`)."""
        phrase = self.answering_phrase(question, answer)
        if phrase is None:
            return False
        held = holding_sentences(answer, phrase)
        return self.phrase_answer_probability(question, held, phrase) >= 0.5

    def answer_probability(self, question: str, answer: str) -> float:
        return self._yes(
            "judge_answers_system",
            "judge_answers_user",
            question=" ".join(question.split()),
            answer=" ".join(answer.split()),
        )

    def phrase_answer_probability(self, question: str, answer: str, phrase: str) -> float:
        """`answer_probability` with the phrase the model read as what answers named after the
        answer ("... (that is: 9 May)"). Unnamed, a right figure inside a long sentence often
        got less YES than NO; named, on the labelled pairs (bench/judge_answers.py), 5 right
        answers were missed instead of 12, and 18 or 19 wrong ones accepted, as before."""
        return self._yes(
            "judge_answers_system",
            "judge_answers_phrase_user",
            question=" ".join(question.split()),
            answer=" ".join(answer.split()),
            phrase=" ".join(phrase.split()),
        )

    def answering_phrase(self, question: str, text: str) -> str | None:
        """The phrase of `text` that gives what `question` asks for, when it says more than
        the question (the model's reading, with no YES/NO verdict): a lenient test, for
        whether another attempt over `text` is worth its time and where to look. What that
        attempt answers is then checked in full (`answers`)."""
        phrase = self.answer_phrase(question, text)
        return phrase if phrase is not None and gives_more_than(phrase, question) else None

    def answer_phrase(self, question: str, answer: str) -> str | None:
        """The shortest phrase of `answer` that gives what `question` asks for (the model's
        reading), or None when the model finds none."""
        if self.cancel is not None and self.cancel.is_set():
            return None
        messages = chat_messages(
            self.prompts.render("judge_phrase_system"),
            self.prompts.render(
                "judge_phrase_user",
                question=" ".join(question.split()),
                answer=" ".join(answer.split()),
            ),
        )
        self.calls += 1
        reply = self.llm.stream(
            messages,
            max_tokens=ANSWER_PHRASE_TOKENS,
            stop=["\n"],
            grammar=ANSWER_PHRASE_GRAMMAR,
            cancel=self.cancel,
        ).text()
        phrase = reply.strip().strip('"').strip()
        return None if not phrase or phrase.upper().startswith("NONE") else phrase

    def _yes(self, system: str, user: str, **values: str) -> float:
        """The probability of YES for one judgment (system and user templates and the user
        template's values), each asked of the model once."""
        if self.cancel is not None and self.cancel.is_set():
            return 0.0  # stopped: ask the model nothing more
        key = (system, user, tuple(sorted(values.items())))
        if key not in self._asked:
            self._asked[key] = self._ask_yes(system, user, **values)
        return self._asked[key]

    def _ask_yes(self, system: str, user: str, **values: str) -> float:
        messages = chat_messages(self.prompts.render(system), self.prompts.render(user, **values))
        self.calls += 1
        if isinstance(self.llm, ChoiceScorer):
            return self.llm.choice_probabilities(messages, ("YES", "NO"), cancel=self.cancel)["YES"]
        reply = self.llm.stream(
            messages, max_tokens=2, grammar=YES_NO_GRAMMAR, cancel=self.cancel
        ).text()
        return 1.0 if reply.strip().upper().startswith("YES") else 0.0

    def prompt_hash(self) -> str:
        """The judge's templates, as one short hash for the answer's provenance."""
        names = ("judge_entails_system", "judge_entails_user")
        names += ("judge_answers_system", "judge_answers_user", "judge_answers_phrase_user")
        names += ("judge_phrase_system", "judge_phrase_user")
        return "+".join(self.prompts.template_hash(n)[:8] for n in names)
