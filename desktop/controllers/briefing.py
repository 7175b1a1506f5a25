"""One-click briefing: save dialog (format from the extension), progress, then open it.

Uses `dossier.briefing.brief` and `dossier.export.write_briefing`; each export is recorded in
the dossier's briefing history (`dossier.briefing_history`), which gives the next briefing its
"New since the last briefing" section.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QFileDialog, QMessageBox, QProgressDialog, QWidget

from ..engine import Engine, runtime_of

FORMAT_NAMES = {".md": "Markdown", ".html": "Web page", ".pdf": "PDF", ".docx": "Word"}


def real_history(prefs):
    """The briefing exports of the preferences' dossier (a `BriefingHistory`)."""
    return runtime_of(prefs).briefing_history()


class BriefingController(QObject):
    exported = Signal(object)  # the Path written
    status = Signal(str)
    busy_changed = Signal(bool)  # True as an export's job starts, False once it ended

    def __init__(self, parent: QWidget, engine: Engine) -> None:
        super().__init__(parent)
        self.parent_widget = parent
        self.engine = engine
        self.job = None
        self.dialog: QProgressDialog | None = None
        # Returns the user's pinned notes (called on the export's worker); None: no notes.
        self.pinned_notes = None
        # Returns the dossier's briefing history (called on the worker); tests replace it.
        self.history_factory = real_history

    # Both dialogs are methods so tests can replace them.
    def ask_save_path(self) -> Path | None:
        from dossier.export import FORMATS  # `export` checked that it imports

        filters = ";;".join(f"{FORMAT_NAMES.get(f, f)} (*{f})" for f in FORMATS)
        path, chosen = QFileDialog.getSaveFileName(
            self.parent_widget, "Export briefing", "briefing" + FORMATS[0], filters
        )
        if not path:
            return None
        path = Path(path)
        if path.suffix.lower() not in FORMATS:
            suffix = chosen[chosen.find("(*") + 2 : -1] if "(*" in chosen else FORMATS[0]
            path = path.with_name(path.name + suffix)
        return path

    def offer_open(self, path: Path, summary: str = "") -> None:
        box = QMessageBox(self.parent_widget)
        box.setWindowTitle("Briefing exported")
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setText(f"The briefing was saved to\n{path}" + (f"\n{summary}" if summary else ""))
        open_file = box.addButton("Open file", QMessageBox.ButtonRole.AcceptRole)
        open_folder = box.addButton("Open folder", QMessageBox.ButtonRole.ActionRole)
        box.addButton(QMessageBox.StandardButton.Close)
        box.exec()
        if box.clickedButton() is open_file:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))
        elif box.clickedButton() is open_folder:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(path.parent)))

    def export(self) -> None:
        if self.job is not None:
            return
        if self.engine.library is None:
            self.status.emit("The library is still opening.")
            return
        from dossier.briefing import brief
        from dossier.briefing_history import with_new_since
        from dossier.export import write_briefing

        path = self.ask_save_path()
        if path is None:
            return
        library = self.engine.library
        pinned_notes = self.pinned_notes
        open_history, prefs = self.history_factory, self.engine.prefs
        self.dialog = QProgressDialog("Preparing the briefing…", "Cancel", 0, 0, self.parent_widget)
        self.dialog.setWindowTitle("Export briefing")
        # Not modal: a modal QProgressDialog runs the event loop inside setValue (re-entrancy).
        self.dialog.setWindowModality(Qt.WindowModality.NonModal)
        self.dialog.setMinimumDuration(0)
        self.dialog.setAutoClose(False)
        self.dialog.setAutoReset(False)

        def work(job):
            llm = self.engine.wait_llm(job.cancel)
            if llm is None:
                return None
            try:
                briefing = brief(
                    library=library,
                    llm=llm,
                    progress=lambda done, total, label: job.progress((done, total, label)),
                    cancel=job.cancel,
                )
            except Exception:
                if job.cancel.is_set():  # dossier.briefing raises BriefingCancelled
                    return None
                raise
            if job.cancel.is_set():
                return None
            notes = pinned_notes() if pinned_notes is not None else []
            if notes:  # the "Notes" section, in the user's order
                from dossier.notes import with_notes

                briefing = with_notes(briefing, notes, library)
            try:
                history = open_history(prefs)
                briefing = with_new_since(briefing, history)  # "New since the last briefing"
            except (OSError, ValueError):  # no dossier folder: the briefing, without it
                history = None
            job.progress((1, 1, "Writing the file…"))
            written = write_briefing(briefing, path)
            if history is not None:
                # The file is written, which is what the user asked for, even if this fails.
                with contextlib.suppress(OSError):
                    history.record(briefing, written.path, written.format)
            return written

        self.busy_changed.emit(True)
        self.job = self.engine.runner.start(
            work,
            name="briefing",
            on_progress=self._progress,
            on_done=self._done,
            on_failed=self._failed,
        )
        self.dialog.canceled.connect(self.job.cancel.set)
        self.dialog.show()

    def _progress(self, value) -> None:
        done, total, label = value
        dialog = self.dialog
        if dialog is not None:
            dialog.setRange(0, max(total, 1))
            dialog.setValue(done)
            dialog.setLabelText(label or "Writing the briefing…")

    def _close_dialog(self) -> None:
        if self.dialog is not None:
            self.dialog.close()
            self.dialog.deleteLater()
            self.dialog = None

    def _done(self, result) -> None:
        self.job = None
        self._close_dialog()
        self.busy_changed.emit(False)
        if result is None:
            self.status.emit("Briefing cancelled.")
            return
        path = Path(result.path)
        summary = written_summary(result)
        self.status.emit(f"Briefing saved to {path} ({summary})")
        self.exported.emit(path)
        self.offer_open(path, summary)

    def _failed(self, why: str) -> None:
        self.job = None
        self._close_dialog()
        self.busy_changed.emit(False)
        self.status.emit(f"Could not export the briefing: {why}")
        self.show_error(f"The export failed:\n{why}")

    def show_error(self, text: str) -> None:
        QMessageBox.warning(self.parent_widget, "Export briefing", text)


def written_summary(result) -> str:
    """ "3 pages, 48 kB" for a paged format, "12 kB" otherwise (`dossier.export.ExportResult`)."""
    size = f"{max(1, round(result.size / 1000))} kB"
    if result.pages is None:
        return size
    return f"{result.pages} page{'s' if result.pages != 1 else ''}, {size}"
