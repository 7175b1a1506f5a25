"""The dossier switcher's behaviour: list the dossiers, switch, create, rename, delete.

The registry (`dossier.dossiers`) is read and changed on a worker ("dossiers" jobs: a few file
operations and one source count per dossier). Switching is refused while the user's own work
runs (an answer, an ingest, a summary, a briefing: `busy` says which); background summaries
are cancelled by the engine as the library goes to "loading", and the old library is closed
once the jobs still on it have ended (`Engine.open_dossier`). The dossier chosen is remembered
in the data folder, so the next launch (and the CLI) opens it.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QInputDialog, QLineEdit, QMessageBox
from shiboken6 import isValid

from dossier.dossiers import plural

from .. import render
from ..engine import Engine, runtime_of
from ..views.dossier_switcher import DossierSwitcher


def _not_busy() -> str:
    return ""


class DossiersController(QObject):
    status = Signal(str)  # a one-line message for the status bar
    listed = Signal()  # the list was read again
    current_changed = Signal(str)  # the name of the dossier open in the window
    switching = Signal(str)  # another dossier is being opened (its slug): clear what is shown

    def __init__(
        self, view: DossierSwitcher, engine: Engine, busy: Callable[[], str] = _not_busy
    ) -> None:
        super().__init__(view)
        self.view = view
        self.engine = engine
        self.busy = busy  # why a switch must wait ("an answer is being written"), or ""
        self.dossiers: list = []  # DossierInfo, as last listed
        self.current: str | None = None  # slug of the dossier open in the window
        self.pending_delete: str | None = None  # deleted once the switch away from it is done
        self._pending_data_dir = ""  # the data folder `pending_delete` is in
        # Registry jobs run one at a time, in the order asked: "use A" then "use B" leaves B.
        self._queue: list[tuple[Callable | None, Callable | None]] = []
        self._job = None
        view.combo.activated.connect(lambda _index: self.switch(view.selected_slug()))
        view.new_button.clicked.connect(self.new)
        view.rename_button.clicked.connect(self.rename)
        view.delete_button.clicked.connect(self.delete_selected)
        engine.library_state.connect(self._library_state)
        engine.library_changed.connect(self.refresh)  # source counts and last change

    # -- dialogs (tests replace these methods) ------------------------------------------
    def ask_name(self, title: str, label: str, text: str = "") -> str | None:
        name, ok = QInputDialog.getText(self.view, title, label, QLineEdit.EchoMode.Normal, text)
        return name if ok else None

    def confirm(self, question: str) -> bool:
        answer = QMessageBox.question(self.view, "Dossier", question)
        return answer == QMessageBox.StandardButton.Yes

    # -- the list -----------------------------------------------------------------------
    def refresh(self) -> None:
        if (None, None) not in self._queue:  # one pending re-read is enough
            self._run(None)

    def _run(self, change: Callable | None, on_done: Callable | None = None) -> None:
        """`change(registry)` then the list, on a worker, after the registry jobs asked before;
        a refused change (a taken name, ...) is shown, not raised."""
        self._queue.append((change, on_done))
        if self._job is None:
            self._start_next()

    def _start_next(self) -> None:
        if self._job is not None or not self._queue:  # one at a time: the next starts after
            return
        change, on_done = self._queue.pop(0)
        prefs = self.engine.prefs

        def work(job):
            from dossier.dossiers import DossierError

            registry = runtime_of(prefs).dossiers()
            try:
                result, error = (change(registry) if change else None), ""
            except (DossierError, OSError) as exc:
                result, error = None, str(exc)
            try:
                opened = registry.resolve(prefs.dossier or None).slug
            except DossierError:  # e.g. --dossier with an unknown name: the library says why
                opened = None
            return result, error, registry.list(), opened

        def done(value) -> None:
            if not isValid(self.view):
                return  # the window closed while the registry was read: nothing to show
            finished()
            result, error, dossiers, opened = value
            self._listed(dossiers, opened)
            self.view.show_message(error)
            if not error and on_done is not None:
                on_done(result)

        def failed(why: str) -> None:
            if not isValid(self.view):
                return
            finished()
            self.view.show_message(why)

        def finished() -> None:  # the next job starts after this one's result is shown
            self._job = None
            QTimer.singleShot(0, self._start_next)

        self._job = self.engine.runner.start(work, name="dossiers", on_done=done, on_failed=failed)

    def _listed(self, dossiers: list, opened: str | None) -> None:
        self.dossiers = dossiers
        if self.current is None or self.current not in {d.slug for d in dossiers}:
            self.current = opened
        items = []
        for d in dossiers:
            sources = "? sources" if d.sources is None else plural(d.sources, "source")
            changed = render.local_time(d.last_change.isoformat()) if d.last_change else "never"
            items.append((d.slug, f"{d.name} — {sources} · changed {changed}", str(d.folder)))
        self.view.set_items(items, self.current)
        info = self.info(self.current)
        if info is not None:
            self.current_changed.emit(info.name)
        self.listed.emit()

    @property
    def idle(self) -> bool:
        """No registry job is running or waiting (what was asked is written and listed)."""
        return self._job is None and not self._queue

    def info(self, slug: str | None):
        return next((d for d in self.dossiers if d.slug == slug), None)

    # -- switching ----------------------------------------------------------------------
    def switch(self, slug: str | None) -> bool:
        """Open the dossier `slug` in the window (refused while the user's work runs)."""
        if slug is None or slug == self.current:
            return slug is not None
        reason = self.busy()
        if reason:
            self.view.select(self.current)
            self.view.show_message(f"Wait until {reason}, then switch dossiers.")
            return False
        if slug == self.pending_delete:  # the user went back to it: it is not deleted later
            self.pending_delete = None
        self.current = slug
        self.view.select(slug)
        self.view.show_message("")
        self.switching.emit(slug)
        self.engine.open_dossier(slug)
        self._run(lambda registry: registry.use(slug))  # the next launch opens it too
        return True

    def _library_state(self, state: str) -> None:
        if state.startswith("failed"):  # no library_changed follows: list them all the same
            self.refresh()
        pending = self.pending_delete
        if pending is not None and self.engine.prefs.data_dir != self._pending_data_dir:
            self.pending_delete = None  # another data folder: its dossier of that name stays
            return
        if state == "ready" and pending is not None and pending != self.current:
            self.pending_delete = None
            self._delete(pending)

    # -- creating, renaming, deleting ---------------------------------------------------
    def new(self) -> None:
        name = self.ask_name("New dossier", "Name of the new dossier (one story):")
        if name is None:
            return
        self._run(
            lambda registry: registry.create(name), on_done=lambda info: self.switch(info.slug)
        )

    def rename(self) -> None:
        info = self.info(self.view.selected_slug())
        if info is None:
            return
        name = self.ask_name("Rename dossier", "New name:", info.name)
        if name is None or name.strip() == info.name:
            return
        self._run(lambda registry: registry.rename(info.slug, name))

    def delete_selected(self) -> None:
        info = self.info(self.view.selected_slug())
        if info is None:
            return
        others = [d.slug for d in self.dossiers if d.slug != info.slug]
        if not others:
            self.view.show_message("The only dossier cannot be deleted: create another first.")
            return
        sources = "its" if info.sources is None else f"its {info.sources}"
        if not self.confirm(
            f"Delete the dossier “{info.name}” with {sources} sources, its conversations and "
            "its notes? This cannot be undone."
        ):
            return
        if info.slug != self.current:
            self._delete(info.slug)
        elif self.switch(others[0]):  # put it away first; deleted once the other is open
            self.pending_delete = info.slug
            self._pending_data_dir = self.engine.prefs.data_dir

    def _delete(self, slug: str) -> None:
        info = self.info(slug)
        name = info.name if info is not None else slug
        self._run(
            lambda registry: registry.delete(slug),
            on_done=lambda _info: self.status.emit(f"Deleted the dossier “{name}”."),
        )
