"""Differences between sources: figures of the same measure only, readable checked labels,
times and one-word wording changes, and the labelled set's precision and recall (no model)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from dossier.differences import find_differences, label_is_grounded, number_differences
from dossier.quantities import figures
from dossier.schema import SourceSpan
from tests.conftest import REPO, FakeEmbedder

SET = REPO / "tests" / "data" / "differences"


class SynonymJudge:
    """A judge without a model: two versions state each other when the changed words are
    listed as synonyms here (the real judge is the model under a YES/NO grammar)."""

    def __init__(self, synonyms: list[tuple[str, str]]) -> None:
        self.synonyms = [set(pair) for pair in synonyms]
        self.calls: list[tuple[str, str]] = []

    def entails(self, evidence: str, claim: str) -> bool:
        self.calls.append((evidence, claim))
        a, b = set(evidence.lower().split()), set(claim.lower().split())
        changed = (a - b) | (b - a)
        return not changed or changed in self.synonyms

    def answers(self, question: str, answer: str) -> bool:
        return True


def spans(*texts: tuple[str, str]) -> list[SourceSpan]:
    return [SourceSpan(source_id=s, start=0, end=len(t), text=t) for s, t in texts]


def differences(sentences, judge=None):
    vectors = FakeEmbedder().embed([s.text for s in sentences])
    return find_differences(sentences, vectors, [], judge=judge)


def test_approximate_figures_that_overlap_are_not_a_difference():
    # GIVEN "about 190 miles" in one source and "more than 180 miles" in another
    sentences = spans(
        ("a", "The Kestrel drone has a range of about 190 miles, its maker said."),
        ("b", "The Kestrel drone has a range of more than 180 miles, its maker said."),
    )
    # WHEN differences are found
    found = differences(sentences)
    # THEN none: both can be true
    assert found == []


def test_same_measure_in_other_units_is_not_a_difference():
    # GIVEN 306 kilometres against 190 miles for the same range
    sentences = spans(
        ("a", "The Kestrel drone has a range of 306 kilometres, its maker said."),
        ("b", "The Kestrel drone has a range of 190 miles, its maker said."),
    )
    # WHEN / THEN no difference after unit conversion
    assert differences(sentences) == []


def test_a_different_figure_for_the_same_thing_gets_a_readable_checked_label():
    # GIVEN two sources giving different ranges for the same drone
    sentences = spans(
        ("a", "The Kestrel drone has a range of 190 miles, its maker said."),
        ("b", "The Kestrel drone has a range of 150 miles, its maker said."),
    )
    # WHEN differences are found
    found = differences(sentences)
    # THEN one figure difference, labelled with the measure words and each side's figure
    assert len(found) == 1
    d = found[0]
    assert d.kind == "number"
    assert d.topic.startswith("Distance — ") and "range" in d.topic
    assert [s.value for s in d.sides] == ["190 miles", "150 miles"]
    assert label_is_grounded(d)


def test_figures_of_different_things_are_not_compared():
    # GIVEN one source's range of one drone and another source's range of another drone
    sentences = spans(
        ("a", "The Kestrel drone has a range of 190 miles, while the Osprey covers 40 miles."),
        ("b", "The Osprey drone has a range of 60 miles, while the Kestrel covers 190 miles."),
    )
    # WHEN differences are found
    vectors = FakeEmbedder().embed([s.text for s in sentences])
    sims = np.where(np.eye(2, dtype=bool), -1.0, vectors @ vectors.T)
    # THEN the Osprey's 40 vs 60 may be found, never 190 against either
    for d in number_differences(sentences, sims):
        assert "190 miles" not in [s.value for s in d.sides]


def test_a_clock_time_one_minute_apart_is_a_difference_and_an_overlapping_one_is_not():
    # GIVEN the same event at 1:28 and 1:29 a.m., and "shortly after 2" vs "around 2:10"
    sentences = spans(
        ("a", "The barge lost steering at 1:28 a.m. near the lock, the harbour office said."),
        ("b", "The barge lost steering at 1:29 a.m. near the lock, the harbour office said."),
        ("a", "Tugs reached the barge shortly after 2 a.m. near the lock."),
        ("b", "Tugs reached the barge around 2:10 a.m. near the lock."),
    )
    # WHEN differences are found
    found = differences(sentences)
    # THEN only the minute apart
    assert [[s.value for s in d.sides] for d in found] == [["1:28 a.m.", "1:29 a.m."]]
    assert found[0].topic.startswith("Time")


def test_a_changed_key_word_is_a_difference_and_a_synonym_is_not():
    # GIVEN the same event told with "lost power" / "lost propulsion", and "hit" / "struck"
    sentences = spans(
        ("a", "The barge lost power near the northern lock on Friday night."),
        ("b", "The barge lost propulsion near the northern lock on Friday night."),
        ("a", "Later the barge hit a moored yacht in the outer basin."),
        ("b", "Later the barge struck a moored yacht in the outer basin."),
    )
    judge = SynonymJudge([("hit", "struck")])
    # WHEN differences are found with a judge
    found = differences(sentences, judge)
    # THEN the changed fact is shown, with both phrases and a sentence as its label
    assert len(found) == 1
    d = found[0]
    assert d.kind == "stance"
    assert [s.value for s in d.sides] == ["lost power", "lost propulsion"]
    assert "power / propulsion" in d.topic
    # AND without a judge a changed word is not shown (it could be a synonym)
    assert differences(sentences) == []


def test_figures_read_qualifiers_units_and_word_numbers():
    # GIVEN figures written in several ways
    found = figures("Nearly 300 trains, three boats, 88 degrees Fahrenheit and 12-inch pipes.")
    # WHEN read / THEN each becomes a range in its family's base unit
    by_family = {f.family: f for f in found}
    assert (
        by_family["count:train"].low == pytest.approx(270) and by_family["count:train"].high == 300
    )
    assert by_family["count:boat"].low == 3
    assert by_family["temperature"].low == pytest.approx(31.1, abs=0.1)
    assert by_family["distance"].low == pytest.approx(0.0003048)


def test_labelled_set_precision_and_recall_without_a_model():
    # GIVEN the labelled set of invented stories (figures and times need no model)
    import sys

    sys.path.insert(0, str(REPO / "bench"))
    from differences import load_story_sentences, score

    labels = [json.loads(line) for line in (SET / "labels.jsonl").read_text().splitlines()]
    assert len(labels) >= 30 and sum(lab["real"] for lab in labels) >= len(labels) // 2 - 1
    # WHEN every story is compared with bag-of-words vectors and a synonym-only judge
    judge = SynonymJudge([])
    found = []
    for sentences, _ in load_story_sentences(SET).values():
        found += differences(sentences, judge)
    result = score(found, labels)
    # THEN what is reported is real, and most real differences are reported
    assert result["precision"] >= 0.9, result["false_positives"]
    assert result["recall"] >= 0.7, result["missed"]
