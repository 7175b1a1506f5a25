"""Event-loop stalls of the desktop app while it starts, answers and ingests.

A 10 ms QTimer heartbeat runs on the GUI thread; the longest gap between two beats, minus
the interval, is the longest stall the user could feel. Figures are printed, never asserted.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/gui_stall.py [--model default|fast|scripted]
        [--background SECONDS]

The library is a fresh data folder seeded with the five seed articles (real embedder); the
ingest adds --files synthetic articles through the library panel's controller. With
--background, summaries are made in the background from the start: the stalls are measured
for that many seconds of it (or until it is done), and the question then pre-empts it.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from _common import REPO_ROOT  # noqa: F401  (puts the repository on sys.path, offline env)
from _corpus import NewsText

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

QUESTION = "What did Blinken say in Kyiv?"


class Heartbeat:
    """Records the gaps between ticks of a timer on the GUI thread."""

    def __init__(self, interval_ms: int = 10) -> None:
        from PySide6.QtCore import Qt, QTimer

        self.interval = interval_ms / 1000
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._tick)
        self.gaps: list[float] = []
        self.long: list[tuple[float, float]] = []  # (when, gap) of gaps over 50 ms
        self._last: float | None = None

    def _tick(self) -> None:
        now = time.perf_counter()
        if self._last is not None:
            self.gaps.append(now - self._last)
            if now - self._last > 0.05:
                self.long.append((now, now - self._last))
        self._last = now

    def start(self) -> None:
        self.gaps.clear()
        self.long.clear()
        self._last = None
        self.timer.start()

    def stop(self) -> dict[str, float]:
        self.timer.stop()
        gaps = sorted(self.gaps) or [0.0]
        stall = [max(0.0, g - self.interval) * 1000 for g in gaps]
        return {
            "beats": len(self.gaps),
            "max_stall_ms": round(stall[-1], 1),
            "p99_stall_ms": round(stall[int(0.99 * (len(stall) - 1))], 1),
            "over_100ms": sum(1 for s in stall if s > 100),
        }


def trace(beat: Heartbeat, since: float, when_label: str) -> None:
    """With $GUI_STALL_TRACE set, every gap over 50 ms of the last run and when it ended."""
    if os.environ.get("GUI_STALL_TRACE"):
        for when, gap in beat.long:
            print(f"  gap {gap * 1000:.0f} ms ending {when - since:.2f} s {when_label}")


def run_until(condition, timeout: float) -> None:
    """Run the event loop (not a polling loop, which would add gaps) until `condition()`."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    check = QTimer()
    check.setInterval(20)
    deadline = time.monotonic() + timeout

    def poll() -> None:
        if condition() or time.monotonic() > deadline:
            loop.quit()

    check.timeout.connect(poll)
    check.start()
    loop.exec()
    check.stop()
    if not condition():
        raise TimeoutError("benchmark step timed out")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="default", help="default, fast, tiny, a path, scripted")
    parser.add_argument("--data-dir", help="data folder (default: a fresh temporary one)")
    parser.add_argument("--files", type=int, default=200, help="articles to ingest")
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument(
        "--background", type=float, default=0, help="seconds of background summaries to watch"
    )
    args = parser.parse_args()

    from desktop.app import launch
    from desktop.preferences import Preferences

    tmp = tempfile.TemporaryDirectory()
    data = Path(args.data_dir or tmp.name)
    # Background summaries off unless asked for: the other phases measure the window alone.
    prefs = Preferences(
        model="" if args.model == "scripted" else args.model,
        data_dir=str(data),
        background_summaries=args.background > 0,
    )
    heartbeat_start = time.perf_counter()
    launched = launch(prefs)
    engine, controller = launched.engine, launched.controller
    if args.model == "scripted":
        from tests.fakes import ScriptedLLM

        reply = "Blinken said the US has adjusted as the battlefield changed [1]. " * 6
        engine._llm_factory = lambda prefs: ScriptedLLM([reply], piece_delay_s=0.03)
    beat = Heartbeat()
    beat.start()
    run_until(lambda: engine.ready or engine.failed, args.timeout)
    startup = beat.stop()
    trace(beat, heartbeat_start, "after launch")
    if not engine.ready:
        print(f"not ready: {engine.library_status} / {engine.llm_status}")
        return 1
    print(f"load average at start: {os.getloadavg()}")
    print(
        f"start-up: window visible {launched.marks['window']:.2f} s, ready to answer "
        f"{launched.marks['ready']:.2f} s (after process start; heartbeat from "
        f"{heartbeat_start:.0f}); stalls while loading: {startup}"
    )

    if args.background > 0:
        made, finished = [], []
        controller.background.summarized.connect(made.append)
        controller.background.finished.connect(lambda: finished.append(True))
        beat.start()
        started = time.perf_counter()
        run_until(lambda: finished or time.perf_counter() - started > args.background, 10**6)
        background_stalls = beat.stop()
        print(
            f"background summaries: {len(made)} made in {time.perf_counter() - started:.1f} s "
            f"(done: {bool(finished)}); stalls: {background_stalls}"
        )

    answers = []
    controller.chat.answered.connect(answers.append)
    beat.start()
    started = time.perf_counter()
    controller.chat.ask(QUESTION)
    run_until(lambda: answers, args.timeout)
    answer_stalls = beat.stop()
    trace(beat, started, "after asking")
    a = answers[0]
    print(
        f"answer ({engine.llm.model_id}): {time.perf_counter() - started:.1f} s, "
        f"ttft {a.timings.ttft_s or 0:.1f} s, {a.timings.completion_tokens} tokens, "
        f"refused={a.refused}; stalls: {answer_stalls}"
    )

    seed = int(time.time())  # new articles each run: the same bytes would be "unchanged"
    folder = data / f"bench-articles-{seed}"
    NewsText(seed=seed).write_articles(folder, args.files)
    reports = []
    controller.library.ingest_finished.connect(reports.append)
    beat.start()
    started = time.perf_counter()
    controller.library.ingest([folder])
    run_until(lambda: reports, args.timeout)
    ended = time.perf_counter()
    ingest_stalls = beat.stop()
    trace(beat, started, f"after the start (ingest done at {ended - started:.2f} s)")
    r = reports[0]
    print(
        f"ingest: {len(r.added)} files, {r.chunks_added} passages in "
        f"{time.perf_counter() - started:.1f} s; stalls: {ingest_stalls}"
    )
    print(f"load average at end: {os.getloadavg()}")
    controller.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
