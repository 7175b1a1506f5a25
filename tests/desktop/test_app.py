"""Start-up, rendering safety and the entry points."""

from __future__ import annotations

import subprocess
import sys
import threading

from desktop import render
from dossier.schema import Answer, AnswerSentence, Citation, ModelInfo, Passage
from tests.conftest import REPO
from tests.fakes import ScriptedLLM

MODEL = ModelInfo(id="m", sha256="0")


def test_the_window_is_usable_before_the_model_has_loaded(qtbot, make_window):
    # GIVEN a model that takes its time to load
    release = threading.Event()
    llm = ScriptedLLM([])

    def slow_llm(prefs):
        release.wait(20)
        return llm

    window, app = make_window(llm, wait_ready=False, llm_factory=slow_llm)
    # THEN the window is up, says the model is loading, and the library opens meanwhile
    assert window.isVisible()
    assert "loading" in window.model_status.text()
    qtbot.waitUntil(lambda: app.engine.library_status == "ready", timeout=20000)
    assert not app.engine.ready
    # WHEN the model finishes loading THEN the status bar names it
    release.set()
    qtbot.waitUntil(lambda: app.engine.ready, timeout=20000)
    assert window.model_status.text() == "Model: scripted"
    assert window.offline_status.text() == "● Offline"


def test_a_model_that_fails_to_load_is_reported_not_raised(qtbot, make_window):
    def broken(prefs):
        raise RuntimeError("no such model file")

    window, app = make_window(None, wait_ready=False, llm_factory=broken)
    qtbot.waitUntil(lambda: app.engine.llm_status.startswith("failed"), timeout=20000)
    assert window.model_status.text() == "Model: not available"
    assert "no such model file" in window.chat.status.text()


def test_answer_markup_is_escaped():
    answer = Answer(
        question="q",
        standalone_question="q",
        answer="x",
        refused=False,
        sentences=[
            AnswerSentence(
                text="<script>alert(1)</script> <b>bold</b>.", citations=[1], supported=True
            ),
            AnswerSentence(text="<img src=x onerror=alert(1)>", citations=[], supported=False),
        ],
        citations=[Citation(n=1, source_id="s", start=0, end=3, text="<b>", support=1.0)],
        model=MODEL,
        prompt_hash="h",
    )
    html = render.answer_html(answer, 0, {"s": "<i>Title</i>"})
    assert "<script>" not in html and "<b>bold" not in html and "<img" not in html
    assert "&lt;script&gt;" in html and "&lt;i&gt;Title&lt;/i&gt;" in html
    refusal = answer.model_copy(
        update={
            "refused": True,
            "passages": [Passage(n=1, source_id="s", start=0, end=9, text="<b>hi</b>")],
        }
    )
    assert "<b>hi" not in render.answer_html(refusal, 0, {})
    assert "&lt;b&gt;" in render.question_html("<b>q</b>")


def test_python_m_desktop_and_dossier_gui_have_a_help_page():
    for args in (["-m", "desktop", "--help"], ["-m", "cli", "gui", "--help"]):
        result = subprocess.run(
            [sys.executable, *args], capture_output=True, text=True, cwd=REPO, timeout=60
        )
        assert result.returncode == 0, result.stderr
        assert "--model" in result.stdout
        # a shared library: the desktop's own option, the CLI's global one before `gui`
        assert ("--library URL" in result.stdout) == ("desktop" in args)


def test_highlights_land_on_the_right_characters_after_emoji(qtbot):
    # GIVEN a source with characters outside the BMP (two UTF-16 units each in Qt)
    from desktop.views.source_viewer import SourceViewer

    text = "Intro 🚀🚀 line.\nThe cited passage is here.\nEnd."
    start = text.index("The cited")
    end = text.index("here.") + len("here.")
    viewer = SourceViewer()
    qtbot.addWidget(viewer)
    # WHEN the passage is highlighted by its Python offsets
    viewer.show_source(None, text, start, end)
    # THEN exactly that passage is selected in the widget
    [selection] = viewer.text.extraSelections()
    assert selection.cursor.selectedText() == "The cited passage is here."
