"""Several processes writing one library: every committed chunk ends up searchable."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from retrieval.check import check_library
from retrieval.library import Library
from tests.conftest import REPO, FakeEmbedder

# A writer in its own process: small batches and a slow embedder, so two writers overlap for
# many commits (without the write lock each saved an index lacking the other's vectors).
WRITER = textwrap.dedent(
    """
    import sys, time
    sys.path.insert(0, {repo!r})
    import retrieval.library as lib
    from tests.conftest import FakeEmbedder

    class SlowEmbedder(FakeEmbedder):
        def embed(self, texts):
            time.sleep(0.02)
            return super().embed(texts)

    lib.EMBED_BATCH_CHUNKS = 4
    library = lib.Library({folder!r}, embedder=SlowEmbedder())
    action = sys.argv[1]
    if action == "ingest":
        report = library.ingest([__import__("pathlib").Path(sys.argv[2])])
        print(len(report.added), report.chunks_added)
    elif action == "remove":
        print(library.remove(sys.argv[2]))
    library.close()
    """
)


def _articles(folder, prefix: str, n: int) -> list[str]:
    """n small articles, each with a word no other article has (its marker)."""
    folder.mkdir()
    markers = []
    for i in range(n):
        marker = f"{prefix}marker{i}"
        body = " ".join(
            f"Sentence {j} of the {prefix} report number {i} mentions {marker} once."
            for j in range(12)
        )
        (folder / f"{prefix}_{i:03d}.txt").write_text(f"{prefix.title()} report {i}\n\n{body}\n")
        markers.append(marker)
    return markers


def _start(script: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", script, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _assert_everything_searchable(folder, markers: list[str]) -> None:
    library = Library(folder, embedder=FakeEmbedder())
    try:
        for marker in markers:
            hits = library.search(marker, k=3)
            assert any(marker in h.chunk.text for h in hits), marker
        # The dense index alone (not only BM25) holds every chunk SQLite has.
        dense = library._dense_index()
        assert sorted(dense.ids().tolist()) == sorted(library.store.all_vectors(64)[0].tolist())
    finally:
        library.close()
    report = check_library(folder, embedder=FakeEmbedder())
    assert report.ok, report.problems


def test_two_concurrent_ingests_of_different_folders_leave_every_chunk_searchable(tmp_path):
    # GIVEN two folders of articles and one library
    markers = _articles(tmp_path / "alpha", "alpha", 12) + _articles(tmp_path / "beta", "beta", 12)
    folder = tmp_path / "lib"
    Library(folder, embedder=FakeEmbedder()).close()
    script = WRITER.format(repo=str(REPO), folder=str(folder))
    # WHEN two processes ingest them at the same time
    writers = [_start(script, "ingest", str(tmp_path / name)) for name in ("alpha", "beta")]
    outputs = [w.communicate(timeout=300) for w in writers]
    # THEN both succeed and every article is found by search, through the dense index too
    for writer, (out, err) in zip(writers, outputs, strict=True):
        assert writer.returncode == 0, err
        assert out.split()[0] == "12"
    _assert_everything_searchable(folder, markers)


def test_the_same_folder_ingested_twice_at_once_is_added_once(tmp_path):
    # GIVEN one folder of articles
    markers = _articles(tmp_path / "gamma", "gamma", 10)
    folder = tmp_path / "lib"
    Library(folder, embedder=FakeEmbedder()).close()
    script = WRITER.format(repo=str(REPO), folder=str(folder))
    # WHEN two processes ingest the same folder at once
    writers = [_start(script, "ingest", str(tmp_path / "gamma")) for _ in range(2)]
    outputs = [w.communicate(timeout=300) for w in writers]
    # THEN one adds the files, the other finds them unchanged; the index equals SQLite
    assert all(w.returncode == 0 for w in writers), [err for _, err in outputs]
    assert sorted(int(out.split()[0]) for out, _ in outputs) == [0, 10]
    _assert_everything_searchable(folder, markers)


def test_a_second_writer_says_it_waits(tmp_path, caplog):
    # GIVEN a library whose write lock another writer holds
    folder = tmp_path / "lib"
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.txt").write_text("A short article about harbour cranes. " * 20)
    holder = Library(folder, embedder=FakeEmbedder())
    waiter = Library(folder, embedder=FakeEmbedder())
    messages: list[str] = []
    waiter.on_lock_wait = messages.append
    try:
        with holder.store.write_lock():
            # WHEN the second writer starts, with a short timeout
            from retrieval.errors import LibraryLocked

            try:
                with waiter.store.write_lock(timeout=0.2, on_wait=messages.append):
                    raise AssertionError("the lock was taken twice")
            except LibraryLocked as exc:
                failure = str(exc)
        # THEN it said it was waiting, then failed with a clear message naming the folder
        assert messages and "Waiting for another Dossier process" in messages[0]
        assert str(folder) in failure and "Try again" in failure
        # AND once the first writer is done, the second writes normally
        assert waiter.ingest([tmp_path / "docs"]).added == ["a"]
    finally:
        holder.close()
        waiter.close()


def test_a_reader_sees_what_another_process_committed(tmp_path):
    # GIVEN a library open for searching in this process
    markers = _articles(tmp_path / "delta", "delta", 3)
    folder = tmp_path / "lib"
    reader = Library(folder, embedder=FakeEmbedder())
    try:
        assert reader.search(markers[0]) == []
        # WHEN another process ingests and then removes an article
        script = WRITER.format(repo=str(REPO), folder=str(folder))
        ingest = subprocess.run(
            [sys.executable, "-c", script, "ingest", str(tmp_path / "delta")],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert ingest.returncode == 0, ingest.stderr
        # THEN the reader finds the new articles through both searches
        hits = reader.search(markers[1], k=3)
        assert any(markers[1] in h.chunk.text for h in hits)
        assert reader._dense_index().size == reader.store.count_chunks()
        remove = subprocess.run(
            [sys.executable, "-c", script, "remove", "delta_001"],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert remove.stdout.strip() == "True", remove.stderr
        assert all(h.chunk.source_id != "delta_001" for h in reader.search(markers[1], k=8))
        assert reader._dense_index().size == reader.store.count_chunks()
    finally:
        reader.close()
