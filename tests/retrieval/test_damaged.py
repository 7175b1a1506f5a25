"""Damaged, lost, read-only or full libraries: a rebuild or a clear message, never silent loss."""

from __future__ import annotations

import errno
import json
import os
import shlex
import shutil
import subprocess
import sys
import textwrap

import pytest

import retrieval.dense
from retrieval.check import check_library
from retrieval.errors import (
    DiskFull,
    LibraryDamaged,
    LibraryMissing,
    LibraryUnavailable,
)
from retrieval.library import Library
from tests.conftest import REPO, SEEDS, FakeEmbedder


@pytest.fixture
def folder(tmp_path):
    """A library folder holding the seeds, closed."""
    path = tmp_path / "lib"
    library = Library(path, embedder=FakeEmbedder())
    assert library.ingest([SEEDS]).ok
    library.close()
    return path


def _open(folder) -> Library:
    return Library(folder, embedder=FakeEmbedder())


def _index_file(folder):
    (path,) = folder.glob("vectors-*.faiss")
    return path


def _searches_everything(folder) -> None:
    library = _open(folder)
    try:
        assert library.search("missiles Ukraine", k=5)
        assert library._dense_index().size == library.store.count_chunks()
    finally:
        library.close()


@pytest.mark.parametrize("keep", [0.5, 0.0], ids=["half", "empty"])
def test_a_truncated_vector_index_is_rebuilt(folder, keep):
    # GIVEN a vector index file cut short
    path = _index_file(folder)
    path.write_bytes(path.read_bytes()[: int(path.stat().st_size * keep)])
    # WHEN the library is searched, THEN it works with every vector, from a rebuilt index
    _searches_everything(folder)
    assert check_library(folder, embedder=FakeEmbedder()).ok


@pytest.mark.parametrize(
    "content", [b"", b"\x00garbage{", b"[1, 2]"], ids=["empty", "junk", "list"]
)
def test_a_damaged_manifest_is_rewritten_and_nothing_fails(folder, content):
    # GIVEN a manifest that is empty, garbage or not an object
    (folder / "manifest.json").write_bytes(content)
    # WHEN the library is opened and listed and searched
    library = _open(folder)
    try:
        assert len(library.sources()) == 5
    finally:
        library.close()
    _searches_everything(folder)
    # THEN the manifest is valid again, with the embedder it was built with
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["embedder"] == FakeEmbedder.name and manifest["dim"] == FakeEmbedder.dim


def test_a_garbage_manifest_with_another_embedders_vectors_asks_for_reindex(folder, tmp_path):
    # GIVEN a library of 64-dim vectors whose manifest is garbage, opened with a 32-dim embedder
    (folder / "manifest.json").write_text("not json")

    class Other(FakeEmbedder):
        name = "other"
        dim = 32

    # WHEN it is opened, THEN it is refused with a message to reindex (not mixed silently)
    from retrieval.errors import LibraryMismatch

    with pytest.raises(LibraryMismatch, match="dossier reindex"):
        Library(folder, embedder=Other())


@pytest.mark.parametrize("how", ["deleted", "emptied"])
def test_a_lost_database_is_an_error_not_a_new_library(folder, how):
    # GIVEN a library whose database was deleted or emptied
    database = folder / "library.sqlite3"
    if how == "deleted":
        database.unlink()
        for extra in folder.glob("library.sqlite3-*"):
            extra.unlink()
    else:
        database.write_bytes(b"")
    # WHEN it is opened, THEN a clear error names the file and a way out; nothing is created
    with pytest.raises(LibraryMissing) as caught:
        _open(folder)
    message = str(caught.value)
    assert str(database) in message and "backup" in message and "move the folder" in message
    assert not database.exists() or database.stat().st_size == 0


def test_open_library_does_not_reseed_over_a_lost_database(tmp_path):
    # GIVEN the user's library with its seeds, whose database is then deleted
    from dossier.library import open_library

    folder = tmp_path / "data" / "dossiers" / "demo" / "library"
    open_library(folder, embedder=FakeEmbedder()).close()
    (folder / "library.sqlite3").unlink()
    # WHEN Dossier opens it again, THEN it refuses instead of starting over with the seeds
    with pytest.raises(LibraryMissing):
        open_library(folder, embedder=FakeEmbedder())


def test_a_half_truncated_database_gives_a_clear_message_and_check_says_what_is_left(folder):
    # GIVEN a database file cut in half (the WAL checkpointed into it first)
    database = folder / "library.sqlite3"
    data = database.read_bytes()
    database.write_bytes(data[: len(data) // 2])
    # WHEN it is opened, THEN the error names the file and `dossier check`
    with pytest.raises(LibraryDamaged) as caught:
        _open(folder)
    assert str(database) in str(caught.value) and "dossier check" in str(caught.value)
    # AND the check reports the damage without raising, with the originals still on disk
    report = check_library(folder, embedder=FakeEmbedder())
    assert not report.ok and report.database == "damaged"
    assert all(p.startswith(str(SEEDS.resolve())) for p in report.recoverable_paths)


def test_a_data_folder_that_is_a_file_is_refused_clearly(tmp_path):
    # GIVEN a data "folder" that is a file
    not_a_folder = tmp_path / "data"
    not_a_folder.write_text("x")
    # WHEN a library is opened under it, THEN a clear message names it
    with pytest.raises(LibraryUnavailable, match="is a file, not a folder") as caught:
        _open(not_a_folder / "library")
    assert f"{not_a_folder} is a file" in str(caught.value)


def test_a_vector_index_that_cannot_be_saved_fails_nothing(folder, monkeypatch, tmp_path):
    # GIVEN a disk that is full for the index file (SQLite still commits)
    def no_space(path, data):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(retrieval.dense, "atomic_write_bytes", no_space)
    (tmp_path / "new").mkdir()
    (tmp_path / "new" / "n.txt").write_text("Harbour cranes were idle for a week. " * 30)
    # WHEN an article is ingested, THEN the ingest reports normally
    library = _open(folder)
    try:
        report = library.ingest([tmp_path / "new"])
        assert report.added == ["n"]
        assert any("cranes" in h.chunk.text for h in library.search("harbour cranes", k=3))
    finally:
        library.close()
    # AND later searches, still with a full disk, find everything (the index is rebuilt)
    _searches_everything(folder)
    library = _open(folder)
    try:
        assert any(h.chunk.source_id == "n" for h in library.search("harbour cranes idle", k=3))
    finally:
        library.close()


def test_a_full_database_leaves_the_library_as_it_was(folder, tmp_path):
    # GIVEN a database that can grow by no page (SQLite's own "database or disk is full")
    library = _open(folder)
    library.store._db.execute(
        f"PRAGMA max_page_count = {library.store._db.execute('PRAGMA page_count').fetchone()[0]}"
    )
    (tmp_path / "big").mkdir()
    (tmp_path / "big" / "b.txt").write_text("A long article about river ferries. " * 3000)
    try:
        # WHEN an article is ingested, THEN DiskFull says so, and the library is unchanged
        with pytest.raises(DiskFull, match="Free some space"):
            library.ingest([tmp_path / "big"])
        assert [s.id for s in library.sources()] == sorted(s.id for s in library.sources())
        assert len(library.sources()) == 5
    finally:
        library.close()
    _searches_everything(folder)


READ_ONLY_INGEST = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {repo!r})
    from retrieval.errors import LibraryReadOnly
    from retrieval.library import Library
    from tests.conftest import FakeEmbedder

    embedder = FakeEmbedder()
    library = Library({folder!r}, embedder=embedder)
    print(len(library.search("missiles", k=3)), len(library.sources()))
    searched = embedder.texts_embedded
    try:
        library.ingest([__import__("pathlib").Path({docs!r})])
    except LibraryReadOnly as exc:
        print("refused", embedder.texts_embedded - searched, str(exc))
    for action in (lambda: library.remove("{first}"),):
        try:
            action()
        except LibraryReadOnly:
            print("remove refused")
    """
)


def test_a_read_only_library_is_searched_and_refuses_writes_before_any_work(folder, tmp_path):
    # GIVEN a library folder the user cannot write (as root: run as nobody)
    shared = tmp_path / "shared"
    shutil.copytree(folder, shared / "lib")
    (shared / "docs").mkdir()
    (shared / "docs" / "x.txt").write_text("An article about tram timetables. " * 20)
    first = sorted(p.stem for p in SEEDS.glob("*.txt"))[0]
    script = READ_ONLY_INGEST.format(
        repo=str(REPO), folder=str(shared / "lib"), docs=str(shared / "docs"), first=first
    )
    command = [sys.executable, "-c", script]
    if os.geteuid() == 0:  # root ignores permissions: mount the folder read-only instead
        if not shutil.which("unshare"):
            pytest.skip("running as root without unshare(1) to mount a read-only folder")
        lib = shlex.quote(str(shared / "lib"))
        command = [
            "unshare",
            "-m",
            "sh",
            "-c",
            f"mount --bind {lib} {lib} && mount -o remount,bind,ro {lib} && exec "
            + shlex.join(command),
        ]
    else:
        for path in [shared / "lib", *(shared / "lib").iterdir()]:
            os.chmod(path, 0o555 if path.is_dir() else 0o444)
    # WHEN it is searched and then written to
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if "Operation not permitted" in result.stderr and os.geteuid() == 0:
        pytest.skip(f"no permission to mount here: {result.stderr.strip()}")
    # THEN search works, and writes are refused with a clear message before embedding anything
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == [lines[0].split()[0], "5"] and int(lines[0].split()[0]) > 0
    assert lines[1].startswith("refused 0 ") and "read-only" in lines[1]
    assert lines[2] == "remove refused"


def test_bad_sidecar_fields_are_reported_dropped_and_the_file_still_goes_in(tmp_path):
    # GIVEN a metadata.json with a number, a list and an unknown field beside a good title
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("An article about lighthouse keepers. " * 20)
    (docs / "metadata.json").write_text(
        json.dumps({"a.txt": {"outlet": 12345, "byline": ["x"], "mood": "odd", "title": "Kept"}})
    )
    library = Library(tmp_path / "lib", embedder=FakeEmbedder())
    try:
        # WHEN the folder is ingested
        report = library.ingest([docs])
        # THEN the file goes in, the bad fields are reported (naming the file) and dropped
        assert report.added == ["a"] and report.ok
        reasons = " | ".join(w.reason for w in report.warnings)
        assert "'outlet' is not text" in reasons and "'byline' is not text" in reasons
        assert "unknown field 'mood'" in reasons
        assert all(w.path.endswith("metadata.json") for w in report.warnings)
        # AND everything stored reads back
        (source,) = library.sources()
        assert source.meta.title == "Kept" and source.meta.outlet is None
    finally:
        library.close()


def test_metadata_stored_unchecked_by_an_older_version_reads_back(folder):
    # GIVEN a source whose stored metadata has a number where text belongs
    library = _open(folder)
    try:
        library.store._db.execute(
            "UPDATE sources SET meta = ? WHERE rowid = 1", (json.dumps({"outlet": 12345}),)
        )
        # WHEN sources are listed, THEN nothing crashes and the bad field is left out
        assert len(library.sources()) == 5
        assert any(s.meta.outlet is None for s in library.sources())
    finally:
        library.close()


def test_check_finds_an_index_that_differs_and_repairs_it(folder):
    # GIVEN an index saved for the current commit but missing some vectors
    library = _open(folder)
    dense = library._dense_index()
    dense.remove(dense.ids()[:7].tolist())
    dense.save(folder, library.store.generation())
    library.close()
    (folder / ".vectors-9.faiss.abc.tmp").write_bytes(b"left by a killed write")
    # WHEN it is checked, THEN the difference is found
    report = check_library(folder, embedder=FakeEmbedder())
    assert not report.ok and report.index == "differs" and report.missing_from_index == 7
    assert report.stray_files == [".vectors-9.faiss.abc.tmp"]
    # AND repair rebuilds the index from SQLite; a second check is clean
    repaired = check_library(folder, embedder=FakeEmbedder(), repair=True)
    assert repaired.ok and repaired.repaired
    again = check_library(folder, embedder=FakeEmbedder())
    assert again.ok and again.problems == [] and again.stray_files == []
