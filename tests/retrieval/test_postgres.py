"""What only the PostgreSQL library has: several writers at once, a server that may be away,
the library URL and its vector type. On a real server (the session's pg_server)."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import retrieval.library
from retrieval.errors import LibraryMismatch, LibraryUnavailable
from retrieval.postgres import hnsw
from retrieval.postgres.connection import LibraryURL
from retrieval.postgres.library import PgLibrary
from tests.retrieval.test_backends import article, write_articles

pytestmark = pytest.mark.postgres


def open_pg(url, embedder, tmp_path) -> PgLibrary:
    return PgLibrary(url, embedder=embedder, folder=tmp_path / "local")


def ingest_together(libraries_and_paths) -> list:
    """Each library ingests its paths in its own thread, started at the same moment."""
    barrier = threading.Barrier(len(libraries_and_paths))
    reports: list = [None] * len(libraries_and_paths)
    errors: list = []

    def run(n, library, paths):
        try:
            barrier.wait()
            reports[n] = library.ingest(paths)
        except BaseException as exc:  # reported by the test, not lost in the thread
            errors.append(exc)

    threads = [
        threading.Thread(target=run, args=(n, lib, paths))
        for n, (lib, paths) in enumerate(libraries_and_paths)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return reports


def test_two_concurrent_ingests_of_different_folders_store_every_source_once(
    pg_url, fake_embedder, tmp_path, monkeypatch
):
    # GIVEN two folders, each with its own articles and a copy of the same one, committed in
    # small batches so that the two writers interleave
    monkeypatch.setattr(retrieval.library, "EMBED_BATCH_CHUNKS", 4)
    write_articles(tmp_path / "a", range(0, 12))
    write_articles(tmp_path / "b", range(100, 112))
    write_articles(tmp_path / "a", [500])
    write_articles(tmp_path / "b", [500])
    first, second = (
        open_pg(pg_url, fake_embedder, tmp_path),
        open_pg(pg_url, fake_embedder, tmp_path),
    )
    # WHEN both ingest at once, each on its own connections
    reports = ingest_together([(first, [tmp_path / "a"]), (second, [tmp_path / "b"])])
    # THEN every article is there once, the shared one too
    ids = [s.id for s in first.sources()]
    expected = {f"article-{n}" for n in [*range(12), *range(100, 112), 500]}
    assert sorted(ids) == sorted(expected)
    added = reports[0].added + reports[1].added
    assert sorted(added) == sorted(expected)
    assert "article-500" in reports[0].unchanged + reports[1].unchanged
    chunks = first.count_chunks()
    assert chunks == sum(s.n_chunks for s in first.sources())
    first.close()
    second.close()


def test_two_concurrent_ingests_of_the_same_folder_store_it_once(
    pg_url, fake_embedder, tmp_path, monkeypatch
):
    monkeypatch.setattr(retrieval.library, "EMBED_BATCH_CHUNKS", 4)
    write_articles(tmp_path / "in", range(10))
    libraries = [open_pg(pg_url, fake_embedder, tmp_path) for _ in range(2)]
    reports = ingest_together([(lib, [tmp_path / "in"]) for lib in libraries])
    assert sorted(reports[0].added + reports[1].added) == [f"article-{n}" for n in range(10)]
    assert len(libraries[0].sources()) == 10
    for library in libraries:
        library.close()


def test_an_unreachable_server_is_named(fake_embedder, tmp_path):
    # Port 1: nothing listens there, the connection is refused at once.
    with pytest.raises(LibraryUnavailable, match=r"127\.0\.0\.1:1/shared"):
        open_pg("postgresql://dossier@127.0.0.1:1/shared", fake_embedder, tmp_path)


def test_a_library_of_another_embedder_is_refused(pg_url, fake_embedder, tmp_path):
    open_pg(pg_url, fake_embedder, tmp_path).close()

    class Wider(type(fake_embedder)):
        name = "fake/wider"
        dim = 96

    with pytest.raises(LibraryMismatch, match="fake/hashing-bow"):
        open_pg(pg_url, Wider(), tmp_path)


def test_halfvec_library_searches_like_the_float32_one(pg_server, pg_url, fake_embedder, tmp_path):
    half = open_pg(pg_url + "?vector=halfvec", fake_embedder, tmp_path)
    assert half.store.vector_type == "halfvec"
    half.ingest(write_articles(tmp_path / "in", range(8)))
    query = fake_embedder.embed(["harbour bridge flood"])[0]
    hits = half.search_with_vector("", query, k=5)
    chunks = [c for s in half.sources() for c in half.chunks_of(s.id)]
    exact = fake_embedder.embed([c.text for c in chunks]) @ query
    np.testing.assert_allclose(hits[0].dense_score, exact.max(), atol=2e-3)  # float16: ~3 digits
    with half.store.reading() as db:
        kind = db.execute(
            "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
            "WHERE attrelid = 'dossier_chunks'::regclass AND attname = 'embedding'"
        ).fetchone()[0]
    assert kind == f"halfvec({fake_embedder.dim})"
    half.close()


def test_library_url_keeps_its_own_option_from_libpq():
    url = LibraryURL.parse("postgresql://newsroom@db.example:6543/archive?vector=halfvec")
    assert url.vector_type == "halfvec" and "vector=" not in url.conninfo
    assert url.server == "db.example:6543/archive"
    with pytest.raises(LibraryUnavailable, match="halfvec"):
        LibraryURL.parse("postgresql://h/db?vector=int8")


def test_text_with_a_nul_character_keeps_its_offsets(pg_url, fake_embedder, tmp_path):
    path = tmp_path / "nul.txt"
    path.write_text(article(3).replace("aloud.", "aloud.\x00", 1), encoding="utf-8")
    library = open_pg(pg_url, fake_embedder, tmp_path)
    report = library.ingest([path])
    if report.failed:  # a loader may refuse the file: then nothing is stored, which is fine too
        assert library.sources() == []
    else:
        text = library.source_text("nul")
        assert all(text[c.start : c.end] == c.text for c in library.chunks_of("nul"))
    library.close()


def test_reindex_is_refused_for_a_database(pg_url, fake_embedder, tmp_path):
    from dossier.library import reindex
    from retrieval.errors import LibraryError

    library = open_pg(pg_url, fake_embedder, tmp_path)
    with pytest.raises(LibraryError, match="library folder"):
        reindex(library)
    assert not (tmp_path / "local" / "library.sqlite3").exists()  # no folder library made
    library.close()


def test_the_server_of_a_folder_without_one_is_not_running(tmp_path):
    from retrieval.postgres import server

    assert server.running(tmp_path) is None and server.stop(tmp_path) is False


def test_a_user_who_may_not_create_the_tables_is_told_what_to_ask(pg_url, fake_embedder, tmp_path):
    import psycopg

    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("DROP ROLE IF EXISTS desk_reader")
        conn.execute("CREATE ROLE desk_reader LOGIN")
    # (The role stays on the session's server, which is deleted at the end.)
    with pytest.raises(LibraryUnavailable, match="cannot be prepared.*CREATE EXTENSION"):
        open_pg(pg_url.replace("postgres@", "desk_reader@"), fake_embedder, tmp_path)


def test_in_a_large_library_common_words_do_not_bring_candidates_alone(
    pg_url, fake_embedder, tmp_path, monkeypatch
):
    import retrieval.postgres.library as pg_library

    # GIVEN a library counted as large, whose statistics say "report" is in every passage
    monkeypatch.setattr(pg_library, "GATED_FROM_PASSAGES", 1)
    folder = tmp_path / "in"
    write_articles(folder, range(30))
    (folder / "odd.txt").write_text("A note\n\nThe zeppelin report came at dawn, they said.\n")
    library = open_pg(pg_url, fake_embedder, tmp_path)
    library.ingest([folder])
    with library.store.reading() as db:
        db.execute("ANALYZE dossier_chunks")
    vector = fake_embedder.embed(["nothing"])[0]
    # WHEN the question has a common and a rare word
    hits = library.search_with_vector("report zeppelin", vector, k=50)
    # THEN only the passage with the rare word is a keyword match
    assert [h.chunk.source_id for h in hits if h.bm25_rank] == ["odd"]
    # AND a question of common words only still finds passages, by its rarest word
    keyword = [h for h in library.search_with_vector("report", vector, k=50) if h.bm25_rank]
    assert len(keyword) > 10 and all("report" in h.chunk.text for h in keyword)
    library.close()


def keyword_ranking(library, question: str, embedder) -> list[tuple[str, int]]:
    """The passages the keyword half ranks for `question`, best first, as (source, ordinal)."""
    vector = embedder.embed([question])[0]
    hits = library.search_with_vector(question, vector, k=1000, candidates=1000)
    ranked = sorted((h for h in hits if h.bm25_rank), key=lambda h: h.bm25_rank)
    return [(h.chunk.source_id, h.chunk.ordinal) for h in ranked]


QUESTIONS = [
    "What did the council say about the harbour budget?",
    "Which tram and railway reports were read aloud?",
    "flood flood museum",  # a repeated word counts twice, as in the embedded BM25
    "When was the election told to the court?",
    "the of and",  # stop words only: no keyword match at all
]


def test_keyword_ranking_is_the_embedded_bm25(pg_url, fake_embedder, tmp_path):
    # GIVEN the same files, of different lengths, in an embedded and a PostgreSQL library
    folder = tmp_path / "in"
    folder.mkdir()
    for seed in range(25):
        (folder / f"a-{seed:02d}.txt").write_text(article(seed, sentences=3 + seed % 9))
    (folder / "said.txt").write_text("Notes\n\nThe council told them; it says the ferry said no.\n")
    embedded = retrieval.library.Library(tmp_path / "lib", embedder=fake_embedder)
    postgres = open_pg(pg_url, fake_embedder, tmp_path)
    for library in (embedded, postgres):
        library.ingest([folder])
    # WHEN both rank the passages for each question by their keywords
    # THEN the rankings are the same, passage for passage
    for question in QUESTIONS:
        expected = keyword_ranking(embedded, question, fake_embedder)
        assert keyword_ranking(postgres, question, fake_embedder) == expected, question
    assert keyword_ranking(postgres, QUESTIONS[0], fake_embedder)  # the questions do match
    assert keyword_ranking(postgres, "the of and", fake_embedder) == []
    embedded.close()
    postgres.close()


def test_a_library_of_the_first_format_gets_the_bm25_terms_when_opened(
    pg_url, fake_embedder, tmp_path
):
    # GIVEN a library written by a Dossier whose keyword column held PostgreSQL's own stems
    folder = tmp_path / "in"
    write_articles(folder, range(6))
    library = open_pg(pg_url, fake_embedder, tmp_path)
    library.ingest([folder])
    expected = keyword_ranking(library, QUESTIONS[0], fake_embedder)
    with library.store.transaction() as db:
        db.execute(
            "ALTER TABLE dossier_chunks DROP COLUMN terms, DROP COLUMN tfs, DROP COLUMN n_terms"
        )
        db.execute(
            "ALTER TABLE dossier_chunks ADD COLUMN tsv tsvector "
            "GENERATED ALWAYS AS (to_tsvector('english', text)) STORED"
        )
        db.execute("CREATE INDEX dossier_chunks_tsv ON dossier_chunks USING gin (tsv)")
    library.store.update_manifest({"format": 1})
    library.close()
    # WHEN a Dossier of this version opens it
    reopened = open_pg(pg_url, fake_embedder, tmp_path)
    # THEN it is converted: the same keyword ranking as a library written by this version,
    # and new files go in alongside
    assert reopened.store.read_manifest()["format"] == 2
    assert keyword_ranking(reopened, QUESTIONS[0], fake_embedder) == expected
    # AND the vector index, dropped while the rows were rewritten, is there again
    with reopened.store.reading() as db:
        assert hnsw.index_options(db) == hnsw.OPTIONS
    write_articles(folder, range(6, 8))
    assert len(reopened.ingest([folder]).added) == 2
    reopened.close()
