"""Summaries prepared in the background, so *Export briefing* finds them cached.

After the library opens and after every ingest that added or replaced sources, the sources
whose summary is not cached for the model in use (`dossier.prepare.sources_to_summarize`, read
off the GUI thread) are summarised one at a time on the worker runner. The status bar shows
"Preparing summaries 2/5 — <title>" with a Pause/Resume toggle.

The model is shared and generates one reply at a time, so this work never competes with what
the user asked for: a question, a *Summarise* press or a briefing export holds it
(`hold(reason)`), which cancels the summary being made (not cached, so it is made again later)
and starts nothing until every hold is released. After a briefing the queue is read again: the
briefing summarised what was missing itself.

Once every summary is made, the briefing's overview and differences are prepared the same way
(`dossier.prepare.prepare_briefing`, one more pre-emptible job: "Preparing the briefing
overview"), so *Export briefing* then runs no model at all.

Before any summary, the sentences a question can select are embedded into the sentence-vector
cache (`dossier.warmup.warm_sentences`: every source when a library opens, the new ones after
an import; "Preparing passages 40/120"), so a question shows its passages without running the
embedder. It is pre-empted and paused like the summaries, and runs even with background
summaries switched off: it uses no language model and takes seconds, not minutes.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QLabel, QToolButton

from ..engine import Engine

TITLE_CHARS = 40
HOLD_TEXT = {
    "question": "waiting for your question",
    "summary": "waiting for your summary",
    "briefing": "the briefing is being made",
}
WARM_ALL = "*"  # in `warm`: every source of the library (it just opened)


class BackgroundSummaries(QObject):
    summarized = Signal(str)  # a source's summary was made and cached
    finished = Signal()  # the queue ran dry after making a summary or the briefing overview
    briefing_prepared = Signal()  # the briefing's overview and differences were made and cached
    changed = Signal(str)  # the status text shown ("" = hidden)

    def __init__(self, label: QLabel, button: QToolButton, engine: Engine) -> None:
        super().__init__(label)
        self.label = label
        self.button = button
        self.engine = engine
        self.queue: list[str] = []  # source ids still to summarise, in order
        self.done = 0  # summaries made since the queue was last empty
        self.current: str | None = None  # the source being summarised
        self.job = None  # its job
        self.scan_job = None  # the job listing what is missing
        self.rescan = False  # something changed while the scan ran: scan again after it
        self.paused = False
        self.holds: set[str] = set()  # why the work yields now: "question", "briefing", ...
        self.failed: dict[str, str] = {}  # source id -> why it could not be summarised
        self.stopped = False  # the window is closing
        self.overview_pending = False  # prepare the briefing's overview once the queue is dry
        self.preparing = False  # the overview job runs (it is `job`)
        self.prepared_now = False  # an overview was made since the queue was last empty
        self.warm: set[str] = set()  # source ids whose sentences to embed first (or WARM_ALL)
        self.warming: tuple[int, int] | None = None  # the warm-up job runs: (done, total)
        self.text = ""
        self._titles: dict[str, str] = {}
        label.setToolTip(
            "Summaries of new sources, then the briefing overview, are made while Dossier is "
            "idle, so Export briefing is quick. A question pauses them."
        )
        button.clicked.connect(self.toggle_pause)
        engine.library_state.connect(self._library_state)
        engine.library_changed.connect(self._library_changed)

    @property
    def enabled(self) -> bool:
        return bool(getattr(self.engine.prefs, "background_summaries", True)) and not self.stopped

    @property
    def running(self) -> bool:
        return self.job is not None

    def _library_ready(self) -> bool:
        return self.engine.library is not None and self.engine.library_status == "ready"

    # -- what to summarise --------------------------------------------------------------
    def schedule(self) -> None:
        """List (on a worker) the sources whose summary is not cached, then work through them."""
        if not self.enabled or not self._library_ready():
            return
        if self.scan_job is not None:
            self.rescan = True
            return
        library, engine = self.engine.library, self.engine

        def work(job):
            from dossier.prepare import briefing_needs_preparing, sources_to_summarize

            llm = engine.wait_llm(job.cancel)
            if llm is None:
                return None
            missing = sources_to_summarize(library, llm, cancel=job.cancel)
            # With summaries to make, the overview is prepared after them (unless unchanged).
            overview = bool(missing) or briefing_needs_preparing(library, llm)
            return None if job.cancel.is_set() else (library, missing, overview)

        self.scan_job = self.engine.runner.start(
            work, name="background-scan", on_done=self._scanned, on_failed=self._scan_failed
        )

    def _scanned(self, result) -> None:
        self.scan_job = None
        if self.rescan:
            self.rescan = False
            self.schedule()
            return
        if result is None or not self.enabled or not self._library_ready():
            self._show()
            return
        library, missing, overview = result
        if library is not self.engine.library:  # another library opened meanwhile
            self.schedule()
            return
        # The source being summarised stays listed: it may have been re-imported meanwhile, and
        # summarising it again after its job is a cache hit if its text did not change.
        self.queue = [i for i in missing if i not in self.failed]
        self.overview_pending = overview
        self._next()

    def _scan_failed(self, why: str) -> None:  # e.g. the model could not be loaded
        self.scan_job = None
        self.rescan = False
        self._show()

    def ingested(self, report) -> None:
        """After an ingest: new or changed sources are warmed, then summarised."""
        if report.added or report.replaced:
            self.warm.update([*report.added, *report.replaced])
            self._next()
            self.schedule()

    def _library_state(self, state: str) -> None:
        if state == "ready":
            self.warm = {WARM_ALL}  # an earlier warm-up may have been cut short: check all
            self._next()
            self.schedule()
        else:  # another library is opening (or could not be): what was queued is not its
            self.stop()

    def _library_changed(self) -> None:
        sources = self.engine.sources
        self._titles = {s.id: s.meta.title or s.id for s in sources}
        self.queue = [i for i in self.queue if i in self._titles]  # removed ones are dropped
        self._show()

    # -- the work -----------------------------------------------------------------------
    def _next(self) -> None:
        """Start the warm-up or the next summary, unless one runs, the work is paused or held,
        or none is left."""
        if self.job is not None:
            self._show()
            return
        if self.paused or self.holds or not self._library_ready():
            self._show()
            return
        if self.warm and not self._keeps_vectors():
            self.warm = set()  # no cache to fill (a library opened without one, in tests)
        if self.warm and not self.stopped:  # first, and without waiting for the model
            self._warm_up()
            return
        if self.scan_job is not None or not self.enabled:
            self._show()
            return
        if not self.queue and self.overview_pending:
            self._prepare_overview()
            return
        if not self.queue:
            ready = self.done > 0 or self.prepared_now
            self.done, self.prepared_now = 0, False
            self._show(ready=ready)
            if ready:
                self.finished.emit()
            return
        source_id = self.queue.pop(0)
        library, engine = self.engine.library, self.engine

        def work(job):
            from dossier.summaries import summarize

            llm = engine.wait_llm(job.cancel)
            if llm is None:
                return False
            summarize(source_id, library=library, llm=llm, cancel=job.cancel)
            return not job.cancel.is_set()  # a cancelled summary is not cached

        self.current = source_id
        self.job = self.engine.runner.start(
            work,
            name="background-summary",
            on_done=lambda made: self._finished(source_id, made),
            on_failed=lambda why: self._failed(source_id, why),
        )
        self._show()

    def _finished(self, source_id: str, made: bool) -> None:
        kept = self.current == source_id  # not dropped by `stop` meanwhile
        self.job, self.current = None, None
        if made:
            self.done += 1
            self.summarized.emit(source_id)
        elif kept and source_id in self._titles and source_id not in self.queue:
            self.queue.insert(0, source_id)  # pre-empted: made again when the work resumes
        if not self.stopped:
            self._next()

    def _keeps_vectors(self) -> bool:
        embedder = getattr(self.engine.library, "sentence_embedder", None)
        return hasattr(embedder, "missing")

    def _warm_up(self) -> None:
        """Embed the sentences of the sources in `warm` into the sentence cache, on the worker."""
        ids = None if WARM_ALL in self.warm else sorted(self.warm)
        self.warm = set()
        library = self.engine.library

        def work(job):
            from dossier.warmup import warm_sentences

            return warm_sentences(
                library,
                source_ids=ids,
                cancel=job.cancel,
                progress=lambda done, total: job.progress((done, total)),
            )

        def done(report) -> None:
            kept = self.warming is not None  # not dropped by `stop` meanwhile
            self.job, self.warming = None, None
            if report.cancelled and kept and library is self.engine.library:
                self.warm.update(ids or [WARM_ALL])  # pre-empted: the rest when work resumes
            if not self.stopped:
                self._next()

        def failed(why: str) -> None:  # the cache cannot be written: questions embed as before
            self.job, self.warming = None, None
            if not self.stopped:
                self._next()

        self.warming = (0, 0)
        self.job = self.engine.runner.start(
            work,
            name="background-warm",
            on_done=done,
            on_failed=failed,
            on_progress=self._warm_progress,
        )
        self._show()

    def _warm_progress(self, value) -> None:
        if self.warming is not None:
            self.warming = value
            self._show()

    def _prepare_overview(self) -> None:
        """After the last summary: the briefing's overview and differences, on the worker."""
        self.overview_pending = False
        library, engine = self.engine.library, self.engine

        def work(job):
            from dossier.prepare import prepare_briefing

            llm = engine.wait_llm(job.cancel)
            if llm is None:
                return None
            made = prepare_briefing(library, llm, cancel=job.cancel)
            return None if job.cancel.is_set() else made  # None: cancelled, nothing cached

        self.preparing = True
        self.job = self.engine.runner.start(
            work,
            name="background-overview",
            on_done=self._overview_done,
            on_failed=self._overview_failed,
        )
        self._show()

    def _overview_done(self, made) -> None:
        kept = self.preparing  # not dropped by `stop` meanwhile
        self.job, self.preparing = None, False
        if made is None and kept and not self.stopped:
            self.overview_pending = True  # pre-empted: made when the work resumes
        elif made:
            self.prepared_now = True
            self.briefing_prepared.emit()
        if not self.stopped:
            self._next()

    def _overview_failed(self, why: str) -> None:
        self.job, self.preparing = None, False  # the export will write it, as without this
        if not self.stopped:
            self._next()

    def _failed(self, source_id: str, why: str) -> None:
        self.job, self.current = None, None
        self.failed[source_id] = why  # not tried again until another library opens
        if not self.stopped:
            self._next()

    # -- yielding -----------------------------------------------------------------------
    def hold(self, reason: str) -> None:
        """Yield to the user's own work: cancel the summary being made, start nothing."""
        self.holds.add(reason)
        if self.job is not None:
            self.job.cancel.set()
        self._show()

    def release(self, reason: str) -> None:
        if reason not in self.holds:
            return
        self.holds.discard(reason)
        if reason == "briefing":  # it summarised what was missing: list what is left
            self.queue = []
            self.schedule()
        self._next()

    def hold_while(self, reason: str):
        """A slot for a `busy_changed(bool)` signal."""
        return lambda busy: self.hold(reason) if busy else self.release(reason)

    def toggle_pause(self) -> None:
        self.set_paused(not self.paused)

    def set_paused(self, paused: bool) -> None:
        self.paused = paused
        if paused and self.job is not None:
            self.job.cancel.set()
        self._next()

    def preferences_changed(self) -> None:
        """Another model (summaries are cached per model) or the feature switched on or off."""
        self.stop()
        self.warm = {WARM_ALL}  # the same library: what `stop` cut short is looked up again
        self._next()
        self.schedule()

    def stop(self) -> None:
        """Forget the queue and cancel the summary being made."""
        self.queue = []
        self.done = 0
        self.failed.clear()
        self.current = None  # the job winding down is not queued again
        self.overview_pending = self.preparing = self.prepared_now = False
        self.warm, self.warming = set(), None
        if self.job is not None:
            self.job.cancel.set()
        if self.scan_job is not None:
            self.scan_job.cancel.set()
        self._show()

    def shutdown(self) -> None:
        self.stopped = True
        self.stop()

    # -- the status bar -----------------------------------------------------------------
    def _show(self, ready: bool = False) -> None:
        total = self.done + len(self.queue) + (1 if self.current else 0)
        overview = (
            not self.queue and self.current is None and (self.preparing or self.overview_pending)
        )
        waiting = self.current is None and not self.queue and not overview  # nothing to show
        warm = self.warming is not None or bool(self.warm)
        if warm and not self.stopped and self._library_ready():
            text = self._warm_text()
        elif not self.enabled or (waiting and not ready):
            text = ""
        elif ready:
            text = "Summaries ready for the briefing"
        elif overview and self.paused:
            text = "Briefing overview paused"
        elif overview and self.holds:
            text = f"Briefing overview — {HOLD_TEXT.get(sorted(self.holds)[0], 'waiting')}"
        elif overview:
            text = "Preparing the briefing overview"
        elif self.paused:
            text = f"Summaries paused — {self.done} of {total} ready"
        elif self.holds:
            why = HOLD_TEXT.get(sorted(self.holds)[0], "waiting")
            text = f"Summaries {self.done}/{total} — {why}"
        else:
            source_id = self.current or self.queue[0]
            title = self._titles.get(source_id, source_id)
            if len(title) > TITLE_CHARS:
                title = title[: TITLE_CHARS - 1].rstrip() + "…"
            text = f"Preparing summaries {self.done + 1}/{total} — {title}"
        self.text = text
        self.label.setText(text)
        self.label.setVisible(bool(text))
        self.button.setText("Resume" if self.paused else "Pause")
        self.button.setToolTip(
            "Resume preparing summaries" if self.paused else "Pause preparing summaries"
        )
        self.button.setVisible(bool(text) and not ready)
        self.changed.emit(text)

    def _warm_text(self) -> str:
        done, total = self.warming or (0, 0)
        if self.paused:
            return "Preparing passages for questions — paused"
        if self.holds:
            return f"Preparing passages — {HOLD_TEXT.get(sorted(self.holds)[0], 'waiting')}"
        return (
            f"Preparing passages for questions {done}/{total}"
            if total
            else ("Preparing passages for questions")
        )
