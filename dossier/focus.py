"""What a question pins down, read from its wording alone: pure string checks, no model.

Passage selection (`dossier.passages`) reads one more sentence after the best ones when the
question asks for a reason, since news gives the cause after the event, and prefers sentences
holding the kind of answer the question asks for (a figure, a date, a name): the classic
answer-type cue of question answering, read from the question word. The answer's second
look (`dossier.ask`) wants the figures the question names ("in May 2023") in its evidence.
Whether an answer gives what the question asks for is the judge's business (`dossier.judge`).
"""

from __future__ import annotations

import calendar
import re
from typing import Literal

from .citations import NUMBER
from .quantities import NUMBER_WORDS, SCALE_WORDS
from .timeline import DAY_OF_MONTH, month_number

AnswerKind = Literal["figure", "date", "name"]

_ASKS_REASON = re.compile(
    r"^\s*why\b|\bfor what reasons?\b|\bwhat (?:is|was|are|were) the reasons?\b|"
    r"\bwhat (?:prompted|led to|caused|drove|motivated)\b",
    re.IGNORECASE,
)


def asks_reason(question: str) -> bool:
    """The question asks why something happened."""
    return bool(_ASKS_REASON.search(last_question(question)))


def last_question(text: str) -> str:
    """What a text of several questions asks last: a follow-up read after the question before
    it ("Who leads the union? How many members does it have?") asks the second."""
    asked = [part.strip() for part in text.split("?") if part.strip()]
    return asked[-1] if asked else text


def numbers_in_question(question: str) -> list[str]:
    """Figures the question pins its subject to ("in May 2023", "the 2 soldiers")."""
    return NUMBER.findall(question)


_ASKS_FIGURE = re.compile(
    r"^\s*(?:how (?:many|much|long|far|high|big|large|old|often|fast|deep|wide|tall|full)\b|"
    r"what (?:percentage|share|proportion|number|amount|level|price|figure|sum|rate)\b)",
    re.IGNORECASE,
)
_ASKS_DATE = re.compile(
    r"^\s*(?:when\b|(?:on|in|by|since) what (?:date|day|year|month)\b|"
    r"(?:what|which) (?:date|day|time|year|month)\b)",
    re.IGNORECASE,
)
# "Which city...", "which outlet...": a choice among named things (dates are caught first).
_ASKS_NAME = re.compile(
    r"^\s*(?:who|whom|where|which)\b|^\s*what (?:is|was|are|were) the names?\b", re.IGNORECASE
)
# A figure in words: "seventeen", "thirty-seven" (one value), "two hundred", "dozens", "half".
_NUMBER_WORDS = re.compile(
    r"\b(?:"
    + "|".join([*NUMBER_WORDS, *(f"{scale}s?" for scale in SCALE_WORDS), "half", "double", "twice"])
    + r")\b",
    re.IGNORECASE,
)
_CALENDAR = re.compile(
    r"\b(?:"
    + "|".join([*calendar.month_name[1:], *calendar.day_name])
    + r"|yesterday|today|tomorrow|tonight)\b|\b\d{4}\b|\b\d{1,2}:\d\d\b"
)
_CAPITALISED = re.compile(r"(?<=[\w,;:] )[A-Z][\w'’-]+")
_SENTENCE_OPENING = re.compile(r"(?:^|(?<=[.!?] ))[A-Z][\w'’-]+")


def expected_answer(question: str) -> AnswerKind | None:
    """The kind of answer the question word asks for: a figure ("how many", "what share"),
    a date ("when"), a name ("who", "where"); None when the wording does not say. Of several
    questions, the last one's."""
    question = last_question(question)
    if _ASKS_FIGURE.search(question):
        return "figure"
    if _ASKS_DATE.search(question):
        return "date"
    if _ASKS_NAME.search(question):
        return "name"
    return None


def holds_answer_kind(kind: AnswerKind, sentence: str, question: str) -> bool:
    """`sentence` holds something of that kind: a figure, a date or time, or a name the
    question does not already give (a capitalised word inside the sentence)."""
    return bool(answer_values(kind, sentence, question))


def answer_values(
    kind: AnswerKind, text: str, question: str, *, witness: str | None = None
) -> set[str]:
    """The values of that kind in `text` that the question does not already give, lower-case:
    figures (digits or number words), dates ("24 january", "friday", "2019") and times, or
    capitalised words inside sentences. With a `witness` text, a name may also open a sentence
    ("Lisbon hosted..."): a word the witness capitalises inside a sentence is a name there too,
    where an opening capital alone does not tell a name from "The"."""
    if kind == "figure":
        found = [n.replace(",", "") for n in NUMBER.findall(text)] + _NUMBER_WORDS.findall(text)
    elif kind == "date":
        # A day of a month, either order, is one value ("24 january"), so that two days of
        # the same month are two values, not one "january".
        found = [
            f"{int(m['d1'] or m['d2'])} {calendar.month_name[month_number(m['m1'] or m['m2'])]}"
            for m in DAY_OF_MONTH.finditer(text)
        ]
        found += _CALENDAR.findall(DAY_OF_MONTH.sub(" ", text))
    else:  # a month or a weekday is a date, not a name
        found = [w for w in _CAPITALISED.findall(text) if not _CALENDAR.fullmatch(w)]
        if witness is not None:
            inside = set(_CAPITALISED.findall(witness))
            found += [w for w in _SENTENCE_OPENING.findall(text) if w in inside]
    asked = {w.lower().replace(",", "") for w in re.findall(r"[\w.,'’-]+", question)}
    asked |= {w.lower() for w in re.findall(r"[\w'’-]+", question)}
    return {v.lower() for v in found if not set(v.lower().split()) <= asked}
