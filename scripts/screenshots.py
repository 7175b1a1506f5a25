"""Screenshots of the real app on the seeds with the real default model (run under Xvfb).

    xvfb-run -a -s "-screen 0 1440x900x24" .venv/bin/python scripts/screenshots.py

Launches the window, waits until it is ready, asks "What did Blinken say in Kyiv?" (shooting
the passages shown while the model writes), clicks the first citation, summarises the cited
source, starts a new conversation and reopens the saved one, pins its answer to the notes and
shows the Notes tab, then makes a second dossier from the window, imports three articles of
another story into it and opens the dossier switcher. Saves docs/evidence-first.png,
docs/chat.png, docs/source.png, docs/summaries.png, docs/conversation.png, docs/notes.png and
docs/dossiers.png. Prints the start-up and answer figures.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

QUESTION = "What did Blinken say in Kyiv?"
# The second dossier: three articles of one story from the project's own test suite.
SECOND_DOSSIER = "Harbour strike"
SECOND_STORY = REPO / "bench" / "data" / "suite" / "newsroom"
SECOND_STORY_FILES = "harbour_0[1-3].txt"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", default=str(REPO / "build" / "screenshots-data"))
    parser.add_argument("--model", default="default")
    parser.add_argument("--out", default=str(REPO / "docs"))
    parser.add_argument("--timeout", type=float, default=900, help="seconds per step")
    args = parser.parse_args()

    from desktop.app import launch
    from desktop.preferences import Preferences
    from dossier.dossiers import slug_of

    launched = launch(
        Preferences(model=args.model, data_dir=args.data_dir, background_summaries=False),
        report=True,
    )
    app, window, controller, engine = (
        launched.app,
        launched.window,
        launched.controller,
        launched.engine,
    )
    from PySide6.QtCore import QEventLoop, Qt
    from PySide6.QtTest import QTest

    def wait_until(condition, what: str) -> None:
        deadline = time.monotonic() + args.timeout
        while not condition():
            if time.monotonic() > deadline:
                raise TimeoutError(f"timed out waiting for {what}")
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
            time.sleep(0.01)

    def settle(seconds: float = 0.5) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
            time.sleep(0.01)

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    def shot(name: str) -> None:
        settle()
        path = out / name
        window.grab().save(str(path))
        print(f"saved {path}", file=sys.stderr)

    window.resize(1400, 860)
    wait_until(
        lambda: engine.ready or engine.failed,
        "the library and model",
    )
    if not engine.ready:
        print(f"not ready: {engine.library_status} / {engine.llm_status}", file=sys.stderr)
        return 1

    answers = []
    controller.chat.answered.connect(answers.append)
    window.chat.question.setText(QUESTION)
    asked = time.monotonic()
    QTest.mouseClick(window.chat.ask_button, Qt.MouseButton.LeftButton)
    wait_until(lambda: controller.chat.reading or answers, "the passages")
    if not answers:
        print(f"passages shown after {time.monotonic() - asked:.2f} s", file=sys.stderr)
        shot("evidence-first.png")
    wait_until(lambda: answers, "the answer")
    answer = answers[0]
    print(
        f"answer in {time.monotonic() - asked:.1f} s (ttft {answer.timings.ttft_s or 0:.1f} s); "
        f"refused={answer.refused}; citations={[c.n for c in answer.citations]}",
        file=sys.stderr,
    )
    print(answer.answer, file=sys.stderr)
    window.chat.transcript.verticalScrollBar().setValue(0)
    shot("chat.png")

    links = [(h, p) for h, p in window.chat.links() if h.startswith(("cite:", "passage:"))]
    if links:
        point = window.chat.link_point(links[0][1])
        QTest.mouseClick(window.chat.transcript.viewport(), Qt.MouseButton.LeftButton, pos=point)
        wait_until(lambda: window.tabs.currentWidget() is window.source, "the source viewer")
        shot("source.png")

    summaries = controller.summaries
    source_id = window.source.source_id
    if source_id:
        summaries.select_source(source_id)
    window.show_tab(window.summaries)
    if window.summaries.summarize_button.isEnabled():
        done = []
        summaries.summarized.connect(done.append)
        started = time.monotonic()
        summaries.summarize()
        wait_until(lambda: done or summaries.job is None, "the summary")
        print(f"summary in {time.monotonic() - started:.1f} s", file=sys.stderr)
    shot("summaries.png")

    window.show_tab(window.chat)
    controller.chat.new_conversation()
    settle()
    saved = window.chat.conversations.ids()
    if saved and controller.conversations.open(saved[0]):
        window.chat.transcript.verticalScrollBar().setValue(0)
        shot("conversation.png")

    # Notes: the answer pinned ("Pin to notes" under it, clicked), shown in the Notes tab.
    pins = [(h, p) for h, p in window.chat.links() if h.startswith("pin:")]
    if pins:
        point = window.chat.link_point(pins[-1][1])
        QTest.mouseClick(window.chat.transcript.viewport(), Qt.MouseButton.LeftButton, pos=point)
        settle()
        notes = controller.notes.notes
        if notes:
            window.show_tab(window.notes)
            window.notes.select(notes[-1].id)
            shot("notes.png")
    else:
        print("no answer to pin (refused?): docs/notes.png not made", file=sys.stderr)
    # The dossier switcher, opened: a second story's dossier made (and filled) from the window.
    window.show_tab(window.chat)
    controller.dossiers.ask_name = lambda *args: SECOND_DOSSIER
    controller.dossiers.new()
    wait_until(
        lambda: controller.dossiers.current == slug_of(SECOND_DOSSIER) and engine.ready,
        "the new dossier",
    )
    imported = []
    engine.library_changed.connect(lambda: imported.append(True))
    controller.library.ingest(sorted(SECOND_STORY.glob(SECOND_STORY_FILES)))
    wait_until(lambda: imported and controller.library.job is None, "the second story's import")
    controller.dossiers.refresh()
    wait_until(lambda: "3 sources" in window.dossiers.combo.currentText(), "the switcher")
    window.dossiers.combo.showPopup()
    settle(1.0)
    # The open list is a window of its own: grab the screen where the main window is.
    frame = window.frameGeometry()
    app.primaryScreen().grabWindow(0, frame.x(), frame.y(), frame.width(), frame.height()).save(
        str(out / "dossiers.png")
    )
    print(f"saved {out / 'dossiers.png'}", file=sys.stderr)
    window.dossiers.combo.hidePopup()
    print(f"marks: {launched.marks}", file=sys.stderr)
    controller.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
