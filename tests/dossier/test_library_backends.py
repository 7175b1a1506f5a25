"""Answers and briefings on top of either library backend give the same result (scripted
model, fake embedder); the PostgreSQL library runs on the session's real server."""

import pytest

from dossier.ask import ask
from dossier.briefing import brief
from retrieval.backend import open_library_at
from tests.conftest import SEEDS
from tests.dossier.test_ask import citing
from tests.dossier.test_briefing import scripted_reply
from tests.fakes import ScriptedLLM

pytestmark = pytest.mark.postgres


@pytest.fixture
def both(pg_url, fake_embedder, tmp_path):
    """The seeds in an embedded library and in a PostgreSQL one."""
    libraries = [
        open_library_at(tmp_path / "embedded", embedder=fake_embedder),
        open_library_at(pg_url, embedder=fake_embedder, local_folder=tmp_path / "local"),
    ]
    for library in libraries:
        assert library.ingest([SEEDS]).ok
    yield libraries
    for library in libraries:
        library.close()


def test_a_cited_answer_is_the_same_on_both(both):
    answers = [
        ask(
            "What does ATACMS stand for?",
            library=library,
            llm=ScriptedLLM(citing("Tactical Missile System", "ATACMS is a missile system")),
        )
        for library in both
    ]
    assert [a.refused for a in answers] == [False, False]
    cited = [[(c.source_id, c.start, c.end, c.text) for c in a.citations] for a in answers]
    assert cited[0] == cited[1] and "Tactical Missile System" in cited[0][0][3]


def test_a_briefing_is_the_same_on_both(both):
    briefings = [brief(library=library, llm=ScriptedLLM(scripted_reply)) for library in both]
    summaries = [
        [(s.source_id, [p.text for p in s.points]) for s in b.summaries] for b in briefings
    ]
    assert len(summaries[0]) == 5 and summaries[0] == summaries[1]


def test_the_warm_up_fills_the_same_sentence_cache_from_both(both, tmp_path):
    from dossier.warmup import warm_sentences
    from models.vector_cache import CachingEmbedder
    from tests.conftest import FakeEmbedder

    reports = []
    for name, library in zip(("embedded", "postgres"), both, strict=True):
        library.sentence_embedder = CachingEmbedder(FakeEmbedder(), tmp_path / f"{name}.sqlite")
        reports.append(warm_sentences(library))
    assert reports[0].texts == reports[1].texts > 100
    assert reports[0].embedded == reports[1].embedded == reports[0].texts


def test_the_stories_of_a_briefing_are_the_same_on_both(pg_url, tmp_path):
    from tests.dossier.test_briefing_stories import story_reply
    from tests.dossier.test_stories import FLOOD, FROST
    from tests.fakes import TopicEmbedder

    embedder = TopicEmbedder()
    libraries = [
        open_library_at(tmp_path / "embedded", embedder=embedder),
        open_library_at(pg_url, embedder=embedder, local_folder=tmp_path / "local"),
    ]
    try:
        stories = []
        for library in libraries:
            assert library.ingest([*FLOOD, *FROST]).ok
            b = brief(library=library, llm=ScriptedLLM(story_reply))
            stories.append([(s.title, sorted(s.source_ids)) for s in b.stories])
    finally:
        for library in libraries:
            library.close()
    assert len(stories[0]) == 2 and stories[0] == stories[1]
