"""Evidence first: time from pressing Enter to the passages on screen, and to the model's words.

The real window (offscreen), the real embedder and model, a fresh data folder seeded with the
five seed articles. Each question is typed into the question box and Enter is pressed; the
clock starts just before the key press. Three moments are taken on the GUI thread:

- passages: the transcript first paints the "Reading these passages…" block;
- first words: it first paints model text (the streamed answer);
- checked: the checked answer has replaced both.

A follow-up is rewritten by the model to stand alone before any passage can be chosen, so its
passages come later than a standalone question's. Figures are printed, never asserted.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/evidence_first.py [--model default|fast|PATH]

`--model scripted` checks the plumbing without a model (a scripted one that waits 2 s).

The fresh data folder borrows the user's model cache (symlinks to what is in it), so the model
is not assembled again; not its sentence-vector cache: this run's starts empty, and the window
fills it in the background after the seeds went in, as on a first launch. The questions are
asked once that warm-up has finished (its time is printed).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _common import REPO_ROOT, machine  # noqa: F401  (puts the repository on sys.path, offline)

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# (question, follows up the one before)
QUESTIONS = [
    ("What does ATACMS stand for?", False),
    ("What did Blinken say in Kyiv?", False),
    ("When did he say that?", True),
    ("How far can the missiles travel?", False),
    ("Which outlet reported it first?", True),
]


def run_until(condition, timeout: float) -> None:
    """Run the event loop (not a polling loop) until `condition()` or the timeout."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    check = QTimer()
    check.setInterval(20)
    deadline = time.monotonic() + timeout
    check.timeout.connect(lambda: (condition() or time.monotonic() > deadline) and loop.quit())
    check.start()
    loop.exec()
    check.stop()
    if not condition():
        raise TimeoutError("benchmark step timed out")


class Moments:
    """When the transcript first changed to, and first painted, the passages and model text."""

    def __init__(self, chat_controller, panel) -> None:
        from PySide6.QtCore import QEvent, QObject

        from desktop.render import READING_HEADING

        self.chat, self.panel = chat_controller, panel
        self.heading = READING_HEADING
        self.start = 0.0
        self.changed: dict[str, float] = {}
        self.painted: dict[str, float] = {}
        moments = self

        class PaintWatch(QObject):
            def eventFilter(self, obj, event):  # noqa: N802 (Qt's name)
                if event.type() == QEvent.Type.Paint:
                    now = time.perf_counter()
                    for what in moments.changed:
                        moments.painted.setdefault(what, now)
                return False

        self._watch = PaintWatch()
        panel.transcript.viewport().installEventFilter(self._watch)
        panel.transcript.textChanged.connect(self._changed)

    def reset(self) -> None:
        self.changed.clear()
        self.painted.clear()
        self.start = time.perf_counter()

    def _changed(self) -> None:
        now = time.perf_counter()
        if "passages" not in self.changed and self.chat.reading:
            self.changed["passages"] = now
        if "words" not in self.changed and self.chat.streamed.strip():
            self.changed["words"] = now

    def seconds(self, what: str) -> tuple[float | None, float | None]:
        """(document changed, painted) seconds after the key press, None if it never came."""
        changed, painted = self.changed.get(what), self.painted.get(what)
        return (
            None if changed is None else changed - self.start,
            None if painted is None else painted - self.start,
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="default", help="default, fast, tiny, a path, scripted")
    parser.add_argument("--timeout", type=float, default=900)
    args = parser.parse_args()

    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from desktop.app import launch
    from desktop.preferences import Preferences
    from dossier.settings import cache_dir, data_dir
    from models.vector_cache import FILE_NAME as VECTOR_CACHE_FILE

    load_before = os.getloadavg()
    tmp = tempfile.TemporaryDirectory()
    data = Path(tmp.name)
    shared_cache = cache_dir(data_dir())
    if shared_cache.is_dir():
        (data / "cache").mkdir()
        for entry in shared_cache.iterdir():
            if not entry.name.startswith(VECTOR_CACHE_FILE):  # its -wal and -shm files too
                (data / "cache" / entry.name).symlink_to(entry)
    model = "" if args.model == "scripted" else args.model
    # Background summaries off, as when these figures were taken: a question pre-empts them.
    launched = launch(Preferences(model=model, data_dir=str(data), background_summaries=False))
    engine, controller, window = launched.engine, launched.controller, launched.window
    if args.model == "scripted":  # replaced before the engine starts (on the first loop turn)
        engine._llm_factory = lambda prefs: slow_scripted_model()
    run_until(lambda: engine.ready or engine.failed, args.timeout)
    if not engine.ready:
        print(f"not ready: {engine.library_status} / {engine.llm_status}")
        return 1
    print(f"model {engine.llm.model_id}; {len(engine.sources)} sources; ready after "
          f"{launched.marks.get('ready', 0):.1f} s")  # fmt: skip
    # The window embeds the seeds' sentences in the background once ready (as after any
    # import); the questions come after it, as a user's first question typically does.
    background, warm_from = controller.background, time.perf_counter()
    run_until(lambda: background.job is None and not background.warm, args.timeout)
    cache = engine.library.sentence_embedder
    print(f"sentence warm-up: {time.perf_counter() - warm_from:.1f} s after ready, "
          f"{getattr(cache, 'count', lambda: 0)()} texts cached")  # fmt: skip

    chat, panel = controller.chat, window.chat
    moments = Moments(chat, panel)
    core_passages: list[float] = []  # when the worker's on_passages ran (before the GUI saw it)
    import dossier.ask

    real_ask = dossier.ask.ask

    def timed_ask(*a, events=None, **kw):
        events = events or dossier.ask.AskEvents()

        def noted(passages):
            core_passages.append(time.perf_counter())
            events.on_passages(passages)

        timed = dataclasses.replace(events, on_passages=noted if events.on_passages else None)
        return real_ask(*a, events=timed, **kw)

    dossier.ask.ask = timed_ask  # the chat controller imports it when it asks
    answers = []
    chat.answered.connect(answers.append)
    rows = []
    for question, follow_up in QUESTIONS:
        if not follow_up and chat.answers:
            chat.new_conversation()
        panel.question.setText(question)
        panel.question.setFocus()
        count = len(answers)
        moments.reset()
        core_passages.clear()
        QTest.keyClick(panel.question, Qt.Key.Key_Return)
        run_until(lambda count=count: len(answers) > count, args.timeout)
        checked = time.perf_counter() - moments.start
        a = answers[-1]
        passages, words = moments.seconds("passages"), moments.seconds("words")
        core = f"{core_passages[0] - moments.start:.2f} s" if core_passages else "never"
        rows.append((question, follow_up, passages, words, checked, a))
        print(
            f"{'follow-up ' if follow_up else 'standalone'} {question!r}: "
            f"passages {fmt(passages)} (core on_passages {core}), "
            f"first words {fmt(words)}, checked {checked:.1f} s "
            f"(core ttft {a.timings.ttft_s or 0:.1f} s; {len(a.passages)} passages; "
            f"refused={a.refused} {a.refusal_reason or ''})",
            flush=True,
        )

    for label, follow in (("standalone", False), ("follow-up", True)):
        chosen = [r for r in rows if r[1] == follow]
        shown = [r[2][1] for r in chosen if r[2][1] is not None]
        words = [r[3][1] for r in chosen if r[3][1] is not None]
        print(
            f"{label} ({len(chosen)}): passages painted median {median(shown)} "
            f"(max {max(shown, default=0):.2f} s), first words median {median(words)} "
            f"(max {max(words, default=0):.1f} s)"
        )
    print(machine(load_before))
    controller.shutdown()
    return 0


def slow_scripted_model():
    """A model that rewrites a follow-up to itself and answers after 2 s (plumbing only)."""
    from tests.fakes import ScriptedLLM

    class Slow(ScriptedLLM):
        def _reply_for(self, messages):
            if len(messages) == 1:
                return messages[0]["content"].strip().splitlines()[-1]
            time.sleep(2.0)
            return "Blinken said the US has adjusted as the battlefield changed [1]."

    return Slow(lambda messages: "")


def fmt(moment: tuple[float | None, float | None]) -> str:
    changed, painted = moment
    if changed is None:
        return "never"
    return f"{painted if painted is not None else changed:.2f} s"


def median(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} s" if values else "n/a"


if __name__ == "__main__":
    sys.exit(main())
