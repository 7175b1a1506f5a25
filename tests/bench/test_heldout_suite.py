"""Integrity of the held-out suite in bench/data/heldout (no model, no library).

The suite is hand-written and never used for tuning: these checks only make sure an edit of an
article or a question cannot leave a question pointing at a missing source or a missing fact.
"""

from __future__ import annotations

import re

import pytest

from dossier.evaluate import EvalQuestion, load_questions
from tests.bench.suites import in_some_source, normalised, one_source_states_all, read_articles
from tests.conftest import REPO

SUITE = REPO / "bench" / "data" / "heldout"
QUESTIONS = SUITE / "heldout.jsonl"
CORPUS = SUITE / "heldout"

# Question kinds by id range (inclusive): ordinary, unanswerable, alias, conflict, follow-up.
KINDS = {
    "ordinary": range(1, 17),
    "unanswerable": range(17, 25),
    "alias": range(25, 31),
    "conflict": range(31, 35),
    "followup": range(35, 41),
}

# History questions that are not themselves a question of the suite: where they are answered.
HISTORY_ANSWERS = {
    "Who is the chief investigator at the Urban Rail Safety Authority?": ("tram_01", "Drobek"),
    "Who speaks for the opposition on transport in Kelvany?": ("tram_02", "Benedek Auer"),
    "Which company built the Series 90 trams?": ("tram_03", "Strand & Kovac"),
    "Who runs the Almadia Future Fund?": ("club_01", "Nadir Esfandi"),
    "Who is Brackwater Albion's head coach?": ("club_01", "head coach Teodor Blaauw"),
    "Who is the general secretary of the Tram Drivers' Guild?": ("tram_04", "Gransden"),
}

# "Outlet Name, Weekday D Month YYYY"
DATELINE = re.compile(r"^[A-Z][\w&' ]+, [A-Z][a-z]+day \d{1,2} [A-Z][a-z]+ \d{4}$")


def _kind(q: EvalQuestion) -> str:
    number = int(q.id.removeprefix("h"))
    return next(kind for kind, ids in KINDS.items() if number in ids)


@pytest.fixture(scope="module")
def questions() -> list[EvalQuestion]:
    return load_questions(QUESTIONS)


@pytest.fixture(scope="module")
def articles() -> dict[str, str]:
    return read_articles(CORPUS)


def test_layout_is_an_eval_folder():
    assert QUESTIONS.is_file()
    assert (SUITE / "README.md").is_file()
    assert sorted(SUITE.glob("*.jsonl")) == [QUESTIONS]
    assert sorted(p.name for p in CORPUS.iterdir()) == sorted(
        f"{story}_0{n}.txt" for story in ("tram", "club") for n in range(1, 5)
    )


def test_articles_are_headline_dateline_and_news():
    for path in sorted(CORPUS.iterdir()):
        lines = path.read_text(encoding="utf-8").splitlines()
        assert lines[0].strip() and not lines[1] and not lines[3], path.name
        assert DATELINE.match(lines[2]), (path.name, lines[2])
        words = len(" ".join(lines[4:]).split())
        assert 300 <= words <= 450, (path.name, words)


def test_ids_and_counts(questions):
    ids = [q.id for q in questions]
    assert ids == [f"h{n:03d}" for n in range(1, 41)]
    for q in questions:
        kind = _kind(q)
        if kind != "followup":
            assert q.answerable == (kind != "unanswerable"), q.id
        assert q.conflict == (kind == "conflict"), q.id
        assert bool(q.history) == (kind == "followup"), q.id
    follow_ups = [q for q in questions if _kind(q) == "followup"]
    assert sum(not q.answerable for q in follow_ups) == 2


def test_gold_sources_exist_and_state_a_fact(questions, articles):
    for q in questions:
        for source in q.gold_sources:
            assert source in articles, (q.id, source)
            assert any(in_some_source(g, [source], articles) for g in q.key_facts), (q.id, source)


def test_answerable_questions_have_facts_and_sources(questions):
    for q in questions:
        if q.answerable:
            assert q.gold_sources and q.key_facts and all(q.key_facts), q.id
        else:
            assert not q.gold_sources and not q.key_facts, q.id


def test_every_key_fact_is_stated_by_a_gold_source(questions, articles):
    for q in questions:
        for group in q.key_facts:
            assert in_some_source(group, q.gold_sources, articles), (q.id, group)


def test_conflicts_come_from_different_sources(questions, articles):
    for q in questions:
        if q.conflict:
            assert len(q.key_facts) >= 2 and len(q.gold_sources) >= 2, q.id
            # No single source states every value.
            assert not one_source_states_all(q.key_facts, q.gold_sources, articles), q.id


def test_follow_ups_have_one_answerable_earlier_question(questions, articles):
    answerable = {q.question for q in questions if q.answerable}
    for q in questions:
        if not q.history:
            continue
        assert len(q.history) == 1, q.id
        (first,) = q.history
        assert isinstance(first, str), q.id
        if first not in answerable:
            source, fact = HISTORY_ANSWERS[first]
            assert normalised(fact) in articles[source], (q.id, first)
