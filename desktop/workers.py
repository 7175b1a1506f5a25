"""Running core work off the GUI thread: a QRunnable whose results come back as signals.

A job is a plain function `fn(job)`; `job` carries a `threading.Event` to cancel and two
emitters (`progress`, `token`) that are safe to call from the worker thread: Qt queues the
signals to the GUI thread, so slots there never race with the worker.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal


class JobSignals(QObject):
    progress = Signal(object)
    token = Signal(str)
    done = Signal(object)
    failed = Signal(str)
    finished = Signal()  # after done or failed


class Job(QRunnable):
    """One piece of background work; `cancel` is shared with the core functions it calls."""

    def __init__(self, fn: Callable[[Job], Any], name: str = "job") -> None:
        super().__init__()
        self.fn = fn
        self.name = name
        self.cancel = threading.Event()
        self.ended = threading.Event()  # set just before `finished` is emitted
        self.signals = JobSignals()
        self.setAutoDelete(False)  # the Python side keeps it alive until `finished`

    # Thread-safe emitters for the work function.
    def progress(self, value: Any) -> None:
        self.signals.progress.emit(value)

    def token(self, piece: str) -> None:
        self.signals.token.emit(piece)

    def run(self) -> None:  # runs on a pool thread
        try:
            result = self.fn(self)
        except Exception as exc:  # reported to the GUI, never a crash
            traceback.print_exc()
            self.signals.failed.emit(f"{type(exc).__name__}: {exc}" if str(exc) else repr(exc))
        else:
            self.signals.done.emit(result)
        finally:
            self.ended.set()
            self.signals.finished.emit()


class Runner(QObject):
    """Starts jobs on a thread pool and keeps them referenced until they finish."""

    def __init__(self, parent: QObject | None = None, max_threads: int = 4) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(max_threads)
        self._running: set[Job] = set()

    def start(
        self,
        fn: Callable[[Job], Any],
        *,
        name: str = "job",
        on_done: Callable[[Any], None] | None = None,
        on_failed: Callable[[str], None] | None = None,
        on_progress: Callable[[Any], None] | None = None,
        on_token: Callable[[str], None] | None = None,
    ) -> Job:
        job = Job(fn, name)
        if on_done:
            job.signals.done.connect(on_done)
        if on_failed:
            job.signals.failed.connect(on_failed)
        if on_progress:
            job.signals.progress.connect(on_progress)
        if on_token:
            job.signals.token.connect(on_token)
        job.signals.finished.connect(lambda: self._running.discard(job))
        self._running.add(job)
        self.pool.start(job)
        return job

    def jobs(self) -> list[Job]:
        """The jobs started and not yet finished."""
        return list(self._running)

    def cancel_all(self) -> None:
        for job in list(self._running):
            job.cancel.set()

    def wait(self, msecs: int = 30000) -> bool:
        """Cancel nothing, just wait for running jobs (used on close and in tests)."""
        return self.pool.waitForDone(msecs)


def adopt(held: Any, arrived: Any, *, stale: bool) -> tuple[Any, bool]:
    """What holds a resource (a library, a store) a worker opened, as the job's result arrives
    on the GUI thread: (what to hold now, whether `arrived` was taken).

    A `stale` arrival (an opening asked for before a later one: the user switched dossiers
    twice quickly, or the window closed) is closed and `held` kept; otherwise `arrived` is
    taken and what was held before is closed.
    """
    if stale:
        arrived.close()
        return held, False
    if held is not None and held is not arrived:
        held.close()
    return arrived, True
