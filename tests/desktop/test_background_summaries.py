"""Summaries prepared in the background after an import, yielding to the user's questions."""

from __future__ import annotations

import threading
import time

from PySide6.QtCore import Qt

from dossier.prepare import sources_to_summarize
from tests.conftest import SEEDS
from tests.desktop.conftest import citing
from tests.fakes import ScriptedLLM

ATACMS = citing("Tactical Missile System", "ATACMS stands for the Army's Tactical Missile System")
SUMMARY = "ANGLE: none"


def is_guide(messages) -> bool:
    """The source guide: a follow-up turn of a summary."""
    return messages[-1]["content"].startswith("Now write a short guide")


def is_summary(messages) -> bool:
    return messages[0]["content"].startswith("You summarise one news article") and not is_guide(
        messages
    )


def is_judgment(messages) -> bool:
    """A YES/NO check (of an answer, or of differences while the briefing is prepared)."""
    return messages[0]["content"].startswith("You are a careful fact checker")


class GatedLLM(ScriptedLLM):
    """Summaries wait (honouring `cancel`) until `summaries_go` is set, answers (and the
    overview) until `answers_go` is: a test decides what is still running when the user acts.
    YES/NO judgments are not held."""

    def __init__(self) -> None:
        super().__init__(lambda m: SUMMARY if is_summary(m) else ATACMS(m))
        self.summaries_go = threading.Event()
        self.answers_go = threading.Event()
        self.summary_started = threading.Event()
        self.summaries_cancelled = 0
        self.summary_calls = 0

    def _pieces(self, done, messages, reply, max_tokens, cancel):
        summary = is_summary(messages)
        if is_judgment(messages):  # not what the test holds back
            yield from super()._pieces(done, messages, reply, max_tokens, cancel)
            return
        gate = self.summaries_go if summary or is_guide(messages) else self.answers_go
        if summary:
            self.summary_calls += 1
            self.summary_started.set()
        while not gate.is_set():
            if cancel is not None and cancel.is_set():
                if summary:
                    self.summaries_cancelled += 1
                break
            time.sleep(0.01)
        yield from super()._pieces(done, messages, reply, max_tokens, cancel)


def missing(app) -> list[str]:
    return sources_to_summarize(app.engine.library, app.engine.llm)


def test_after_an_import_the_summaries_are_made_in_the_background(qtbot, make_window):
    # GIVEN an empty library in the window, background summaries on
    llm = ScriptedLLM(lambda m: SUMMARY, piece_delay_s=0.005)
    window, app = make_window(llm, folder=None, background=True)
    shown = []
    app.background.changed.connect(shown.append)
    # WHEN the user imports the five seeds
    with qtbot.waitSignal(app.background.finished, timeout=60000):
        app.library.ingest([SEEDS])
    # THEN every source's summary was made and cached, one after the other
    assert len(app.engine.sources) == 5
    assert missing(app) == []
    # AND the status bar showed the progress, then that the summaries are ready
    steps = [t for t in shown if t.startswith("Preparing summaries")]
    assert steps[0].startswith("Preparing summaries 1/5 — ")
    assert any(t.startswith("Preparing summaries 5/5 — ") for t in steps)
    assert window.background_status.text() == "Summaries ready for the briefing"
    assert window.background_button.isHidden()


def test_a_question_pre_empts_the_background_summary_which_resumes_after(qtbot, make_window):
    # GIVEN the seeds, with a background summary being made
    llm = GatedLLM()
    window, app = make_window(llm, background=True)
    qtbot.waitUntil(llm.summary_started.is_set, timeout=30000)
    assert app.background.running
    assert window.background_status.text().startswith("Preparing summaries 1/5 — ")
    # WHEN the user asks a question
    assert app.chat.ask("What does ATACMS stand for?")
    # THEN the summary being made is cancelled and nothing starts while the question runs
    qtbot.waitUntil(lambda: llm.summaries_cancelled == 1 and not app.background.running)
    assert app.chat.busy
    assert app.background.holds == {"question"}
    assert "waiting for your question" in window.background_status.text()
    qtbot.wait(200)
    assert not app.background.running and llm.summary_calls == 1
    # WHEN the question is answered
    llm.summaries_go.set()
    with qtbot.waitSignal(app.chat.answered, timeout=30000) as answered:
        llm.answers_go.set()
    # THEN the answer is the question's
    assert "Tactical Missile System" in answered.args[0].answer
    # AND the background work resumes, redoes the cancelled source and completes
    qtbot.waitUntil(lambda: not missing(app), timeout=60000)
    qtbot.waitUntil(lambda: not app.background.running and not app.background.queue)
    assert llm.summary_calls >= 6  # the pre-empted source was summarised again
    assert window.background_status.text() == "Summaries ready for the briefing"


def test_pause_stops_the_queue_and_resume_finishes_it(qtbot, make_window):
    # GIVEN the seeds, with a background summary being made
    llm = GatedLLM()
    window, app = make_window(llm, background=True)
    qtbot.waitUntil(llm.summary_started.is_set, timeout=30000)
    assert window.background_button.isVisible()
    assert window.background_button.text() == "Pause"
    # WHEN the user clicks Pause in the status bar
    qtbot.mouseClick(window.background_button, Qt.MouseButton.LeftButton)
    # THEN the summary being made stops and no other starts, even with the model free
    qtbot.waitUntil(lambda: not app.background.running)
    llm.summaries_go.set()
    qtbot.wait(300)
    assert llm.summary_calls == 1 and llm.summaries_cancelled == 1
    assert len(missing(app)) == 5
    assert window.background_status.text() == "Summaries paused — 0 of 5 ready"
    assert window.background_button.text() == "Resume"
    # WHEN the user clicks Resume
    with qtbot.waitSignal(app.background.finished, timeout=60000):
        qtbot.mouseClick(window.background_button, Qt.MouseButton.LeftButton)
    # THEN every summary is made
    assert missing(app) == []


def test_a_briefing_export_holds_the_background_work(qtbot, make_window):
    # GIVEN a background summary being made
    llm = GatedLLM()
    window, app = make_window(llm, background=True)
    qtbot.waitUntil(llm.summary_started.is_set, timeout=30000)
    # WHEN a briefing export starts THEN the background yields, until the export ends
    app.briefing.busy_changed.emit(True)
    qtbot.waitUntil(lambda: not app.background.running)
    assert "the briefing is being made" in window.background_status.text()
    llm.summaries_go.set()
    with qtbot.waitSignal(app.background.finished, timeout=60000):
        app.briefing.busy_changed.emit(False)
    assert missing(app) == []


def test_background_summaries_can_be_switched_off(qtbot, make_window):
    # GIVEN background summaries switched off in the preferences
    llm = ScriptedLLM(lambda m: SUMMARY)
    window, app = make_window(llm, background=False)
    # WHEN the library is ready THEN no summary is made and the status bar shows none
    qtbot.wait(300)
    assert llm.calls == [] and not app.background.running
    assert window.background_status.isHidden()


def test_the_summaries_tab_shows_a_summary_made_in_the_background(qtbot, make_window):
    # GIVEN the Summaries tab on a source not summarised yet
    llm = GatedLLM()
    llm.answers_go.set()
    window, app = make_window(llm, background=True)
    window.show_tab(window.summaries)
    first = app.engine.sources[0].id
    app.summaries.select_source(first)
    assert app.summaries.summary is None
    # WHEN the background makes its summary THEN the tab shows it
    llm.summaries_go.set()
    qtbot.waitUntil(lambda: app.summaries.summary is not None, timeout=30000)
    assert app.summaries.summary.source_id == first and app.summaries.summary.cached


def test_the_setting_is_a_checkbox_kept_in_the_preferences(qtbot, tmp_path):
    from PySide6.QtCore import QSettings

    from desktop.preferences import Preferences
    from desktop.views.settings_dialog import SettingsDialog

    # GIVEN the default preferences THEN background summaries are on
    assert Preferences().background_summaries
    # WHEN the user unticks the box in Settings THEN the preferences say so, and are kept
    dialog = SettingsDialog(Preferences(), [])
    qtbot.addWidget(dialog)
    assert dialog.background_summaries.isChecked()
    dialog.background_summaries.setChecked(False)
    prefs = dialog.preferences()
    assert not prefs.background_summaries
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    prefs.save(settings)
    assert not Preferences.load(settings).background_summaries
    fresh = QSettings(str(tmp_path / "new.ini"), QSettings.Format.IniFormat)
    assert Preferences.load(fresh).background_summaries


def test_a_stopped_queue_drops_its_work_and_a_new_scan_finds_it_again(qtbot, make_window):
    # GIVEN a background summary being made
    llm = GatedLLM()
    window, app = make_window(llm, background=True)
    qtbot.waitUntil(llm.summary_started.is_set, timeout=30000)
    # WHEN the queue is stopped (another library opening, the setting switched off)
    app.background.stop()
    # THEN the summary ends, nothing is queued and the status bar shows nothing
    qtbot.waitUntil(lambda: not app.background.running)
    assert app.background.queue == [] and window.background_status.isHidden()
    # AND a new scan finds every source still missing and makes them
    llm.summaries_go.set()
    with qtbot.waitSignal(app.background.finished, timeout=60000):
        app.background.schedule()
    assert missing(app) == []
