"""The watched folder: files that arrive there are ingested like a manual import.

The folder is stored beside the library (`dossier.watch.watch_setting`), so `dossier watch
--attach` and the window share it. A `FolderWatcher` follows it on its own thread; each
settled batch crosses to the GUI thread by a queued signal (the watcher never touches a Qt
object) and goes through `LibraryController.ingest`, the path of *Add files*: same progress,
same per-file errors, then background summaries as after any import. While another library
task runs, batches wait and are ingested together after it.

Another process may change the setting while the window is open (`dossier watch --attach` or
`--detach` on the same dossier): the window looks at the setting file's signature (a `stat`,
no read) every `SETTING_CHECK_MS` and, when it changed, follows the new folder or stops.
A timer rather than a file-system watch: one `stat` a second costs nothing, and it works the
same on every platform and file system (the setting is replaced atomically, which a watch on
the file itself loses).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QFileDialog

from dossier.watch import FolderWatcher, WatchBatch, WatchError, WatchOptions, watch_setting

from ..engine import Engine
from ..views.watch_row import WatchRow
from .library import LibraryController

RETRY_MS = 1000  # a batch that arrived while the library was busy is tried again this often
SETTING_CHECK_MS = 1000  # how often the setting file is looked at for another process's change


def _signature(file: Path) -> tuple | None:
    """What changes whenever the setting file is written, replaced or removed."""
    try:
        found = file.stat()
    except OSError:
        return None
    return (found.st_ino, found.st_mtime_ns, found.st_size)


class WatchController(QObject):
    status = Signal(str)  # a one-line message for the status bar
    batch_arrived = Signal(object)  # a WatchBatch, emitted on the watcher's thread
    watch_failed = Signal(object)  # (folder, why) the watcher could not start, on its thread

    def __init__(
        self,
        view: WatchRow,
        library: LibraryController,
        engine: Engine,
        options: WatchOptions | None = None,
    ) -> None:
        super().__init__(view)
        self.view = view
        self.library = library
        self.engine = engine
        self.options = options or WatchOptions()
        self.watcher: FolderWatcher | None = None
        self.folder: Path | None = None
        self.pending: list[Path] = []  # settled files (or the folder) not ingested yet
        self._retry = QTimer(self)
        self._retry.setSingleShot(True)
        self._retry.setInterval(RETRY_MS)
        self._retry.timeout.connect(self._flush)
        self._seen: tuple | None = None  # the setting file's signature when last followed
        self._setting_check = QTimer(self)
        self._setting_check.setInterval(SETTING_CHECK_MS)
        self._setting_check.timeout.connect(self.check_setting)
        self._setting_check.start()
        # Emitted on the watcher's thread, delivered on this object's (the GUI) thread.
        self.batch_arrived.connect(self._arrived)
        self.watch_failed.connect(self._watch_failed)
        view.watch_button.clicked.connect(self.watch_folder)
        view.stop_button.clicked.connect(self.stop_watching)
        library.ingest_finished.connect(lambda _report: self._flush())
        engine.library_state.connect(self._library_state)
        view.watch_button.setEnabled(False)

    def setting(self):
        return watch_setting(self.engine.library.folder)

    # -- the library opening and closing --------------------------------------------------
    def _library_state(self, state: str) -> None:
        if state != "ready":  # opening another library, or it failed: stop following
            self._stop_watcher()
            self.view.watch_button.setEnabled(False)
            return
        self.view.watch_button.setEnabled(True)
        self._follow_setting()

    def check_setting(self) -> None:
        """Follow the setting if another process changed it since it was last followed."""
        if self.engine.library is None or self.engine.library_status != "ready":
            return
        if _signature(self.setting().file) != self._seen:
            previous = self.folder
            if self._follow_setting() is None and previous is not None:
                self.status.emit(f"Stopped watching {previous}: detached by another process.")

    def _follow_setting(self) -> Path | None:
        """Watch the folder the setting names (or nothing); returns that folder."""
        setting = self.setting()
        self._seen = _signature(setting.file)
        folder = setting.attached()
        if folder is None:
            self._stop_watcher()
            self.view.show_folder(None)
        elif self.watcher is None or folder != self.folder:  # a reindex reopens the same one
            self._start(folder)
        return folder

    # -- the user's actions -------------------------------------------------------------
    def choose_folder(self) -> Path | None:
        """The folder dialog (tests replace this method)."""
        path = QFileDialog.getExistingDirectory(self.view, "Watch a folder of articles")
        return Path(path) if path else None

    def watch_folder(self) -> None:
        if self.engine.library is None:
            self.status.emit("The library is still opening.")
            return
        chosen = self.choose_folder()
        if chosen is None:
            return
        setting = self.setting()
        try:
            folder = setting.attach(chosen)
        except (WatchError, OSError) as exc:
            self.status.emit(str(exc))
            return
        self._seen = _signature(setting.file)
        self._start(folder)

    def stop_watching(self) -> None:
        folder = self.folder
        self._stop_watcher()
        if self.engine.library is not None:
            setting = self.setting()
            setting.detach()
            self._seen = _signature(setting.file)
        self.view.show_folder(None)
        if folder is not None:
            self.status.emit(f"Stopped watching {folder}; its sources stay in the library.")

    # -- following the folder -----------------------------------------------------------
    def _start(self, folder: Path) -> None:
        self._stop_watcher()
        watcher = FolderWatcher(
            folder,
            self.batch_arrived.emit,
            self.options,
            on_error=lambda exc: self.watch_failed.emit((folder, str(exc))),
        )
        try:
            watcher.start()  # its first batch is the whole folder: the catch-up
        except (WatchError, OSError) as exc:
            self.view.show_folder(folder, "cannot be watched")
            self.status.emit(f"The watched folder cannot be watched: {exc}")
            return
        self.watcher, self.folder = watcher, watcher.folder
        self.view.show_folder(watcher.folder)
        self.status.emit(f"Watching {watcher.folder}")

    def _stop_watcher(self) -> None:
        if self.watcher is not None:
            self.watcher.stop()
        self.watcher, self.folder = None, None
        self.pending = []
        self._retry.stop()

    def _watch_failed(self, failure) -> None:
        folder, why = failure
        if self.folder is not None and Path(folder).resolve() == self.folder:
            self._stop_watcher()
            self.view.show_folder(folder, "cannot be watched")
            self.status.emit(f"The watched folder cannot be watched: {why}")

    def _arrived(self, batch: WatchBatch) -> None:
        if self.watcher is None or batch.folder != self.folder:
            return  # from a watcher stopped since: its folder is no longer watched
        self.pending += [p for p in batch.paths if p not in self.pending]
        self._flush()

    def _flush(self) -> None:
        """Ingest what is pending now, or try again shortly if the library is busy."""
        if not self.pending or self.watcher is None:
            return
        if self.engine.library is None or self.library.job is not None:
            self._retry.start()
            return
        paths, self.pending = self.pending, []
        self.library.ingest(paths)

    def shutdown(self) -> None:
        self._setting_check.stop()
        self._stop_watcher()
