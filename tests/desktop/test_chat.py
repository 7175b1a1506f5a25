"""Asking in the real window: streaming, citations, refusals, stop, follow-ups, shortcuts."""

from __future__ import annotations

from PySide6.QtCore import Qt

from prompts import REFUSAL
from tests.desktop.conftest import citing
from tests.desktop.helpers import click_anchor
from tests.fakes import ScriptedLLM

ATACMS = citing("Tactical Missile System", "ATACMS stands for the Army's Tactical Missile System")


def ask_by_keyboard(qtbot, window, question: str) -> None:
    window.chat.question.setFocus()
    qtbot.keyClicks(window.chat.question, question)
    qtbot.keyClick(window.chat.question, Qt.Key.Key_Return)


def test_an_answer_streams_in_and_its_citations_are_links(qtbot, make_window):
    # GIVEN the window on the seeds with a model that cites the passage it uses
    llm = ScriptedLLM(ATACMS, piece_delay_s=0.01)
    window, app = make_window(llm)
    seen = []  # the answer's part of the transcript (the passages being read are above it)
    window.chat.transcript.textChanged.connect(
        lambda: seen.append(window.chat.transcript.toPlainText().rpartition("Dossier:")[2])
    )
    # WHEN the user types a question and presses Enter
    with qtbot.waitSignal(app.chat.answered, timeout=20000) as answered:
        ask_by_keyboard(qtbot, window, "What does ATACMS stand for?")
    # THEN the text arrived piece by piece while the model streamed
    partial = [t for t in seen if "ATACMS stands" in t and "Tactical Missile System" not in t]
    assert partial, "the answer should be visible before it is complete"
    # AND the final answer shows a clickable [n] citation and lists the source
    answer = answered.args[0]
    assert not answer.refused and answer.citations
    text = window.chat.transcript.toPlainText()
    assert "ATACMS stands for the Army's Tactical Missile System" in text
    n = answer.citations[0].n
    assert f"cite:0:{n}:0" in [href for href, _ in window.chat.links()]
    assert window.chat.question.text() == ""
    assert window.chat.copy_button.isEnabled()


def test_clicking_a_citation_opens_the_source_at_the_highlighted_passage(qtbot, make_window):
    # GIVEN an answer with a citation
    window, app = make_window(ScriptedLLM(ATACMS))
    with qtbot.waitSignal(app.chat.answered, timeout=20000) as answered:
        app.chat.ask("What does ATACMS stand for?")
    citation = answered.args[0].citations[0]
    # WHEN the user clicks the [n] marker
    click_anchor(qtbot, window.chat, "cite:")
    # THEN the source viewer shows that source, the cited passage highlighted and in view
    qtbot.waitUntil(lambda: window.tabs.currentWidget() is window.source, timeout=5000)
    viewer = window.source
    assert viewer.source_id == citation.source_id
    assert viewer.highlighted_text() == citation.text
    assert "Tactical Missile System" in viewer.highlighted_text()
    passage, sentence = viewer.text.extraSelections()  # the passage, and its evidence sentence
    assert "Tactical Missile System" in passage.cursor.selectedText()
    assert "Tactical Missile System" in sentence.cursor.selectedText()
    # the evidence sentence lies within the passage (the two are equal for a one-sentence one)
    assert passage.cursor.selectionStart() <= sentence.cursor.selectionStart()
    assert sentence.cursor.selectionEnd() <= passage.cursor.selectionEnd()
    assert viewer.text.cursorRect().intersects(viewer.text.viewport().rect())
    assert "Blinken" in viewer.title.text()  # the source's metadata above the text
    assert citation.source_id in viewer.meta.text()  # id and passage count at least


def test_a_sentence_the_sources_do_not_support_is_marked(qtbot, make_window):
    def reply(m):
        return ATACMS(m) + " The missiles were painted bright pink by volunteers in Lisbon [1]."

    window, app = make_window(ScriptedLLM(reply))
    with qtbot.waitSignal(app.chat.answered, timeout=20000) as answered:
        app.chat.ask("What does ATACMS stand for?")
    answer = answered.args[0]
    assert any(not s.supported for s in answer.sentences)
    html = window.chat.transcript.toHtml()
    assert "⚠ The missiles were painted bright pink" in window.chat.transcript.toPlainText()
    assert "#fde2e1" in html  # the unsupported sentence is shaded


def test_a_refusal_reads_as_such_and_shows_the_nearest_passages(qtbot, make_window):
    window, app = make_window(ScriptedLLM([REFUSAL, REFUSAL]))  # the draft and a second look
    with qtbot.waitSignal(app.chat.answered, timeout=20000):
        app.chat.ask("What range do the missiles have?")
    text = window.chat.transcript.toPlainText()
    assert REFUSAL in text and "Nearest passages" in text
    click_anchor(qtbot, window.chat, "passage:")
    qtbot.waitUntil(lambda: window.source.highlighted_text() != "", timeout=5000)


def test_escape_stops_the_generation(qtbot, make_window):
    # GIVEN a slow, long answer streaming in
    long_reply = "Blinken spoke in Kyiv about long-range fires and more. " * 40
    window, app = make_window(ScriptedLLM([long_reply], piece_delay_s=0.02))
    with qtbot.waitSignal(app.chat.answered, timeout=20000) as answered:
        app.chat.ask("What did Blinken say in Kyiv?")
        qtbot.waitUntil(lambda: len(app.chat.streamed) > 20, timeout=10000)
        assert window.chat.stop_button.isEnabled()
        # WHEN the user presses Esc
        qtbot.keyClick(window.chat.question, Qt.Key.Key_Escape)
    # THEN generation stops early, says so, and the window can ask again
    answer = answered.args[0]
    assert answer.cancelled
    assert len(app.chat.streamed) < len(long_reply)
    assert "(stopped)" in window.chat.transcript.toPlainText()
    assert window.chat.ask_button.isEnabled() and not window.chat.stop_button.isEnabled()
    assert app.chat.history == []  # a stopped answer is not used as context


def test_a_follow_up_uses_the_conversation_and_new_conversation_forgets_it(qtbot, make_window):
    def reply(messages):
        # condensing sends one user message; answering sends the system prompt first
        return "What range do ATACMS missiles have?" if len(messages) == 1 else REFUSAL

    llm = ScriptedLLM(reply)

    def condense_calls():
        return [call for call in llm.calls if len(call) == 1]

    window, app = make_window(llm)
    with qtbot.waitSignal(app.chat.answered, timeout=20000):
        app.chat.ask("What are ATACMS?")
    with qtbot.waitSignal(app.chat.answered, timeout=20000) as answered:
        app.chat.ask("What range do they have?")
    assert answered.args[0].standalone_question == "What range do ATACMS missiles have?"
    [condense] = condense_calls()
    assert "What are ATACMS?" in condense[-1]["content"]
    # WHEN the user starts a new conversation
    qtbot.mouseClick(window.chat.new_button, Qt.MouseButton.LeftButton)
    assert app.chat.history == [] and window.chat.transcript.toPlainText() == ""
    with qtbot.waitSignal(app.chat.answered, timeout=20000) as answered:
        app.chat.ask("What range do they have?")
    # THEN the question goes to the model as asked (no condense call)
    assert answered.args[0].standalone_question == "What range do they have?"
    assert len(condense_calls()) == 1


def test_copy_answer_puts_the_text_and_its_sources_on_the_clipboard(qtbot, make_window):
    from PySide6.QtGui import QGuiApplication

    window, app = make_window(ScriptedLLM(ATACMS))
    with qtbot.waitSignal(app.chat.answered, timeout=20000):
        app.chat.ask("What does ATACMS stand for?")
    qtbot.mouseClick(window.chat.copy_button, Qt.MouseButton.LeftButton)
    copied = QGuiApplication.clipboard().text()
    assert copied.startswith("ATACMS stands for") and "\n[" in copied


def test_a_fresh_library_suggests_starter_questions_that_ask(qtbot, make_window):
    window, app = make_window(ScriptedLLM([REFUSAL, REFUSAL]))
    assert not window.chat.starters_box.isHidden()
    buttons = [
        window.chat.starters_row.itemAt(i).widget() for i in range(window.chat.starters_row.count())
    ]
    assert len(buttons) >= 3
    first = buttons[0].text()
    with qtbot.waitSignal(app.chat.answered, timeout=20000) as answered:
        qtbot.mouseClick(buttons[0], Qt.MouseButton.LeftButton)
    assert answered.args[0].question == first
    assert window.chat.starters_box.isHidden()


def test_ctrl_l_focuses_the_question(qtbot, make_window):
    window, app = make_window(ScriptedLLM([]))
    window.library.table.setFocus()
    window.show_tab(window.summaries)
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.currentWidget() is window.chat
    qtbot.waitUntil(window.chat.question.hasFocus, timeout=2000)
