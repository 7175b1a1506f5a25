"""A scripted stand-in for the LLM: same protocol as models.llm.LlamaCppLLM, no model."""

from __future__ import annotations

import copy
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence

from dossier.judge import ANSWER_PHRASE_GRAMMAR, YES_NO_GRAMMAR
from dossier.source_guide import GUIDE_GRAMMAR
from models.llm import Completion, Message, Timings

_PIECE = re.compile(r"\s*\S+|\s+$")
_TOKEN = re.compile(r"\w+|[^\w\s]")

Reply = str | Callable[[list[Message]], str]


class ScriptedLLM:
    """Replies from a script (a list used in order, or a function of the messages).

    `stream` yields the reply word by word (whitespace kept, so the pieces join to the reply),
    cuts it at the first `stop` string and after `max_tokens` pieces, honours `cancel`, and
    records every call's messages in `calls` (and its grammar in `grammars`).
    """

    model_id = "scripted"
    sha256 = "0" * 64
    n_ctx = 4096

    def __init__(
        self,
        replies: Sequence[str] | Callable[[list[Message]], str],
        *,
        piece_delay_s: float = 0.0,
        verdict: Callable[[list[Message]], str] | None = None,
        guide: Callable[[list[Message]], str] | None = None,
        phrase: Callable[[list[Message]], str] | None = None,
    ) -> None:
        self._replies = replies if callable(replies) else list(replies)
        # Calls constrained by a YES/NO grammar (the judge's) are answered by `verdict`, apart
        # from the script; by default every judgment is YES. Asked for the phrase of a text
        # that answers a question, the model replies `phrase` (by default it copies the whole
        # text). Other grammars are not enforced.
        self.verdict = verdict or (lambda messages: "YES")
        self.phrase = phrase or self._whole_answer
        # Calls for a source guide (its grammar) are answered by `guide`, apart from the
        # script too; by default the model writes no guide sentence.
        self.guide = guide or (lambda messages: "")
        self._next = 0
        self.piece_delay_s = piece_delay_s  # lets a test cancel from another thread mid-reply
        self.calls: list[list[Message]] = []
        self.grammars: list[str | None] = []  # the grammar of each call, None if unconstrained
        self.markers: list[list[int] | None] = []  # the citation markers each call allowed

    @property
    def scripted_calls(self) -> list[list[Message]]:
        """The calls answered from the script: neither judgments nor source guides."""
        return [
            call
            for call, grammar in zip(self.calls, self.grammars, strict=True)
            if grammar not in (YES_NO_GRAMMAR, ANSWER_PHRASE_GRAMMAR, GUIDE_GRAMMAR)
        ]

    @staticmethod
    def _whole_answer(messages: list[Message]) -> str:
        """The answer text of a does-it-answer phrase prompt ("Text: ...\nQuestion: ...")."""
        return messages[-1]["content"].split("Text: ", 1)[1].split("\nQuestion: ")[0]

    def _reply_for(self, messages: list[Message]) -> str:
        if callable(self._replies):
            return self._replies(messages)
        if self._next >= len(self._replies):
            raise AssertionError(
                f"ScriptedLLM ran out of replies: call {self._next + 1}, "
                f"script has {len(self._replies)}. Last user message: "
                f"{messages[-1].get('content', '')[:200]!r}"
            )
        reply = self._replies[self._next]
        self._next += 1
        return reply

    def count_tokens_many(self, texts: list[str]) -> list[int]:
        return [self.count_tokens(text) for text in texts]

    def count_tokens(self, text: str) -> int:
        """Words and punctuation marks: close enough to a real tokenizer for budgeting."""
        return len(_TOKEN.findall(text))

    def stream(
        self,
        messages: list[Message],
        *,
        max_tokens: int = 512,
        temperature: float = 0.0,
        stop: list[str] | None = None,
        cancel: threading.Event | None = None,
        grammar: str | None = None,
        markers: Sequence[int] | None = None,
    ) -> Completion:
        self.calls.append(copy.deepcopy(messages))
        self.grammars.append(grammar)
        self.markers.append(list(markers) if markers else None)
        if grammar == YES_NO_GRAMMAR:
            reply = self.verdict(messages)
        elif grammar == ANSWER_PHRASE_GRAMMAR:
            reply = self.phrase(messages)
        elif grammar == GUIDE_GRAMMAR:
            reply = self.guide(messages)
        else:
            reply = self._reply_for(messages)
        for marker in stop or ():
            if marker in reply:
                reply = reply[: reply.index(marker)]
        return Completion(lambda done: self._pieces(done, messages, reply, max_tokens, cancel))

    def _pieces(
        self,
        done: Completion,
        messages: list[Message],
        reply: str,
        max_tokens: int,
        cancel: threading.Event | None,
    ) -> Iterator[str]:
        started = time.perf_counter()
        first_at = None
        sent = 0
        cancelled = False
        try:
            for piece in _PIECE.findall(reply)[:max_tokens]:
                if cancel is not None and cancel.is_set():
                    cancelled = True
                    break
                if self.piece_delay_s:
                    time.sleep(self.piece_delay_s)
                if first_at is None:
                    first_at = time.perf_counter()
                sent += 1
                yield piece
        except GeneratorExit:
            cancelled = True
            raise
        finally:
            ended = time.perf_counter()
            done.timings = Timings(
                load_s=0.0,
                prompt_tokens=sum(self.count_tokens(m.get("content", "")) for m in messages),
                cached_prompt_tokens=0,
                ttft_s=(first_at - started) if first_at is not None else None,
                completion_tokens=sent,
                total_s=ended - started,
                tokens_per_s=sent / (ended - started) if ended > started else 0.0,
                cancelled=cancelled,
            )


class WordJudge:
    """A judge without a model: a claim is entailed when the evidence has all its content
    words, and an answer answers when it shares a content word with the question."""

    def __init__(self) -> None:
        self.entailment_calls: list[tuple[str, str]] = []

    def entails(self, evidence: str, claim: str) -> bool:
        from retrieval.search import content_terms

        self.entailment_calls.append((evidence, claim))
        return set(content_terms(claim)) <= set(content_terms(evidence))

    def answers(self, question: str, answer: str) -> bool:
        from retrieval.search import content_terms

        return bool(set(content_terms(question)) & set(content_terms(answer)))

    def answer_probability(self, question: str, answer: str) -> float:
        """The share of the question's content words the answer has."""
        from retrieval.search import content_terms

        asked = set(content_terms(question))
        return len(asked & set(content_terms(answer))) / len(asked) if asked else 0.0

    def answering_phrase(self, question: str, text: str) -> str | None:
        return text if self.answers(question, text) else None


_JUDGED = re.compile(r"Text: (.*)\nClaim: (.*) ->", re.DOTALL)


def judged_pair(messages) -> tuple[str, str]:
    """The (evidence, claim) of an entailment judgment, read back from its rendered prompt."""
    found = _JUDGED.search(messages[-1]["content"])
    assert found, messages[-1]["content"]
    return found.group(1), found.group(2)


def word_verdict(messages) -> str:
    """A scripted model's judgment: YES when the evidence has every content word of the claim."""
    return "YES" if WordJudge().entails(*judged_pair(messages)) else "NO"


def citing_reply(asked: str, needle: str, sentence: str, *, condensed: str | None = None):
    """A scripted model's replies: to a question holding `asked` whose passages include one
    with `needle`, `sentence` citing that passage; to a lone user message (condensing a
    follow-up), `condensed` or the question as it stands; to anything else, the refusal."""
    from prompts import REFUSAL

    def reply(messages: list[Message]) -> str:
        user = messages[-1]["content"]
        if len(messages) == 1:
            return condensed if condensed is not None else user.strip().splitlines()[-1]
        if asked in user and needle in user:
            n = next(
                line[1 : line.index("]")]
                for line in user.splitlines()
                if line.startswith("[") and needle in line
            )
            return f"{sentence} [{n}]."
        return REFUSAL

    return reply


class TopicEmbedder:
    """A bag of content words (stop words out, stems), feature-hashed and L2-normalised: texts
    on one subject get alike vectors and texts on unrelated ones do not, with no model.

    The tests' FakeEmbedder counts every word, so two articles on different stories are alike
    by their "the", "said" and "on"; this one tells stories apart (see bench/stories.py)."""

    name = "fake/topic-bow"
    dim = 512
    # bench/stories.py --topic-embedder: 27 sources of 10 stories are grouped exactly at 0.30.
    story_similarity = 0.30

    def embed(self, texts: list[str]):
        import hashlib

        import numpy as np

        from retrieval.search import content_terms

        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in content_terms(text):
                digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
                out[row, int.from_bytes(digest[:4], "little") % self.dim] += 1.0
            norm = np.linalg.norm(out[row])
            out[row] = out[row] / norm if norm else out[row]
        return out
