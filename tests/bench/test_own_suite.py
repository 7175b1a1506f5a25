"""Integrity of the invented newsroom suite in bench/data/suite (no model, no library).

The suite is hand-written: these checks make sure a later edit of an article or a question
cannot silently leave a question pointing at a missing source or at a fact no source states.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dossier.evaluate import EvalQuestion, load_questions
from tests.bench.suites import in_some_source, one_source_states_all, read_articles
from tests.conftest import REPO

SUITE = REPO / "bench" / "data" / "suite"
QUESTIONS = SUITE / "newsroom.jsonl"
CORPUS = SUITE / "newsroom"


@pytest.fixture(scope="module")
def questions() -> list[EvalQuestion]:
    return load_questions(QUESTIONS)


@pytest.fixture(scope="module")
def articles() -> dict[str, str]:
    return read_articles(CORPUS)


def test_layout_is_an_eval_folder():
    assert QUESTIONS.is_file()
    assert CORPUS.is_dir()
    assert (SUITE / "README.md").is_file()
    assert sorted(SUITE.glob("*.jsonl")) == [QUESTIONS]  # one suite, beside its corpus folder


def test_articles_are_utf8_news_of_reasonable_length():
    files = sorted(CORPUS.iterdir())
    assert len(files) >= 22
    for path in files:
        assert path.suffix == ".txt", path
        words = len(path.read_text(encoding="utf-8").split())
        assert 250 <= words <= 600, (path.name, words)


def test_ids_unique(questions):
    ids = [q.id for q in questions]
    assert len(ids) == len(set(ids))


def test_gold_sources_exist(questions, articles):
    for q in questions:
        for source in q.gold_sources:
            assert source in articles, (q.id, source)


def test_answerable_questions_have_facts_and_sources(questions):
    for q in questions:
        if q.answerable:
            assert q.gold_sources, q.id
            assert q.key_facts, q.id
            assert all(q.key_facts), q.id  # no empty fact group
        else:
            assert not q.gold_sources, q.id
            assert not q.key_facts, q.id
            assert not q.conflict, q.id


def test_every_key_fact_is_stated_by_a_gold_source(questions, articles):
    for q in questions:
        for group in q.key_facts:
            assert in_some_source(group, q.gold_sources, articles), (q.id, group)


def test_every_gold_source_states_a_fact(questions, articles):
    """A gold source that states none of the facts is not a gold source."""
    for q in questions:
        for source in q.gold_sources:
            assert any(in_some_source(g, [source], articles) for g in q.key_facts), (q.id, source)


def test_conflict_questions_have_one_group_per_value(questions, articles):
    conflict = [q for q in questions if q.conflict]
    for q in conflict:
        assert q.answerable, q.id
        assert len(q.key_facts) >= 2, q.id
        assert len(q.gold_sources) >= 2, q.id
        for group in q.key_facts:
            assert in_some_source(group, q.gold_sources, articles), (q.id, group)
        # The values really come from different sources: no single source states them all.
        assert not one_source_states_all(q.key_facts, q.gold_sources, articles), q.id


def test_history_questions(questions):
    for q in questions:
        if q.id.startswith("ot"):
            assert len(q.history) >= 1, q.id
        if q.history:
            assert all(isinstance(h, str) and h.strip() for h in q.history), q.id


def test_counts(questions, articles):
    assert len(articles) >= 22
    assert len(questions) >= 90
    assert sum(not q.answerable for q in questions) >= 24
    assert sum(q.id.startswith("oa") for q in questions) >= 18
    assert sum(bool(q.history) for q in questions) >= 18
    assert sum(q.conflict for q in questions) >= 6
    assert all(q.id.startswith("oc") for q in questions if q.conflict)


def test_stories_have_several_outlets(articles):
    stories: dict[str, int] = {}
    for stem in articles:
        story = stem.rsplit("_", 1)[0]
        stories[story] = stories.get(story, 0) + 1
    assert len(stories) >= 4
    assert all(4 <= n <= 7 for n in stories.values()), stories


def test_questions_file_is_utf8_lines(questions):
    lines = [ln for ln in Path(QUESTIONS).read_text(encoding="utf-8").splitlines() if ln.strip()]
    assert len(lines) == len(questions)
