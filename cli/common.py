"""What the CLI commands share: exit codes, safe printing, JSON output, errors, progress bars."""

from __future__ import annotations

import argparse
import contextlib
import errno
import io
import json
import os
import sys
import traceback
import unicodedata
from collections.abc import Iterator

from pydantic import BaseModel

EXIT_OK = 0
EXIT_SOME_FAILED = 1  # ingest: some files failed (the rest went in); remove: no such source
EXIT_USAGE = 2  # argparse's own code for a bad command line
EXIT_ERROR = 3  # the command could not run (library unusable, disk full, model missing, ...)
EXIT_INTERNAL = 4  # a bug in Dossier: not something the user did wrong
EXIT_INTERRUPTED = 130  # Ctrl-C, as shells report SIGINT
EXIT_BROKEN_PIPE = 141  # the reader of stdout went away (`dossier sources | head`), as SIGPIPE

DEBUG_ENV = "DOSSIER_DEBUG"
MAX_K = 1000  # more passages than any answer uses; a larger --k only allocates memory

# --- printing untrusted text -------------------------------------------------------------

# Bidirectional controls reorder what follows them on screen (a name can look like another).
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# C0/C1 controls, DEL (Cc), line/paragraph separators, and the lone surrogates that
# os.fsdecode makes of non-UTF-8 file names (printing those would raise UnicodeEncodeError).
_UNSAFE_CATEGORIES = frozenset({"Cc", "Zl", "Zp", "Cs"})
_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escaped(char: str) -> str:
    if char in _SHORT:
        return _SHORT[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _unsafe(char: str) -> bool:
    return char in _BIDI or unicodedata.category(char) in _UNSAFE_CATEGORIES


def terminal_safe(text: object, *, keep_newlines: bool = False) -> str:
    """`text` made safe to print: control characters (ESC, CR, LF, DEL, C1), Unicode
    line/paragraph separators, bidi overrides and lone surrogates are shown escaped (`\\x1b`,
    `\\n`, `\\u202e`), so a file name cannot colour the terminal, move the cursor or forge an
    extra line. `keep_newlines` lets "\\n" through, for multi-line text such as an answer.
    """
    text = str(text)
    if not any(_unsafe(c) for c in text):  # the common case: nothing to copy
        return text
    return "".join(
        c if (keep_newlines and c == "\n") or not _unsafe(c) else _escaped(c) for c in text
    )


def fail(message: object) -> None:
    """One line on stderr, "dossier: <message>", safe whatever the message holds."""
    print(f"dossier: {terminal_safe(message)}", file=sys.stderr)


def passage_line(p) -> str:
    """One line per passage or citation: source id, offsets and the start of its text, escaped."""
    text = " ".join(p.text.split())[:160]
    return f"  [{p.n}] {terminal_safe(p.source_id)} {p.start}-{p.end}: {terminal_safe(text)}"


def print_answer_checks(answer, *, gap: str = "") -> None:
    """What the check found, after an answer's text: a refusal's nearest passages, or the
    sentences the sources do not support and the cited passages. `gap` opens each heading."""
    if answer.refused:
        print(f"{gap}(refused: the sources do not answer this; nearest passages:)")
        for p in answer.passages:
            print(passage_line(p))
        return
    unsupported = [s.text for s in answer.sentences if not s.supported]
    if unsupported:
        print(f"{gap}(not supported by the sources, shown for transparency:)")
        for text in unsupported:
            print(f"  ! {terminal_safe(text)}")
    if answer.citations:
        print(f"{gap}Sources:")
        for c in answer.citations:
            print(passage_line(c))


def print_file_problems(report) -> None:
    """The per-file lines of an ingest report on stderr: errors, skipped files, warnings."""
    for label, problems in (
        ("error", report.failed),
        ("skipped", report.skipped),  # not read on purpose: hidden, unsupported type, ...
        ("warning", report.warnings),  # e.g. a bad field in metadata.json, dropped
    ):
        for problem in problems:
            print(
                f"{label}: {terminal_safe(problem.path)}: {terminal_safe(problem.reason)}",
                file=sys.stderr,
            )


# --- argument types ----------------------------------------------------------------------


def number_from_1(value: str, expected: str, *, most: int | None = None) -> int:
    """`value` as a whole number from 1 (to `most`), else argparse's usage error (exit 2)
    saying "must be EXPECTED, not VALUE"."""
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1 or (most is not None and number > most):
        raise argparse.ArgumentTypeError(f"must be {expected}, not {value}")
    return number


def positive_count(value: str) -> int:
    """argparse type for --k and other counts: 1..MAX_K, else a usage error (exit 2)."""
    return number_from_1(value, f"a whole number from 1 to {MAX_K}", most=MAX_K)


def question_text(value: str) -> str:
    """argparse type for a question or query: an empty or blank one is a usage error."""
    if not value.strip():
        raise argparse.ArgumentTypeError("must not be empty or only spaces")
    return value


class Parser(argparse.ArgumentParser):
    """ArgumentParser whose error lines are terminal-safe, and whose `literal_dashes`
    subcommands take an argument starting with "-" (a source id such as "-abc") as a value
    unless it is exactly one of their options.
    """

    literal_dashes = False

    def error(self, message: str):
        # argparse echoes unrecognised arguments as typed: an ESC in one would reach the tty.
        super().error(terminal_safe(message))

    def _parse_optional(self, arg_string):
        # Only ever answers "a value" (None) itself; everything else is argparse's own parse,
        # so its version-specific return shape is untouched. "--" never reaches this method.
        if self.literal_dashes and arg_string.startswith("-"):
            name = arg_string.split("=", 1)[0]
            if name not in self._option_string_actions:
                return None
        return super()._parse_optional(arg_string)


# --- errors ------------------------------------------------------------------------------

_OS_HINTS = {
    errno.ENOSPC: "the disk is full: free some space and run the command again",
    errno.EDQUOT: "the disk quota is exceeded: free some space and run the command again",
    errno.ENOTDIR: "a file is in the way where a folder is needed",
    errno.EEXIST: "a file is in the way where a folder is needed",
    errno.EROFS: "the disk is read-only",
}


def describe_os_error(exc: OSError) -> str:
    """'<path>: <what went wrong>' for an OSError, naming both paths of a rename or copy."""
    what = exc.strerror or str(exc)
    hint = _OS_HINTS.get(exc.errno)
    if hint:
        what = f"{what} ({hint})"
    paths = [_path_text(p) for p in (exc.filename, exc.filename2) if p is not None]
    return f"{' -> '.join(paths)}: {what}" if paths else what


def _path_text(path) -> str:
    # An OSError's filename is usually a str, but may be bytes, a PathLike or a descriptor.
    return os.fsdecode(path) if isinstance(path, str | bytes | os.PathLike) else str(path)


# Errors the user can act on (exit 3) besides OSError: (module, class) of each family.
_USER_ERRORS = (
    ("retrieval.errors", "LibraryError"),  # LibraryMismatch, LibraryLocked, DiskFull, ...
    ("models.resolve", "ModelError"),  # unknown model, not installed, checksum, not GGUF
    ("models.embedding_model", "ModelPackageMissing"),  # the embedding model package is missing
    ("dossier.conversations", "ConversationsError"),  # saved conversations damaged, read-only
    ("dossier.dossiers", "DossierError"),  # an unknown, taken or invalid dossier name
    ("dossier.notes", "NotesError"),  # notes damaged, read-only, disk full
)


def user_error_message(exc: BaseException) -> str | None:
    """The message for an error the user can act on (exit 3), or None for a bug."""
    # Looked up, not imported: an exception can only be of a class whose module is loaded,
    # and reporting an error must not import (or fail to import) anything.
    known = tuple(
        getattr(sys.modules[module], name) for module, name in _USER_ERRORS if module in sys.modules
    )
    if known and isinstance(exc, known):
        return str(exc)
    if isinstance(exc, OSError):
        return describe_os_error(exc)
    return None


def report_error(exc: BaseException) -> int:
    """Print one line for `exc` (the traceback too with $DOSSIER_DEBUG) and return the exit code."""
    debug = os.environ.get(DEBUG_ENV, "") not in ("", "0")
    if debug:
        traceback.print_exception(exc, file=sys.stderr)
    message = user_error_message(exc)
    if message is not None:
        fail(message)
        return EXIT_ERROR
    hint = "" if debug else f" (set {DEBUG_ENV}=1 for the traceback)"
    fail(f"internal error: {type(exc).__name__}: {exc}{hint}")
    return EXIT_INTERNAL


def silence_broken_pipe() -> int:
    """After the reader of stdout went away: point stdout at /dev/null, so the interpreter's
    final flush does not raise again, and exit as a pipeline expects (no message)."""
    with contextlib.suppress(OSError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    return EXIT_BROKEN_PIPE


# --- JSON output -------------------------------------------------------------------------

_json_buffer: io.StringIO | None = None  # set while stdout is reserved for the JSON document


def print_json(value) -> None:
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json")
    out = _json_buffer if _json_buffer is not None else sys.stdout
    json.dump(value, out, ensure_ascii=False, indent=2)
    out.write("\n")


def _flush_everything() -> None:
    """Flush Python's streams and C stdio, so no buffered bytes change destination later."""
    for stream in {id(s): s for s in (sys.stdout, sys.__stdout__, sys.stderr) if s}.values():
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    with contextlib.suppress(Exception):  # no libc by that name (Windows): nothing to flush
        import ctypes

        ctypes.CDLL(None).fflush(None)


@contextlib.contextmanager
def json_only_stdout(enabled: bool) -> Iterator[None]:
    """While a --json command runs, whatever else is written to stdout goes to stderr.

    Libraries print to stdout (nncf's progress bars while the embedder is quantised; C++ code
    writes to file descriptor 1 directly), which would break the JSON for a script. So both
    `sys.stdout` and fd 1 point at stderr; `print_json` keeps the document, and it is written
    to the real stdout once everything else has been flushed where it belongs.
    """
    global _json_buffer
    if not enabled:
        yield
        return
    _flush_everything()
    saved_stdout = sys.stdout
    saved_fd = _redirect_fd(1, to=2)
    _json_buffer = io.StringIO()
    sys.stdout = sys.stderr
    try:
        yield
    finally:
        _flush_everything()
        sys.stdout = saved_stdout
        if saved_fd is not None:
            os.dup2(saved_fd, 1)
            os.close(saved_fd)
        document, _json_buffer = _json_buffer.getvalue(), None
        saved_stdout.write(document)
        saved_stdout.flush()


def _redirect_fd(fd: int, *, to: int) -> int | None:
    """Point `fd` at `to`; return a copy of the old `fd` to restore, or None if either is
    closed (then only sys.stdout is redirected)."""
    try:
        saved = os.dup(fd)
    except OSError:
        return None
    try:
        os.dup2(to, fd)
    except OSError:
        os.close(saved)
        return None
    return saved


# --- progress and the library ------------------------------------------------------------


def progress_bar(enabled: bool):
    """A tqdm bar on stderr fed by IngestProgress events, or a no-op."""
    if not enabled:
        return None, lambda: None
    from tqdm import tqdm

    bar = tqdm(total=0, unit="file", file=sys.stderr, dynamic_ncols=True, leave=False)

    def update(event) -> None:
        bar.total = event.files_total
        bar.n = event.files_done
        bar.set_postfix_str(f"{event.chunks_done} chunks", refresh=False)
        bar.refresh()

    return update, bar.close


def step_bar(enabled: bool, unit: str):
    """A tqdm bar on stderr fed by (done, total, label) progress calls, or a no-op."""
    if not enabled:
        return None, lambda: None
    from tqdm import tqdm

    bar = tqdm(total=0, unit=unit, file=sys.stderr, dynamic_ncols=True, leave=False)

    def update(done: int, total: int, label: str) -> None:
        bar.total = total
        bar.n = done
        bar.set_description_str(terminal_safe(label)[:40], refresh=False)
        bar.refresh()

    return update, bar.close


def runtime_of(args):
    """The core's construction point for these arguments, made once per command."""
    if getattr(args, "_runtime", None) is None:
        from dossier.runtime import Runtime, Settings

        settings = Settings.resolve(
            data=args.data_dir,
            dossier=getattr(args, "dossier", None),
            model=getattr(args, "model", None),
            k=getattr(args, "k", None),
            allow_remote=args.allow_remote,
            library=getattr(args, "library", None),
        )
        args._runtime = Runtime(settings)
    return args._runtime


def open_cli_library(args, *, quiet: bool = False):
    runtime = runtime_of(args)
    runtime.on_lock_wait = lambda message: fail(message)  # said while it waits, on stderr
    update, close = progress_bar(not quiet and sys.stderr.isatty())
    try:
        return runtime.library(progress=update)
    finally:
        close()
