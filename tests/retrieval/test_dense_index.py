"""The vector index: exact while small, HNSW above the threshold, chosen automatically."""

from __future__ import annotations

import json

import numpy as np
import pytest

import retrieval.dense as dense_module
from retrieval.dense import FLAT, HNSW, DenseIndex
from retrieval.library import Library
from retrieval.search import top_k_dense
from tests.conftest import FakeEmbedder

DIM = 32


def unit_vectors(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, DIM)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def recall_at_10(index: DenseIndex, ids: np.ndarray, vectors: np.ndarray, queries) -> float:
    hits = 0
    for q in queries:
        exact_rows, _ = top_k_dense(vectors, q, 10)
        got, _ = index.search(q, 10)
        hits += len(set(ids[exact_rows].tolist()) & set(got.tolist()))
    return hits / (10 * len(queries))


def test_switches_to_hnsw_at_the_threshold_and_keeps_every_vector():
    vectors = unit_vectors(300)
    ids = np.arange(1000, 1300, dtype=np.int64)
    index = DenseIndex(DIM, threshold=200)
    index.add(ids[:150], vectors[:150])
    assert index.kind == FLAT
    index.add(ids[150:], vectors[150:])
    assert index.kind == HNSW and index.size == 300
    # every vector finds itself first, including the ones moved over from the flat index
    for row in (0, 149, 150, 299):
        got, scores = index.search(vectors[row], 1)
        assert got.tolist() == [ids[row]] and scores[0] == pytest.approx(1.0, abs=1e-5)
    assert recall_at_10(index, ids, vectors, unit_vectors(30, seed=1)) >= 0.98


def test_build_picks_the_kind_by_size():
    vectors = unit_vectors(120)
    ids = np.arange(120, dtype=np.int64)
    assert DenseIndex.build(DIM, ids, vectors, threshold=200).kind == FLAT
    assert DenseIndex.build(DIM, ids, vectors, threshold=100).kind == HNSW


def test_hnsw_removal_hides_ids_and_asks_for_a_rebuild_when_many_are_gone(tmp_path):
    vectors = unit_vectors(200)
    ids = np.arange(200, dtype=np.int64)
    index = DenseIndex.build(DIM, ids, vectors, threshold=100)
    index.remove([0, 1, 2])
    got, _ = index.search(vectors[0], 10)
    assert 0 not in got.tolist() and len(got) == 10
    assert index.size == 197 and not index.needs_rebuild
    # tombstones survive a save and load
    index.save(tmp_path, generation=7)
    loaded = DenseIndex.load(tmp_path, 7, DIM, threshold=100)
    assert loaded is not None and loaded.kind == HNSW and loaded.size == 197
    assert 1 not in loaded.search(vectors[1], 10)[0].tolist()
    loaded.remove(list(range(3, 60)))
    assert loaded.needs_rebuild


def test_a_file_saved_with_another_threshold_is_rebuilt(tmp_path):
    index = DenseIndex.build(DIM, np.arange(10), unit_vectors(10), threshold=100)
    index.save(tmp_path, generation=1)
    assert DenseIndex.load(tmp_path, 1, DIM, threshold=100) is not None
    assert DenseIndex.load(tmp_path, 1, DIM, threshold=5) is None


def write_articles(folder, start, n):
    folder.mkdir(exist_ok=True)
    for i in range(start, start + n):
        body = " ".join(f"Sentence {j} of report {i} covers subject {i % 11}." for j in range(25))
        (folder / f"report{i:03d}.txt").write_text(f"Report number {i}\n{body}")


def ingested_library(tmp_path, monkeypatch, *, threshold: int, n: int) -> Library:
    """A library of reports 0..n-1 (in tmp_path/articles) with HNSW_THRESHOLD = `threshold`."""
    monkeypatch.setattr(dense_module, "HNSW_THRESHOLD", threshold)
    write_articles(tmp_path / "articles", 0, n)
    library = Library(tmp_path / "lib", embedder=FakeEmbedder())
    library.ingest([tmp_path / "articles"])
    return library


def test_library_switches_index_kind_records_it_and_adds_without_rebuilding(tmp_path, monkeypatch):
    library = ingested_library(tmp_path, monkeypatch, threshold=30, n=5)
    articles = tmp_path / "articles"
    assert library.search("subject 3", k=3)  # builds the index
    manifest = json.loads((tmp_path / "lib" / "manifest.json").read_text())
    assert manifest["index"] == FLAT

    write_articles(articles, 5, 25)
    library.ingest([articles])
    n_chunks = sum(s.n_chunks for s in library.sources())
    assert n_chunks >= 30
    assert library._dense.kind == HNSW and library._dense.size == n_chunks
    manifest = json.loads((tmp_path / "lib" / "manifest.json").read_text())
    assert manifest["index"] == HNSW and manifest["index_params"]["M"] == dense_module.HNSW_M

    # Growing a large library adds to the graph: no rebuild, no switch.
    calls = []
    monkeypatch.setattr(DenseIndex, "build", classmethod(lambda *a, **k: calls.append("build")))
    monkeypatch.setattr(DenseIndex, "_switch_to_hnsw", lambda self: calls.append("switch"))
    before = library._dense
    write_articles(articles, 30, 5)
    library.ingest([articles])
    assert calls == [] and library._dense is before
    assert library._dense.size == sum(s.n_chunks for s in library.sources())
    hits = library.search("Report number 32", k=3)
    assert hits[0].chunk.source_id == "report032"
    library.close()

    # Reopening loads the saved HNSW file instead of building.
    monkeypatch.undo()
    monkeypatch.setattr(dense_module, "HNSW_THRESHOLD", 30)
    reopened = Library(tmp_path / "lib", embedder=FakeEmbedder())
    monkeypatch.setattr(DenseIndex, "build", classmethod(lambda *a, **k: calls.append("build")))
    assert reopened.search("Report number 7", k=1)[0].chunk.source_id == "report007"
    assert calls == [] and reopened._dense.kind == HNSW
    reopened.close()


def test_removing_sources_from_an_hnsw_library_hides_their_chunks(tmp_path, monkeypatch):
    library = ingested_library(tmp_path, monkeypatch, threshold=20, n=20)
    library.search("subject", k=1)
    assert library._dense.kind == HNSW
    assert library.remove("report004")
    hits = library.search("Report number 4", k=20)
    assert all(h.chunk.source_id != "report004" for h in hits)
    for i in range(5, 15):  # past the rebuild fraction: rebuilt from SQLite, tombstones gone
        library.remove(f"report{i:03d}")
    assert library._dense._deleted == set() or not library._dense.needs_rebuild
    assert library._dense.size == sum(s.n_chunks for s in library.sources())
    library.close()


def test_adding_to_a_reopened_large_library_does_not_rebuild_the_index(tmp_path, monkeypatch):
    library = ingested_library(tmp_path, monkeypatch, threshold=30, n=30)
    articles = tmp_path / "articles"
    assert library._dense.kind == HNSW
    library.close()

    builds = []
    real_build = DenseIndex.build.__func__

    def counting_build(cls, *args, **kwargs):
        builds.append(1)
        return real_build(cls, *args, **kwargs)

    monkeypatch.setattr(DenseIndex, "build", classmethod(counting_build))
    reopened = Library(tmp_path / "lib", embedder=FakeEmbedder())
    write_articles(articles, 30, 3)
    reopened.ingest([articles])  # no search before: the saved HNSW file is loaded and extended
    reopened.remove("report001")
    reopened.close()
    again = Library(tmp_path / "lib", embedder=FakeEmbedder())
    assert again.search("Report number 31", k=1)[0].chunk.source_id == "report031"
    assert builds == []
    assert again._dense.size == sum(s.n_chunks for s in again.sources())
    again.close()
