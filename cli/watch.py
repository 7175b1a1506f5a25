"""`dossier watch`: ingest the files that arrive in a folder, in the foreground until Ctrl-C;
`--attach`/`--detach`/`--status`: the folder the desktop app watches."""

from __future__ import annotations

import contextlib
import io
import json
import os
import queue
import sys
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

from .common import (
    EXIT_ERROR,
    EXIT_OK,
    EXIT_USAGE,
    fail,
    json_only_stdout,
    open_cli_library,
    print_file_problems,
    progress_bar,
    runtime_of,
    terminal_safe,
)

POLL_S = 0.5  # how often the foreground loop looks up from waiting (Ctrl-C is seen at once)

Emit = Callable[[dict], None] | None  # writes one JSON object per line; None: human lines


def add_parsers(sub) -> None:
    p = sub.add_parser(
        "watch",
        help="ingest files added to or changed in a folder as they arrive (until Ctrl-C); "
        "--attach/--detach/--status: the folder the desktop app watches",
        description="Files added to or changed in FOLDER (or its subfolders) are ingested once "
        "they have stopped changing for a second, with the same per-file errors as `dossier "
        "ingest`; first, what the folder already holds is ingested (unchanged files are "
        "skipped). Deleting a file from the folder removes nothing from the library.",
    )
    group = p.add_mutually_exclusive_group()
    group.add_argument(
        "folder",
        nargs="?",
        type=Path,
        metavar="FOLDER",
        help="the folder to watch in the foreground (default: the attached folder)",
    )
    group.add_argument(
        "--attach",
        type=Path,
        metavar="FOLDER",
        help="attach FOLDER to the library: the desktop app watches it while it runs",
    )
    group.add_argument("--detach", action="store_true", help="stop watching the attached folder")
    group.add_argument("--status", action="store_true", help="show the attached folder")
    # Not `dest="json"`: main() would then hold stdout back for one document at the end, but a
    # watch prints one JSON object per line as batches are ingested (see _json_lines).
    p.add_argument(
        "--json",
        dest="json_lines",
        action="store_true",
        help="one JSON object per line: watching, catch_up, batch (the ingest report of each)",
    )


def cmd_watch(args) -> int:
    with _json_lines(args.json_lines) as emit:
        setting = runtime_of(args).watch_setting()
        if args.attach is not None:
            return _attach(setting, args.attach, emit)
        if args.detach:
            previous = setting.detach()
            _say(emit, {"folder": None, "detached": _text(previous)}, _detached_line(previous))
            return EXIT_OK
        if args.status:
            folder = setting.attached()
            line = f"watched folder: {terminal_safe(folder)}" if folder else "no folder attached"
            _say(emit, {"folder": _text(folder), "setting": str(setting.file)}, line)
            return EXIT_OK
        return _watch(args, setting, emit)


def _attach(setting, folder: Path, emit: Emit) -> int:
    from dossier.watch import WatchError

    try:
        attached = setting.attach(folder)
    except WatchError as exc:
        fail(exc)
        return EXIT_ERROR
    line = f"attached {terminal_safe(attached)}: the desktop app ingests what arrives there"
    _say(emit, {"folder": str(attached), "attached": True}, line)
    return EXIT_OK


def _detached_line(previous: Path | None) -> str:
    return f"detached {terminal_safe(previous)}" if previous else "no folder was attached"


def _watch(args, setting, emit: Emit) -> int:
    from dossier.watch import FolderWatcher, WatchError, check_folder

    folder = args.folder or setting.attached()
    if folder is None:
        fail("no folder to watch: name one (dossier watch FOLDER) or attach one (--attach)")
        return EXIT_USAGE
    try:
        folder = check_folder(folder, library_folder=setting.library_folder)
    except WatchError as exc:
        fail(exc)
        return EXIT_ERROR
    library = open_cli_library(args, quiet=emit is not None)
    batches: queue.Queue = queue.Queue()
    watcher = FolderWatcher(folder, batches.put)
    watcher.start()  # hands over the whole folder first: the catch-up
    try:
        watcher.started.wait()
        if watcher.error is not None:
            raise watcher.error  # an OSError: one line and exit 3, as for other commands
        _say(emit, {"event": "watching", "folder": str(folder)}, None)
        if emit is None:
            print(f"watching {terminal_safe(folder)} (Ctrl-C stops)", file=sys.stderr)
        while True:  # until Ctrl-C: main() reports it and exits 130
            try:
                batch = batches.get(timeout=POLL_S)
            except queue.Empty:
                continue
            update, close = progress_bar(emit is None)
            try:
                report = library.ingest(batch.paths, progress=update)
            finally:
                close()
            _report(batch, report, emit)
    finally:
        watcher.stop()


def _report(batch, report, emit: Emit) -> None:
    event = "catch_up" if batch.catch_up else "batch"
    if emit is not None:
        paths = [str(p) for p in batch.paths]
        emit({"event": event, "folder": str(batch.folder), "paths": paths, **_dump(report)})
        return
    print_file_problems(report)
    what = "catch-up" if batch.catch_up else ", ".join(terminal_safe(p.name) for p in batch.paths)
    print(
        f"{datetime.now():%H:%M:%S} {what}: {len(report.added)} added, "
        f"{len(report.replaced)} replaced, {len(report.unchanged)} unchanged, "
        f"{len(report.failed)} failed; {report.chunks_added} chunks indexed",
        flush=True,
    )


def _dump(report) -> dict:
    return report.model_dump(mode="json")


def _text(path: Path | None) -> str | None:
    return str(path) if path is not None else None


def _say(emit: Emit, document: dict, line: str | None) -> None:
    if emit is not None:
        emit(document)
    elif line is not None:
        print(line)


@contextlib.contextmanager
def _json_lines(enabled: bool) -> Iterator[Emit]:
    """With --json: a function writing one JSON object per line to stdout, flushed at once,
    while anything else written to stdout (a library's progress output) goes to stderr, as
    `json_only_stdout` does for commands that print one document at the end."""
    if not enabled:
        yield None
        return
    stream, owned = _stdout_copy()
    try:
        with json_only_stdout(True):

            def emit(document: dict) -> None:
                stream.write(json.dumps(document, ensure_ascii=False) + "\n")
                stream.flush()

            yield emit
    finally:
        if owned:
            stream.close()


def _stdout_copy():
    """A stream on the real stdout that stays there when fd 1 is pointed at stderr, and
    whether it is ours to close (a stdout without a descriptor, as in tests, is used as is)."""
    sys.stdout.flush()
    try:
        fd = os.dup(sys.stdout.fileno())
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return sys.stdout, False
    return os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace"), True


COMMANDS = {"watch": cmd_watch}
