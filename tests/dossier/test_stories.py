"""Sources grouped into the stories they tell (dossier.stories): the pure functions on made-up
vectors, then on articles written for the tests (tests/data/stories/) with the tests' topic
embedder, and with the real embedder (slow)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dossier.stories import (
    STORY_SIMILARITY,
    group_sources,
    representative,
    source_vectors,
    story_similarity,
)
from dossier.summaries import content_sentences
from retrieval.library import Library
from tests.conftest import SEEDS, FakeEmbedder
from tests.fakes import TopicEmbedder

STORIES = Path(__file__).resolve().parent.parent / "data" / "stories"
FLOOD = sorted(STORIES.glob("flood_*.txt"))
FROST = sorted(STORIES.glob("frost_*.txt"))
TRANSIT = sorted(STORIES.glob("transit_*.txt"))


def unit(*rows) -> np.ndarray:
    a = np.array(rows, dtype=np.float64)
    return a / np.linalg.norm(a, axis=1, keepdims=True)


# -- the pure functions -------------------------------------------------------------------


def test_two_tight_groups_are_two_stories_and_the_larger_comes_first():
    vectors = unit([1, 0.1, 0], [0, 1, 0.1], [1, 0, 0.1], [0.1, 1, 0], [1, 0.05, 0.05])
    assert group_sources(vectors, 0.5) == [[0, 2, 4], [1, 3]]


def test_alike_sources_are_one_story():
    vectors = unit([1, 0.2, 0], [1, 0, 0.2], [0.9, 0.1, 0.1])
    assert group_sources(vectors, 0.5) == [[0, 1, 2]]


def test_no_source_no_story_and_one_source_one_story():
    assert group_sources(np.zeros((0, 3)), 0.5) == []
    assert group_sources(unit([0, 0, 1]), 0.5) == [[0]]


def test_one_source_touching_two_stories_does_not_chain_them_into_one():
    # A and C are unrelated; B is halfway: each pair next to it is above the threshold, so
    # connected components would make one story of all three. Average linkage does not.
    a, c = np.array([1.0, 0, 0]), np.array([0, 1.0, 0])
    b = (a + c) / np.linalg.norm(a + c)  # cos(a, b) = cos(b, c) = 0.707, cos(a, c) = 0
    vectors = np.stack([a, a * 0.99 + c * 0.01, b, c, c * 0.99 + a * 0.01])
    groups = group_sources(vectors, 0.6)
    assert len(groups) == 2
    assert {0, 1} <= set(groups[0]) or {0, 1} <= set(groups[1])
    assert not any({0, 3} <= set(g) for g in groups)


def test_source_vectors_are_the_normalised_means_of_their_rows():
    vectors = np.array([[1.0, 0], [0, 1.0], [3.0, 0]])
    out = source_vectors(["a", "b", "c"], ["a", "a", "b"], vectors)
    assert np.allclose(out[0], [2**-0.5, 2**-0.5])
    assert np.allclose(out[1], [1.0, 0])
    assert np.allclose(out[2], [0, 0])  # no sentence: alike to nothing


def test_representative_is_the_candidate_nearest_the_centroid():
    members = unit([1, 0.2, 0], [1, 0, 0.2])
    candidates = unit([0, 1, 0], [1, 0.1, 0.1], [0, 0, 1])
    assert representative(candidates, members) == 1


def test_the_threshold_is_the_embedders_own_when_it_states_one():
    assert story_similarity(object()) == STORY_SIMILARITY
    assert story_similarity(TopicEmbedder()) == TopicEmbedder.story_similarity


# -- on articles --------------------------------------------------------------------------


def story_groups(embedder, tmp_path, paths: list[Path]) -> list[set[str]]:
    """The stories found among `paths` as sets of file stems, sources embedded as the briefing
    does (the mean of each source's content sentences)."""
    library = Library(tmp_path / "lib", embedder=embedder)
    try:
        assert library.ingest(paths).ok
        sources = library.sources()
        owners, texts = [], []
        for s in sources:
            text = library.source_text(s.id) or ""
            ranges = [(c.start, c.end) for c in library.chunks_of(s.id)]
            for a, b in content_sentences(text, ranges):
                owners.append(s.id)
                texts.append(text[a:b])
        vectors = source_vectors([s.id for s in sources], owners, embedder.embed(texts))
        groups = group_sources(vectors, story_similarity(embedder))
        return [{Path(sources[i].path).stem for i in g} for g in groups]
    finally:
        library.close()


def stems(paths: list[Path]) -> set[str]:
    return {p.stem for p in paths}


@pytest.mark.parametrize(
    ("sets", "expected"),
    [
        ((FLOOD,), 1),
        ((FLOOD, FROST), 2),
        ((FLOOD, FROST, TRANSIT), 3),
    ],
)
def test_articles_are_grouped_by_story_with_the_topic_embedder(tmp_path, sets, expected):
    groups = story_groups(TopicEmbedder(), tmp_path, [p for s in sets for p in s])
    assert len(groups) == expected
    assert sorted(map(sorted, groups)) == sorted(sorted(stems(s)) for s in sets)


def test_the_bag_of_all_words_fake_sees_one_story(tmp_path):
    # The tests' FakeEmbedder cannot tell stories apart: every library stays one story.
    groups = story_groups(FakeEmbedder(), tmp_path, [SEEDS, *FLOOD, *FROST])
    assert len(groups) == 1


@pytest.mark.slow
def test_the_real_embedder_groups_the_seeds_and_other_stories(tmp_path):
    from models.embedder import SentenceTransformerEmbedder

    embedder = SentenceTransformerEmbedder()
    seeds = sorted(SEEDS.glob("*.txt"))
    assert len(story_groups(embedder, tmp_path / "one", seeds)) == 1
    groups = story_groups(embedder, tmp_path / "three", [*seeds, *FLOOD, *FROST, *TRANSIT])
    assert sorted(map(sorted, groups)) == sorted(
        sorted(stems(s)) for s in (seeds, FLOOD, FROST, TRANSIT)
    )


def naive_average_linkage(vectors: np.ndarray, threshold: float) -> list[list[int]]:
    """The textbook version: scan the whole matrix for the most alike pair at every merge."""
    from dossier.stories import similarities

    n = len(vectors)
    sim = similarities(vectors)
    np.fill_diagonal(sim, -np.inf)
    members = {i: [i] for i in range(n)}
    while len(members) > 1:
        a, b = divmod(int(np.argmax(sim)), n)
        if sim[a, b] < threshold:
            break
        a, b = min(a, b), max(a, b)
        size_a, size_b = len(members[a]), len(members[b])
        merged = (size_a * sim[a] + size_b * sim[b]) / (size_a + size_b)
        sim[a, :], sim[:, a] = merged, merged
        sim[a, a] = -np.inf
        sim[b, :], sim[:, b] = -np.inf, -np.inf
        members[a] = sorted(members[a] + members.pop(b))
    return sorted(members.values(), key=lambda rows: (-len(rows), rows[0]))


def test_the_grouping_is_the_textbook_average_linkage():
    rng = np.random.default_rng(7)
    for _ in range(25):
        n, k = int(rng.integers(2, 60)), int(rng.integers(1, 6))
        centres = rng.normal(size=(k, 16))
        vectors = centres[rng.integers(0, k, n)] + rng.normal(size=(n, 16)) * rng.uniform(0.2, 1.5)
        for threshold in (0.2, 0.45, 0.6):
            assert group_sources(vectors, threshold) == naive_average_linkage(vectors, threshold)
