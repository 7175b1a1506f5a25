"""Evidence first in the real window: the passages show while the model is still writing."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import Qt

from desktop.render import READING_HEADING
from tests.desktop.conftest import citing
from tests.desktop.helpers import click_anchor
from tests.fakes import ScriptedLLM

QUESTION = "What does ATACMS stand for?"
ANSWER = "ATACMS stands for the Army's Tactical Missile System"


class HeldLLM(ScriptedLLM):
    """A scripted model that writes no answer until `release` is set, and rewrites no follow-up
    until `release_condense` is (a slow model's prompt evaluation); judgments are not held."""

    def __init__(self, replies) -> None:
        super().__init__(replies)
        self.release = threading.Event()
        self.release_condense = threading.Event()

    def _reply_for(self, messages):
        # condensing sends one user message; answering sends the system prompt first
        held = self.release_condense if len(messages) == 1 else self.release
        held.wait(timeout=30)  # never hangs a failing test for ever
        return super()._reply_for(messages)


@pytest.fixture
def held(make_window):
    """`held(replies)` -> a HeldLLM, released when the test ends (passed or not), before the
    window is shut down."""
    made = []

    def make(replies):
        made.append(HeldLLM(replies))
        return made[-1]

    yield make
    for llm in made:
        llm.release.set()
        llm.release_condense.set()


def reading_links(window) -> list[str]:
    """The hrefs of the passages shown while the model writes, once each, in order."""
    return list(dict.fromkeys(h for h, _ in window.chat.links() if h.startswith("reading:")))


def test_the_passages_show_with_working_links_before_the_first_words(qtbot, make_window, held):
    # GIVEN the window on the seeds and a model that holds its reply
    llm = held(citing("Tactical Missile System", ANSWER))
    window, app = make_window(llm)
    seen = []  # every state of the transcript, in order
    window.chat.transcript.textChanged.connect(
        lambda: seen.append(window.chat.transcript.toPlainText())
    )
    # WHEN the user types a question and presses Enter
    window.chat.question.setFocus()
    qtbot.keyClicks(window.chat.question, QUESTION)
    qtbot.keyClick(window.chat.question, Qt.Key.Key_Return)
    # THEN, while the model has written nothing, the best passages are shown under the question
    qtbot.waitUntil(lambda: READING_HEADING in window.chat.transcript.toPlainText(), timeout=10000)
    assert app.chat.streamed == "" and app.chat.busy
    text = window.chat.transcript.toPlainText()
    assert text.index(QUESTION) < text.index(READING_HEADING)
    shown = app.chat.reading
    assert shown
    # the best two or three, each a link
    assert reading_links(window) == [f"reading:0:{p.n}" for p in shown[:3]]
    best = shown[0]
    assert app.chat._titles[best.source_id] in text  # the source's title
    assert " ".join(best.text.split())[:40] in text  # and the start of the passage
    # AND clicking one opens the source at that passage, as a citation does
    click_anchor(qtbot, window.chat, "reading:")
    qtbot.waitUntil(lambda: window.tabs.currentWidget() is window.source, timeout=5000)
    assert window.source.source_id == best.source_id
    assert window.source.highlighted_text() == best.text
    # WHEN the model writes and its answer is checked
    with qtbot.waitSignal(app.chat.answered, timeout=20000) as answered:
        llm.release.set()
    # THEN the first words came after the passages were visible
    first_passages = next(i for i, t in enumerate(seen) if READING_HEADING in t)
    first_words = next(i for i, t in enumerate(seen) if "ATACMS stands" in t)
    assert first_passages < first_words
    # AND the passages are replaced by the checked answer with its citation links
    answer = answered.args[0]
    assert not answer.refused and answer.citations
    text = window.chat.transcript.toPlainText()
    assert READING_HEADING not in text and ANSWER in text
    hrefs = [href for href, _ in window.chat.links()]
    assert f"cite:0:{answer.citations[0].n}:0" in hrefs
    assert not any(h.startswith("reading:") for h in hrefs)
    assert app.chat.reading == []


def test_a_refusal_replaces_the_passages_with_its_own_nearest_ones(qtbot, make_window, held):
    # GIVEN a model that finds no answer in the passages (its draft and its second look)
    from prompts import REFUSAL

    llm = held([REFUSAL, REFUSAL])
    window, app = make_window(llm)
    # WHEN the user asks
    app.chat.ask("What range do the missiles have?")
    # THEN the passages show first
    qtbot.waitUntil(lambda: READING_HEADING in window.chat.transcript.toPlainText(), timeout=10000)
    with qtbot.waitSignal(app.chat.answered, timeout=20000):
        llm.release.set()
    # AND then the refusal stands in their place, listing the nearest passages as links
    text = window.chat.transcript.toPlainText()
    assert READING_HEADING not in text
    assert REFUSAL in text and "Nearest passages" in text
    assert any(href.startswith("passage:0:") for href, _ in window.chat.links())


def test_a_follow_up_shows_passages_at_once_and_its_own_once_rewritten(qtbot, make_window, held):
    # GIVEN one answered turn
    llm = held(citing("Tactical Missile System", ANSWER))
    llm.release.set()
    window, app = make_window(llm)
    with qtbot.waitSignal(app.chat.answered, timeout=20000):
        app.chat.ask(QUESTION)
    llm.release.clear()
    answers = []
    app.chat.answered.connect(answers.append)
    # WHEN a follow-up is asked (the held model rewrites it to stand alone, then answers)
    llm._replies = lambda messages: (
        QUESTION if len(messages) == 1 else citing("Tactical Missile System", ANSWER)(messages)
    )
    app.chat.ask("And what does it stand for again?")
    # THEN while the model rewrites the follow-up, passages it finds read with the question
    # before it are already shown...
    qtbot.waitUntil(lambda: READING_HEADING in window.chat.transcript.toPlainText(), timeout=5000)
    assert not llm.release_condense.is_set()
    # ...and once it is rewritten, its own passages show under the second question, linked
    # to turn 1
    llm.release_condense.set()
    qtbot.waitUntil(lambda: READING_HEADING in window.chat.transcript.toPlainText(), timeout=10000)
    text = window.chat.transcript.toPlainText()
    assert text.index("And what does it stand for again?") < text.index(READING_HEADING)
    assert text.count(ANSWER) == 1  # the first turn's answer, above
    links = reading_links(window)
    assert links and all(h.startswith("reading:1:") for h in links)
    # AND the second answer replaces them
    llm.release.set()
    qtbot.waitUntil(lambda: len(answers) == 1, timeout=20000)
    assert READING_HEADING not in window.chat.transcript.toPlainText()
