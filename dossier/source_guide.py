"""The source guide: one short paragraph above a source's key points — what it reports, whom it
quotes, what it stresses — checked like an answer.

The model writes two sentences (what it reports, what it stresses) under a grammar, as a
follow-up turn to the summary of the source's first part: the article is already in the model's
prompt cache, so the guide costs its instruction and reply, not a second reading of the
source. Each sentence is checked like an answer sentence (`dossier.answer_check`: quotes,
numbers and names first, then the judge reads the source sentences closest to it) and a
sentence the source does not entail is dropped, never shown. Whom the source quotes is not
asked of the model: it is read from the source's own attributions (`dossier.quotes`), so it
is exactly what the text says, with the quoting sentences as evidence.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel

from models.llm import LLM, Message
from prompts import PromptSet

from .answer_check import check_answer
from .judge import Judge
from .quotes import find_quotes
from .schema import GuideSentence, Passage, SourceGuide, SourceSpan

PROMPT = "guide"
GUIDE_MAX_TOKENS = 110
GUIDE_WORDS_ASKED = 25
GUIDE_WORDS = 36  # the grammar ends a line at this many words; a line that long was cut: dropped
PASSAGE_SENTENCES = 5  # source sentences per passage the checker weighs
QUOTED_NAMES = 4  # speakers named in the guide; more are counted
# Two numbered lines of words; the model cannot add a third or wander into a list.
GUIDE_GRAMMAR = "\n".join(
    [
        'root ::= "1. " line "\\n" "2. " line "\\n"?',
        f'line ::= word (" " word){{2,{GUIDE_WORDS - 1}}}',
        r"word ::= [^ \n\[\]]+",
    ]
)
_NUMBER = re.compile(r"^\s*\d[.)]\s*")


@dataclass(frozen=True)
class SourceBody:
    """A source's body sentences as the summary reads them, with their embeddings."""

    source_id: str
    text: str
    spans: list[tuple[int, int]]
    vectors: np.ndarray  # one row per span, from `embedder`
    embedder: object
    headline: str | None = None  # the title only when the source states it

    @property
    def sentences(self) -> list[str]:
        return [self.text[a:b] for a, b in self.spans]


class GuideDraft(BaseModel):
    """The model's guide lines, not yet checked, and the seconds they took."""

    lines: list[str] = []
    seconds: float = 0.0


def guide_prompt_hash(prompts: PromptSet | None = None) -> str:
    """The templates the guide and the headline point depend on: the guide's and the judge's."""
    prompts = prompts or PromptSet()
    names = (PROMPT, "judge_entails_system", "judge_entails_user")
    return "+".join(prompts.template_hash(name)[:8] for name in names)


def draft_guide(
    messages: list[Message],
    reply: str,
    llm: LLM,
    prompts: PromptSet | None = None,
    cancel: threading.Event | None = None,
) -> GuideDraft:
    """The model's two guide lines, asked right after it summarised the source's first part
    (`messages`, its `reply`): the same conversation, so its prompt is already cached."""
    if cancel is not None and cancel.is_set():
        return GuideDraft()
    started = time.perf_counter()
    prompts = prompts or PromptSet()
    ask = prompts.render(PROMPT, words=GUIDE_WORDS_ASKED).text
    turn = [
        *messages,
        {"role": "assistant", "content": reply.strip()},
        {"role": "user", "content": ask},
    ]
    text = llm.stream(turn, max_tokens=GUIDE_MAX_TOKENS, cancel=cancel, grammar=GUIDE_GRAMMAR)
    lines = parse_guide(text.text())
    return GuideDraft(lines=lines, seconds=time.perf_counter() - started)


def write_guide(body: SourceBody, draft: GuideDraft, judge: Judge) -> SourceGuide:
    """The guide of one source: the drafted sentences the source entails, and whom it quotes."""
    started = time.perf_counter()
    kept, dropped = check_guide_lines(body, draft.lines, judge)
    quoted = quoted_sentence(body.source_id, body.text)
    if quoted is not None:
        kept.insert(min(1, len(kept)), quoted)
    seconds = draft.seconds + time.perf_counter() - started
    return SourceGuide(sentences=kept, dropped=dropped, seconds=round(seconds, 3))


def parse_guide(reply: str) -> list[str]:
    """The model's lines without their numbers; a line cut at the word limit is left out."""
    lines = []
    for line in reply.splitlines():
        body = _NUMBER.sub("", line).strip()
        if body and len(body.split()) < GUIDE_WORDS:
            lines.append(body)
    return lines


def check_guide_lines(
    body: SourceBody, lines: list[str], judge: Judge
) -> tuple[list[GuideSentence], list[str]]:
    """(the sentences the source entails, with evidence; the text of those it does not)."""
    if not lines or not body.spans:
        return [], list(lines)
    sentences, _ = check_answer(
        "\n".join(lines), _passages(body), body.embedder, judge, {body.source_id: body.text}
    )
    kept, dropped = [], []
    for sentence in sentences:
        if not sentence.supported:
            dropped.append(sentence.text)
            continue
        evidence = [
            SourceSpan(
                source_id=body.source_id, start=e.start, end=e.end, text=body.text[e.start : e.end]
            )
            for e in sentence.evidence
        ]
        kept.append(GuideSentence(text=sentence.text, evidence=evidence))
    return kept, dropped


def quoted_sentence(source_id: str, text: str) -> GuideSentence | None:
    """ "It quotes A, B and C." from the quotations the text attributes, each speaker's first
    quoting sentence as evidence; None when the source attributes no quotation."""
    first: dict[str, SourceSpan] = {}
    for quote in find_quotes(source_id, text):
        if quote.speaker and quote.speaker not in first:
            first[quote.speaker] = quote.sentence
    if not first:
        return None
    names = list(first)
    shown = names[:QUOTED_NAMES]
    more = len(names) - len(shown)
    if more:
        listed = f"{', '.join(shown)} and {more} other{'s' if more > 1 else ''}"
    elif len(shown) > 1:
        listed = f"{', '.join(shown[:-1])} and {shown[-1]}"
    else:
        listed = shown[0]
    return GuideSentence(
        text=f"It quotes {listed}.",
        evidence=[first[name] for name in shown],
        from_attributions=True,
    )


def names_every_speaker(guide: SourceGuide | None, quoted: list[str]) -> bool:
    """The guide's "It quotes …" sentence lists all of `quoted`: a separate list would repeat it."""
    if guide is None or len(quoted) > QUOTED_NAMES:
        return False
    return any(s.from_attributions for s in guide.sentences)


def _passages(body: SourceBody) -> list[Passage]:
    """The body as passages of a few consecutive sentences, for the answer checker."""
    passages = []
    for n, i in enumerate(range(0, len(body.spans), PASSAGE_SENTENCES), start=1):
        group = body.spans[i : i + PASSAGE_SENTENCES]
        start, end = group[0][0], group[-1][1]
        passages.append(
            Passage(n=n, source_id=body.source_id, start=start, end=end, text=body.text[start:end])
        )
    return passages
