"""Per-source summaries on demand: cached ones show at once, new ones run with progress.

Uses `dossier.summaries` (summarize, cached_summary). A point's evidence opens in the viewer.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from ..engine import Engine
from ..itemmodels import summary_points_model
from ..views.summaries_panel import SummariesPanel


class SummariesController(QObject):
    open_passage = Signal(str, int, int, object)
    summarized = Signal(object)  # the SourceSummary shown
    busy_changed = Signal(bool)  # True as a Summarise job starts, False once it ended

    def __init__(self, view: SummariesPanel, engine: Engine) -> None:
        super().__init__(view)
        self.view = view
        self.engine = engine
        self.model = summary_points_model()
        view.set_model(self.model)
        self.summary = None
        self.job = None
        view.summarize_button.clicked.connect(lambda: self.summarize(refresh=False))
        view.refresh_button.clicked.connect(lambda: self.summarize(refresh=True))
        view.cancel_button.clicked.connect(self.cancel)
        view.source_picker.currentIndexChanged.connect(self._source_chosen)
        view.points.clicked.connect(self._point_clicked)
        view.points.activated.connect(self._point_clicked)
        engine.library_changed.connect(self.refresh_sources)

    def current_source_id(self) -> str | None:
        return self.view.source_picker.currentData()

    def refresh_sources(self) -> None:
        sources = self.engine.sources
        keep = self.current_source_id()
        picker = self.view.source_picker
        picker.blockSignals(True)
        picker.clear()
        for s in sources:
            label = s.meta.title or s.id
            if s.meta.outlet:
                label += f" — {s.meta.outlet}"
            picker.addItem(label, s.id)
        index = picker.findData(keep) if keep else -1
        picker.setCurrentIndex(index if index >= 0 else (0 if sources else -1))
        picker.blockSignals(False)
        self._source_chosen()

    def select_source(self, source_id: str) -> None:
        index = self.view.source_picker.findData(source_id)
        if index >= 0:
            self.view.source_picker.setCurrentIndex(index)

    def _source_chosen(self, *_) -> None:
        """Show the cached summary of the chosen source, if there is one (looked up off-thread)."""
        self._show(None)
        source_id = self.current_source_id()
        if source_id is None or self.engine.library is None:
            return
        library, llm = self.engine.library, self.engine.llm
        self.view.status.setText("Not summarised yet: press Summarise.")
        if llm is None:
            return

        def work(job):
            from dossier.summaries import cached_summary  # imported off the GUI thread

            return cached_summary(source_id, library=library, llm=llm)

        self.engine.runner.start(
            work,
            name="summary-lookup",
            on_done=lambda summary: self._cached(source_id, summary),
        )

    def _cached(self, source_id: str, summary) -> None:
        if summary is not None and source_id == self.current_source_id() and self.job is None:
            self._show(summary)

    def summarize(self, refresh: bool = False) -> None:
        source_id = self.current_source_id()
        if source_id is None or self.job is not None:
            return
        if self.engine.library is None:
            return
        library = self.engine.library
        self.view.set_busy(True)
        self.view.progress.setRange(0, 0)
        self.view.status.setText("Loading the model…" if self.engine.llm is None else "Reading…")

        def work(job):
            from dossier import summaries

            llm = self.engine.wait_llm(job.cancel)
            if llm is None:
                return None
            return summaries.summarize(
                source_id,
                library=library,
                llm=llm,
                progress=lambda done, total, label: job.progress((done, total, label)),
                cancel=job.cancel,
                refresh=refresh,
            )

        self.busy_changed.emit(True)
        self.job = self.engine.runner.start(
            work,
            name="summarize",
            on_progress=self._progress,
            on_done=self._done,
            on_failed=self._failed,
        )

    def _progress(self, value) -> None:
        done, total, label = value
        self.view.progress.setRange(0, max(total, 1))
        self.view.progress.setValue(done)
        if total > 1 and done < total:
            self.view.status.setText(f"Summarising part {done + 1} of {total}…")
        else:
            self.view.status.setText("Summarising…")

    def _done(self, summary) -> None:
        self.job = None
        self.view.set_busy(False)
        self.busy_changed.emit(False)
        if summary is None:
            self.view.status.setText("Stopped.")
            return
        if summary.source_id != self.current_source_id():
            self.select_source(summary.source_id)
        self._show(summary)
        self.summarized.emit(summary)

    def _failed(self, why: str) -> None:
        self.job = None
        self.view.set_busy(False)
        self.busy_changed.emit(False)
        self.view.status.setText(f"Could not summarise: {why}")

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel.set()
            self.view.status.setText("Stopping…")

    def _show(self, summary) -> None:
        from dossier.source_guide import names_every_speaker

        self.summary = summary
        if summary is None:
            self.model.set_items([])
            self.view.heading.setText("")
            self.view.meta.setText("")
            self.view.guide.setText("")
            self.view.guide.hide()
            self.view.extra.setText("")
            return
        self.model.set_items(summary.points)
        self.view.heading.setText(summary.title or summary.source_id)
        parts = [summary.outlet, summary.byline, summary.date]
        meta = "  ·  ".join(str(p) for p in parts if p)
        self.view.meta.setText(meta)
        self.view.meta.setVisible(bool(meta))
        guide = summary.guide.text if summary.guide else ""
        self.view.guide.setText(guide)
        self.view.guide.setVisible(bool(guide))
        extra = []
        if summary.angle:
            extra.append(f"Angle: {summary.angle}")
        if summary.quoted and not names_every_speaker(summary.guide, summary.quoted):
            extra.append("Quoted: " + "; ".join(summary.quoted))
        self.view.extra.setText("\n".join(extra))
        cached = " (from cache)" if summary.cached else ""
        self.view.status.setText(
            f"{len(summary.points)} points{cached}. Click a point to see its evidence."
        )

    def _point_clicked(self, index) -> None:
        if not index.isValid():
            return
        point = self.model.object_at(index.row())
        if point.evidence:
            span = point.evidence[0]
            self.open_passage.emit(span.source_id, span.start, span.end, None)
        elif self.summary is not None:
            self.open_passage.emit(self.summary.source_id, -1, -1, None)
