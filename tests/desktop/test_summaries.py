"""The summaries view: on demand with progress, cached, each point opens its evidence."""

from __future__ import annotations

from PySide6.QtCore import Qt

from tests.fakes import ScriptedLLM

SOURCE = "002_8c75088e5995e160"
NEEDLE = "Tactical Missile System"


def summary_reply(messages) -> str:
    """Cites the sentence holding the needle when this part of the source has it."""
    for line in messages[-1]["content"].splitlines():
        if line.startswith("[") and NEEDLE in line:
            n = int(line[1 : line.index("]")])
            return f"- ATACMS stands for the Army's Tactical Missile System [{n}]\nANGLE: none"
    return "ANGLE: none"


def test_a_summary_is_made_on_demand_and_its_points_open_their_evidence(qtbot, make_window):
    # GIVEN the window on the seeds, on the Summaries tab, with a source chosen
    llm = ScriptedLLM(summary_reply)
    window, app = make_window(llm)
    window.show_tab(window.summaries)
    app.summaries.select_source(SOURCE)
    assert app.summaries.current_source_id() == SOURCE
    progress = []
    show_progress = app.summaries._progress
    app.summaries._progress = lambda value: (progress.append(value), show_progress(value))
    # WHEN the user presses Summarise
    with qtbot.waitSignal(app.summaries.summarized, timeout=30000) as summarized:
        qtbot.mouseClick(window.summaries.summarize_button, Qt.MouseButton.LeftButton)
        assert window.summaries.progress.isVisible()
    # THEN the points are listed, with progress shown while it ran
    summary = summarized.args[0]
    assert progress and not summary.cached
    assert app.summaries.model.rowCount() == len(summary.points) >= 1
    row = next(i for i, p in enumerate(summary.points) if NEEDLE in p.text)
    assert "Blinken" in window.summaries.heading.text()
    # WHEN the user clicks a point THEN its evidence is highlighted in the source viewer
    index = app.summaries.model.index(row, 0)
    rect = window.summaries.points.visualRect(index)
    qtbot.mouseClick(
        window.summaries.points.viewport(), Qt.MouseButton.LeftButton, pos=rect.center()
    )
    assert window.tabs.currentWidget() is window.source
    assert window.source.source_id == SOURCE
    assert NEEDLE in window.source.highlighted_text()


def test_a_summary_made_once_comes_from_the_cache(qtbot, make_window):
    llm = ScriptedLLM(summary_reply)
    window, app = make_window(llm)
    app.summaries.select_source(SOURCE)
    with qtbot.waitSignal(app.summaries.summarized, timeout=30000):
        app.summaries.summarize()
    calls = len(llm.calls)
    # WHEN the user picks another source and comes back
    app.summaries.select_source("000_af46ed12ca4a5ab7")
    app.summaries.select_source(SOURCE)
    # THEN the cached summary shows without running the model
    qtbot.waitUntil(lambda: app.summaries.summary is not None, timeout=10000)
    assert app.summaries.summary.cached
    assert "from cache" in window.summaries.status.text()
    assert len(llm.calls) == calls


def test_the_source_guide_shows_above_the_points_without_what_the_source_does_not_say(
    qtbot, make_window
):
    # GIVEN a model whose guide has one sentence the judge finds in the source and one not
    guide = (
        "1. It explains the Army's Tactical Missile System.\n"
        "2. It reports an invented ceasefire in the capital.\n"
    )

    def verdict(messages):
        return "NO" if "invented ceasefire" in messages[-1]["content"] else "YES"

    llm = ScriptedLLM(summary_reply, verdict=verdict, guide=lambda messages: guide)
    window, app = make_window(llm)
    window.show_tab(window.summaries)
    app.summaries.select_source(SOURCE)
    # WHEN the source is summarised
    with qtbot.waitSignal(app.summaries.summarized, timeout=30000):
        qtbot.mouseClick(window.summaries.summarize_button, Qt.MouseButton.LeftButton)
    # THEN the guide is shown above the points, with the checked sentence only
    label = window.summaries.guide
    assert label.isVisible()
    assert "It explains the Army's Tactical Missile System." in label.text()
    assert "ceasefire" not in label.text()
    layout = window.summaries.layout()
    assert layout.indexOf(label) < layout.indexOf(window.summaries.points)
