"""The labelled (question, checked answer, gives what is asked?) pairs that measure whether the
answer check can tell an answer from a topical non-answer (bench/judge_answers.py).

tests/data/answers_pairs.jsonl holds the supported sentences of real answers and drafts the
check refused (eval runs of the seed development questions, of the invented newsroom suite and
of heldout2, the question as the model was asked it after condensing), each labelled by
reading: true when the answer gives the kind of detail asked for about the subject the question
names, whether or not it is right. These checks need no model.
"""

from __future__ import annotations

import json
import re

import pytest

from tests.conftest import REPO

FIXTURE = REPO / "tests" / "data" / "answers_pairs.jsonl"
OWN_SUITES = {
    "newsroom": REPO / "bench" / "data" / "suite" / "newsroom.jsonl",
    "heldout2": REPO / "bench" / "data" / "heldout2" / "heldout2.jsonl",
}
FIELDS = {"id", "origin", "question", "answer", "label", "note"}


@pytest.fixture(scope="module")
def pairs() -> list[dict]:
    lines = FIXTURE.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def test_the_fixture_loads_with_every_field(pairs):
    assert len(pairs) >= 100
    for pair in pairs:
        assert set(pair) == FIELDS, pair["id"]
        assert isinstance(pair["label"], bool), pair["id"]
        assert pair["question"].strip() and pair["answer"].strip(), pair["id"]


def test_ids_are_unique_and_pairs_are_not_repeated(pairs):
    assert len({pair["id"] for pair in pairs}) == len(pairs)
    assert len({(pair["question"], pair["answer"]) for pair in pairs}) == len(pairs)


def test_both_labels_are_well_represented_and_every_false_one_says_why(pairs):
    false = [pair for pair in pairs if not pair["label"]]
    assert len(false) / len(pairs) >= 0.2
    assert all(pair["note"].strip() for pair in false)


def test_every_origin_is_a_question_of_a_seed_dev_or_own_suite(pairs):
    # The RGB benchmark records (noise, reject, conflict) are CC BY-NC-SA: never copied here.
    own = {
        suite: {json.loads(line)["id"] for line in path.read_text().splitlines() if line}
        for suite, path in OWN_SUITES.items()
    }
    for pair in pairs:
        suite, _, qid = pair["origin"].partition("/")
        assert suite in ("seed_qa_dev", *own), pair["id"]
        assert qid in own[suite] if suite in own else re.fullmatch(r"d\d{2}", qid), pair["id"]
