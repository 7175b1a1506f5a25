"""Which files to read, and reading one without trusting it.

`iter_input_files` walks what the user named; `read_limited` reads one file, bounded. Both
treat the file system as hostile: special files are never opened for reading, links are
followed only by the rule in `iter_input_files`, and sizes are checked before reading.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from ..schema import FileError
from ..sidecar import SIDECAR_NAME
from .base import LOADERS, MAX_FILE_BYTES, LoadError, size_text


def iter_input_files(
    paths: list[Path],
) -> tuple[list[Path], list[FileError], list[FileError]]:
    """Expand folders; return the files to read, the paths skipped and the paths that failed.

    Every path named or found ends up in exactly one of the three lists, with its reason.

    Named paths (given by the user) are taken as asked: a named link is followed (the file is
    read, and stored, as the file it points to), a named hidden file is read, a named folder
    is walked. A named path that does not exist, a dangling link, a link loop or an
    unsupported file type fails.

    Inside a walked folder:
    - hidden entries (name starting with '.') are skipped: "hidden file (name it directly to
      add it)"; a hidden folder is skipped whole, with one line;
    - a link is followed only when its target stays inside the folder being walked (a file
      is then read as the file it points to, once, however many links reach it); a link
      leaving the folder, a dangling link and a link loop are skipped with that reason;
    - special files (FIFO, socket, device) are skipped and never opened: opening a FIFO
      blocks until someone writes to it;
    - unsupported file types are skipped; the metadata sidecar is skipped as such.
    Folders are walked without recursion, in name order, so deep trees are fine.
    """
    files: list[Path] = []
    skipped: list[FileError] = []
    failed: list[FileError] = []
    listed: dict[str, str] = {}  # real path -> path as found, for files already in `files`

    def add_file(shown: Path, real: Path, *, named: bool) -> None:
        if str(real) in listed:
            skipped.append(_error(shown, f"same file as {listed[str(real)]}"))
            return
        suffix = real.suffix.lower()
        if suffix not in LOADERS:  # read at each call: a loader registered later counts
            reason = f"unsupported file type '{suffix or '(none)'}'"
            (failed if named else skipped).append(_error(shown, reason))
            return
        listed[str(real)] = str(shown)
        # A link is read as its target, so the file's type and stored path are the target's.
        files.append(real if shown.is_symlink() else shown)

    for path in paths:
        path = Path(path)
        try:
            info = os.stat(path)  # follows links
        except OSError as exc:
            failed.append(_error(path, _missing_reason(path, exc)))
            continue
        if stat.S_ISDIR(info.st_mode):
            _walk(path, add_file, skipped, failed)
        elif stat.S_ISREG(info.st_mode):
            add_file(path, Path(os.path.realpath(path)), named=True)
        else:
            skipped.append(_error(path, _special_reason(info.st_mode)))
    return files, skipped, failed


def _walk(top: Path, add_file, skipped: list[FileError], failed: list[FileError]) -> None:
    """Depth-first walk of `top` in name order (see iter_input_files for the rules)."""
    root = Path(os.path.realpath(top))
    visited = {root}  # real folders walked, so a link cannot bring the walk back
    stack: list[tuple[Path, Path]] = [(top, root)]  # (folder as found, its real path)
    while stack:
        shown_dir, real_dir = stack.pop()
        try:
            with os.scandir(real_dir) as scan:
                # Links after the files: a file reached both ways is listed under its own name.
                entries = sorted(scan, key=lambda e: (e.is_symlink(), e.name))
        except OSError as exc:
            failed.append(_error(shown_dir, f"cannot read folder ({exc.strerror or exc})"))
            continue
        folders: list[tuple[Path, Path]] = []
        for entry in entries:
            shown = shown_dir / entry.name
            if entry.name.startswith("."):
                kind = "hidden folder" if entry.is_dir(follow_symlinks=False) else "hidden file"
                skipped.append(_error(shown, f"{kind} (name it directly to add it)"))
                continue
            try:
                if entry.is_symlink():
                    real, problem = _link_target(shown, root)
                    if problem:
                        skipped.append(_error(shown, problem))
                        continue
                    info = os.stat(real)
                else:
                    real = Path(entry.path)
                    info = entry.stat(follow_symlinks=False)
            except OSError as exc:
                failed.append(_error(shown, f"cannot read ({exc.strerror or exc})"))
                continue
            if stat.S_ISDIR(info.st_mode):
                if real == real_dir or real in real_dir.parents:
                    skipped.append(_error(shown, f"link loop (leads back to {real})"))
                    continue
                if real in visited:
                    how = "link to a folder" if entry.is_symlink() else "folder"
                    skipped.append(_error(shown, f"{how} already read ({real})"))
                    continue
                visited.add(real)
                folders.append((shown, real))
            elif stat.S_ISREG(info.st_mode):
                if entry.name == SIDECAR_NAME:  # read beside the articles, not ingested
                    skipped.append(_error(shown, "metadata sidecar (read for the files beside it)"))
                else:
                    add_file(shown, real, named=False)
            else:
                skipped.append(_error(shown, _special_reason(info.st_mode)))
        stack.extend(reversed(folders))


def _link_target(link: Path, root: Path) -> tuple[Path, str | None]:
    """Where a link found in the folder `root` leads, or why it is not followed."""
    try:
        target = os.readlink(link)
    except OSError as exc:
        return link, f"link cannot be read ({exc.strerror or exc})"
    try:
        real = link.resolve(strict=True)
    except FileNotFoundError:
        return link, f"dangling link (its target {target} does not exist)"
    except (RuntimeError, OSError) as exc:  # Python raises RuntimeError for a loop before 3.13
        if isinstance(exc, RuntimeError) or exc.errno == errno.ELOOP:
            return link, "link loop (the link leads back to itself)"
        return link, f"link cannot be followed ({exc.strerror or exc})"
    if real != root and root not in real.parents:
        return real, f"link leaving the folder (to {real}; name it directly to add it)"
    return real, None


def _missing_reason(path: Path, exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "link loop (the link leads back to itself)"
    if isinstance(exc, FileNotFoundError):
        if os.path.islink(path):
            return f"dangling link (its target {os.readlink(path)} does not exist)"
        return "no such file or folder"
    return f"cannot read ({exc.strerror or exc})"


def _special_reason(mode: int) -> str:
    kind = (
        "FIFO"
        if stat.S_ISFIFO(mode)
        else "socket"
        if stat.S_ISSOCK(mode)
        else "device"
        if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
        else "not a regular file"
    )
    return f"special file ({kind}), not read"


def _error(path: Path, reason: str) -> FileError:
    return FileError(path=str(path), reason=reason)


def read_limited(path: Path, limit: int = MAX_FILE_BYTES) -> tuple[bytes, os.stat_result]:
    """The bytes of a regular file and its stat, refusing before reading what is too large.

    Opened without blocking and checked on the open descriptor: a FIFO put in a file's place
    is refused, not waited on. The size is checked before reading, and the read itself stops
    one byte past the limit, so a file that grows or misreports its size (a sparse file, a
    /proc file) cannot fill memory.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise LoadError(f"cannot read file ({exc.strerror or exc})") from exc
    with os.fdopen(fd, "rb") as file:
        info = os.fstat(file.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise LoadError(_special_reason(info.st_mode))
        if info.st_size > limit:
            raise LoadError(
                f"file is too large ({size_text(info.st_size)}; limit {size_text(limit)})"
            )
        try:
            data = file.read(limit + 1)
        except OSError as exc:
            raise LoadError(f"cannot read file ({exc.strerror or exc})") from exc
    if len(data) > limit:
        raise LoadError(
            f"file is too large (it reported {size_text(info.st_size)}, yet more than "
            f"{size_text(limit)} could be read; limit {size_text(limit)})"
        )
    return data, info
