"""A briefing prepared in the background is exported with no model call, and lists what is
new since the last export."""

from __future__ import annotations

import threading
import time

from dossier.layout import NEW_SINCE_HEADING
from dossier.prepare import briefing_needs_preparing, sources_to_summarize
from tests.desktop.conftest import citing
from tests.dossier.test_briefing import scripted_reply
from tests.dossier.test_briefing_prepared import NEW_ARTICLE
from tests.fakes import ScriptedLLM

ATACMS = citing("Tactical Missile System", "ATACMS stands for the Army's Tactical Missile System")


def prepared(app) -> bool:
    """Every summary made and the overview prepared, and the background worker idle."""
    library, llm = app.engine.library, app.engine.llm
    return (
        not app.background.running
        and not sources_to_summarize(library, llm)
        and not briefing_needs_preparing(library, llm)
    )


def export_to(qtbot, app, path):
    app.briefing.ask_save_path = lambda: path
    with qtbot.waitSignal(app.briefing.exported, timeout=60000):
        app.window.export_action.trigger()
    return path.read_text(encoding="utf-8")


def test_a_briefing_prepared_in_the_background_is_exported_with_no_model_call(
    qtbot, make_window, tmp_path
):
    # GIVEN the seeds, their summaries and the briefing overview prepared in the background
    llm = ScriptedLLM(scripted_reply)
    window, app = make_window(llm, background=True)
    app.briefing.offer_open = lambda *_: None
    app.briefing.show_error = lambda text: (_ for _ in ()).throw(AssertionError(text))
    qtbot.waitUntil(lambda: prepared(app), timeout=60000)
    assert any(m[0]["content"].startswith("You write the overview") for m in llm.calls)
    calls = len(llm.calls)
    # WHEN the user exports a briefing
    first = export_to(qtbot, app, tmp_path / "first.md")
    # THEN it is written with no model call, and, being the first, has no "new since" section
    assert len(llm.calls) == calls
    assert "## Overview" in first and NEW_SINCE_HEADING not in first
    # GIVEN a new source imported, summarised and the overview prepared again in the background
    path = tmp_path / "harbour.txt"
    path.write_text(NEW_ARTICLE, encoding="utf-8")
    with qtbot.waitSignal(app.background.briefing_prepared, timeout=60000):
        app.library.ingest([path])
    qtbot.waitUntil(lambda: prepared(app), timeout=60000)
    calls = len(llm.calls)
    # WHEN the user exports the briefing again
    second = export_to(qtbot, app, tmp_path / "second.md")
    # THEN again no model ran, and the file lists that source as new since the last briefing
    assert len(llm.calls) == calls
    section = second[second.index(NEW_SINCE_HEADING) : second.index("Sources in brief")]
    assert "Harbour board orders new tugboats" in section and "— new" in section
    assert "ordered two new tugboats" in section
    assert "Blinken" not in section  # the seeds were in the first briefing


class OverviewGatedLLM(ScriptedLLM):
    """Summaries and judgments run at once; the overview waits (honouring `cancel`) until
    `overview_go` is set; answers cite the passage that says what ATACMS stands for."""

    def __init__(self) -> None:
        super().__init__(self._reply)
        self.overview_go = threading.Event()
        self.overview_started = threading.Event()
        self.overviews_cancelled = 0

    @staticmethod
    def _reply(messages) -> str:
        if messages[0]["content"].startswith("You answer questions"):
            return ATACMS(messages)
        return scripted_reply(messages)

    def _pieces(self, done, messages, reply, max_tokens, cancel):
        if messages[0]["content"].startswith("You write the overview"):
            self.overview_started.set()
            while not self.overview_go.is_set():
                if cancel is not None and cancel.is_set():
                    self.overviews_cancelled += 1
                    break
                time.sleep(0.01)
        yield from super()._pieces(done, messages, reply, max_tokens, cancel)


def test_a_question_pre_empts_the_overview_being_prepared(qtbot, make_window):
    # GIVEN the summaries made in the background and the overview being prepared
    llm = OverviewGatedLLM()
    window, app = make_window(llm, background=True)
    qtbot.waitUntil(llm.overview_started.is_set, timeout=60000)
    assert app.background.preparing
    assert window.background_status.text() == "Preparing the briefing overview"
    # WHEN the user asks a question
    with qtbot.waitSignal(app.chat.answered, timeout=30000) as answered:
        assert app.chat.ask("What does ATACMS stand for?")
    # THEN the overview was cancelled (nothing cached) and the question answered
    assert llm.overviews_cancelled >= 1
    assert "Tactical Missile System" in answered.args[0].answer
    # WHEN the model is free again THEN the overview is prepared after all
    with qtbot.waitSignal(app.background.briefing_prepared, timeout=60000):
        llm.overview_go.set()
    qtbot.waitUntil(lambda: prepared(app), timeout=30000)
    assert window.background_status.text() == "Summaries ready for the briefing"
