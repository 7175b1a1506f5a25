"""A watched folder: files added or changed in it are handed over, in batches, to be ingested.

One folder may be attached to a library (`WatchSetting`, a small JSON file beside the library).
A `FolderWatcher` follows it with watchdog's observer (inotify, FSEvents, ReadDirectoryChangesW;
polling where those cannot be had) and calls back with batches of files to ingest; the front
ends ingest them exactly as a manual import, so the per-file errors are the same.

- A file being written fires many events: it is handed over only once it has been quiet for
  `quiet_s` and its size and modification time did not change meanwhile, so a half-copied
  file is never read.
- Only the types ingest reads are handed over; hidden files and folders (".name"), office lock
  files ("~$name"), editor backups ("name~") and partial downloads are ignored, as the folder
  walk of an import skips hidden entries.
- A link is followed only when its target stays inside the watched folder (the import rule).
- When it starts, the watcher first hands over the whole folder once (`catch_up`): files added
  while Dossier was closed go in; ingest skips those it already has (same size and time).
- Deleting or moving a file out of the folder removes nothing from the library: a reporter's
  sources must not vanish because a folder was tidied. Remove a source explicitly instead.

The callback runs on the watcher's own thread: a GUI must marshal it to its own thread.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import stat
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from .library import supported_suffixes

log = logging.getLogger(__name__)

SETTING_NAME = "watch.json"
# Endings of files still being written by a browser or a copy tool (renamed when complete).
PARTIAL_SUFFIXES = (".part", ".partial", ".crdownload", ".download", ".tmp", ".temp", ".swp")


class WatchError(Exception):
    """A folder that cannot be watched (missing, not a folder, the library's own folder)."""


class WatchBatch(BaseModel):
    """Files to ingest: settled files of the folder, or (`catch_up`) the folder itself."""

    model_config = ConfigDict(frozen=True)

    folder: Path
    paths: list[Path]
    catch_up: bool = False


class WatchOptions(BaseModel):
    """How long a file must stay unchanged before it is handed over, and how often to look."""

    quiet_s: float = 1.0
    poll_s: float = 0.2


# --- the stored setting -------------------------------------------------------------------


class WatchSetting:
    """The folder attached to one library, kept in a small JSON file (written atomically)."""

    def __init__(self, file: Path, *, library_folder: Path | None = None) -> None:
        self.file = Path(file)
        self.library_folder = Path(library_folder) if library_folder else self.file.parent

    def attached(self) -> Path | None:
        """The attached folder, or None (also when the file is unreadable: then nothing is
        watched, and attaching again rewrites it)."""
        try:
            data = json.loads(self.file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            log.warning("watch setting %s unreadable (%s): no folder watched", self.file, exc)
            return None
        folder = data.get("folder") if isinstance(data, dict) else None
        return Path(folder) if isinstance(folder, str) and folder else None

    def attach(self, folder: str | os.PathLike) -> Path:
        """Attach `folder` (checked, stored absolute); returns it."""
        resolved = check_folder(folder, library_folder=self.library_folder)
        self._write({"folder": str(resolved)})
        return resolved

    def detach(self) -> Path | None:
        """Forget the attached folder; returns the folder that was attached, if any."""
        previous = self.attached()
        with contextlib.suppress(FileNotFoundError):
            self.file.unlink()
        return previous

    def _write(self, data: dict) -> None:
        self.file.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".watch-", suffix=".tmp", dir=self.file.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(data, out, ensure_ascii=False)
            os.replace(tmp, self.file)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise


def watch_setting(library_folder: str | os.PathLike) -> WatchSetting:
    """The watched-folder setting of the library in `library_folder`.

    The one place that decides where the setting lives: beside the library, so each dossier
    has its own.
    """
    library_folder = Path(library_folder)
    return WatchSetting(library_folder / SETTING_NAME, library_folder=library_folder)


def check_folder(folder: str | os.PathLike, *, library_folder: Path | None = None) -> Path:
    """`folder` as an absolute path if it can be watched, else WatchError saying why."""
    path = Path(folder).expanduser()
    try:
        resolved = path.resolve(strict=True)
    except (OSError, RuntimeError) as exc:  # missing, a link loop, unreadable
        reason = getattr(exc, "strerror", None) or "does not exist"
        raise WatchError(f"{path}: cannot watch this folder ({reason})") from exc
    if not resolved.is_dir():
        raise WatchError(f"{path}: cannot watch this: it is not a folder")
    if library_folder is not None:
        library = Path(library_folder).resolve()
        # The library's own files change on every ingest: watching them would feed itself.
        if resolved == library or library in resolved.parents or resolved in library.parents:
            raise WatchError(
                f"{path}: cannot watch a folder that holds Dossier's library ({library}) or "
                "lies inside it"
            )
    return resolved


# --- which files count --------------------------------------------------------------------


def is_candidate(path: Path, folder: Path, suffixes: tuple[str, ...] | None = None) -> bool:
    """Whether a file at `path` (inside `folder`) is one to hand over, by its name alone."""
    try:
        relative = path.relative_to(folder)
    except ValueError:
        return False
    if not relative.parts or any(part.startswith(".") for part in relative.parts):
        return False  # hidden, or inside a hidden folder (".git", ".Trash")
    name = path.name
    if name.startswith("~$") or name.endswith("~") or name.lower().endswith(PARTIAL_SUFFIXES):
        return False  # an office lock file, an editor backup, a download still running
    return path.suffix.lower() in (suffixes or supported_suffixes())


def _link_stays_inside(path: Path, folder: Path) -> bool:
    if not path.is_symlink():
        return True
    try:
        target = path.resolve(strict=True)
    except (OSError, RuntimeError):
        return False
    return folder.resolve() in target.parents


# --- the watcher --------------------------------------------------------------------------


class _Pending:
    __slots__ = ("last_event", "signature")

    def __init__(self, now: float, signature: tuple[int, int] | None) -> None:
        self.last_event = now
        self.signature = signature


def _signature(path: Path) -> tuple[int, int] | None:
    """(size, mtime) of a regular file; None if it is gone or not a regular file."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    if not stat.S_ISREG(info.st_mode):
        return None
    return info.st_size, info.st_mtime_ns


class FolderWatcher:
    """Follows one folder (recursively) and calls `on_batch(WatchBatch)` with settled files.

    `start()` hands over the whole folder first (the catch-up), then new and changed files as
    they settle; `stop()` ends both threads. `on_batch` and `on_error` run on the watcher's
    thread.
    """

    def __init__(
        self,
        folder: str | os.PathLike,
        on_batch: Callable[[WatchBatch], None],
        options: WatchOptions | None = None,
        on_error: Callable[[Exception], None] | None = None,
    ) -> None:
        self.folder = Path(folder).resolve()
        self.on_batch = on_batch
        self.on_error = on_error  # told, on the watcher's thread, if it cannot start
        self.options = options or WatchOptions()
        self._suffixes = supported_suffixes()
        self._pending: dict[Path, _Pending] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.started = threading.Event()  # the observer is up: changes from now on are seen
        self.error: Exception | None = None  # why it could not start, if it could not

    # -- lifetime -----------------------------------------------------------------------
    def start(self, *, catch_up: bool = True) -> None:
        """Check the folder, then follow it on the watcher's thread: setting up the observer
        walks the whole tree (0.18 s for 2,000 folders here), which a window must not wait
        for. `started` is set once events are seen (or `error` says why they cannot be)."""
        check_folder(self.folder)
        self._thread = threading.Thread(
            target=self._run, args=(catch_up,), name="dossier-watch", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)
        self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _start_observer(self):
        from watchdog.observers import Observer
        from watchdog.observers.polling import PollingObserver

        handler = _make_handler(self)
        try:
            observer = Observer()
            observer.schedule(handler, str(self.folder), recursive=True)
            observer.start()
        except OSError as exc:  # e.g. the system's inotify watches used up: poll instead
            log.warning("watching %s by polling (%s)", self.folder, exc)
            observer = PollingObserver(timeout=max(self.options.quiet_s, 1.0))
            observer.schedule(handler, str(self.folder), recursive=True)
            observer.start()
        return observer

    # -- events (on the observer's thread) ----------------------------------------------
    def noticed(self, path: Path) -> None:
        """A file event at `path` (created, changed, moved in): wait for it to settle."""
        if not is_candidate(path, self.folder, self._suffixes):
            return
        now = time.monotonic()
        # The size and time as of this event: the file has settled if they are the same once
        # it has been quiet (a writer whose writes fire no event is caught by that too).
        signature = _signature(path)
        with self._lock:
            entry = self._pending.get(path)
            if entry is None:
                self._pending[path] = _Pending(now, signature)
            else:
                entry.last_event, entry.signature = now, signature

    def noticed_folder(self, folder: Path) -> None:
        """A folder created or moved in: its files may have arrived without events of their own."""
        for root, dirs, files in os.walk(folder):
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            for name in files:
                self.noticed(Path(root) / name)

    # -- settling (on the watcher's thread) ---------------------------------------------
    def _run(self, catch_up: bool) -> None:
        try:
            observer = self._start_observer()
        except Exception as exc:  # the folder went away meanwhile, or cannot be read
            log.warning("cannot watch %s: %s", self.folder, exc)
            self.error = exc
            self.started.set()
            if self.on_error is not None:
                self.on_error(exc)
            return
        self.started.set()
        try:
            if catch_up and not self._stop.is_set():
                self._deliver(WatchBatch(folder=self.folder, paths=[self.folder], catch_up=True))
            while not self._stop.wait(self.options.poll_s):
                settled = self._settled()
                if settled:
                    self._deliver(WatchBatch(folder=self.folder, paths=settled))
        finally:
            with contextlib.suppress(Exception):  # an observer that died already
                observer.stop()
                observer.join(5.0)

    def _settled(self) -> list[Path]:
        """The pending files quiet for `quiet_s` whose size and time stayed the same."""
        now = time.monotonic()
        ready: list[Path] = []
        with self._lock:
            due = [
                (p, e)
                for p, e in self._pending.items()
                if now - e.last_event >= self.options.quiet_s
            ]
        for path, entry in due:
            signature = _signature(path)  # outside the lock: a slow disk stalls no event
            with self._lock:
                if self._pending.get(path) is not entry or entry.last_event > now:
                    continue  # a new event came meanwhile: wait again
                if signature is None:
                    del self._pending[path]  # gone again, or not a regular file
                elif signature != entry.signature:
                    entry.signature, entry.last_event = signature, now  # still growing
                else:
                    del self._pending[path]
                    if _link_stays_inside(path, self.folder):
                        ready.append(path)
        return sorted(ready)

    def _deliver(self, batch: WatchBatch) -> None:
        try:
            self.on_batch(batch)
        except Exception:  # the watcher goes on; the front end reports its own failures
            log.exception("handling a batch from %s failed", self.folder)


def _make_handler(watcher: FolderWatcher):
    """watchdog's callbacks, turned into `noticed` calls; deletions are ignored on purpose.

    watchdog is imported here, not at the top: reading or changing the setting needs no
    observer."""
    from watchdog.events import FileSystemEventHandler

    class Handler(FileSystemEventHandler):
        def on_any_event(self, event) -> None:
            kind = event.event_type
            if kind in ("created", "modified", "closed"):
                path = event.src_path
            elif kind == "moved":
                path = event.dest_path  # moved in or renamed inside; moved out is ignored
            else:  # deleted, opened, closed without writing: nothing to ingest
                return
            path = Path(os.fsdecode(path))
            if event.is_directory:
                if kind in ("created", "moved"):
                    watcher.noticed_folder(path)
                return
            watcher.noticed(path)

    return Handler()
