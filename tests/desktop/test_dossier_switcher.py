"""The dossier switcher in the real window: separate stories, switching, and the upgrade of a
single library, over the real data folder layout with the fake embedder and a scripted model."""

from __future__ import annotations

import time
from itertools import pairwise

import pytest
from PySide6.QtCore import Qt

import dossier.runtime
from dossier.dossiers import Dossiers
from tests.dossier.legacy_library import QUESTION, make_legacy_data_folder
from tests.fakes import ScriptedLLM

ARTICLE = (
    "Harbour Council Approves New Ferry Route\n\n"
    "The harbour council voted on Tuesday to approve a new ferry route between the old port "
    "and the northern islands.\n"
)


@pytest.fixture
def open_window(qtbot, monkeypatch, fake_embedder):
    """`open_window()` -> (window, controller): the app over $DOSSIER_DATA_DIR, ready."""
    from desktop.app import build
    from desktop.engine import Engine
    from desktop.preferences import Preferences

    monkeypatch.setattr(dossier.runtime, "shared_embedder", lambda cache: fake_embedder)
    made = []

    def make():
        engine = Engine(
            Preferences(background_summaries=False), llm_factory=lambda prefs: ScriptedLLM([])
        )
        window, controller = build(engine)
        made.append(controller)
        qtbot.addWidget(window)
        window.show()
        engine.start()
        qtbot.waitUntil(lambda: engine.ready and engine.conversations is not None, timeout=30000)
        qtbot.waitUntil(lambda: window.dossiers.combo.count() > 0, timeout=10000)
        return window, controller

    yield make
    for controller in made:
        controller.shutdown()


def wait_opened(qtbot, app, slug: str) -> None:
    engine = app.engine
    qtbot.waitUntil(
        lambda: (
            app.dossiers.current == slug
            and engine.library_status == "ready"
            and engine.library is not None
            and engine.library.folder.parent.name == slug
            and engine.conversations is not None
            and engine.conversations.folder.name == slug
        ),
        timeout=30000,
    )


def pick(window, slug: str) -> None:
    """Choose a dossier in the combo as a user does (activated, not just the index)."""
    combo = window.dossiers.combo
    index = combo.findData(slug)
    assert index >= 0, slug
    combo.setCurrentIndex(index)
    combo.activated.emit(index)


def titles(app) -> set[str]:
    model = app.library.model
    return {model.object_at(r).meta.title for r in range(model.rowCount())}


def test_two_dossiers_each_show_their_own_sources_and_conversations(
    qtbot, open_window, tmp_path, isolated_data_dir
):
    # GIVEN the window on a first run: the Demo dossier with the seeds and one conversation
    window, app = open_window()
    assert app.dossiers.current == "demo" and app.library.model.rowCount() == 5
    app.engine.conversations.start(QUESTION)
    app.conversations.refresh()
    assert window.chat.conversations.list.count() == 1
    # WHEN the user makes a new dossier "Ferry" and adds an article to it
    app.dossiers.ask_name = lambda *args: "Ferry"
    qtbot.mouseClick(window.dossiers.new_button, Qt.MouseButton.LeftButton)
    wait_opened(qtbot, app, "ferry")
    # THEN it opens empty, with no conversations
    assert app.library.model.rowCount() == 0
    qtbot.waitUntil(lambda: window.chat.conversations.list.count() == 0, timeout=10000)
    article = tmp_path / "ferry.txt"
    article.write_text(ARTICLE)
    with qtbot.waitSignal(app.library.ingest_finished, timeout=30000):
        app.library.ingest([article])
    assert titles(app) == {"Harbour Council Approves New Ferry Route"}
    # AND the switcher shows each dossier with its source count
    qtbot.waitUntil(
        lambda: "Ferry — 1 source ·" in window.dossiers.combo.currentText(), timeout=10000
    )
    qtbot.waitUntil(lambda: window.windowTitle() == "Ferry — Dossier", timeout=10000)
    # WHEN the user switches back to the Demo
    pick(window, "demo")
    wait_opened(qtbot, app, "demo")
    # THEN the Demo shows its seeds, not the article, and its own conversation again
    assert app.library.model.rowCount() == 5
    assert "Harbour Council Approves New Ferry Route" not in titles(app)
    qtbot.waitUntil(lambda: window.chat.conversations.list.count() == 1, timeout=10000)
    qtbot.waitUntil(lambda: window.windowTitle() == "Demo — Dossier", timeout=10000)
    # AND switching again shows the article alone; the choice is remembered in the data folder
    pick(window, "ferry")
    wait_opened(qtbot, app, "ferry")
    assert titles(app) == {"Harbour Council Approves New Ferry Route"}
    # (read once the switcher's registry jobs are done: polling the registry here would take
    # its lock over and over from the GUI thread, and could keep the worker's write waiting)
    qtbot.waitUntil(lambda: app.dossiers.idle, timeout=30000)
    assert Dossiers(isolated_data_dir).current().slug == "ferry"


def test_a_switch_waits_for_the_users_own_work(qtbot, open_window, isolated_data_dir):
    # GIVEN a second dossier, and a library task running
    window, app = open_window()
    Dossiers(isolated_data_dir).create("Ferry")
    app.dossiers.refresh()
    qtbot.waitUntil(lambda: window.dossiers.combo.count() == 2, timeout=10000)
    app.library.job = object()  # an ingest in progress, as far as the window knows
    # WHEN the user picks the other dossier
    pick(window, "ferry")
    # THEN the switch is refused with the reason, and the Demo stays open and selected
    assert app.dossiers.current == "demo" and window.dossiers.selected_slug() == "demo"
    assert "library task" in window.dossiers.message.text()
    assert app.engine.library.folder.parent.name == "demo"
    app.library.job = None


def test_rename_and_delete_from_the_window(qtbot, open_window):
    window, app = open_window()
    app.dossiers.ask_name = lambda *args: "Ferry"
    app.dossiers.new()
    wait_opened(qtbot, app, "ferry")
    # WHEN the dossier is renamed, THEN the list and the title show the new name
    app.dossiers.ask_name = lambda *args: "Harbour ferry"
    qtbot.mouseClick(window.dossiers.rename_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.windowTitle() == "Harbour ferry — Dossier", timeout=10000)
    assert window.dossiers.combo.currentText().startswith("Harbour ferry — 0 sources")
    # WHEN the open dossier is deleted (confirmed)
    folder = app.engine.library.folder.parent
    app.dossiers.confirm = lambda question: "Harbour ferry" in question
    qtbot.mouseClick(window.dossiers.delete_button, Qt.MouseButton.LeftButton)
    # THEN the window moves to the other one first, then the folder goes
    wait_opened(qtbot, app, "demo")
    qtbot.waitUntil(lambda: not folder.exists(), timeout=10000)
    qtbot.waitUntil(lambda: window.dossiers.combo.count() == 1, timeout=10000)
    # AND the last one cannot be deleted
    assert not window.dossiers.delete_button.isEnabled()


def test_an_upgraded_single_library_opens_as_the_first_dossier(
    qtbot, open_window, isolated_data_dir, fake_embedder
):
    # GIVEN a data folder from before dossiers, with the seeds and a saved conversation
    ids, conversation_id = make_legacy_data_folder(isolated_data_dir, fake_embedder)
    # WHEN the window opens it
    window, app = open_window()
    # THEN its one dossier shows every source and the conversation, restorable
    assert window.dossiers.combo.count() == 1
    assert window.dossiers.combo.currentText().startswith("My dossier — 5 sources")
    assert sorted(app.library.model.object_at(r).id for r in range(5)) == sorted(ids)
    qtbot.waitUntil(lambda: window.chat.conversations.list.count() == 1, timeout=10000)
    assert app.conversations.open(conversation_id)
    assert app.chat.questions == [QUESTION]
    assert not (isolated_data_dir / "library").exists()


def test_a_dossier_the_user_went_back_to_is_not_deleted_by_a_later_switch(
    qtbot, open_window, isolated_data_dir
):
    # GIVEN three dossiers, "Ferry" open
    window, app = open_window()
    registry = Dossiers(isolated_data_dir)
    registry.create("Ferry")
    registry.create("Harbour")
    app.dossiers.refresh()
    qtbot.waitUntil(lambda: window.dossiers.combo.count() == 3, timeout=10000)
    pick(window, "ferry")
    wait_opened(qtbot, app, "ferry")
    folder = app.engine.library.folder.parent
    # WHEN the user deletes it (the window moves to the Demo first) and, before the Demo is
    # open, picks "Ferry" again
    asked = []
    app.dossiers.confirm = lambda question: asked.append(question) or True
    qtbot.mouseClick(window.dossiers.delete_button, Qt.MouseButton.LeftButton)
    assert "conversations and its notes" in asked[0]  # the notes go too: say so
    assert app.dossiers.current == "demo"
    pick(window, "ferry")
    wait_opened(qtbot, app, "ferry")
    # AND later opens another dossier
    pick(window, "harbour")
    wait_opened(qtbot, app, "harbour")
    qtbot.wait(200)
    # THEN "Ferry", where the user went back, was not deleted behind their back
    assert folder.is_dir()
    assert window.dossiers.combo.count() == 3


def test_a_delete_left_pending_is_not_done_in_another_data_folder(
    qtbot, open_window, isolated_data_dir, tmp_path
):
    # GIVEN a delete of "ferry" waiting for the switch away from it (which never became ready)
    import dataclasses

    window, app = open_window()
    app.dossiers.pending_delete = "ferry"
    app.dossiers._pending_data_dir = str(tmp_path / "elsewhere")
    # AND the data folder now in use has a dossier with that folder name
    Dossiers(isolated_data_dir).create("Ferry")
    app.engine.prefs = dataclasses.replace(app.engine.prefs, data_dir=str(isolated_data_dir))
    # WHEN a library of this data folder is ready
    app.dossiers._library_state("ready")
    qtbot.wait(300)
    app.engine.runner.wait()
    # THEN its "ferry" is kept
    assert (isolated_data_dir / "dossiers" / "ferry").is_dir()
    assert app.dossiers.pending_delete is None


def test_conversations_that_fail_to_open_for_a_dossier_put_away_since_are_not_reported(qtbot):
    # GIVEN the conversations of dossier B failing slowly, the user on C meanwhile
    import dataclasses
    import threading

    from desktop.engine import Engine
    from desktop.preferences import Preferences

    release = threading.Event()

    class Store:
        def close(self) -> None:
            pass

    def factory(prefs):
        if prefs.dossier == "b":
            release.wait(10)
            raise OSError("B is on a disk that went away")
        return Store()

    engine = Engine(Preferences(), conversations_factory=factory)
    states: list[str] = []
    engine.conversations_state.connect(states.append)
    engine.prefs = dataclasses.replace(engine.prefs, dossier="b")
    engine.open_conversations()
    engine.prefs = dataclasses.replace(engine.prefs, dossier="c")
    engine.open_conversations()
    qtbot.waitUntil(lambda: states == ["ready"], timeout=5000)
    # WHEN B's failure arrives last
    release.set()
    assert engine.runner.wait(5000)
    qtbot.wait(100)
    # THEN C's conversations stay shown as ready
    assert states == ["ready"] and isinstance(engine.conversations, Store)
    engine.shutdown()


def test_registry_jobs_run_one_at_a_time_in_the_order_asked(qtbot, open_window):
    # GIVEN the window, and registry changes that each take a moment on the worker
    window, app = open_window()
    qtbot.waitUntil(lambda: app.dossiers.idle, timeout=30000)
    ran: list[tuple[str, float, float]] = []

    def change(label: str):
        def work(registry):
            start = time.monotonic()
            time.sleep(0.2)
            ran.append((label, start, time.monotonic()))

        return work

    # WHEN a change asked for when the first one is done (as "new" then switches) comes after
    # one already waiting
    controller = app.dossiers
    controller._run(change("first"), on_done=lambda _: controller._run(change("third")))
    controller._run(change("second"))
    qtbot.waitUntil(lambda: len(ran) == 3 and controller.idle, timeout=30000)
    # THEN they ran in the order asked, none while another was running
    assert [label for label, _, _ in ran] == ["first", "second", "third"]
    for (_, _, end), (_, start, _) in pairwise(ran):
        assert start >= end
