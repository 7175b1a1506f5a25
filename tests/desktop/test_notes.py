"""Notes in the real window: pin an answer, a selected passage and a summary point; edit,
reorder and delete them; find them in the exported briefing."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor

from tests.desktop.conftest import citing
from tests.desktop.helpers import click_anchor
from tests.desktop.test_summaries import SOURCE, summary_reply
from tests.fakes import ScriptedLLM

QUESTION = "What does ATACMS stand for?"
SENTENCE = "ATACMS stands for the Army's Tactical Missile System"
ATACMS = citing("Tactical Missile System", SENTENCE)


def reply(messages) -> str:
    """Answers the ATACMS question citing its passage; summarises any other source text."""
    if QUESTION in messages[-1]["content"]:
        return ATACMS(messages)
    return summary_reply(messages)


def answered_window(qtbot, make_window):
    window, app = make_window(ScriptedLLM(reply))
    qtbot.waitUntil(lambda: app.notes.store is not None, timeout=10000)
    with qtbot.waitSignal(app.chat.answered, timeout=20000) as answered:
        app.chat.ask(QUESTION)
    return window, app, answered.args[0]


def pin_answer_by_click(qtbot, window, app):
    with qtbot.waitSignal(app.notes.pinned, timeout=5000) as pinned:
        click_anchor(qtbot, window.chat, "pin:")
    return pinned.args[0]


def test_pinning_an_answer_and_finding_it_in_an_exported_briefing(qtbot, make_window, tmp_path):
    # GIVEN an answered question
    window, app, answer = answered_window(qtbot, make_window)
    citation = answer.citations[0]
    # WHEN the user clicks "Pin to notes" under the answer
    note = pin_answer_by_click(qtbot, window, app)
    # THEN the Notes tab lists it with its citation
    assert note.kind == "answer" and SENTENCE in note.text
    assert window.notes.ids() == [note.id]
    assert SENTENCE in window.notes.list.item(0).text()
    assert "Pinned to the notes (note 1 of 1)" in window.job_status.text()
    # AND a second click does not pin it twice
    click_anchor(qtbot, window.chat, "pin:")
    assert window.notes.ids() == [note.id]
    assert "Already in the notes (note 1)" in window.job_status.text()
    # WHEN the user exports a briefing
    target = tmp_path / "briefing.md"
    app.briefing.ask_save_path = lambda: target
    app.briefing.offer_open = lambda *_: None
    app.briefing.show_error = pytest.fail
    with qtbot.waitSignal(app.briefing.exported, timeout=60000):
        window.export_action.trigger()
    # THEN the file has a Notes section with the answer and a note quoting its passage
    text = target.read_text(encoding="utf-8")
    section = text[text.index("## Notes") : text.index("## Sources in brief")]
    assert SENTENCE in section and f"Answer to “{QUESTION}”" in section
    marker = section[section.index("[^") :].split("]")[0] + "]"
    reference = next(line for line in text.splitlines() if line.startswith(marker + ":"))
    first_words = " ".join(citation.text.split()[:6])
    assert first_words in reference.replace("\\", "")


def test_a_passage_selected_in_the_source_viewer_is_pinned_and_opens_again(qtbot, make_window):
    # GIVEN a source open in the viewer
    window, app, answer = answered_window(qtbot, make_window)
    click_anchor(qtbot, window.chat, "cite:")
    qtbot.waitUntil(lambda: window.tabs.currentWidget() is window.source, timeout=5000)
    viewer = window.source
    assert not viewer.pin_button.isEnabled()
    # WHEN the user selects words of it and presses "Pin selection to notes"
    raw = viewer.text.toPlainText()
    start = raw.index("Tactical Missile System")
    cursor = viewer.text.textCursor()
    cursor.setPosition(start - 1)  # with the blank before the words
    cursor.setPosition(start + len("Tactical Missile System"), QTextCursor.MoveMode.KeepAnchor)
    viewer.text.setTextCursor(cursor)
    assert viewer.pin_button.isEnabled()
    with qtbot.waitSignal(app.notes.pinned, timeout=5000) as pinned:
        qtbot.mouseClick(viewer.pin_button, Qt.MouseButton.LeftButton)
    # THEN the note holds those words (not the blank) with their offsets in the source
    note = pinned.args[0]
    assert note.kind == "passage" and note.text == "Tactical Missile System"
    [c] = note.citations
    assert (c.source_id, c.start, c.end) == (viewer.source_id, start, start + 23)
    # WHEN the user opens the Notes tab, picks the note and clicks its citation [1]
    viewer.highlight(None, None)
    window.show_tab(window.notes)
    window.notes.select(note.id)
    click_citation(qtbot, window.notes.citations, f"note:{note.id}:1")
    # THEN the source viewer shows the passage highlighted
    assert window.tabs.currentWidget() is window.source
    assert viewer.highlighted_text() == "Tactical Missile System"


def click_citation(qtbot, browser, href: str) -> None:
    """Click, with the mouse, the link `href` in a text browser."""
    block = browser.document().begin()
    position = None
    while block.isValid() and position is None:
        it = block.begin()
        while not it.atEnd():
            fragment = it.fragment()
            if fragment.charFormat().anchorHref() == href:
                position = fragment.position()
                break
            it += 1
        block = block.next()
    assert position is not None, f"no link {href}"
    cursor = QTextCursor(browser.document())
    cursor.setPosition(position + 1)
    rect = browser.cursorRect(cursor)
    point = rect.center()
    point.setX(rect.left() - 2)
    qtbot.mouseClick(browser.viewport(), Qt.MouseButton.LeftButton, pos=point)


def test_a_summary_point_is_pinned_with_its_evidence(qtbot, make_window):
    window, app = make_window(ScriptedLLM(summary_reply))
    qtbot.waitUntil(lambda: app.notes.store is not None, timeout=10000)
    window.show_tab(window.summaries)
    app.summaries.select_source(SOURCE)
    with qtbot.waitSignal(app.summaries.summarized, timeout=30000) as summarized:
        app.summaries.summarize()
    row = next(i for i, p in enumerate(summarized.args[0].points) if "Tactical" in p.text)
    assert not window.summaries.pin_button.isEnabled()
    window.summaries.points.selectRow(row)
    assert window.summaries.pin_button.isEnabled()
    with qtbot.waitSignal(app.notes.pinned, timeout=5000) as pinned:
        qtbot.mouseClick(window.summaries.pin_button, Qt.MouseButton.LeftButton)
    note = pinned.args[0]
    assert note.kind == "summary_point" and note.origin == SOURCE
    assert note.citations and "Tactical Missile System" in note.citations[0].text


def test_editing_reordering_and_deleting_notes_in_the_panel(qtbot, make_window):
    # GIVEN a pinned answer, and a passage pinned after it
    window, app, answer = answered_window(qtbot, make_window)
    first = pin_answer_by_click(qtbot, window, app)
    c = first.citations[0]
    second = app.notes.pin_passage(c.source_id, c.start, c.end, c.text)
    assert window.notes.ids() == [first.id, second.id]
    window.show_tab(window.notes)
    # WHEN the user edits the answer into words its passage does not hold
    window.notes.select(first.id)
    app.notes.ask_text = lambda text: "The missiles were first used in 1991."
    qtbot.mouseClick(window.notes.edit_button, Qt.MouseButton.LeftButton)
    # THEN the note is marked as the user's words and its citation was dropped
    edited = app.notes.store.get(first.id)
    assert edited.user_edited and edited.citations == []
    assert "your words" in window.notes.list.item(0).text()
    assert "dropped" in window.notes.status.text()
    # WHEN the user moves it down
    qtbot.mouseClick(window.notes.down_button, Qt.MouseButton.LeftButton)
    assert window.notes.ids() == [second.id, first.id]
    assert not window.notes.down_button.isEnabled() and window.notes.up_button.isEnabled()
    # AND deletes the passage, confirming
    window.notes.select(second.id)
    app.notes.confirm = lambda question: True
    qtbot.mouseClick(window.notes.delete_button, Qt.MouseButton.LeftButton)
    assert window.notes.ids() == [first.id]
    assert [n.id for n in app.notes.store.notes()] == [first.id]


def test_a_notes_store_opened_for_a_dossier_put_away_since_is_not_used(qtbot, make_window):
    # GIVEN the notes of dossier B opening slowly, and the user switching on to C meanwhile
    import dataclasses
    import threading

    window, app = make_window(ScriptedLLM(summary_reply))
    qtbot.waitUntil(lambda: app.notes.store is not None, timeout=10000)
    release = threading.Event()

    class Store:
        def __init__(self, dossier: str) -> None:
            self.dossier, self.closed = dossier, False

        def notes(self) -> list:
            return []

        def close(self) -> None:
            self.closed = True

    made: dict[str, Store] = {}

    def factory(prefs):
        if prefs.dossier == "b":
            release.wait(10)
        made[prefs.dossier] = Store(prefs.dossier)
        return made[prefs.dossier]

    app.notes.store_factory = factory
    engine = app.engine
    engine.prefs = dataclasses.replace(engine.prefs, dossier="b")
    app.notes.open_store()
    engine.prefs = dataclasses.replace(engine.prefs, dossier="c")
    app.notes.open_store()
    qtbot.waitUntil(lambda: getattr(app.notes.store, "dossier", None) == "c", timeout=5000)
    # WHEN B's store arrives last
    release.set()
    qtbot.waitUntil(lambda: "b" in made and made["b"].closed, timeout=5000)
    # THEN the notes in use are still C's (a pin goes to the dossier shown), B's was closed
    assert app.notes.store is made["c"] and not made["c"].closed


def test_a_notes_store_that_arrives_after_the_notes_were_closed_is_closed(qtbot, make_window):
    import threading

    window, app = make_window(ScriptedLLM(summary_reply))
    qtbot.waitUntil(lambda: app.notes.store is not None, timeout=10000)
    release, made = threading.Event(), []

    class Store:
        closed = False

        def notes(self) -> list:
            return []

        def close(self) -> None:
            self.closed = True

    def factory(prefs):
        release.wait(10)
        made.append(Store())
        return made[-1]

    app.notes.store_factory = factory
    app.notes.open_store()
    # WHEN the notes are closed (the window shuts down) before the store arrives
    app.notes.close()
    release.set()
    qtbot.waitUntil(lambda: bool(made) and made[0].closed, timeout=5000)
    # THEN it is not kept open
    assert app.notes.store is None


def test_a_note_dragged_to_another_place_keeps_that_place_after_reopening(qtbot, make_window):
    from PySide6.QtCore import QModelIndex
    from PySide6.QtWidgets import QAbstractItemView

    from dossier.notes import text_note

    # GIVEN three notes of the user's, listed in the order they were written
    window, app = make_window(ScriptedLLM([]))
    qtbot.waitUntil(lambda: app.notes.store is not None, timeout=10000)
    first, second, third = (
        app.notes.store.add(text_note(t, [])) for t in ("One.", "Two.", "Three.")
    )
    app.notes.refresh()
    window.show_tab(window.notes)
    assert window.notes.ids() == [first.id, second.id, third.id]
    assert window.notes.list.dragDropMode() == QAbstractItemView.DragDropMode.InternalMove
    # WHEN the user drags the first note below the third (Qt's internal move of the list)
    assert window.notes.list.model().moveRows(QModelIndex(), 0, 1, QModelIndex(), 3)
    # THEN the store has the new order, and the list shows it renumbered
    qtbot.waitUntil(
        lambda: [n.id for n in app.notes.store.notes()] == [second.id, third.id, first.id],
        timeout=5000,
    )
    assert window.notes.ids() == [second.id, third.id, first.id]
    assert window.notes.list.item(2).text().startswith("3. One.")
    assert window.notes.status.text() == "Note moved."
    # AND the notes opened again (as after a restart) keep that order
    app.notes.close()
    app.notes.open_store()
    qtbot.waitUntil(lambda: app.notes.store is not None, timeout=10000)
    assert [n.text for n in app.notes.store.notes()] == ["Two.", "Three.", "One."]
    assert window.notes.ids() == [second.id, third.id, first.id]


def test_the_note_moved_is_found_from_the_orders_before_and_after_a_drop():
    from desktop.controllers.notes import moved_note

    assert moved_note([1, 2, 3], [2, 3, 1]) == (1, 3)  # down to the end
    assert moved_note([1, 2, 3], [3, 1, 2]) == (3, 1)  # up to the top
    assert moved_note([1, 2, 3], [1, 2, 3]) is None  # dropped where it was
    assert moved_note([1, 2, 3, 4], [2, 1, 4, 3]) is None  # not one move: not guessed
    assert moved_note([1, 2], [1, 2, 5]) is None  # another list
