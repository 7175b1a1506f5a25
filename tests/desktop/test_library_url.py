"""A shared library chosen in Settings: a postgresql:// URL, checked as the CLI checks it,
kept in the preferences and opened through the core's construction point. A server that
cannot be reached is said in the window, which stays usable."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings

from desktop.app import build
from desktop.engine import Engine, settings_of
from desktop.preferences import Preferences
from desktop.views.settings_dialog import SettingsDialog
from dossier.runtime import Runtime
from retrieval.library import Library
from tests.fakes import ScriptedLLM

UNREACHABLE = "postgresql://postgres@127.0.0.1:1/dossier"  # nothing listens on port 1


@pytest.fixture
def open_window(qtbot, tmp_path, fake_embedder):
    """`open_window(prefs)` -> (window, controller): the window's library opened by the core's
    Runtime from the preferences (the fake embedder standing in), settings in a temporary file."""
    made = []

    def library_factory(prefs, progress):
        return Runtime(settings_of(prefs), embedder=fake_embedder).library(progress=progress)

    def make(prefs: Preferences):
        engine = Engine(
            prefs, library_factory=library_factory, llm_factory=lambda p: ScriptedLLM([])
        )
        settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
        window, controller = build(engine, settings)
        made.append(controller)
        qtbot.addWidget(window)
        window.show()
        engine.start()
        return window, controller

    yield make
    for controller in made:
        controller.shutdown()


def settled(engine) -> bool:
    return engine.library_status == "ready" or engine.library_status.startswith("failed")


def test_the_dialog_keeps_a_library_url_and_refuses_what_is_not_one(qtbot):
    # GIVEN the settings dialog
    dialog = SettingsDialog(Preferences(background_summaries=False), [])
    qtbot.addWidget(dialog)
    # WHEN the user types a folder where the library URL goes, and presses OK
    dialog.library_url.setText("/srv/newsroom/library")
    dialog.accept()
    # THEN the dialog stays open and says what a library URL looks like
    assert dialog.result() != SettingsDialog.DialogCode.Accepted
    assert "postgresql://user@host:port/database" in dialog.library_url_error.text()
    # WHEN the user types a PostgreSQL URL instead
    dialog.library_url.setText(" postgresql://desk@db.newsroom:5432/archive ")
    assert dialog.library_url_error.text() == ""
    dialog.accept()
    # THEN it is accepted and is the preference
    assert dialog.result() == SettingsDialog.DialogCode.Accepted
    assert dialog.preferences().library_url == "postgresql://desk@db.newsroom:5432/archive"


def test_an_unreachable_server_is_said_and_the_window_stays_usable(qtbot, open_window, tmp_path):
    # GIVEN the window on the data folder's library (the seeds of a first run)
    window, app = open_window(Preferences(background_summaries=False))
    qtbot.waitUntil(lambda: app.engine.library_status == "ready", timeout=30000)
    assert app.library.model.rowCount() == 5
    # WHEN the user names a library server that is not running
    app.apply_preferences(Preferences(background_summaries=False, library_url=UNREACHABLE))
    qtbot.waitUntil(lambda: settled(app.engine), timeout=30000)
    # THEN the window says which server cannot be reached, and shows no library
    assert window.library_status.text() == "Library: could not open"
    assert "127.0.0.1:1/dossier cannot be reached" in window.job_status.text()
    assert app.engine.library is None and app.library.model.rowCount() == 0
    # AND the URL is kept in the preferences
    saved = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    assert Preferences.load(saved).library_url == UNREACHABLE
    # WHEN the user empties the field again
    app.apply_preferences(Preferences(background_summaries=False))
    # THEN the data folder's library opens again
    qtbot.waitUntil(lambda: app.engine.library_status == "ready", timeout=30000)
    assert app.library.model.rowCount() == 5
    assert isinstance(app.engine.library, Library)  # the embedded one, in the data folder


def test_what_the_library_says_on_opening_is_shown(qtbot, tmp_path, fake_embedder):
    # GIVEN a library that opens with a notice (as a PostgreSQL library whose vector index was
    # built with older parameters does)
    notice = (
        "The vector index of the library at db:5432/archive was built with m = 16: searches "
        "work, with the recall of the old parameters. To rebuild it once, run: DROP INDEX x;"
    )

    def library_factory(prefs, progress):
        library = Runtime(settings_of(prefs), embedder=fake_embedder).library(progress=progress)
        library.notices = [notice]
        return library

    engine = Engine(
        Preferences(background_summaries=False),
        library_factory=library_factory,
        llm_factory=lambda p: ScriptedLLM([]),
    )
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window, controller = build(engine, settings)
    qtbot.addWidget(window)
    try:
        # WHEN the window opens it
        engine.start()
        qtbot.waitUntil(lambda: engine.library_status == "ready", timeout=30000)
        # THEN the status bar says the notice's first sentence, and its tooltip the whole fix
        assert window.job_status.text().startswith(
            "The vector index of the library at db:5432/archive was built with m = 16"
        )
        assert "DROP INDEX x;" in window.job_status.toolTip()
    finally:
        controller.shutdown()


@pytest.mark.postgres
def test_the_window_opens_the_library_of_a_real_server(
    qtbot, open_window, pg_url, fake_embedder, tmp_path
):
    from retrieval.postgres.library import PgLibrary
    from tests.retrieval.test_backends import write_articles

    # GIVEN a PostgreSQL library (a real server on loopback) holding three articles
    shared = PgLibrary(pg_url, embedder=fake_embedder, folder=tmp_path / "elsewhere")
    shared.ingest(write_articles(tmp_path / "wire", [1, 2, 3]))
    shared.close()
    # WHEN the window starts with its URL in the preferences
    window, app = open_window(Preferences(background_summaries=False, library_url=pg_url))
    qtbot.waitUntil(lambda: settled(app.engine), timeout=30000)
    # THEN it shows that library's sources, not the data folder's seeds
    assert app.engine.library_status == "ready"
    assert app.engine.library.location.startswith("postgresql://127.0.0.1:")
    assert sorted(s.id for s in app.engine.sources) == ["article-1", "article-2", "article-3"]
    assert app.library.model.rowCount() == 3
