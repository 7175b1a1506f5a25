"""The app controller: builds the other controllers, shortcuts, settings and the status bar."""

from __future__ import annotations

from PySide6.QtCore import QObject, QSettings

from dossier.citations import split_answer

from ..engine import Engine, model_label
from ..preferences import Preferences
from ..views.main_window import MainWindow
from ..views.settings_dialog import SettingsDialog
from .background import BackgroundSummaries
from .briefing import BriefingController
from .chat import ChatController
from .conversations import ConversationsController
from .dossiers import DossiersController
from .library import LibraryController
from .notes import NotesController
from .source import SourceController
from .summaries import SummariesController
from .watch import WatchController


class AppController(QObject):
    def __init__(
        self, window: MainWindow, engine: Engine, settings: QSettings | None = None
    ) -> None:
        super().__init__(window)
        self.window = window
        self.engine = engine
        self.settings = settings
        self.library = LibraryController(window.library, engine)
        self.watch = WatchController(window.library.watch_row, self.library, engine)
        self.chat = ChatController(window.chat, engine)
        self.conversations = ConversationsController(window.chat.conversations, self.chat, engine)
        self.source = SourceController(window, engine)
        self.summaries = SummariesController(window.summaries, engine)
        self.briefing = BriefingController(window, engine)
        self.notes = NotesController(window.notes, engine)
        self.briefing.pinned_notes = self.notes.all_notes  # the briefing's "Notes" section
        self.background = BackgroundSummaries(
            window.background_status, window.background_button, engine
        )
        self.dossiers = DossiersController(window.dossiers, engine, busy=self.busy_reason)
        self.dossiers.status.connect(window.job_status.setText)
        self.dossiers.switching.connect(self._dossier_switching)
        self.dossiers.current_changed.connect(
            lambda name: window.setWindowTitle(f"{name} — Dossier")
        )

        self.chat.open_passage.connect(self.open_passage)
        self.summaries.open_passage.connect(self.open_passage)
        self.notes.open_passage.connect(self.open_passage)
        self.chat.pin_requested.connect(self.notes.pin_answer)
        window.source.pin_button.clicked.connect(self.pin_selection)
        window.summaries.pin_button.clicked.connect(self.pin_summary_point)
        self.library.status.connect(window.job_status.setText)
        self.watch.status.connect(window.job_status.setText)
        self.briefing.status.connect(window.job_status.setText)
        self.notes.status.connect(window.job_status.setText)
        self.library.counts.connect(window.library_status.setText)
        window.library.table.doubleClicked.connect(self._source_double_clicked)
        # Background summaries after an ingest; they yield to what the user asks for.
        self.library.ingest_finished.connect(self.background.ingested)
        self.chat.busy_changed.connect(self.background.hold_while("question"))
        self.summaries.busy_changed.connect(self.background.hold_while("summary"))
        self.briefing.busy_changed.connect(self.background.hold_while("briefing"))
        self.background.summarized.connect(self._background_summarized)

        window.add_files_action.triggered.connect(self.library.add_files)
        window.export_action.triggered.connect(self.briefing.export)
        window.settings_action.triggered.connect(self.open_settings)
        window.focus_question_action.triggered.connect(self.focus_question)
        window.stop_action.triggered.connect(self.stop)
        engine.llm_state.connect(self._llm_state)
        engine.library_state.connect(self._library_state)

    # -- actions ------------------------------------------------------------------------
    def open_passage(self, source_id: str, start: int, end: int, focus=None) -> None:
        """Show a source; `start`/`end` (-1: none) the passage, `focus` a sentence in it."""
        if start < 0:
            self.source.open(source_id)
        else:
            self.source.open(source_id, start, end, focus)

    def busy_reason(self) -> str:
        """The user's own work that another dossier must wait for, or "" if none runs."""
        if self.chat.busy:
            return "the answer is written (Esc stops it)"
        if self.library.job is not None:
            return "the library task ends (or cancel it)"
        if self.summaries.job is not None:
            return "the summary is made (Esc stops it)"
        if self.briefing.job is not None:
            return "the briefing is exported"
        return ""

    def _dossier_switching(self, _slug: str) -> None:
        """What belongs to the dossier being put away leaves the screen."""
        self.chat.new_conversation()
        self.window.source.show_source(None, "")
        self.library.clear_errors()

    def pin_selection(self) -> None:
        """The words selected in the source viewer, pinned to the notes."""
        viewer = self.window.source
        selected = viewer.selected_span()
        if viewer.source_id is not None and selected is not None:
            self.notes.pin_passage(viewer.source_id, *selected)

    def pin_summary_point(self) -> None:
        """The point selected in the Summaries tab, pinned with its evidence."""
        row = self.window.summaries.selected_row()
        summary = self.summaries.summary
        if row is None or summary is None:
            return
        self.notes.pin_point(summary.source_id, self.summaries.model.object_at(row))

    def _background_summarized(self, source_id: str) -> None:
        """The Summaries tab waiting on this source ("not summarised yet") shows it now."""
        summaries = self.summaries
        waiting = summaries.summary is None and summaries.job is None
        if waiting and summaries.current_source_id() == source_id:
            summaries.refresh_sources()  # looks the cached summary up, off the GUI thread

    def _source_double_clicked(self, index) -> None:
        source = self.library.model.object_at(index.row())
        self.source.open(source.id)

    def focus_question(self) -> None:
        self.window.show_tab(self.window.chat)
        self.window.chat.question.setFocus()
        self.window.chat.question.selectAll()

    def stop(self) -> None:
        """Esc: stop the answer, else a summary, else an ingest."""
        if self.chat.busy:
            self.chat.stop()
        elif self.summaries.job is not None:
            self.summaries.cancel()
        elif self.library.job is not None and self.library.job.name == "ingest":
            self.library.cancel()

    def model_choices(self) -> list[tuple[str, str]]:
        from ..engine import runtime_of

        statuses = runtime_of(self.engine.prefs).models()
        choices = []
        for s in statuses:
            if s.kind != "llm":
                continue
            state = "" if s.installed else " — not installed"
            choices.append((s.role or s.id, f"{s.display_name} [{s.role or s.id}]{state}"))
        return choices

    def open_settings(self) -> None:
        dialog = SettingsDialog(self.engine.prefs, self.model_choices(), self.window)
        if dialog.exec():
            self.apply_preferences(dialog.preferences())

    def apply_preferences(self, prefs: Preferences) -> None:
        old, self.engine.prefs = self.engine.prefs, prefs
        if self.settings is not None:
            prefs.save(self.settings)
        if (prefs.model, prefs.threads, prefs.data_dir) != (old.model, old.threads, old.data_dir):
            self.engine.load_llm()
        # The dossier open stays open; another data folder opens its own current dossier.
        prefs.dossier = old.dossier if prefs.data_dir == old.data_dir else ""
        if prefs.data_dir != old.data_dir:
            self.engine.open_library()
            self.dossiers.current = None
            self.dossiers.refresh()
        elif prefs.library_url != old.library_url:
            self.engine.reopen_library()
        if (prefs.model, prefs.threads, prefs.background_summaries) != (
            old.model,
            old.threads,
            old.background_summaries,
        ):  # summaries are cached per model: list again what is missing
            self.background.preferences_changed()

    # -- status bar ---------------------------------------------------------------------
    def _llm_state(self, state: str) -> None:
        label = self.window.model_status
        if state == "ready":
            label.setText(f"Model: {model_label(self.engine.llm)}")
            label.setToolTip(str(getattr(self.engine.llm, "path", "")))
        elif state == "loading":
            label.setText(f"Model: loading {self.engine.prefs.model or 'default'}…")
        else:
            label.setText("Model: not available")
            label.setToolTip(state)
            why = state.removeprefix("failed: ")
            self.window.chat.status.setText(f"The model could not be loaded: {why}")

    def _library_state(self, state: str) -> None:
        if state == "ready":
            self._show_library_notices()
        elif state == "loading":
            self.window.library_status.setText("Library: opening…")
        elif state.startswith("failed"):
            self.window.library_status.setText("Library: could not open")
            self.window.library_status.setToolTip(state)
            why = state.removeprefix("failed: ")
            self.window.job_status.setText(f"The library could not be opened: {why}")

    def _show_library_notices(self) -> None:
        """What the library says the user should know (an index left with older parameters):
        its first sentence in the status bar, the whole of it (the fix) in the tooltip."""
        notices = self.engine.library.notices
        if notices:
            first = split_answer(notices[0])[0].strip().rstrip(".")
            self.window.job_status.setText(f"{first}. (More in the tooltip.)")
            self.window.job_status.setToolTip("\n\n".join(notices))

    def shutdown(self) -> None:
        self.watch.shutdown()
        self.background.shutdown()
        self.engine.shutdown()
        self.notes.close()
