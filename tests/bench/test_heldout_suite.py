"""Integrity of the held-out suites in bench/data/heldout, bench/data/heldout2 and
bench/data/heldout3 (no model, no library).

The suites are hand-written (heldout2 has been a development suite since heldout3 was written:
its README says how it was used): these checks only make sure an edit of an
article or a question cannot leave a question pointing at a missing source or a missing fact.
Every check runs once per suite; a suite is described by a `HeldOut` below.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from dossier.evaluate import EvalQuestion, load_questions
from tests.bench.suites import in_some_source, normalised, one_source_states_all, read_articles
from tests.conftest import REPO

# Question kinds by id range (inclusive): ordinary, unanswerable, alias, conflict, follow-up.
KINDS = {
    "ordinary": range(1, 17),
    "unanswerable": range(17, 25),
    "alias": range(25, 31),
    "conflict": range(31, 35),
    "followup": range(35, 41),
}


@dataclass(frozen=True)
class HeldOut:
    """One held-out suite: bench/data/<name>/ holds <name>.jsonl and the articles in <name>/."""

    name: str
    prefix: str  # of the question ids: h001, k001, m001, ...
    stories: tuple[str, ...]  # article file stems are <story>_01 .. <story>_04
    # History questions that are not themselves a question of the suite: where they are answered.
    history_answers: dict[str, tuple[str, str]]
    kinds: dict[str, range]
    unanswerable_follow_ups: int = 2

    @property
    def folder(self) -> Path:
        return REPO / "bench" / "data" / self.name

    @property
    def questions(self) -> Path:
        return self.folder / f"{self.name}.jsonl"

    @property
    def corpus(self) -> Path:
        return self.folder / self.name

    def kind(self, q: EvalQuestion) -> str:
        number = int(q.id.removeprefix(self.prefix))
        return next(kind for kind, ids in self.kinds.items() if number in ids)


HELDOUT = HeldOut(
    name="heldout",
    prefix="h",
    stories=("tram", "club"),
    history_answers={
        "Who is the chief investigator at the Urban Rail Safety Authority?": ("tram_01", "Drobek"),
        "Who speaks for the opposition on transport in Kelvany?": ("tram_02", "Benedek Auer"),
        "Which company built the Series 90 trams?": ("tram_03", "Strand & Kovac"),
        "Who runs the Almadia Future Fund?": ("club_01", "Nadir Esfandi"),
        "Who is Brackwater Albion's head coach?": ("club_01", "head coach Teodor Blaauw"),
        "Who is the general secretary of the Tram Drivers' Guild?": ("tram_04", "Gransden"),
    },
    kinds=KINDS,
)

HELDOUT2 = HeldOut(
    name="heldout2",
    prefix="k",
    stories=("museum", "airline"),
    history_answers={
        "Who is leading the police investigation into the theft at the Orlesby museum?": (
            "museum_01",
            "Jarek Sondersby",
        ),
        "Which company insures the Orlesby Museum of Fine Art?": (
            "museum_02",
            "Ferrowby Assurance",
        ),
        "Who is the lead administrator of Halmira Airways?": ("airline_02", "Ambrose Delacorte"),
        "Which company owned most of Halmira's aircraft?": ("airline_02", "Solvard Leasing"),
        "Who is the director of the Orlesby Museum of Fine Art?": ("museum_01", "Corisande Velt"),
        "Who is the chief executive of Breckmoor Airport?": ("airline_01", "Rafe Dunmallow"),
    },
    kinds=KINDS,
)

HELDOUT3 = HeldOut(
    name="heldout3",
    prefix="m",
    stories=("bridge", "poultry"),
    history_answers={
        "Who is the chief engineer of the Crossings and Highways Agency?": (
            "bridge_02",
            "Bertil Aucourt",
        ),
        "Which company is running the emergency ferry between Tolvern and Haverleigh?": (
            "bridge_04",
            "Tidewell Ferries",
        ),
        "Who is Ardesia's chief veterinary officer?": ("poultry_01", "Henrike Vaskelund"),
        "Which company owns the Hollinsby farm where the outbreak began?": (
            "poultry_01",
            "Copperlane Foods",
        ),
        "Who is the president of the Poultry Growers' Federation?": (
            "poultry_04",
            "Oswin Carraway",
        ),
        "Which firm inspected the Carrowgate Bridge in 2022?": (
            "bridge_02",
            "Marlow Vance Partners",
        ),
    },
    kinds=KINDS,
)

SUITES = (HELDOUT, HELDOUT2, HELDOUT3)

# "Outlet Name, Weekday D Month YYYY"
DATELINE = re.compile(r"^[A-Z][\w&' ]+, [A-Z][a-z]+day \d{1,2} [A-Z][a-z]+ \d{4}$")


@pytest.fixture(scope="module", params=SUITES, ids=lambda s: s.name)
def suite(request) -> HeldOut:
    return request.param


@pytest.fixture(scope="module")
def questions(suite) -> list[EvalQuestion]:
    return load_questions(suite.questions)


@pytest.fixture(scope="module")
def articles(suite) -> dict[str, str]:
    return read_articles(suite.corpus)


def test_layout_is_an_eval_folder(suite):
    assert suite.questions.is_file()
    assert (suite.folder / "README.md").is_file()
    assert sorted(suite.folder.glob("*.jsonl")) == [suite.questions]
    assert sorted(p.name for p in suite.corpus.iterdir()) == sorted(
        f"{story}_0{n}.txt" for story in suite.stories for n in range(1, 5)
    )


def test_articles_are_headline_dateline_and_news(suite):
    for path in sorted(suite.corpus.iterdir()):
        lines = path.read_text(encoding="utf-8").splitlines()
        assert lines[0].strip() and not lines[1] and not lines[3], path.name
        assert DATELINE.match(lines[2]), (path.name, lines[2])
        words = len(" ".join(lines[4:]).split())
        assert 300 <= words <= 450, (path.name, words)


def test_ids_and_counts(suite, questions):
    ids = [q.id for q in questions]
    assert ids == [f"{suite.prefix}{n:03d}" for n in range(1, 41)]
    for q in questions:
        kind = suite.kind(q)
        if kind != "followup":
            assert q.answerable == (kind != "unanswerable"), q.id
        assert q.conflict == (kind == "conflict"), q.id
        assert bool(q.history) == (kind == "followup"), q.id
    follow_ups = [q for q in questions if suite.kind(q) == "followup"]
    assert sum(not q.answerable for q in follow_ups) == suite.unanswerable_follow_ups


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


def test_follow_ups_have_one_answerable_earlier_question(suite, questions, articles):
    answerable = {q.question for q in questions if q.answerable}
    for q in questions:
        if not q.history:
            continue
        assert len(q.history) == 1, q.id
        (first,) = q.history
        assert isinstance(first, str), q.id
        if first not in answerable:
            source, fact = suite.history_answers[first]
            assert normalised(fact) in articles[source], (q.id, first)
