"""Saved conversations in the real window: kept across relaunches, restored with working
citations, followed up, searched and deleted."""

from __future__ import annotations

from PySide6.QtCore import Qt

from prompts import REFUSAL
from tests.desktop.conftest import citing
from tests.desktop.helpers import click_anchor
from tests.fakes import ScriptedLLM

ATACMS = citing("Tactical Missile System", "ATACMS stands for the Army's Tactical Missile System")
QUESTION = "What does ATACMS stand for?"


def atacms_or_refusal(messages):
    """Cites the ATACMS passage when asked what it stands for; the sources say nothing else."""
    user = messages[-1]["content"]
    return ATACMS(messages) if "stand for" in user and "Tactical Missile" in user else REFUSAL


def conversation_list(window):
    return window.chat.conversations.list


def wait_for_list(qtbot, window, count: int) -> None:
    qtbot.waitUntil(lambda: conversation_list(window).count() == count, timeout=10000)


def click_item(qtbot, window, row: int) -> None:
    """Click, with the mouse, the conversation at `row` of the list."""
    listing = conversation_list(window)
    rect = listing.visualItemRect(listing.item(row))
    qtbot.mouseClick(listing.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def ask_and_save(qtbot, app, question: str):
    with qtbot.waitSignal(app.chat.saved, timeout=20000) as saved:
        assert app.chat.ask(question)
    return saved.args[0]


def test_a_conversation_survives_closing_and_reopening_the_window(qtbot, make_window):
    # GIVEN a window where the user got a cited answer
    window, app = make_window(ScriptedLLM(ATACMS))
    ask_and_save(qtbot, app, QUESTION)
    live = app.chat.answers[0]
    live_links = [href for href, _ in window.chat.links()]
    wait_for_list(qtbot, window, 1)
    # WHEN the window is closed and the app launched again on the same data folder
    app.shutdown()
    window.close()
    window, app = make_window(ScriptedLLM([]))
    # THEN the list shows the conversation, and the chat starts empty
    wait_for_list(qtbot, window, 1)
    assert QUESTION in conversation_list(window).item(0).text()
    assert "1 turn" in conversation_list(window).item(0).text()
    assert window.chat.transcript.toPlainText() == ""
    # WHEN the user clicks it
    click_item(qtbot, window, 0)
    # THEN the question and its answer are back, rendered as they were, citations as links
    text = window.chat.transcript.toPlainText()
    assert QUESTION in text and "ATACMS stands for the Army's Tactical Missile System" in text
    assert [href for href, _ in window.chat.links()] == live_links
    assert app.chat.answers[0] == live
    # AND clicking a citation opens the source with the cited passage highlighted
    click_anchor(qtbot, window.chat, "cite:")
    qtbot.waitUntil(lambda: window.tabs.currentWidget() is window.source, timeout=5000)
    assert window.source.source_id == live.citations[0].source_id
    assert window.source.highlighted_text() == live.citations[0].text


def test_a_restored_conversation_is_followed_up_and_saved_in_place(qtbot, make_window):
    def reply(messages):
        # condensing sends one user message; answering sends the system prompt first
        return "What range do ATACMS missiles have?" if len(messages) == 1 else REFUSAL

    # GIVEN a saved conversation, restored in a relaunched window
    window, app = make_window(ScriptedLLM(ATACMS))
    conversation_id = ask_and_save(qtbot, app, QUESTION)
    app.shutdown()
    window.close()
    llm = ScriptedLLM(reply)
    window, app = make_window(llm)
    wait_for_list(qtbot, window, 1)
    click_item(qtbot, window, 0)
    # WHEN the user asks a follow-up
    assert ask_and_save(qtbot, app, "What range do they have?") == conversation_id
    # THEN it was read with the restored turn as context, and saved in the same conversation
    condense = [call for call in llm.calls if len(call) == 1]
    assert condense and QUESTION in condense[0][-1]["content"]
    [summary] = app.engine.conversations.conversations()
    assert summary.id == conversation_id and summary.n_turns == 2
    assert "2 turns" in conversation_list(window).item(0).text()


def test_deleting_a_conversation(qtbot, make_window):
    # GIVEN two saved conversations, the newest one shown
    window, app = make_window(ScriptedLLM(atacms_or_refusal))
    first = ask_and_save(qtbot, app, "What range do the missiles have?")
    qtbot.mouseClick(window.chat.new_button, Qt.MouseButton.LeftButton)
    second = ask_and_save(qtbot, app, QUESTION)
    assert first != second
    wait_for_list(qtbot, window, 2)
    assert conversation_list(window).currentItem().text().startswith(QUESTION)
    # WHEN the user selects the shown one and deletes it, confirming
    asked = []
    app.conversations.confirm = lambda question: asked.append(question) or True
    click_item(qtbot, window, 0)
    qtbot.mouseClick(window.chat.conversations.delete_button, Qt.MouseButton.LeftButton)
    # THEN it is gone from the list and the store, and the chat starts afresh
    assert asked and QUESTION in asked[0]
    wait_for_list(qtbot, window, 1)
    assert "What range do the missiles have?" in conversation_list(window).item(0).text()
    assert [c.id for c in app.engine.conversations.conversations()] == [first]
    assert window.chat.transcript.toPlainText() == "" and app.chat.conversation_id is None
    # AND a deletion the user does not confirm deletes nothing
    app.conversations.confirm = lambda question: False
    click_item(qtbot, window, 0)
    qtbot.mouseClick(window.chat.conversations.delete_button, Qt.MouseButton.LeftButton)
    assert conversation_list(window).count() == 1


def test_the_search_field_filters_the_list(qtbot, make_window):
    # GIVEN two conversations
    window, app = make_window(ScriptedLLM(atacms_or_refusal))
    ask_and_save(qtbot, app, "What range do the missiles have?")
    app.chat.new_conversation()
    ask_and_save(qtbot, app, QUESTION)
    wait_for_list(qtbot, window, 2)
    # WHEN the user types words from one answer
    qtbot.keyClicks(window.chat.conversations.search, "tactical miss")
    # THEN only that conversation is listed, with the words found
    wait_for_list(qtbot, window, 1)
    item = conversation_list(window).item(0)
    assert item.text().startswith(QUESTION) and "Tactical Missile" in item.text()
    # WHEN the words match nothing, the list says so; cleared, everything is back
    window.chat.conversations.search.setText("zeppelin")
    wait_for_list(qtbot, window, 0)
    assert "No saved question or answer" in window.chat.conversations.empty.text()
    window.chat.conversations.search.clear()
    wait_for_list(qtbot, window, 2)


def test_a_stopped_answer_is_saved_as_interrupted(qtbot, make_window):
    # GIVEN a slow answer the user stops
    long_reply = "Blinken spoke in Kyiv about long-range fires and more. " * 40
    window, app = make_window(ScriptedLLM([long_reply], piece_delay_s=0.02))
    with qtbot.waitSignal(app.chat.saved, timeout=20000) as saved:
        app.chat.ask("What did Blinken say in Kyiv?")
        qtbot.waitUntil(lambda: len(app.chat.streamed) > 20, timeout=10000)
        app.chat.stop()
    # THEN it is saved as interrupted, and restored as stopped
    [turn] = app.engine.conversations.turns(saved.args[0])
    assert turn.status == "interrupted" and turn.answer.cancelled
    app.chat.new_conversation()
    wait_for_list(qtbot, window, 1)
    click_item(qtbot, window, 0)
    assert "(stopped)" in window.chat.transcript.toPlainText()
    assert app.chat.history == []  # a stopped answer is not context for a follow-up


def test_clicking_the_conversation_being_answered_leaves_the_answer_running(qtbot, make_window):
    # GIVEN a saved conversation, restored, whose follow-up is being answered slowly
    long_reply = "Blinken spoke in Kyiv about long-range fires and more. " * 40
    window, app = make_window(ScriptedLLM(lambda messages: long_reply, piece_delay_s=0.02))
    ask_and_save(qtbot, app, "What did Blinken say in Kyiv?")
    wait_for_list(qtbot, window, 1)
    assert app.chat.ask("And what did he say next?")
    qtbot.waitUntil(lambda: len(app.chat.streamed) > 5, timeout=10000)
    # WHEN the user clicks that same conversation in the list
    click_item(qtbot, window, 0)
    # THEN the answer goes on streaming and is saved complete
    assert app.chat.busy
    with qtbot.waitSignal(app.chat.saved, timeout=30000) as saved:
        pass
    turns = app.engine.conversations.turns(saved.args[0])
    assert [t.status for t in turns] == ["complete", "complete"]


def test_a_tooltip_shows_markup_in_a_question_as_text(qtbot):
    from desktop.views.conversations_panel import ConversationsPanel

    # GIVEN a conversation whose question contains markup
    panel = ConversationsPanel()
    qtbot.addWidget(panel)
    # WHEN the list is filled
    panel.set_items([(1, "Why <b>now</b>?", "Why <b>now</b>?\n\nsnippet")], None)
    # THEN its tooltip shows the markup as text, line breaks kept
    assert panel.list.item(0).toolTip() == "<p>Why &lt;b&gt;now&lt;/b&gt;?<br><br>snippet</p>"
