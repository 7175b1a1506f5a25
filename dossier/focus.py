"""Does an answer give what the question asks for? Checks that need no model.

A small model handed passages about the right subject but without the asked-for detail tends
to answer with whatever the passages do say (asked for a price, it gives the range). Each
sentence is then supported, yet the question is not answered. Two cheap signals catch most of
these: a name in the question that no passage mentions, and an answer of the wrong kind
(a question about a price whose answer holds no amount of money).
"""

from __future__ import annotations

import re
from enum import StrEnum

from retrieval.search import content_terms

from .citations import CURRENCY_SYMBOLS, CURRENCY_WORDS, NUMBER


class AnswerKind(StrEnum):
    MONEY = "money"
    NUMBER = "number"
    DATE = "date"


# Asking for an amount, not asking about a topic: "What did she say about prices?" is not.
_ASKS_MONEY = re.compile(
    r"\bwhat (?:is|was|are|were|will be|would be) the (?:[\w-]+ ){0,2}"
    r"(?:price|cost|fee|salary|wage|value|budget)s?\b|"
    r"\bhow much (?:money|did|does|do|will|would|is|was|are|were)\b.{0,80}?"
    r"\b(?:cost|pay|paid|spend|spent|earn|raise|charge|worth)\b|"
    r"\bat what (?:price|cost)\b|"
    r"\bwhat (?:did|does|do|will|would) .{1,60}? cost\b",
    re.IGNORECASE,
)
# Only phrasings whose answer is a count or a share; "how long" or "how far" are often
# answered in words ("since the spring", "as far as Moscow").
_ASKS_NUMBER = re.compile(
    r"\b(how many|how old|what (?:percentage|proportion|fraction|number)|the number of)\b",
    re.IGNORECASE,
)
_ASKS_DATE = re.compile(
    r"\b(?:what|which|until what|since what|by what|on what) (?:date|day|year|month)\b",
    re.IGNORECASE,
)

_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
_WEEKDAYS = "monday|tuesday|wednesday|thursday|friday|saturday|sunday"
_HAS_MONEY = re.compile(rf"[{CURRENCY_SYMBOLS}]|\b(?:{CURRENCY_WORDS})\b", re.IGNORECASE)
_NUMBER_WORDS = (
    "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|"
    "fifty|hundreds?|thousands?|millions?|billions?|trillions?|dozens?|half|quarter|"
    "percent|single|double|twice|triple"
)
_HAS_NUMBER = re.compile(rf"\d|\b(?:{_NUMBER_WORDS})\b", re.IGNORECASE)
_HAS_DATE = re.compile(
    rf"\b(?:{_MONTHS}|{_WEEKDAYS}|yesterday|today|tomorrow|tonight|ago|"
    r"(?:last|next|this|that|the same|the following|the previous) "
    r"(?:week|month|year|day|weekend|morning|evening|night)|"
    r"(?:1[89]|20)\d\d)\b",
    re.IGNORECASE,
)
_FINDERS = {
    AnswerKind.MONEY: _HAS_MONEY,
    AnswerKind.NUMBER: _HAS_NUMBER,
    AnswerKind.DATE: _HAS_DATE,
}


def expected_kind(question: str) -> AnswerKind | None:
    """The kind of detail the question explicitly asks for, if it is one a pattern can see.

    "When" questions are left out on purpose: news often answers them with another event
    ("after the visit"), which is a fine answer with no date in it.
    """
    if _ASKS_MONEY.search(question):
        return AnswerKind.MONEY
    if _ASKS_DATE.search(question):
        return AnswerKind.DATE
    if _ASKS_NUMBER.search(question):
        return AnswerKind.NUMBER
    return None


def gives_kind(text: str, kind: AnswerKind) -> bool:
    return bool(_FINDERS[kind].search(text))


def wrong_kind(question: str, answer_sentences: list[str]) -> AnswerKind | None:
    """The kind the question asks for when none of the answer's sentences gives one."""
    kind = expected_kind(question)
    if kind is None or any(gives_kind(s, kind) for s in answer_sentences):
        return None
    return kind


def unmentioned_names(question: str, passage_texts: list[str]) -> list[str]:
    """Names in the question (capitalised words after the first) that no passage mentions.

    A question about someone or something the passages never name cannot be answered from
    them, however fluent the model's reply.
    """
    shown = set(content_terms(" ".join(t.replace(".", "") for t in passage_texts)))
    words = re.findall(r"\b[A-Z][\w.'’-]*", question.replace("’s", "").replace("'s", ""))[1:]
    missing = []
    for word in words:
        terms = content_terms(word.replace(".", ""))
        if terms and not set(terms) & shown:
            missing.append(word)
    return missing


_YES_NO = re.compile(
    r"^\s*(?:did|does|do|is|are|was|were|will|would|can|could|has|have|had|should|may|might)\b",
    re.IGNORECASE,
)


def adds_nothing(question: str, answer_sentences: list[str]) -> bool:
    """The answer only restates the question ("Who will succeed X?" → "X will succeed X").

    Yes/no questions are exempt: "Did she resign?" is fairly answered by "She resigned."
    """
    if _YES_NO.match(question) or not answer_sentences:
        return False
    asked = set(content_terms(question))
    said = set(content_terms(" ".join(answer_sentences)))
    return not (said - asked)


_ASKS_REASON = re.compile(
    r"^\s*why\b|\bfor what reasons?\b|\bwhat (?:is|was|are|were) the reasons?\b|"
    r"\bwhat (?:prompted|led to|caused|drove|motivated)\b",
    re.IGNORECASE,
)


def asks_reason(question: str) -> bool:
    return bool(_ASKS_REASON.search(question))


def shares_terms(question: str, sentences: list[str]) -> bool:
    """Some sentence has a content word of the question."""
    asked = set(content_terms(question))
    return any(asked & set(content_terms(s)) for s in sentences)


def numbers_in_question(question: str) -> list[str]:
    """Figures the question pins its subject to ("in May 2023", "the 2 soldiers")."""
    return NUMBER.findall(question)
