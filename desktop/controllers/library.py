"""The library panel's behaviour: list sources, ingest (progress, cancel), remove, re-index."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog, QMessageBox

from dossier.library import supported_suffixes

from ..engine import Engine, indexed_sources
from ..itemmodels import errors_model, sources_model
from ..views.library_panel import LibraryPanel

# What ingest reads, from the document loaders' registry: a new format shows up here too.
FILE_FILTER = f"Articles ({' '.join('*' + s for s in supported_suffixes())});;All files (*)"


class LibraryController(QObject):
    status = Signal(str)  # a one-line message for the status bar
    counts = Signal(str)  # "Library: n sources, m passages", for the status bar
    ingest_finished = Signal(object)  # the IngestReport

    def __init__(self, view: LibraryPanel, engine: Engine) -> None:
        super().__init__(view)
        self.view = view
        self.engine = engine
        self.model = sources_model()
        self.errors = errors_model()
        view.set_model(self.model)
        view.set_errors_model(self.errors)
        self.job = None
        view.add_files_button.clicked.connect(self.add_files)
        view.add_folder_button.clicked.connect(self.add_folder)
        view.remove_button.clicked.connect(self.remove_selected)
        view.reindex_button.clicked.connect(self.reindex)
        view.cancel_button.clicked.connect(self.cancel)
        view.clear_errors_button.clicked.connect(self.clear_errors)
        view.paths_dropped.connect(self.ingest)
        view.table.selectionModel().selectionChanged.connect(self._selection_changed)
        engine.library_changed.connect(self.refresh)
        engine.library_state.connect(self._library_state)
        engine.seed_progress.connect(self._progress)
        self._set_enabled(False)

    # -- listing ------------------------------------------------------------------------
    def refresh(self) -> None:
        sources = self.engine.sources
        self.model.set_items(sources)
        chunks = sum(s.n_chunks for s in sources)
        self.view.summary.setText(f"{len(sources)} sources · {chunks} passages")
        self.counts.emit(f"Library: {len(sources)} sources, {chunks} passages")

    def selected_sources(self):
        return [self.model.object_at(r) for r in self.view.selected_rows()]

    def _selection_changed(self, *_):
        self.view.remove_button.setEnabled(bool(self.view.selected_rows()) and self.job is None)

    def _library_state(self, state: str) -> None:
        if state == "loading":
            self.view.summary.setText("Opening the library…")
            self._set_enabled(False)
        elif state == "ready":
            self.view.progress_box.hide()
            self._set_enabled(True)
        else:
            self.view.summary.setText(f"The library could not be opened: {state}")

    def _set_enabled(self, enabled: bool) -> None:
        for b in (
            self.view.add_files_button,
            self.view.add_folder_button,
            self.view.reindex_button,
        ):
            b.setEnabled(enabled)
        self.view.remove_button.setEnabled(enabled and bool(self.view.selected_rows()))

    # -- adding -------------------------------------------------------------------------
    def choose_files(self) -> list[Path]:
        """The file dialog (tests replace this method)."""
        paths, _ = QFileDialog.getOpenFileNames(self.view, "Add articles", "", FILE_FILTER)
        return [Path(p) for p in paths]

    def choose_folder(self) -> list[Path]:
        path = QFileDialog.getExistingDirectory(self.view, "Add a folder of articles")
        return [Path(path)] if path else []

    def add_files(self) -> None:
        if self._can_write():
            self.ingest(self.choose_files())

    def add_folder(self) -> None:
        if self._can_write():
            self.ingest(self.choose_folder())

    def _can_write(self) -> bool:
        if self.engine.library is None:
            self.status.emit("The library is still opening.")
            return False
        if self.job is not None:
            self.status.emit("Wait for the current library task to finish, or cancel it.")
            return False
        return True

    def ingest(self, paths: list[Path]) -> None:
        if not paths or not self._can_write():
            return
        library = self.engine.library
        self._begin(f"Adding {len(paths)} item(s)…")

        def work(job):
            report = library.ingest(list(paths), progress=job.progress, cancel=job.cancel)
            return report, indexed_sources(library)

        self.job = self.engine.runner.start(
            work,
            name="ingest",
            on_progress=self._progress,
            on_done=self._ingested,
            on_failed=self._failed,
        )

    def _begin(self, text: str) -> None:
        if self.engine.library is not None:  # another process writing: say so in the window
            self.engine.library.on_lock_wait = self.status.emit
        self._set_enabled(False)
        self.view.progress.setRange(0, 0)  # busy until the first count arrives
        self.view.progress_label.setText(text)
        self.view.cancel_button.setEnabled(True)
        self.view.progress_box.show()

    def _progress(self, event) -> None:
        total = max(event.files_total, 1)
        self.view.progress.setRange(0, total)
        self.view.progress.setValue(event.files_done)
        self.view.progress.setFormat(f"{event.files_done} / {event.files_total} files")
        current = Path(event.current).name if event.current else ""
        self.view.progress_label.setText(
            f"{event.chunks_done} passages indexed" + (f" · {current}" if current else "")
        )
        if not self.view.progress_box.isVisible():
            self.view.progress_box.show()

    def _ingested(self, result) -> None:
        report, sources = result
        self._end()
        if report.failed:
            self.errors.set_items(self.errors.items() + list(report.failed))
            self.view.errors.resizeRowsToContents()
            self.view.errors_box.show()
        parts = [f"{len(report.added)} added", f"{len(report.replaced)} updated"]
        if report.unchanged:
            parts.append(f"{len(report.unchanged)} unchanged")
        if report.failed:
            parts.append(f"{len(report.failed)} could not be read")
        message = ", ".join(parts) + f"; {report.chunks_added} passages indexed"
        if report.cancelled:
            message = "Cancelled: " + message
        self.view.progress_label.setText(message)
        self.status.emit(message)
        self.engine.library_updated(sources)
        self.ingest_finished.emit(report)

    def _failed(self, why: str) -> None:
        self._end()
        self.status.emit(f"The library task failed: {why}")

    def _end(self) -> None:
        self.job = None
        self.view.progress_box.hide()
        self._set_enabled(True)

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel.set()
            self.view.cancel_button.setEnabled(False)
            self.view.progress_label.setText("Cancelling after the current file…")

    def clear_errors(self) -> None:
        self.errors.set_items([])
        self.view.errors_box.hide()

    # -- removing and re-indexing -------------------------------------------------------
    def confirm(self, question: str) -> bool:
        """A yes/no box (tests replace this method)."""
        answer = QMessageBox.question(self.view, "Dossier", question)
        return answer == QMessageBox.StandardButton.Yes

    def remove_selected(self) -> None:
        sources = self.selected_sources()
        if not sources or not self._can_write():
            return
        names = ", ".join(s.meta.title or s.id for s in sources[:3])
        more = f" and {len(sources) - 3} more" if len(sources) > 3 else ""
        if not self.confirm(f"Remove {names}{more} from the library?"):
            return
        library = self.engine.library
        ids = [s.id for s in sources]
        self._begin(f"Removing {len(ids)} source(s)…")
        self.view.cancel_button.setEnabled(False)

        def work(job):
            for source_id in ids:
                library.remove(source_id)
            return indexed_sources(library)

        self.job = self.engine.runner.start(
            work,
            name="remove",
            on_done=lambda sources: self._changed(f"Removed {len(ids)} source(s).", sources),
            on_failed=self._failed,
        )

    def reindex(self) -> None:
        if not self._can_write():
            return
        library = self.engine.library
        self._begin("Re-indexing every source…")
        self.view.cancel_button.setEnabled(False)  # a rebuild is one transaction

        def work(job):
            from dossier.library import reindex

            report, reopened = reindex(library, progress=job.progress)
            return report, reopened, indexed_sources(reopened)

        self.job = self.engine.runner.start(
            work,
            name="reindex",
            on_progress=self._progress,
            on_done=self._reindexed,
            on_failed=self._failed,
        )

    def _reindexed(self, result) -> None:
        report, library, sources = result
        self._end()
        self.engine.replace_library(library, sources)
        self.status.emit(
            f"Re-indexed {len(report.replaced)} sources; {report.chunks_added} passages."
        )

    def _changed(self, message: str, sources: list) -> None:
        self._end()
        self.status.emit(message)
        self.engine.library_updated(sources)
