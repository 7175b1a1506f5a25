"""Export briefing: button or Ctrl+E, save dialog (stubbed), progress, then offer to open it."""

from __future__ import annotations

import sys
import threading
import types

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from tests.fakes import ScriptedLLM


@pytest.fixture
def stand_in_core(monkeypatch):
    """`dossier.briefing` and `dossier.export` stand-ins that record their calls."""
    calls = {"brief": [], "export": []}
    release = threading.Event()
    release.set()

    def brief(*, library=None, llm=None, progress=None, cancel=None):
        sources = library.sources()
        for i, source in enumerate(sources):
            release.wait(10)
            if cancel is not None and cancel.is_set():
                break
            progress(i, len(sources), source.id)
        calls["brief"].append(len(sources))
        return {"sources": [s.id for s in sources]}

    def write_briefing(briefing, path):
        calls["export"].append(path)
        text = "# Briefing\n" + "\n".join(briefing["sources"])
        path.write_text(text)
        return types.SimpleNamespace(path=path, size=len(text), pages=3, format=path.suffix)

    briefing_module = types.ModuleType("dossier.briefing")
    briefing_module.brief = brief
    export_module = types.ModuleType("dossier.export")
    export_module.write_briefing = write_briefing
    export_module.FORMATS = [".md", ".html", ".pdf", ".docx"]
    history_module = types.ModuleType("dossier.briefing_history")
    history_module.with_new_since = lambda briefing, history: briefing
    calls["recorded"] = []
    history = types.SimpleNamespace(
        record=lambda briefing, path, fmt: calls["recorded"].append((path, fmt))
    )
    monkeypatch.setitem(sys.modules, "dossier.briefing", briefing_module)
    monkeypatch.setitem(sys.modules, "dossier.export", export_module)
    monkeypatch.setitem(sys.modules, "dossier.briefing_history", history_module)
    monkeypatch.setattr("desktop.controllers.briefing.real_history", lambda prefs: history)
    calls["release"] = release
    return calls


def test_the_export_button_writes_the_briefing_and_offers_to_open_it(
    qtbot, make_window, tmp_path, stand_in_core
):
    # GIVEN the window, with the save dialog answered and the "open it?" box recorded
    window, app = make_window(ScriptedLLM([]))
    target = tmp_path / "out" / "briefing.md"
    target.parent.mkdir()
    app.briefing.ask_save_path = lambda: target
    offered = []
    app.briefing.offer_open = lambda path, summary: offered.append((path, summary))
    progress = []
    show_progress = app.briefing._progress
    app.briefing._progress = lambda value: (progress.append(value), show_progress(value))
    # WHEN the user clicks Export briefing in the toolbar
    with qtbot.waitSignal(app.briefing.exported, timeout=20000) as exported:
        window.export_action.trigger()
        assert app.briefing.dialog is not None and app.briefing.dialog.isVisible()
    # THEN the file was written with progress on the way and the user may open it, told how
    # many pages it has
    assert exported.args[0] == target and target.read_text().startswith("# Briefing")
    assert progress and progress[-1][2] == "Writing the file…"
    assert offered == [(target, "3 pages, 1 kB")]
    assert stand_in_core["recorded"] == [(target, ".md")]  # the dossier's briefing history
    assert app.briefing.dialog is None
    assert str(target) in window.job_status.text() and "3 pages" in window.job_status.text()


def test_ctrl_e_exports_and_cancel_stops_it(qtbot, make_window, tmp_path, stand_in_core):
    window, app = make_window(ScriptedLLM([]))
    app.briefing.ask_save_path = lambda: tmp_path / "b.md"
    app.briefing.offer_open = lambda *_: pytest.fail("a cancelled export offers nothing")
    stand_in_core["release"].clear()  # hold the briefing at its first source
    qtbot.keyClick(window, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    assert app.briefing.job is not None
    cancel_button = app.briefing.dialog.findChild(QPushButton)
    qtbot.mouseClick(cancel_button, Qt.MouseButton.LeftButton)
    stand_in_core["release"].set()
    qtbot.waitUntil(lambda: app.briefing.job is None, timeout=10000)
    assert not (tmp_path / "b.md").exists()
    assert window.job_status.text() == "Briefing cancelled."


def test_closing_the_save_dialog_exports_nothing(qtbot, make_window, stand_in_core):
    window, app = make_window(ScriptedLLM([]))
    app.briefing.ask_save_path = lambda: None
    window.export_action.trigger()
    assert app.briefing.job is None and stand_in_core["brief"] == []


@pytest.mark.parametrize("suffix", [".md", ".pdf"])
def test_the_real_briefing_is_exported_in_the_format_of_the_extension(
    qtbot, make_window, tmp_path, suffix
):
    # GIVEN the real briefing and export modules, and a model that writes cited bullet points

    def reply(messages) -> str:
        for line in messages[-1]["content"].splitlines():
            if line.startswith("[") and "]" in line:
                n = line[1 : line.index("]")]
                return f"- {line[line.index(']') + 1 :].strip()[:120]} [{n}]\nANGLE: none"
        return "ANGLE: none"

    window, app = make_window(ScriptedLLM(reply))
    target = tmp_path / f"briefing{suffix}"
    app.briefing.ask_save_path = lambda: target
    app.briefing.offer_open = lambda *_: None
    app.briefing.show_error = pytest.fail
    # WHEN the user exports
    with qtbot.waitSignal(app.briefing.exported, timeout=60000):
        window.export_action.trigger()
    # THEN the file is there, in that format
    data = target.read_bytes()
    if suffix == ".pdf":
        assert data.startswith(b"%PDF")
    else:
        assert data.startswith(b"#") and b"Blinken" in data
