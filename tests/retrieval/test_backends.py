"""The library protocol, the same tests on both backends: the embedded folder (SQLite, FAISS,
BM25) and PostgreSQL (pgvector, BM25 in SQL) on a real server started for the session."""

from __future__ import annotations

import numpy as np
import pytest

import retrieval.library
from retrieval.backend import LibraryBackend, open_library_at
from retrieval.search import top_k_dense

WORDS = [
    "harbour",
    "council",
    "budget",
    "river",
    "bridge",
    "school",
    "tram",
    "winter",
    "election",
    "museum",
    "port",
    "vote",
    "archive",
    "railway",
    "festival",
    "court",
    "hospital",
    "flood",
    "market",
    "tunnel",
    "library",
    "stadium",
    "ferry",
]


def article(seed: int, sentences: int = 12) -> str:
    """A few paragraphs of made-up prose: each article its own mix of words, so vectors and
    keywords differ between chunks."""
    rng = np.random.default_rng(seed)
    lines = []
    for n in range(sentences):
        words = rng.choice(WORDS, size=14)
        lines.append(f"The {' '.join(words)} report number {seed}-{n} was read aloud.")
    paragraphs = [" ".join(lines[i : i + 3]) for i in range(0, len(lines), 3)]
    return f"Article {seed} about the city\n\n" + "\n\n".join(paragraphs) + "\n"


def write_articles(folder, seeds) -> list:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for seed in seeds:
        path = folder / f"article-{seed}.txt"
        path.write_text(article(seed), encoding="utf-8")
        paths.append(path)
    return paths


@pytest.fixture(params=["embedded", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request, tmp_path):
    """Opens a library of the parametrized kind (again, as a second process would)."""
    if request.param == "postgres":
        location = request.getfixturevalue("pg_url")
    else:
        location = tmp_path / "library"
    opened: list[LibraryBackend] = []

    def open_(embedder) -> LibraryBackend:
        library = open_library_at(location, embedder=embedder, local_folder=tmp_path / "local")
        opened.append(library)
        return library

    yield open_
    for library in opened:
        library.close()


def test_both_backends_implement_the_protocol(backend, fake_embedder):
    assert isinstance(backend(fake_embedder), LibraryBackend)


def test_dense_search_matches_brute_force(backend, fake_embedder, tmp_path):
    # GIVEN a library of 30 articles
    library = backend(fake_embedder)
    report = library.ingest(write_articles(tmp_path / "in", range(30)))
    assert report.ok and len(report.added) == 30
    chunks = [c for s in library.sources() for c in library.chunks_of(s.id)]
    ids = np.array([c.id for c in chunks])
    matrix = fake_embedder.embed([c.text for c in chunks])
    for query in ["harbour bridge flood", "election court vote", "ferry tunnel winter"]:
        # WHEN searching by vector alone (no query words: the keyword list is empty)
        vector = fake_embedder.embed([query])[0]
        hits = library.search_with_vector("", vector, k=10)
        # THEN the hits are the exact top 10 by cosine, best first
        rows, scores = top_k_dense(matrix, vector, 11)
        assert [h.dense_rank for h in hits] == list(range(1, 11))
        np.testing.assert_allclose([h.dense_score for h in hits], scores[:10], atol=1e-3)
        if scores[9] - scores[10] > 1e-3:  # the set is defined unless the 10th place is tied
            assert {h.chunk.id for h in hits} == set(ids[rows[:10]].tolist())


def test_keyword_search_finds_the_only_passage_with_a_word(backend, fake_embedder, tmp_path):
    folder = tmp_path / "in"
    write_articles(folder, range(10))
    (folder / "odd.txt").write_text(
        "A quiet note\n\nThe zeppelin moored above the harbour council at dawn.\n"
    )
    library = backend(fake_embedder)
    library.ingest([folder])
    hits = library.search("zeppelin", k=5)
    assert hits[0].chunk.source_id == "odd" and hits[0].bm25_rank == 1
    assert all(h.bm25_rank is None for h in hits[1:])  # no other passage has the word


def test_offsets_slice_the_stored_text(backend, fake_embedder, tmp_path):
    library = backend(fake_embedder)
    library.ingest(write_articles(tmp_path / "in", range(3)))
    for source in library.sources():
        text = library.source_text(source.id)
        chunks = library.chunks_of(source.id)
        assert len(chunks) == source.n_chunks > 0
        assert all(text[c.start : c.end] == c.text for c in chunks)
        assert [c.ordinal for c in chunks] == list(range(len(chunks)))


def test_incremental_ingest_adds_replaces_and_skips(backend, fake_embedder, tmp_path):
    folder = tmp_path / "in"
    paths = write_articles(folder, range(4))
    library = backend(fake_embedder)
    first = library.ingest([folder])
    assert sorted(first.added) == sorted(p.stem for p in paths)
    # WHEN one file changes and one is added
    paths[1].write_text(article(101), encoding="utf-8")
    write_articles(folder, [7])
    second = library.ingest([folder])
    # THEN only those two are read again
    assert second.replaced == ["article-1"] and second.added == ["article-7"]
    assert sorted(second.unchanged) == ["article-0", "article-2", "article-3"]
    assert library.source_text("article-1") == article(101)
    assert len(library.sources()) == 5
    # AND a second library on the same store (another process) sees the same
    again = backend(fake_embedder)
    assert [s.id for s in again.sources()] == [s.id for s in library.sources()]


def test_same_bytes_elsewhere_are_one_source(backend, fake_embedder, tmp_path):
    write_articles(tmp_path / "a", [1])
    write_articles(tmp_path / "b", [1])
    library = backend(fake_embedder)
    report = library.ingest([tmp_path / "a", tmp_path / "b"])
    assert report.added == ["article-1"] and len(library.sources()) == 1


def test_removal_forgets_the_source_and_its_passages(backend, fake_embedder, tmp_path):
    library = backend(fake_embedder)
    library.ingest(write_articles(tmp_path / "in", range(5)))
    assert library.remove("article-2") is True
    assert "article-2" not in {s.id for s in library.sources()}
    assert library.source_text("article-2") is None and library.chunks_of("article-2") == []
    for query in ["harbour", "report number 2-1"]:
        assert all(h.chunk.source_id != "article-2" for h in library.search(query, k=20))
    assert library.remove("article-2") is False


def test_crash_during_ingest_keeps_whole_batches_and_resumes(
    backend, fake_embedder, tmp_path, monkeypatch
):
    # GIVEN batches of one file each, and an embedder that fails on the fourth batch
    monkeypatch.setattr(retrieval.library, "EMBED_BATCH_CHUNKS", 1)
    paths = write_articles(tmp_path / "in", range(6))

    class Crashing(type(fake_embedder)):
        def embed(self, texts):
            if self.calls == 3:
                raise RuntimeError("power cut")
            return super().embed(texts)

    library = backend(Crashing())
    with pytest.raises(RuntimeError, match="power cut"):
        library.ingest(paths)
    library.close()
    # THEN another opening sees exactly the three committed sources, each whole
    reopened = backend(fake_embedder)
    stored = reopened.sources()
    assert len(stored) == 3
    for source in stored:
        text = reopened.source_text(source.id)
        assert source.n_chunks == len(reopened.chunks_of(source.id)) > 0
        assert text == article(int(source.id.split("-")[1]))
    # AND the same ingest run again resumes: the committed files are skipped, the rest go in
    report = reopened.ingest(paths)
    assert sorted(report.unchanged) == sorted(s.id for s in stored)
    assert len(report.added) == 3 and len(reopened.sources()) == 6
