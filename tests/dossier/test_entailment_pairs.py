"""The labelled (answer sentence, passage, entailed?) pairs that measure the answer checker.

tests/data/entailment_pairs.jsonl holds real answer sentences of the model (from eval runs
of the seed development questions, of the invented newsroom suite and of heldout2, a
development suite since heldout3 was written), each with a passage
it was shown and a label read by hand: true only when the passage, with its source's first
line, states everything the sentence says. These checks need no model: the fixture is whole,
its passages are the sources' own words, it draws on no benchmark data it may not copy, and
the cheap number filter never contradicts a true label.
"""

from __future__ import annotations

import json
import re

import pytest

from dossier.citations import numbers_in
from tests.conftest import REPO, SEEDS

FIXTURE = REPO / "tests" / "data" / "entailment_pairs.jsonl"
SUITE = REPO / "bench" / "data" / "suite"
OWN_QUESTIONS = SUITE / "newsroom.jsonl"
HELDOUT2 = REPO / "bench" / "data" / "heldout2"
# The seed development questions live beside the repository (bench/_common.DEV_QUESTIONS).
DEV_QUESTIONS = REPO.parent / "shared" / "eval" / "seed_qa_dev.jsonl"
CORPORA = {
    "seed_qa_dev": SEEDS,
    "newsroom_half": SUITE / "newsroom",
    "heldout2": HELDOUT2 / "heldout2",
}
FIELDS = {"id", "origin", "question", "claim", "source_id", "passage", "label", "note"}
MARKER = re.compile(r"\[\d{1,3}(?:\s*[,;]\s*\d{1,3})*\]")


def _questions(path) -> dict[str, str]:
    rows = (json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line)
    return {row["id"]: row["question"] for row in rows}


@pytest.fixture(scope="module")
def pairs() -> list[dict]:
    lines = FIXTURE.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def test_the_fixture_loads_with_every_field(pairs):
    assert len(pairs) >= 200
    for pair in pairs:
        assert set(pair) == FIELDS, pair["id"]
        assert isinstance(pair["label"], bool), pair["id"]
        assert pair["claim"].strip() and pair["passage"].strip(), pair["id"]
        assert not MARKER.search(pair["claim"]), pair["id"]


def test_ids_are_unique_and_pairs_are_not_repeated(pairs):
    ids = [pair["id"] for pair in pairs]
    assert len(ids) == len(set(ids))
    keys = [(pair["claim"], pair["passage"]) for pair in pairs]
    assert len(keys) == len(set(keys))


def test_at_least_three_in_ten_pairs_are_not_entailed(pairs):
    false = sum(not pair["label"] for pair in pairs)
    assert false / len(pairs) >= 0.30


def test_every_false_label_says_what_is_missing(pairs):
    assert all(pair["note"].strip() for pair in pairs if not pair["label"])


def test_every_passage_is_verbatim_in_its_source(pairs):
    for pair in pairs:
        suite = pair["origin"].split("/", 1)[0]
        source = CORPORA[suite] / f"{pair['source_id']}.txt"
        assert source.is_file(), pair["id"]
        assert pair["passage"] in source.read_text(encoding="utf-8"), pair["id"]


def test_every_origin_is_a_question_of_a_seed_dev_or_own_suite(pairs):
    # The RGB benchmark records (noise, reject, conflict) are CC BY-NC-SA: never copied here.
    own = {
        "newsroom_half": _questions(OWN_QUESTIONS),
        "heldout2": _questions(HELDOUT2 / "heldout2.jsonl"),
    }
    dev = _questions(DEV_QUESTIONS) if DEV_QUESTIONS.is_file() else None
    for pair in pairs:
        suite, _, qid = pair["origin"].partition("/")
        assert suite in CORPORA, pair["id"]
        if suite in own:
            assert own[suite].get(qid) == pair["question"], pair["id"]
        else:
            assert re.fullmatch(r"d\d{2}", qid), pair["id"]
            if dev is not None:
                assert dev.get(qid) == pair["question"], pair["id"]


def test_both_corpora_are_represented(pairs):
    suites = [pair["origin"].split("/", 1)[0] for pair in pairs]
    assert suites.count("seed_qa_dev") >= 60
    assert suites.count("newsroom_half") >= 100


def test_a_true_pair_never_has_a_number_its_passage_lacks(pairs):
    # The cheap filter of the answer check rejects such a sentence before the judge reads it:
    # it must never reject a sentence the passage does entail.
    for pair in pairs:
        if pair["label"]:
            assert numbers_in(pair["claim"]) <= numbers_in(pair["passage"]), pair["id"]
