"""Sources that disagree: find a passage that answers the question differently.

A small model shown two passages that give different values for the same thing (a count, a
date, a winner) usually reports one of them. When the question asks for such a value, after
the answer has been checked, the passages of sources the answer does not cite that give
another value of that kind are ordered (`probe_order`); each of the likeliest that does not
state what the answer says is asked again alone (`other_accounts`). A checked second account
is shown beside the first, each with its own citations, when it gives a value the first
lacks, the first does not state it, and it answers the question about as directly as the
first (`differs`).

Whether a passage answers the question is judged on the answer the model writes from it, not
on the passage: the judge reads a raw passage poorly as an answer, even one giving the true
value, and finds nearly any answer written from a topical passage to answer. Weighing the
second account against the first tells a rival value of the same thing ("55 people were hurt",
against "40 people") from a value of something near it (who held the office before, the date
of a neighbouring event), which answers less directly than the answer it would contradict.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from retrieval.sentences import sentence_spans

from .citations import NUMBER
from .focus import answer_values, expected_answer, numbers_in_question
from .judge import Judge
from .quantities import Figure, figures
from .schema import AnswerSentence, Passage

DIFFERENT_ACCOUNT = "The sources differ."
PROBED_PASSAGES = 2  # each costs a judgment on every answer, and a draft if it disagrees
# Two rival answers to one question, worded alike, differ in the judge's probability that
# they answer it by up to about a tenth; a value of something near what was asked answered
# 0.18-0.33 less than the answer it would contradict, over all suites of run26
# (bench/results/eval-second-accounts-2026-12-05.md).
ANSWERS_AS_DIRECTLY = 0.1
CLOSEST_SENTENCES = 2


def supported_text(sentences: list[AnswerSentence]) -> str:
    return " ".join(s.text for s in sentences if s.supported)


def cited_sources(sentences: list[AnswerSentence], passages: list[Passage]) -> set[str]:
    by_n = {p.n: p for p in passages}
    return {by_n[n].source_id for s in sentences if s.supported for n in s.citations if n in by_n}


def closest_sentences(passage: Passage, text: str, embedder, count: int = CLOSEST_SENTENCES) -> str:
    """The sentences of `passage` closest in meaning to `text`, in reading order."""
    spans = sentence_spans(passage.text) or [(0, len(passage.text))]
    pieces = [passage.text[a:b].strip() for a, b in spans]
    if len(pieces) <= count:
        return " ".join(pieces)
    vectors = embedder.embed([text, *pieces])
    order = np.argsort(-(vectors[1:] @ vectors[0]))[:count]
    return " ".join(pieces[i] for i in sorted(order.tolist()))


def probe_pool(passages: list[Passage], earlier: list[Passage]) -> list[Passage]:
    """The passages to look for another account in: those the answer was written from, then,
    when a second look narrowed them, the stretches of the first selection they do not
    overlap, numbered after them (a source that disagrees may be among those only)."""
    pool = list(passages)
    n = max((p.n for p in passages), default=0)
    for p in earlier:
        if any(q.source_id == p.source_id and q.start < p.end and p.start < q.end for q in pool):
            continue
        n += 1
        pool.append(p.model_copy(update={"n": n}))
    return pool


def other_accounts(
    question: str,
    sentences: list[AnswerSentence],
    passages: list[Passage],
    embedder,
    judge: Judge,
) -> list[Passage]:
    """Shown passages, from sources the answer does not cite, that may give another account:
    of the likeliest (`probe_order`, at most `PROBED_PASSAGES`), those whose sentences closest
    to the question do not state what the answer says. Empty when there are none."""
    answer = supported_text(sentences)
    cited = cited_sources(sentences, passages)
    if not answer or not cited or expected_answer(question) is None:
        return []  # sources "differ" on values: a question that asks for none has no sides
    return [
        passage
        for passage in probe_order(question, answer, passages, cited, embedder)[:PROBED_PASSAGES]
        if not judge.entails(closest_sentences(passage, question, embedder), answer)
    ]


def probe_order(
    question: str, answer: str, passages: list[Passage], cited: set[str], embedder
) -> list[Passage]:
    """The uncited sources' passages worth probing for another account, likeliest first.

    A source that disagrees usually says the same thing with another value ("the bridge cost
    45 million" against "40 million"). When the question asks for a kind of value (a figure,
    a date, a name), only passages whose sentences closest to the question give one the
    answer lacks can answer it otherwise: those reading most like the answer go first, and
    one holding every value the answer gives (it restates it) goes last, and before it one
    giving another figure where the question names one (another year's final); before
    likeness, one giving another figure of the same measure as the answer's (`other_figure`)
    goes first.
    When no passage gives another value, the most relevant one is the one probe.
    """
    others = [p for p in sorted(passages, key=lambda p: -p.relevance) if p.source_id not in cited]
    kind = expected_answer(question)
    if kind is None or not others:
        return []
    mine = answer_values(kind, answer, question, witness=" ".join(p.text for p in passages))
    closest = {p.n: closest_sentences(p, question, embedder) for p in others}
    vectors = embedder.embed([answer, *(closest_sentences(p, answer, embedder) for p in others)])
    likeness = {p.n: float(v @ vectors[0]) for p, v in zip(others, vectors[1:], strict=True)}

    def restates(p: Passage) -> bool:
        return bool(mine) and all(value in p.text.lower() for value in mine)

    # The question pins what it asks about to figures ("the 2019 final", "on 3 May"): a
    # passage giving another figure of that form in their place ("the 2018 final") is about
    # another one; a passage with no such figure may still be about the same one.
    pinned = numbers_in_question(question)

    def off_the_question(p: Passage) -> bool:
        given = set(NUMBER.findall(p.text))
        return any(
            n not in given and any(len(g) == len(n) and g.isdigit() for g in given) for n in pinned
        )

    giving_another = [p for p in others if answer_values(kind, closest[p.n], question) - mine]
    stated = figures(answer)
    ordered = sorted(
        giving_another,
        key=lambda p: (
            restates(p),
            off_the_question(p),
            not other_figure(stated, closest[p.n]),
            -likeness[p.n],
        ),
    )
    return ordered or others[:1]


def other_figure(stated: list[Figure], text: str) -> bool:
    """`text` gives a figure of the same measure as one of `stated` (a share, a sum of euros, a
    count of ships, a distance) that cannot be the same value: another account of the same
    quantity, where a figure of any other measure is only another fact."""
    return any(
        theirs.family == mine.family and not theirs.agrees_with(mine)
        for theirs in figures(text)
        for mine in stated
    )


def differs(
    question: str,
    first: list[AnswerSentence],
    second: list[AnswerSentence],
    judge: Judge,
    passages: Sequence[Passage] = (),
) -> bool:
    """The second checked account gives a value of the kind asked for that the first does
    not, the first does not state it, and it answers the question about as directly (by the
    judge's probability, within `ANSWERS_AS_DIRECTLY`). `passages` are those both were
    written from: a word they capitalise inside a sentence is a name where an account opens
    with it too."""
    kind = expected_answer(question)
    theirs, mine = supported_text(second), supported_text(first)
    if kind is None or not theirs:
        return False
    witness = " ".join(p.text for p in passages)
    their_values = answer_values(kind, theirs, question, witness=witness)
    if not their_values - answer_values(kind, mine, question, witness=witness):
        return False
    directness = judge.answer_probability(question, theirs) - judge.answer_probability(
        question, mine
    )
    if directness < -ANSWERS_AS_DIRECTLY:
        return False
    return not judge.entails(mine, theirs)
