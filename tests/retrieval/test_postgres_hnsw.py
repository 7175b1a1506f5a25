"""The PostgreSQL library's HNSW index carries the embedded index's parameters (M = 32,
efConstruction = 80, not pgvector's 16 / 64), and an index built otherwise is rebuilt on
opening, or, in a large library, left with a notice saying how to rebuild it."""

from __future__ import annotations

import psycopg
import pytest

import retrieval.postgres.hnsw as hnsw
from retrieval.dense import HNSW_EF_CONSTRUCTION, HNSW_EF_SEARCH, HNSW_M
from retrieval.postgres.library import PgLibrary
from tests.retrieval.test_backends import write_articles

pytestmark = pytest.mark.postgres


def open_pg(url, embedder, tmp_path) -> PgLibrary:
    return PgLibrary(url, embedder=embedder, folder=tmp_path / "local")


def options_of(url) -> dict | None:
    with psycopg.connect(url) as conn:
        return hnsw.index_options(conn)


def rebuild_with_pgvector_defaults(url) -> None:
    """The index as a Dossier before this change built it: no WITH (...)."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"DROP INDEX {hnsw.INDEX}")
        conn.execute(
            f"CREATE INDEX {hnsw.INDEX} ON dossier_chunks USING hnsw (embedding vector_cosine_ops)"
        )


def ingested(url, embedder, tmp_path) -> list[str]:
    library = open_pg(url, embedder, tmp_path)
    write_articles(tmp_path / "in", range(8))
    library.ingest([tmp_path / "in"])
    library.close()
    return sorted(f"article-{n}" for n in range(8))


def test_a_new_library_builds_its_index_with_the_embedded_parameters(
    pg_url, fake_embedder, tmp_path
):
    # GIVEN an empty database
    # WHEN a library is created in it
    open_pg(pg_url, fake_embedder, tmp_path).close()
    # THEN its HNSW index has FAISS's M and efConstruction, not pgvector's defaults
    assert options_of(pg_url) == {"m": HNSW_M, "ef_construction": HNSW_EF_CONSTRUCTION}
    assert (HNSW_M, HNSW_EF_CONSTRUCTION) == (32, 80)


def test_searches_use_the_embedded_ef_search(pg_url, fake_embedder, tmp_path):
    # GIVEN a library with passages
    ingested(pg_url, fake_embedder, tmp_path)
    library = open_pg(pg_url, fake_embedder, tmp_path)
    # WHEN it searches with a small depth
    library.search_with_vector("anything", fake_embedder.embed(["anything"])[0], k=4)
    # THEN the session's candidate list is FAISS's efSearch
    with library.store.reading() as db:
        assert db.execute("SHOW hnsw.ef_search").fetchone()[0] == str(HNSW_EF_SEARCH)
    library.close()


def test_an_index_built_with_pgvector_defaults_is_rebuilt_on_opening(
    pg_url, fake_embedder, tmp_path
):
    # GIVEN a library whose index an earlier Dossier built with m = 16, ef_construction = 64
    sources = ingested(pg_url, fake_embedder, tmp_path)
    rebuild_with_pgvector_defaults(pg_url)
    assert options_of(pg_url) == hnsw.PGVECTOR_DEFAULTS
    # WHEN it is opened
    library = open_pg(pg_url, fake_embedder, tmp_path)
    # THEN the index has the embedded parameters, nothing to tell, and it still finds passages
    assert options_of(pg_url) == hnsw.OPTIONS
    assert library.store.notice is None and library.notices == []
    assert sorted(s.id for s in library.sources()) == sources
    query = library.chunks_of("article-3")[0].text
    hits = library.search_with_vector(query, fake_embedder.embed([query])[0], k=3)
    assert hits[0].chunk.source_id == "article-3"
    library.close()


def test_a_large_library_keeps_its_old_index_and_says_how_to_rebuild_it(
    pg_url, fake_embedder, tmp_path, monkeypatch
):
    # GIVEN a library with an index of pgvector's defaults, too large to rebuild on opening
    ingested(pg_url, fake_embedder, tmp_path)
    rebuild_with_pgvector_defaults(pg_url)
    monkeypatch.setattr(hnsw, "REBUILD_ON_OPEN_MAX_CHUNKS", 3)
    # WHEN it is opened
    library = open_pg(pg_url, fake_embedder, tmp_path)
    # THEN the index is left as it was, and the notice names both parameter sets and the fix
    assert options_of(pg_url) == hnsw.PGVECTOR_DEFAULTS
    notice = library.store.notice
    assert library.notices == [notice]
    assert "m = 16, ef_construction = 64" in notice and "m = 32, ef_construction = 80" in notice
    assert f"DROP INDEX {hnsw.INDEX}" in notice
    # AND the statements of the notice do rebuild it
    with psycopg.connect(pg_url, autocommit=True) as conn:
        for statement in notice.split("run in the database: ")[1].split(";")[:2]:
            conn.execute(statement)
    assert options_of(pg_url) == hnsw.OPTIONS
    library.close()
