"""Dossiers: one story each, with its own library, conversations and notes in its own folder.

Under the data folder:

    dossiers/<slug>/dossier.json          its name, when it was made, whether it gets the seeds
    dossiers/<slug>/library/              its library (sources, vector index, summary cache)
    dossiers/<slug>/conversations.sqlite  its saved conversations (notes will sit beside them)
    dossiers/state.json                   the dossier in use (last chosen: window, `dossier use`)
    cache/                                models, shared by every dossier (they are large)

The folder name (slug) is made once from the first name and never changes: a rename changes
only the name shown, so nothing on disk moves and a rename cannot lose anything. The last
dossier cannot be deleted (there is always one to open). Registry changes hold a file lock, so
the window and the CLI can change dossiers at the same time.

Upgrade: the single library of earlier versions (`<data>/library/`, with its
`conversations.sqlite`) becomes the first dossier by renaming the folder, never by copying;
every step can be interrupted and is done again, or skipped, on the next opening. On an empty
data folder the first dossier is "Demo", which gets the seed articles on its first opening; a
dossier made later starts empty.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import sqlite3
import unicodedata
from datetime import UTC, datetime
from pathlib import Path

from filelock import FileLock, Timeout
from pydantic import BaseModel

from retrieval.atomic import atomic_write_bytes
from retrieval.holders import library_holders
from retrieval.store import DATABASE_NAME, LOCK_NAME

from .conversations import CONVERSATIONS_FILE
from .settings import library_dir as legacy_library_dir

DOSSIERS_FOLDER = "dossiers"
META_FILE = "dossier.json"
STATE_FILE = "state.json"
LOCK_FILE = ".lock"
LIBRARY_FOLDER = "library"
DEMO_NAME = "Demo"
UPGRADED_NAME = "My dossier"  # the single library of an earlier version
FIRST_EMPTY_NAME = "My dossier"  # if every dossier folder was removed by hand
MAX_NAME_CHARS = 80
MAX_SLUG_CHARS = 40
TRASH_PREFIX = ".deleted-"
LOCK_TIMEOUT_S = 30.0
# SQLite's companion files move with the database: a WAL left behind would lose its commits.
SQLITE_SUFFIXES = ("-wal", "-shm", "-journal", "")
# Bidirectional controls reorder what follows them on screen (a name could imitate another).
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


class DossierError(ValueError):
    """Something about dossiers the user can act on: a bad or taken name, an unknown one, the
    last one to delete. The message says what to do."""


class DossierInfo(BaseModel):
    name: str
    slug: str  # the folder's name under dossiers/; stable across renames
    folder: Path
    created: datetime
    sources: int | None = None  # None: the library cannot be read now (damaged, locked, ...)
    last_change: datetime | None = None  # the newest file of the dossier
    seed: bool = False  # its library gets the seed articles on its first opening
    current: bool = False  # the dossier opened when none is named

    @property
    def library_dir(self) -> Path:
        return dossier_library_dir(self.folder)


def plural(count: int, word: str) -> str:
    """ "1 source", "5 sources": how the front ends show a dossier's size."""
    return f"{count} {word}{'' if count == 1 else 's'}"


def dossier_library_dir(folder: Path) -> Path:
    return folder / LIBRARY_FOLDER


def validate_name(name: str) -> str:
    """The name as kept (spaces trimmed), or DossierError saying what is wrong with it."""
    name = unicodedata.normalize("NFC", str(name)).strip()
    if not name:
        raise DossierError("A dossier needs a name (it cannot be empty or only spaces).")
    if len(name) > MAX_NAME_CHARS:
        raise DossierError(f"A dossier name has at most {MAX_NAME_CHARS} characters.")
    if any(unicodedata.category(c) in ("Cc", "Zl", "Zp", "Cs") or c in _BIDI for c in name):
        raise DossierError("A dossier name cannot hold control characters or line breaks.")
    return name


def slug_of(name: str) -> str:
    """A folder name for `name`: lower-case ASCII letters, digits and dashes."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:MAX_SLUG_CHARS].strip("-")
    return slug or "dossier"


def _now() -> datetime:
    return datetime.now(UTC)


def _write_json(path: Path, value: dict) -> None:
    atomic_write_bytes(path, json.dumps(value, ensure_ascii=False, indent=2).encode())


def _read_json(path: Path) -> dict:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def count_sources(library: Path) -> int | None:
    """The number of sources in a library folder, read without opening the library (no
    embedder, nothing written); 0 for a library not made yet, None if it cannot be read."""
    database = library / DATABASE_NAME
    if not database.exists():
        return 0
    try:
        db = sqlite3.connect(f"{database.resolve().as_uri()}?mode=ro", uri=True, timeout=1.0)
        try:
            return db.execute("SELECT count(*) FROM sources").fetchone()[0]
        finally:
            db.close()
    except sqlite3.Error:
        return None


def last_change(folder: Path) -> datetime | None:
    """When a file of the dossier (its library's files, its conversations) last changed."""
    newest = None
    for place in (folder, dossier_library_dir(folder)):
        try:
            entries = list(os.scandir(place))
        except OSError:
            continue
        for entry in entries:
            if entry.name in (STATE_FILE, LOCK_FILE) or not entry.is_file(follow_symlinks=False):
                continue
            try:
                mtime = entry.stat(follow_symlinks=False).st_mtime
            except OSError:
                continue
            newest = mtime if newest is None else max(newest, mtime)
    return datetime.fromtimestamp(newest, UTC) if newest is not None else None


def move_sqlite(old: Path, new: Path) -> None:
    """Rename a SQLite database with its WAL and journal, the companions first: until the main
    file moves, the old place is the database; a crash in between is finished next time."""
    if not old.exists() or new.exists():
        return
    for suffix in SQLITE_SUFFIXES:
        source = old.with_name(old.name + suffix)
        if source.exists():
            os.replace(source, new.with_name(new.name + suffix))


class Dossiers:
    """The dossiers of one data folder. Every method prepares the folder first (upgrade of a
    single library, the Demo dossier on first run), which is quick once done."""

    def __init__(self, data: Path) -> None:
        self.data = Path(data)
        self.root = self.data / DOSSIERS_FOLDER
        # A data folder that cannot be written (a read-only disk, a backup) is read as it is:
        # no lock, no upgrade, nothing remembered; its libraries open read-only.
        self.read_only = False

    # -- reading ------------------------------------------------------------------------
    def list(self) -> list[DossierInfo]:
        """Every dossier, oldest first, with its source count and last change."""
        with self._locked():
            return self._list(stats=True)

    def get(self, name: str) -> DossierInfo:
        """The dossier called `name` (case does not matter) or whose folder is `name`."""
        with self._locked():
            return self._with_stats(self._find(self._list(stats=False), name))

    def current(self) -> DossierInfo:
        """The dossier in use: the last one chosen, else the oldest."""
        with self._locked():
            return self._with_stats(self._current(self._list(stats=False)))

    def resolve(self, name: str | None) -> DossierInfo:
        """`name` if given (it must exist), else the current dossier."""
        return self.get(name) if name else self.current()

    # -- changing -----------------------------------------------------------------------
    def create(self, name: str, *, seed: bool = False) -> DossierInfo:
        """A new, empty dossier (`seed`: it gets the seed articles on its first opening)."""
        with self._locked():
            self._list(stats=False)  # the upgrade, or the Demo of a first run, comes first
            made = self._create(name, seed=seed)
        return self.get(made.slug)

    def rename(self, name: str, new_name: str) -> DossierInfo:
        """Change the name shown; the folder stays where it is."""
        with self._locked():
            dossiers = self._list(stats=False)
            found = self._find(dossiers, name)
            new_name = self._free_name(new_name, dossiers, keep=found.slug)
            self._refuse_if_open_elsewhere(found, "renamed")
            meta = _read_json(found.folder / META_FILE)
            meta.update(self._meta(found), name=new_name)
            _write_json(found.folder / META_FILE, meta)
        return self.get(found.slug)

    def delete(self, name: str) -> DossierInfo:
        """Delete a dossier and everything in it (its library, conversations, notes). The last
        one is refused. The folder is first renamed away (one atomic step), then removed."""
        with self._locked():
            dossiers = self._list(stats=False)
            found = self._find(dossiers, name)
            if len(dossiers) == 1:
                raise DossierError(
                    f"“{found.name}” is the only dossier and cannot be deleted: create another "
                    "one first."
                )
            self._refuse_if_open_elsewhere(found, "deleted")
            trash = self.root / f"{TRASH_PREFIX}{found.slug}-{secrets.token_hex(4)}"
            with self._not_being_written(found):
                os.replace(found.folder, trash)
            state = self._state()
            if state.get("current") == found.slug:
                state.pop("current")
                self._save_state(state)
        shutil.rmtree(trash, ignore_errors=True)
        return found

    def use(self, name: str) -> DossierInfo:
        """Make `name` the dossier opened when none is named (remembered in the data folder)."""
        with self._locked():
            found = self._find(self._list(stats=False), name)
            state = self._state()
            state["current"] = found.slug
            self._save_state(state)
        return self.get(found.slug)

    # -- inside the lock ----------------------------------------------------------------
    @staticmethod
    def _refuse_if_open_elsewhere(info: DossierInfo, change: str) -> None:
        """A dossier another process has open (a window, `dossier watch`) is not changed under
        it: deleted, its folder would vanish under that process; renamed, the name that process
        opened it by would no longer find it."""
        holders = library_holders(info.library_dir)
        if holders:
            who = "; ".join(h.describe() for h in holders)
            raise DossierError(
                f"“{info.name}” is open in another Dossier process: {who}. Close that window "
                f"or stop that command, then try again; it was not {change}."
            )

    @staticmethod
    @contextlib.contextmanager
    def _not_being_written(info: DossierInfo):
        """Held while a dossier is put away: an import, removal or reindex running on its
        library in another process would go on writing into the deleted folder."""
        if not (info.library_dir / LOCK_NAME).exists():
            yield
            return
        lock = FileLock(info.library_dir / LOCK_NAME, timeout=0, thread_local=False)
        try:
            lock.acquire()
        except Timeout:
            raise DossierError(
                f"“{info.name}” is being changed by another Dossier window or command (an "
                "import, a removal or a reindex): delete it once that has ended."
            ) from None
        try:
            yield
        finally:
            lock.release()

    def _locked(self) -> contextlib.AbstractContextManager:
        self._prepare_root()
        self.read_only = not os.access(self.root, os.W_OK)
        if self.read_only:
            return contextlib.nullcontext()
        return self._registry_lock()

    @contextlib.contextmanager
    def _registry_lock(self):
        lock = FileLock(self.root / LOCK_FILE, timeout=LOCK_TIMEOUT_S, thread_local=False)
        try:
            lock.acquire()
        except Timeout:
            raise DossierError(
                f"The dossiers in {self.root} are busy: another Dossier process held "
                f"{lock.lock_file} for more than {LOCK_TIMEOUT_S:.0f} s. Try again."
            ) from None
        try:
            yield
        finally:
            lock.release()

    def _prepare_root(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError) as exc:
            raise DossierError(
                f"The data folder cannot be used: {exc.filename or self.root} is in the way "
                "(a file where a folder is needed). Choose another folder with --data-dir."
            ) from exc
        except PermissionError as exc:  # a read-only data folder from before dossiers
            raise DossierError(
                f"The data folder {self.data} is read-only and holds no dossier yet: make it "
                f"writable once (an earlier single library is then upgraded). ({exc})"
            ) from exc

    def _list(self, *, stats: bool) -> list[DossierInfo]:
        if self.read_only:
            dossiers = self._scan(stats=stats)
            if not dossiers:
                raise DossierError(
                    f"The data folder {self.data} is read-only and holds no dossier yet: make "
                    "it writable once (an earlier single library is then upgraded)."
                )
            current = self._current(dossiers).slug
            return [d.model_copy(update={"current": d.slug == current}) for d in dossiers]
        self._upgrade()
        dossiers = self._scan(stats=stats)
        if not dossiers:
            first_run = not self._state().get("initialized")
            self._create(DEMO_NAME if first_run else FIRST_EMPTY_NAME, seed=first_run)
            dossiers = self._scan(stats=stats)
        state = self._state()
        if not state.get("initialized"):
            state["initialized"] = True
            self._save_state(state)
        current = self._current(dossiers).slug
        return [d.model_copy(update={"current": d.slug == current}) for d in dossiers]

    def _scan(self, *, stats: bool) -> list[DossierInfo]:
        found = []
        for entry in sorted(os.scandir(self.root), key=lambda e: e.name):
            if entry.name.startswith(".") or not entry.is_dir(follow_symlinks=False):
                if entry.name.startswith(TRASH_PREFIX) and not self.read_only:  # finish a delete
                    shutil.rmtree(entry.path, ignore_errors=True)
                continue
            found.append(self._info(Path(entry.path), stats=stats))
        return sorted(found, key=lambda d: (d.created, d.name.casefold()))

    def _info(self, folder: Path, *, stats: bool) -> DossierInfo:
        meta = _read_json(folder / META_FILE)
        try:
            created = datetime.fromisoformat(meta["created"])
        except (KeyError, TypeError, ValueError):
            created = datetime.fromtimestamp(folder.stat().st_mtime, UTC)
        if created.tzinfo is None:  # written by hand: naive and aware times cannot be sorted
            created = created.replace(tzinfo=UTC)
        name = meta.get("name") if isinstance(meta.get("name"), str) else None
        if not self.read_only:  # conversations an interrupted upgrade left in the library
            move_sqlite(
                dossier_library_dir(folder) / CONVERSATIONS_FILE, folder / CONVERSATIONS_FILE
            )
        info = DossierInfo(
            name=name or folder.name,
            slug=folder.name,
            folder=folder,
            created=created,
            seed=bool(meta.get("seed", False)),
        )
        if stats:
            info.sources = count_sources(info.library_dir)
            info.last_change = last_change(folder)
        return info

    @staticmethod
    def _with_stats(info: DossierInfo) -> DossierInfo:
        """`info` with its source count and last change (read for this one dossier only)."""
        return info.model_copy(
            update={
                "sources": count_sources(info.library_dir),
                "last_change": last_change(info.folder),
            }
        )

    @staticmethod
    def _meta(info: DossierInfo) -> dict:
        return {"name": info.name, "created": info.created.isoformat(), "seed": info.seed}

    def _find(self, dossiers: list[DossierInfo], name: str) -> DossierInfo:
        wanted = unicodedata.normalize("NFC", str(name)).strip().casefold()
        for d in dossiers:
            if d.name.casefold() == wanted:
                return d
        for d in dossiers:
            if d.slug == wanted:
                return d
        known = ", ".join(d.name for d in dossiers)
        raise DossierError(
            f"There is no dossier named “{name}” (the dossiers are: {known}). "
            "`dossier new NAME` creates one."
        )

    def _current(self, dossiers: list[DossierInfo]) -> DossierInfo:
        chosen = self._state().get("current")
        return next((d for d in dossiers if d.slug == chosen), dossiers[0])

    def _free_name(self, name: str, dossiers: list[DossierInfo], keep: str | None = None) -> str:
        name = validate_name(name)
        for d in dossiers:
            if d.slug != keep and d.name.casefold() == name.casefold():
                raise DossierError(f"A dossier named “{d.name}” exists already.")
            if d.slug != keep and d.slug == name.casefold():  # names and folders both find one
                raise DossierError(f"“{name}” is the folder name of the dossier “{d.name}”.")
        return name

    def _create(self, name: str, *, seed: bool, extra: dict | None = None) -> DossierInfo:
        dossiers = self._scan(stats=False)
        name = self._free_name(name, dossiers)
        # A folder name that is another dossier's name would make that name find two dossiers
        # (a name is matched first: `delete SLUG` would delete the other one).
        folder = self._new_folder(slug_of(name), taken={d.name.casefold() for d in dossiers})
        meta = {"name": name, "created": _now().isoformat(), "seed": seed, **(extra or {})}
        _write_json(folder / META_FILE, meta)
        return self._info(folder, stats=False)

    def _new_folder(self, slug: str, taken: set[str] = frozenset()) -> Path:
        for n in range(1, 10_000):
            folder = self.root / (slug if n == 1 else f"{slug}-{n}")
            if folder.name in taken:
                continue
            try:
                folder.mkdir()  # atomic: two processes never get the same folder
            except FileExistsError:
                continue
            return folder
        raise DossierError(f"Too many dossiers are named like “{slug}”.")

    def _upgrade(self) -> None:
        """The single library of an earlier version becomes a dossier (renamed, not copied)."""
        legacy = legacy_library_dir(self.data)
        if not legacy.is_dir():
            return
        # A dossier made for it by an interrupted upgrade is used again, not made twice.
        target = next(
            (
                d
                for d in self._scan(stats=False)
                if _read_json(d.folder / META_FILE).get("upgraded_from") == str(legacy)
                and not d.library_dir.exists()
            ),
            None,
        )
        if target is None:
            taken = {d.name.casefold() for d in self._scan(stats=False)}
            name = UPGRADED_NAME
            n = 2
            while name.casefold() in taken:
                name, n = f"{UPGRADED_NAME} {n}", n + 1
            target = self._create(name, seed=False, extra={"upgraded_from": str(legacy)})
        os.replace(legacy, target.library_dir)
        move_sqlite(target.library_dir / CONVERSATIONS_FILE, target.folder / CONVERSATIONS_FILE)
        state = self._state()
        if "current" not in state:  # the upgraded library is what the user had open
            state["current"] = target.slug
            self._save_state(state)

    def _state(self) -> dict:
        return _read_json(self.root / STATE_FILE)

    def _save_state(self, state: dict) -> None:
        if self.read_only:
            raise DossierError(f"The data folder {self.data} is read-only: nothing was changed.")
        _write_json(self.root / STATE_FILE, state)
