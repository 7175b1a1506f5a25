import json

import numpy as np
import pytest

import retrieval.library as library_module
from retrieval.index import INDEX_TYPES
from retrieval.library import Library, rebuild
from retrieval.search import Bm25Index, rrf_fuse, top_k_dense
from retrieval.store import LibraryMismatch
from tests.conftest import SEEDS, FakeEmbedder


def test_seed_chunks_slice_the_stored_text_exactly(seeded_library):
    for source in seeded_library.sources():
        text = seeded_library.source_text(source.id)
        chunks = seeded_library.chunks_of(source.id)
        assert len(chunks) == source.n_chunks > 0
        for chunk in chunks:
            assert text[chunk.start : chunk.end] == chunk.text


def test_stored_text_is_the_original_file_including_boilerplate(seeded_library):
    for path in SEEDS.glob("*.txt"):
        assert seeded_library.source_text(path.stem) == path.read_text(encoding="utf-8")


def test_sidecar_metadata_is_applied(seeded_library):
    sidecar = json.loads((SEEDS / "metadata.json").read_text())
    for source in seeded_library.sources():
        stated = {k: v for k, v in sidecar[source.id + ".txt"].items() if v}
        for field, value in stated.items():
            assert getattr(source.meta, field) == value


@pytest.mark.parametrize("index", sorted(INDEX_TYPES))
def test_hybrid_search_equals_fusing_brute_force_rankings(tmp_path, index):
    """The vector index + bm25s path returns what fusing two brute-force rankings returns."""
    seeded_library = Library(tmp_path / "lib", embedder=FakeEmbedder(), index=index)
    assert seeded_library.ingest([SEEDS]).ok
    store = seeded_library.store
    ids, vectors = store.all_vectors(seeded_library.embedder.dim)
    text_ids, texts = store.all_chunk_texts()
    assert ids.tolist() == text_ids.tolist()
    bm25 = Bm25Index(texts)
    for query in ["missile range in miles", "press conference remarks", "drone attack on Moscow"]:
        qv = seeded_library.embedder.embed([query])[0]
        dense_rows, _ = top_k_dense(vectors, qv, 50)
        bm25_rows, _ = bm25.top_k(query, 50)
        want = rrf_fuse([ids[dense_rows].tolist(), ids[bm25_rows].tolist()])[:6]
        got = seeded_library.search(query, k=6)
        assert [h.chunk.id for h in got] == [cid for cid, _ in want]
        assert np.allclose([h.score for h in got], [s for _, s in want])


def test_hits_report_both_component_ranks(seeded_library):
    hits = seeded_library.search("foreign ministry warned red line", k=5)
    assert hits and hits[0].dense_rank is not None and hits[0].bm25_rank is not None
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_unchanged_files_are_skipped_and_changed_ones_replaced(tmp_path, library, fake_embedder):
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "a.txt").write_text("Harbour Plan\nThe council approved the harbour plan on Monday.")
    (folder / "b.txt").write_text("Rail Strike\nTrain drivers walked out over pay.")
    first = library.ingest([folder])
    assert sorted(first.added) == ["a", "b"]
    embedded = fake_embedder.texts_embedded

    again = library.ingest([folder])
    assert sorted(again.unchanged) == ["a", "b"] and not again.added
    assert fake_embedder.texts_embedded == embedded  # nothing re-embedded

    (folder / "a.txt").write_text("Harbour Plan\nThe council rejected the harbour plan on Friday.")
    third = library.ingest([folder])
    assert third.replaced == ["a"] and third.unchanged == ["b"]
    assert "rejected" in library.search("council rejected harbour", k=1)[0].chunk.text
    assert not any("approved" in c.text for c in library.chunks_of("a"))


def test_a_keyword_index_in_use_is_rebuilt_by_the_write_not_the_next_search(
    tmp_path, library, monkeypatch
):
    (tmp_path / "a.txt").write_text("Harbour Plan\nThe council approved the harbour plan.")
    (tmp_path / "b.txt").write_text("Rail Strike\nTrain drivers walked out over pay.")
    library.ingest([tmp_path / "a.txt"])
    assert library.search("harbour plan", k=1)  # BM25 is built and now in use
    library.ingest([tmp_path / "b.txt"])
    library.remove("a")
    built = []
    monkeypatch.setattr(library_module, "Bm25Index", lambda texts: built.append(texts))
    hits = library.search("train drivers", k=2)
    assert built == [] and [h.chunk.source_id for h in hits] == ["b"]


def test_remove_deletes_the_source_and_its_vectors(seeded_library):
    before = seeded_library._dense_index().size
    gone = seeded_library.chunks_of("003_0a22524ab33fde7d")
    assert seeded_library.remove("003_0a22524ab33fde7d")
    assert "003_0a22524ab33fde7d" not in [s.id for s in seeded_library.sources()]
    assert seeded_library._dense_index().size == before - len(gone)
    for hit in seeded_library.search("counter-fire Kharkiv Belgorod", k=20):
        assert hit.chunk.source_id != "003_0a22524ab33fde7d"
    assert not seeded_library.remove("003_0a22524ab33fde7d")


def test_removal_persists_after_reopening(tmp_path, fake_embedder):
    lib = Library(tmp_path / "lib", embedder=fake_embedder)
    lib.ingest([SEEDS])
    lib.remove("000_af46ed12ca4a5ab7")
    lib.close()
    reopened = Library(tmp_path / "lib", embedder=fake_embedder)
    assert len(reopened.sources()) == 4
    assert reopened._dense_index().size == sum(s.n_chunks for s in reopened.sources())


def test_same_file_name_in_two_folders_keeps_both(tmp_path, library):
    for sub in ("x", "y"):
        (tmp_path / sub).mkdir()
        (tmp_path / sub / "story.txt").write_text(
            f"Story {sub}\nA different report from desk {sub}."
        )
    report = library.ingest([tmp_path / "x", tmp_path / "y"])
    assert report.added == ["story", "story-2"]
    # Re-ingesting keeps each file's id: ids follow paths, not arrival order.
    (tmp_path / "x" / "story.txt").write_text("Story x\nAn updated report from desk x.")
    assert library.ingest([tmp_path / "x"]).replaced == ["story"]


def test_identical_content_at_another_path_is_not_added_twice(tmp_path, library):
    (tmp_path / "one.txt").write_text("Same\nThe same article text.")
    (tmp_path / "two.txt").write_text("Same\nThe same article text.")
    report = library.ingest([tmp_path / "one.txt", tmp_path / "two.txt"])
    assert report.added == ["one"] and report.unchanged == ["one"]


def test_a_library_built_with_another_embedder_says_how_to_rebuild(tmp_path, fake_embedder):
    Library(tmp_path / "lib", embedder=fake_embedder).ingest([SEEDS])

    class Other(FakeEmbedder):
        name = "another/model"
        dim = 32

    with pytest.raises(LibraryMismatch, match="dossier reindex"):
        Library(tmp_path / "lib", embedder=Other())
    report = rebuild(tmp_path / "lib", embedder=Other())
    assert len(report.replaced) == 5
    reopened = Library(tmp_path / "lib", embedder=Other())
    assert reopened.search("missiles", k=3)
    assert reopened._dense_index().dim == 32


def test_a_damaged_vector_file_is_rebuilt_from_the_database(tmp_path, fake_embedder):
    lib = Library(tmp_path / "lib", embedder=fake_embedder)
    lib.ingest([SEEDS])
    expected = [h.chunk.id for h in lib.search("missile range", k=5)]
    lib.close()
    for file in (tmp_path / "lib").glob("vectors-*.faiss"):
        file.write_bytes(b"garbage")
    reopened = Library(tmp_path / "lib", embedder=fake_embedder)
    assert [h.chunk.id for h in reopened.search("missile range", k=5)] == expected


def test_cancel_stops_between_files_and_keeps_what_was_committed(tmp_path, library):
    import threading

    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(5):
        (folder / f"f{i}.txt").write_text(f"Title {i}\nBody of article number {i} about topic {i}.")
    cancel = threading.Event()

    def progress(event):
        if event.files_done == 2:
            cancel.set()

    report = library.ingest([folder], progress=progress, cancel=cancel)
    assert report.cancelled and report.added == ["f0", "f1"]
    assert [s.id for s in library.sources()] == ["f0", "f1"]
