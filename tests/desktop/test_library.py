"""The library panel in the real window: ingest with progress and errors, remove, HTML safety."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from tests.desktop.conftest import citing
from tests.fakes import ScriptedLLM

ARTICLE = (
    "Harbour Council Approves New Ferry Route\n\n"
    "The harbour council voted on Tuesday to approve a new ferry route between the old port "
    "and the northern islands. Councillor Maria Lund said the route would cut travel times "
    "for commuters by half. The first ferry will sail in spring, the council said.\n"
)


def write_folder(folder: Path) -> Path:
    folder.mkdir()
    (folder / "ferry.txt").write_text(ARTICLE)
    (folder / "budget.txt").write_text(
        ARTICLE.replace("ferry route", "school budget").replace("Ferry Route", "School Budget")
    )
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4 this is not really a pdf \x00\xff" * 10)
    return folder


def test_ingesting_a_folder_with_a_broken_file_shows_progress_and_the_error(
    qtbot, make_window, tmp_path
):
    # GIVEN the window with an empty library, and a folder where one file is broken
    window, app = make_window(ScriptedLLM([]), folder=None)
    folder = write_folder(tmp_path / "articles")
    values = []
    window.library.progress.valueChanged.connect(values.append)
    app.library.choose_folder = lambda: [folder]  # the folder dialog, answered
    # WHEN the user adds the folder
    with qtbot.waitSignal(app.library.ingest_finished, timeout=30000) as finished:
        qtbot.mouseClick(window.library.add_folder_button, Qt.MouseButton.LeftButton)
        assert window.library.progress_box.isVisible()
    # THEN progress counted the files, the good ones are listed and the bad one is explained
    assert max(values) == 3
    report = finished.args[0]
    assert len(report.added) == 2 and len(report.failed) == 1
    assert app.library.model.rowCount() == 2
    titles = {app.library.model.object_at(r).meta.title for r in range(2)}
    assert "Harbour Council Approves New Ferry Route" in titles
    assert window.library.errors_box.isVisible()
    assert app.library.errors.rowCount() == 1
    error = app.library.errors.object_at(0)
    assert error.path.endswith("broken.pdf") and error.reason
    assert (
        "2 added" in window.job_status.text() and "1 could not be read" in window.job_status.text()
    )
    assert window.library_status.text() == "Library: 2 sources, 2 passages"


def test_an_ingest_can_be_cancelled(qtbot, make_window, tmp_path, monkeypatch):
    import time

    import retrieval.library

    # GIVEN files that take a moment each to read
    original = retrieval.library.load_document

    def slow_load_document(path, data):
        time.sleep(0.05)
        return original(path, data)

    monkeypatch.setattr(retrieval.library, "load_document", slow_load_document)
    window, app = make_window(ScriptedLLM([]), folder=None)
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(40):
        (folder / f"a{i:02d}.txt").write_text(ARTICLE.replace("Tuesday", f"day {i}"))
    cancelled_early = []

    def cancel_once(event):
        if event.files_done >= 1 and not cancelled_early:
            cancelled_early.append(event.files_done)
            qtbot.mouseClick(window.library.cancel_button, Qt.MouseButton.LeftButton)

    with qtbot.waitSignal(app.library.ingest_finished, timeout=30000) as finished:
        app.library.ingest([folder])
        app.library.job.signals.progress.connect(cancel_once)
    # THEN the ingest stops after the current file and says so
    report = finished.args[0]
    assert report.cancelled and len(report.added) < 40
    assert not window.library.progress_box.isVisible()
    assert window.job_status.text().startswith("Cancelled:")


def test_dropping_files_adds_them(qtbot, make_window, tmp_path):
    from PySide6.QtCore import QMimeData, QPointF, QUrl
    from PySide6.QtGui import QDropEvent

    window, app = make_window(ScriptedLLM([]), folder=None)
    path = tmp_path / "ferry.txt"
    path.write_text(ARTICLE)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    with qtbot.waitSignal(app.library.ingest_finished, timeout=30000):
        window.library.dropEvent(event)
    assert app.library.model.rowCount() == 1


def test_removing_a_source(qtbot, make_window):
    window, app = make_window(ScriptedLLM([]))
    assert app.library.model.rowCount() == 5
    window.library.table.selectRow(0)
    removed_id = app.library.model.object_at(0).id
    app.library.confirm = lambda question: True
    qtbot.mouseClick(window.library.remove_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: app.library.model.rowCount() == 4, timeout=10000)
    assert removed_id not in {s.id for s in app.library.model.items()}


def test_html_in_a_source_and_in_an_answer_shows_as_text(qtbot, make_window, tmp_path):
    # GIVEN a source whose text holds markup, and a model that echoes markup
    folder = tmp_path / "hostile"
    folder.mkdir()
    (folder / "hostile.txt").write_text(
        "Harbour Council Approves <b>New</b> Ferry Route\n\n"
        "The harbour council voted on Tuesday to approve a new ferry route. "
        '<script>alert("x")</script> Councillor <b>Maria Lund</b> said the ferry route '
        "would cut travel times for commuters by half.\n"
    )
    reply = citing(
        "Maria Lund", "Councillor <b>Maria Lund</b> said the <i>ferry route</i> would cut travel"
    )
    window, app = make_window(ScriptedLLM(reply), folder=folder)
    # WHEN the user asks and opens the citation
    with qtbot.waitSignal(app.chat.answered, timeout=20000) as answered:
        app.chat.ask("What did Maria Lund say about the ferry route?")
    assert not answered.args[0].refused
    text = window.chat.transcript.toPlainText()
    # THEN the model's markup is shown as characters, not rendered
    assert "<b>Maria Lund</b>" in text and "<i>ferry route</i>" in text
    citation = answered.args[0].citations[0]
    app.open_passage(citation.source_id, citation.start, citation.end)
    viewer = window.source
    assert '<script>alert("x")</script>' in viewer.text.toPlainText()
    assert "<b>New</b>" in viewer.title.text() or "<b>" in viewer.text.toPlainText()
    assert viewer.title.textFormat() == Qt.TextFormat.PlainText
    # AND the library table shows the raw title too
    assert any("<b>" in (s.meta.title or "") for s in app.library.model.items())


def test_reindex_rebuilds_every_source_and_keeps_answering(qtbot, make_window):
    # GIVEN the seeds in the library
    window, app = make_window(ScriptedLLM([]))
    old = app.engine.library
    # WHEN the user re-indexes
    qtbot.mouseClick(window.library.reindex_button, Qt.MouseButton.LeftButton)
    assert window.library.progress_box.isVisible()
    qtbot.waitUntil(lambda: app.library.job is None, timeout=30000)
    # THEN a reopened library has every source, searchable, and the panel says so
    assert app.engine.library is not old
    assert app.library.model.rowCount() == 5
    assert app.engine.library.search("Tactical Missile System", k=1)
    assert window.job_status.text().startswith("Re-indexed 5 sources")


def test_warming_up_an_empty_library_loads_the_embedder_only(tmp_path, fake_embedder):
    from desktop.engine import warm_up
    from retrieval.library import Library

    library = Library(tmp_path / "empty", embedder=fake_embedder)
    warm_up(library)
    assert fake_embedder.calls == 1
    library.close()


def test_an_ingest_waiting_for_another_writer_says_so(qtbot, make_window, tmp_path):
    # GIVEN the window, and another writer holding the library's write lock
    window, app = make_window(ScriptedLLM([]))
    library = app.engine.library
    folder = tmp_path / "more"
    folder.mkdir()
    (folder / "ferry.txt").write_text("The harbour ferry resumed service on Sunday. " * 20)
    messages = []
    app.library.status.connect(messages.append)
    from filelock import FileLock

    lock = FileLock(library.store.lock_path, is_singleton=False, thread_local=False)
    lock.acquire()
    try:
        # WHEN the user adds a folder
        app.library.ingest([folder])
        # THEN the status bar says the ingest waits for the other writer
        qtbot.waitUntil(lambda: any("Waiting for another" in m for m in messages), timeout=10000)
    finally:
        lock.release()
    # AND once the other writer is done, the ingest finishes
    qtbot.waitUntil(lambda: app.library.job is None, timeout=20000)
    assert "ferry" in [s.id for s in library.sources()]
