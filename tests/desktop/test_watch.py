"""The watched folder in the real window: files that appear there go into the library table."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

from PySide6.QtCore import Qt

from dossier.watch import watch_setting
from tests.fakes import ScriptedLLM

ARTICLE = (
    "Harbour Council Approves New Ferry Route\n\n"
    "The harbour council voted on Tuesday to approve a new ferry route between the old port "
    "and the northern islands. The first ferry will sail in spring, the council said.\n"
)
TRAM = ARTICLE.replace("Ferry", "Tram").replace("ferry", "tram")
WAIT_MS = 30000  # generous: the watcher waits for a file to settle, the machine may be busy


def titles(app) -> set[str]:
    model = app.library.model
    return {model.object_at(r).meta.title for r in range(model.rowCount())}


def watch(qtbot, window, app, folder) -> None:
    """The user picks `folder` with *Watch a folder…*; its catch-up import finishes."""
    app.watch.choose_folder = lambda: folder  # the folder dialog, answered
    with qtbot.waitSignal(app.library.ingest_finished, timeout=WAIT_MS):
        qtbot.mouseClick(window.library.watch_row.watch_button, Qt.MouseButton.LeftButton)


def test_a_watched_folder_picks_up_a_new_file(qtbot, make_window, tmp_path, monkeypatch):
    from desktop.controllers.library import LibraryController

    ingest_threads = []
    original = LibraryController.ingest

    def ingest(self, paths):  # the import path, recording the thread it is called on
        ingest_threads.append(threading.current_thread() is threading.main_thread())
        return original(self, paths)

    monkeypatch.setattr(LibraryController, "ingest", ingest)
    # GIVEN a dossier with an empty library watching an empty folder
    window, app = make_window(ScriptedLLM([]), folder=None)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    watch(qtbot, window, app, inbox)
    assert window.library.watch_row.label.text() == f"Watching {inbox.resolve()}"
    assert window.library.watch_row.stop_button.isVisible()
    # WHEN a new article file appears in the folder
    (inbox / "ferry.txt").write_text(ARTICLE)
    # THEN it is in the library table, ingested as an import is (status line, counts)
    qtbot.waitUntil(
        lambda: titles(app) == {"Harbour Council Approves New Ferry Route"}, timeout=WAIT_MS
    )
    assert "1 added" in window.job_status.text()
    assert window.library_status.text() == "Library: 1 sources, 1 passages"
    # the watcher's batches reached the import on the GUI thread, never on its own
    assert ingest_threads == [True, True]  # the catch-up, then the new file


def test_a_bad_file_shows_its_error_while_a_good_one_goes_in(qtbot, make_window, tmp_path):
    # GIVEN a dossier watching a folder
    window, app = make_window(ScriptedLLM([]), folder=None)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    watch(qtbot, window, app, inbox)
    # WHEN a broken PDF and a good article appear
    (inbox / "broken.pdf").write_bytes(b"%PDF-1.4 this is not really a pdf \x00\xff" * 10)
    (inbox / "tram.txt").write_text(TRAM)
    # THEN the good one is listed and the bad one is explained by name, as after an import
    qtbot.waitUntil(
        lambda: app.library.errors.rowCount() == 1 and app.library.model.rowCount() == 1,
        timeout=WAIT_MS,
    )
    assert titles(app) == {"Harbour Council Approves New Tram Route"}
    assert window.library.errors_box.isVisible()
    error = app.library.errors.object_at(0)
    assert error.path.endswith("broken.pdf") and error.reason


def test_files_added_while_closed_go_in_at_start_and_stop_watching_keeps_them(
    qtbot, make_window, tmp_path
):
    # GIVEN a folder attached earlier (by `dossier watch --attach`) that got a file since
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    watch_setting(tmp_path / "lib").attach(inbox)
    (inbox / "ferry.txt").write_text(ARTICLE)
    # WHEN the window opens
    window, app = make_window(ScriptedLLM([]), folder=None)
    # THEN the file is caught up and the folder is shown as watched
    qtbot.waitUntil(lambda: app.library.model.rowCount() == 1, timeout=WAIT_MS)
    assert window.library.watch_row.label.text() == f"Watching {inbox.resolve()}"
    # WHEN the user stops watching
    qtbot.mouseClick(window.library.watch_row.stop_button, Qt.MouseButton.LeftButton)
    # THEN the setting is gone, the source stays, and new files are not picked up
    assert watch_setting(tmp_path / "lib").attached() is None
    assert app.watch.watcher is None
    assert window.library.watch_row.label.text() == "No folder watched"
    assert app.library.model.rowCount() == 1


def test_an_attached_folder_that_is_gone_is_shown_so(qtbot, make_window, tmp_path):
    # GIVEN a folder attached earlier, deleted since
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    watch_setting(tmp_path / "lib").attach(inbox)
    inbox.rmdir()
    # WHEN the window opens
    window, app = make_window(ScriptedLLM([]), folder=None)
    # THEN the row says it cannot be watched, and the folder can be detached
    qtbot.waitUntil(
        lambda: "cannot be watched" in window.library.watch_row.label.text(), timeout=WAIT_MS
    )
    assert app.watch.watcher is None
    assert str(inbox) in window.job_status.text()
    qtbot.mouseClick(window.library.watch_row.stop_button, Qt.MouseButton.LeftButton)
    assert watch_setting(tmp_path / "lib").attached() is None


def test_a_file_picked_up_is_summarised_in_the_background_as_after_an_import(
    qtbot, make_window, tmp_path
):
    from dossier.prepare import sources_to_summarize

    # GIVEN a dossier watching a folder, background summaries on
    llm = ScriptedLLM(lambda messages: "ANGLE: none", piece_delay_s=0.005)
    window, app = make_window(llm, folder=None, background=True)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    watch(qtbot, window, app, inbox)
    # WHEN an article appears there
    with qtbot.waitSignal(app.background.finished, timeout=WAIT_MS):
        (inbox / "ferry.txt").write_text(ARTICLE)
    # THEN it was ingested and its summary made and cached
    assert titles(app) == {"Harbour Council Approves New Ferry Route"}
    assert sources_to_summarize(app.engine.library, app.engine.llm) == []
    assert window.background_status.text() == "Summaries ready for the briefing"


def dossier_cli(*argv: str) -> None:
    """`dossier ARGV...` run in another process, on the test's data folder."""
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root)}
    done = subprocess.run(
        [sys.executable, "-m", "cli", *argv], cwd=root, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


def test_a_folder_attached_or_detached_by_the_cli_is_followed_by_the_open_window(
    qtbot, make_window, tmp_path, isolated_data_dir
):
    from dossier.dossiers import Dossiers

    # GIVEN the window open on a dossier that watches no folder, and a folder with an article
    library_dir = Dossiers(isolated_data_dir).current().library_dir
    window, app = make_window(ScriptedLLM([]), folder=None, library_dir=library_dir)
    assert window.library.watch_row.label.text() == "No folder watched"
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "ferry.txt").write_text(ARTICLE)
    # WHEN `dossier watch --attach FOLDER` runs in another process
    dossier_cli("watch", "--attach", str(inbox))
    # THEN the window follows the folder: shown as watched, its article caught up
    qtbot.waitUntil(
        lambda: window.library.watch_row.label.text() == f"Watching {inbox.resolve()}",
        timeout=WAIT_MS,
    )
    qtbot.waitUntil(lambda: app.library.model.rowCount() == 1, timeout=WAIT_MS)
    # WHEN another process detaches it
    dossier_cli("watch", "--detach")
    # THEN the window stops watching and says why; new files are not picked up
    qtbot.waitUntil(lambda: app.watch.watcher is None, timeout=WAIT_MS)
    assert window.library.watch_row.label.text() == "No folder watched"
    assert "detached by another process" in window.job_status.text()
    (inbox / "tram.txt").write_text(TRAM)
    qtbot.wait(2500)  # longer than the watcher's quiet time and a setting check
    assert titles(app) == {"Harbour Council Approves New Ferry Route"}
