"""The watched folder: the stored setting, and a real watchdog observer on a temporary folder."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from dossier.watch import (
    FolderWatcher,
    WatchBatch,
    WatchError,
    WatchOptions,
    is_candidate,
    watch_setting,
)

ARTICLE = (
    "Harbour Council Approves New Ferry Route\n\n"
    "The harbour council voted on Tuesday to approve a new ferry route between the old port "
    "and the northern islands. The first ferry will sail in spring, the council said.\n"
)
WAIT_S = 30  # generous: the machine may be busy; an event that never comes fails the test


class Batches:
    """Collects what the watcher hands over, with the file sizes at that moment."""

    def __init__(self) -> None:
        self.batches: list[WatchBatch] = []
        self.sizes: dict[Path, list[int]] = {}
        self._changed = threading.Condition()

    def __call__(self, batch: WatchBatch) -> None:
        with self._changed:
            self.batches.append(batch)
            for path in batch.paths:
                if path.is_file():
                    self.sizes.setdefault(path, []).append(path.stat().st_size)
            self._changed.notify_all()

    def files(self) -> list[Path]:
        return [p for b in self.batches if not b.catch_up for p in b.paths]

    def wait_for(self, path: Path) -> None:
        with self._changed:
            if not self._changed.wait_for(lambda: path in self.files(), timeout=WAIT_S):
                raise AssertionError(f"{path.name} was never handed over: {self.batches}")


@pytest.fixture
def watched(tmp_path):
    """(folder, batches, start): a folder and a watcher started on it by `start()`."""
    folder = tmp_path / "inbox"
    folder.mkdir()
    batches = Batches()
    watchers = []

    def start(options: WatchOptions | None = None, catch_up: bool = False) -> FolderWatcher:
        watcher = FolderWatcher(folder, batches, options or WatchOptions(quiet_s=0.5))
        watcher.start(catch_up=catch_up)
        watchers.append(watcher)
        assert watcher.started.wait(WAIT_S) and watcher.error is None
        return watcher

    yield folder.resolve(), batches, start
    for watcher in watchers:
        watcher.stop()


# --- the setting ------------------------------------------------------------------------


def test_attach_is_stored_beside_the_library_and_detach_forgets_it(tmp_path):
    library = tmp_path / "data" / "library"
    folder = tmp_path / "articles"
    folder.mkdir()
    setting = watch_setting(library)
    assert setting.attached() is None
    assert setting.attach(folder) == folder.resolve()
    # read back by another handle (another process, the window) from the file
    assert watch_setting(library).attached() == folder.resolve()
    assert setting.file.parent == library
    assert setting.detach() == folder.resolve()
    assert watch_setting(library).attached() is None
    assert setting.detach() is None


@pytest.mark.parametrize("case", ["missing", "file", "library", "inside library", "above"])
def test_a_folder_that_cannot_be_watched_is_refused_with_its_name(tmp_path, case):
    library = tmp_path / "data" / "library"
    library.mkdir(parents=True)
    (tmp_path / "a.txt").write_text("x")
    (library / "inner").mkdir()
    folder = {
        "missing": tmp_path / "nowhere",
        "file": tmp_path / "a.txt",
        "library": library,
        "inside library": library / "inner",
        "above": tmp_path / "data",
    }[case]
    setting = watch_setting(library)
    with pytest.raises(WatchError, match=folder.name):
        setting.attach(folder)
    assert setting.attached() is None


def test_an_unreadable_setting_means_no_folder(tmp_path):
    setting = watch_setting(tmp_path)
    setting.file.write_text("{not json")
    assert setting.attached() is None


def test_which_names_count(tmp_path):
    folder = tmp_path
    assert is_candidate(folder / "story.txt", folder)
    assert is_candidate(folder / "sub" / "Story.HTML", folder)
    for name in ["notes.xyz", ".draft.txt", "~$report.docx", "story.txt~", "page.html.part"]:
        assert not is_candidate(folder / name, folder), name
    assert not is_candidate(folder / ".git" / "story.txt", folder)
    assert not is_candidate(tmp_path.parent / "elsewhere.txt", folder)


# --- the watcher ------------------------------------------------------------------------


def test_a_new_file_is_handed_over_once_after_it_settles(watched):
    folder, batches, start = watched
    start()
    first = folder / "ferry.txt"
    first.write_text(ARTICLE)  # created, modified, closed: several events
    batches.wait_for(first)
    second = folder / "sub" / "budget.md"  # and in a new subfolder
    second.parent.mkdir()
    second.write_text(ARTICLE.replace("ferry", "budget"))
    batches.wait_for(second)
    assert batches.files().count(first) == 1
    assert batches.sizes[first] == [len(ARTICLE)]


def test_a_half_written_file_is_not_handed_over_until_it_stops_growing(watched):
    folder, batches, start = watched
    start(WatchOptions(quiet_s=1.0))
    path = folder / "long.txt"
    seen_while_writing = []
    with path.open("w") as out:
        for i in range(25):  # ~2.5 s of writing, never quiet for a second
            out.write(f"Paragraph {i} of a long article about the ferry route.\n")
            out.flush()
            seen_while_writing += batches.files()
            time.sleep(0.1)
    final_size = path.stat().st_size
    batches.wait_for(path)
    assert seen_while_writing == []
    assert batches.sizes[path] == [final_size]  # handed over whole, once


def test_unsupported_hidden_and_partial_files_are_ignored(watched):
    folder, batches, start = watched
    start()
    for name in ["notes.xyz", ".draft.txt", "~$report.docx", "page.html.crdownload"]:
        (folder / name).write_text(ARTICLE)
    good = folder / "good.txt"
    good.write_text(ARTICLE)
    batches.wait_for(good)
    assert batches.files() == [good]


def test_a_file_renamed_into_place_is_handed_over_and_deletions_are_not(watched):
    folder, batches, start = watched
    old = folder / "old.txt"
    old.write_text(ARTICLE)
    start()
    partial = folder / "page.html.crdownload"
    partial.write_text(f"<html><body><p>{ARTICLE}</p></body></html>")
    partial.rename(folder / "page.html")  # how a browser finishes a download
    old.unlink()
    batches.wait_for(folder / "page.html")
    assert batches.files() == [folder / "page.html"]


def test_catch_up_hands_over_the_whole_folder_first(watched):
    folder, batches, start = watched
    (folder / "while-closed.txt").write_text(ARTICLE)
    start(catch_up=True)
    new = folder / "later.txt"
    new.write_text(ARTICLE.replace("Tuesday", "Friday"))
    batches.wait_for(new)
    assert batches.batches[0] == WatchBatch(folder=folder, paths=[folder], catch_up=True)
    assert (folder / "while-closed.txt") not in batches.files()  # the catch-up covered it


def test_a_folder_removed_before_the_watcher_starts_is_refused(tmp_path):
    folder = tmp_path / "gone"
    folder.mkdir()
    watcher = FolderWatcher(folder, Batches())
    folder.rmdir()
    with pytest.raises(WatchError, match="gone"):
        watcher.start()


def test_an_observer_that_cannot_start_is_reported(tmp_path, monkeypatch):
    def broken(self):
        raise PermissionError(13, "Permission denied", str(self.folder))

    monkeypatch.setattr(FolderWatcher, "_start_observer", broken)
    errors = []
    watcher = FolderWatcher(tmp_path, Batches(), on_error=errors.append)
    watcher.start()
    assert watcher.started.wait(WAIT_S)
    watcher.stop()
    assert isinstance(watcher.error, PermissionError) and errors == [watcher.error]


def test_catch_up_then_ingest_adds_what_arrived_while_closed_and_skips_the_rest(watched, library):
    folder, batches, start = watched
    (folder / "a.txt").write_text(ARTICLE)
    library.ingest([folder])
    (folder / "b.txt").write_text(ARTICLE.replace("ferry", "tram").replace("Ferry", "Tram"))
    start(catch_up=True)
    # the catch-up batch, ingested as the front ends do
    with batches._changed:
        assert batches._changed.wait_for(lambda: batches.batches, timeout=WAIT_S)
    report = library.ingest(batches.batches[0].paths)
    assert report.added == ["b"] and report.unchanged == ["a"]
