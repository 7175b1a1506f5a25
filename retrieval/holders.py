"""Which processes have a library open, across processes.

Every process that opens a library folder for writing holds a lock file of its own in the
folder's `.open/` subfolder for as long as the library is open, with a note beside it saying
which process it is. A process that wants to take the folder away (deleting a dossier) asks
`library_holders`: a lock that can be taken is a leftover of a process that ended (the system
releases a dead process's locks) and is removed; one that cannot is a live process, named in
the answer. The write lock (retrieval.store) says who is *writing*; this says who has the
library *open* (a window, `dossier watch`), which is longer.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import sys
from datetime import UTC, datetime
from pathlib import Path

from filelock import FileLock, Timeout
from pydantic import BaseModel

HOLDS_FOLDER = ".open"
MAX_COMMAND_CHARS = 120


class Holder(BaseModel):
    """One process that has the library open."""

    pid: int
    command: str
    since: datetime

    def describe(self) -> str:
        return f"{self.command} (process {self.pid}, since {self.since:%Y-%m-%d %H:%M} UTC)"


def _command() -> str:
    """How this process was started, e.g. "dossier watch /in" or "python -m desktop"."""
    argv = list(sys.argv) or ["python"]
    program = Path(argv[0])
    name = f"python -m {program.parent.name}" if program.name == "__main__.py" else program.name
    text = " ".join([name or "python", *argv[1:]])
    return text if len(text) <= MAX_COMMAND_CHARS else text[: MAX_COMMAND_CHARS - 1] + "…"


class Hold:
    """This process's hold on a library folder, until `release` (or the process ends)."""

    def __init__(self, folder: Path) -> None:
        holds = Path(folder) / HOLDS_FOLDER
        holds.mkdir(parents=True, exist_ok=True)
        stem = f"{os.getpid()}-{secrets.token_hex(4)}"
        self._note = holds / f"{stem}.json"
        note = Holder(pid=os.getpid(), command=_command(), since=datetime.now(UTC))
        self._note.write_text(note.model_dump_json(), encoding="utf-8")
        self._lock = FileLock(holds / f"{stem}.lock", is_singleton=False, thread_local=False)
        try:
            self._lock.acquire(timeout=0)
        except BaseException:
            self._note.unlink(missing_ok=True)
            raise

    def release(self) -> None:
        if self._lock.is_locked:
            self._lock.release()
        self._note.unlink(missing_ok=True)
        with contextlib.suppress(OSError):  # the lock file too (on Unix it stays after release)
            Path(self._lock.lock_file).unlink(missing_ok=True)


def hold_library(folder: Path) -> Hold | None:
    """A hold on `folder` for this process; None where it cannot be taken (a read-only
    folder, a file system without locks): the library still opens, unannounced."""
    try:
        return Hold(folder)
    except (OSError, Timeout):
        return None


def library_holders(folder: Path) -> list[Holder]:
    """The other live processes that have the library in `folder` open (this process's own
    holds are not listed); leftovers of processes that ended are removed on the way."""
    found = []
    for lock_path in sorted((Path(folder) / HOLDS_FOLDER).glob("*.lock")):
        note = lock_path.with_suffix(".json")
        holder = _read_note(note)
        if holder is not None and holder.pid == os.getpid():
            continue
        if _is_held(lock_path):
            found.append(holder or Holder(pid=0, command="unknown", since=datetime.now(UTC)))
        else:
            note.unlink(missing_ok=True)
    return found


def _read_note(note: Path) -> Holder | None:
    with contextlib.suppress(OSError, ValueError):
        return Holder.model_validate(json.loads(note.read_text(encoding="utf-8")))
    return None


def _is_held(lock_path: Path) -> bool:
    probe = FileLock(lock_path, is_singleton=False, thread_local=False)
    try:
        probe.acquire(timeout=0)
    except Timeout:
        return True
    except OSError:  # cannot be probed (a read-only folder): counted as held, to be safe
        return True
    probe.release()
    with contextlib.suppress(OSError):
        lock_path.unlink()
    return False
