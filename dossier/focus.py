"""What a question pins down, read from its wording alone: pure string checks, no model.

Passage selection (`dossier.passages`) reads one more sentence after the best ones when the
question asks for a reason, since news gives the cause after the event. The answer's second
look (`dossier.ask`) wants the figures the question names ("in May 2023") in its evidence.
Whether an answer gives what the question asks for is the judge's business (`dossier.judge`).
"""

from __future__ import annotations

import re

from .citations import NUMBER

_ASKS_REASON = re.compile(
    r"^\s*why\b|\bfor what reasons?\b|\bwhat (?:is|was|are|were) the reasons?\b|"
    r"\bwhat (?:prompted|led to|caused|drove|motivated)\b",
    re.IGNORECASE,
)


def asks_reason(question: str) -> bool:
    """The question asks why something happened."""
    return bool(_ASKS_REASON.search(question))


def numbers_in_question(question: str) -> list[str]:
    """Figures the question pins its subject to ("in May 2023", "the 2 soldiers")."""
    return NUMBER.findall(question)
