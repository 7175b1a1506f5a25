"""A follow-up question rewritten to stand alone, and checked before it replaces the question.

"What did she say?" means nothing to retrieval; the model rewrites it with what the
conversation names ("What did the union's leader say?"). A small model sometimes rewrites it
wrongly in ways that can be seen without another model call: it fills a pronoun with words of
its prompt's own example (when the conversation had no answer to take a referent from), or it
repeats the earlier question and drops the follow-up's own words. Such a rewrite is not used;
the follow-up is read after the question before it instead, which keeps every word the user
wrote and the referent's description. Words the model adds from what it knows ("the bill" ->
"the housing bill") are left to it: they are often right.
"""

from __future__ import annotations

import re
import threading
from itertools import pairwise

from models.llm import LLM
from prompts import PromptSet
from retrieval.search import content_terms

from .schema import Turn

HISTORY_TURNS = 3
# Words a rewrite is meant to replace by what they refer to: dropping them is its job.
_REFERRING_WORDS = frozenset(
    content_terms(
        "he she it they him her his hers its their theirs them this that these those there "
        "then one ones former latter"
    )
)
# A word that points back before a noun: the whole phrase names the referent ("that company"
# -> "Tessaro Foods", "her agency" -> "the safety agency"), so the noun may go with it.
_POINTING_WORDS = frozenset({"that", "this", "these", "those", "his", "her", "its", "their"})
_WORD = re.compile(r"[\w'’-]+")


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
    conversation = "\n".join(lines)
    prompt = prompts.render("condense", history=conversation, question=question)
    reply = llm.stream(
        [{"role": "user", "content": prompt.text}], max_tokens=60, stop=["\n"], cancel=cancel
    ).text()
    rewritten = reply.strip().strip('"').strip()
    instructions = prompts.render("condense", history="", question="").text
    if rewrite_keeps_to_the_conversation(question, rewritten, conversation, instructions):
        return rewritten
    return read_with_previous(question, history)


def rewrite_keeps_to_the_conversation(
    question: str, rewritten: str, conversation: str, instructions: str
) -> bool:
    """The rewrite keeps every content word of the follow-up but those that refer back, and
    takes no word from the `instructions` (the prompt's own text) that the conversation lacks."""
    if len(rewritten) <= 3:
        return False
    asked, kept = set(content_terms(question)), set(content_terms(rewritten))
    added = kept - asked - set(content_terms(conversation))
    replaceable = _REFERRING_WORDS | _pointed_at(question)
    return (asked - replaceable) <= kept and not added & set(content_terms(instructions))


def _pointed_at(question: str) -> set[str]:
    """The content words right after a word that points back ("company" in "that company")."""
    words = _WORD.findall(question.lower())
    after = [b for a, b in pairwise(words) if a in _POINTING_WORDS]
    return set(content_terms(" ".join(after)))


def read_with_previous(question: str, history: list[Turn]) -> str:
    """The follow-up after the question before it: what retrieval reads when no rewrite is."""
    return f"{history[-1].question} {question}" if history else question
