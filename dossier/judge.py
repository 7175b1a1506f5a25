"""The model as judge: does a text entail a claim, does an answer answer its question?

Word overlap and embedding similarity measure whether two texts are about the same topic,
not whether one states the other: "the minister visited A" and "the minister visited B"
overlap almost entirely. The judge asks the model for one word, YES or NO, constrained by a
grammar so it cannot wander, with a short prompt per claim. The prompt's instructions come
first and never change, so the model's prompt cache evaluates them once per session; each
judgment pays only for its evidence and claim.
"""

from __future__ import annotations

import threading
from typing import Protocol

from models.llm import LLM
from prompts import PromptSet, chat_messages

YES_NO_GRAMMAR = 'root ::= "YES" | "NO"'


class Judge(Protocol):
    """What the answer check asks of a judge."""

    def entails(self, evidence: str, claim: str) -> bool:
        """`evidence` states everything `claim` says."""
        ...

    def answers(self, question: str, answer: str) -> bool:
        """`answer` gives what `question` asks for, about the subject it names."""
        ...


class ModelJudge:
    """A judge that asks the language model, one constrained word per judgment."""

    def __init__(
        self,
        llm: LLM,
        prompts: PromptSet | None = None,
        cancel: threading.Event | None = None,
    ) -> None:
        self.llm = llm
        self.prompts = prompts or PromptSet()
        self.cancel = cancel
        self.calls = 0

    def entails(self, evidence: str, claim: str) -> bool:
        return self._yes(
            "judge_entails", evidence=" ".join(evidence.split()), claim=" ".join(claim.split())
        )

    def answers(self, question: str, answer: str) -> bool:
        return self._yes(
            "judge_answers", question=" ".join(question.split()), answer=" ".join(answer.split())
        )

    def _yes(self, name: str, **values: str) -> bool:
        if self.cancel is not None and self.cancel.is_set():
            return False  # stopped: ask the model nothing more
        system = self.prompts.render(f"{name}_system")
        user = self.prompts.render(f"{name}_user", **values)
        self.calls += 1
        reply = self.llm.stream(
            chat_messages(system, user),
            max_tokens=2,
            grammar=YES_NO_GRAMMAR,
            cancel=self.cancel,
        ).text()
        return reply.strip().upper().startswith("YES")

    def prompt_hash(self) -> str:
        """The judge's templates, as one short hash for the answer's provenance."""
        names = ("judge_entails_system", "judge_entails_user")
        names += ("judge_answers_system", "judge_answers_user")
        return "+".join(self.prompts.template_hash(n)[:8] for n in names)
