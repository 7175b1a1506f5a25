"""The CLI's exit codes and messages: errors the user can act on, bugs, bad arguments, names
that try to take over the terminal, and --json output that nothing else can corrupt."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import textwrap

import pytest

import dossier.models
import dossier.runtime
from cli.common import (
    EXIT_BROKEN_PIPE,
    EXIT_ERROR,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_SOME_FAILED,
    EXIT_USAGE,
    terminal_safe,
)
from cli.main import main
from retrieval import errors
from retrieval.library import Library
from retrieval.schema import FileError, IngestReport
from tests.conftest import REPO
from tests.fakes import ScriptedLLM

ESC = "\x1b"


pytestmark = pytest.mark.usefixtures("fake_default_embedder")


def run(capsys, *argv):
    """Exit code, stdout and stderr of one CLI call; a usage error's SystemExit included."""
    try:
        code = main(list(argv))
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err


def after_progress(err: str) -> str:
    """stderr without the progress bar, which ends by erasing itself with a carriage return."""
    return err.rsplit("\r", 1)[-1]


def open_library_raises(monkeypatch, exc: BaseException) -> None:
    def fail(*args, **kwargs):
        raise exc

    monkeypatch.setattr(dossier.runtime, "open_library", fail)


# --- terminal_safe -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("char", "shown"),
    [
        ("\x1b", "\\x1b"),
        ("\n", "\\n"),
        ("\r", "\\r"),
        ("\t", "\\t"),
        ("\x00", "\\x00"),
        ("\x7f", "\\x7f"),  # DEL
        ("\x85", "\\x85"),  # C1 next line
        ("\x9b", "\\x9b"),  # C1 control sequence introducer: ESC [ in one byte
        ("\u2028", "\\u2028"),  # line separator
        ("\u2029", "\\u2029"),  # paragraph separator
        ("\u202e", "\\u202e"),  # right-to-left override
        ("\u2066", "\\u2066"),  # left-to-right isolate
        ("\u200f", "\\u200f"),  # right-to-left mark
        ("\udcff", "\\udcff"),  # a non-UTF-8 byte in a file name, as os.fsdecode gives it
    ],
)
def test_terminal_safe_escapes_each_unsafe_character(char, shown):
    assert terminal_safe(f"a{char}b") == f"a{shown}b"


def test_terminal_safe_leaves_ordinary_names_alone():
    name = "Übersicht – 東京 «report» café ✓ (2).txt"
    assert terminal_safe(name) == name


def test_terminal_safe_keeps_newlines_only_when_asked():
    assert terminal_safe("one\ntwo\x1b[2J", keep_newlines=True) == "one\ntwo\\x1b[2J"
    assert terminal_safe("one\ntwo") == "one\\ntwo"


# --- names in human-readable output ------------------------------------------------------


def test_forged_file_name_prints_exactly_one_escaped_line(capsys, tmp_path):
    (tmp_path / "ok.txt").write_text("Ferry Service Resumes\nThe ferry service resumed on Sunday.")
    forged = "evil\nerror: passwd: forged \x1b[31mred.txt"
    (tmp_path / forged).write_text("")  # empty: reported as a failure, by name

    code, out, err = run(capsys, "ingest", str(tmp_path))

    assert code == EXIT_SOME_FAILED
    assert ESC not in out + err
    error_lines = [line for line in err.splitlines() if line.startswith("error:")]
    shown = str(tmp_path / "evil\\nerror: passwd: forged \\x1b[31mred.txt")
    assert error_lines == [f"error: {shown}: file is empty"]
    assert "1 added" in out and "1 failed" in out


def test_source_ids_and_titles_are_escaped_in_lines_but_exact_in_json(capsys, tmp_path):
    name = "a\x1b[31mb"
    (tmp_path / f"{name}.txt").write_text("Red \x1b[31mAlert\nThe ferry service resumed.")
    assert run(capsys, "ingest", str(tmp_path / f"{name}.txt"))[0] == EXIT_OK

    code, out, _ = run(capsys, "sources")
    assert code == EXIT_OK and ESC not in out
    assert "a\\x1b[31mb\t" in out and "Red \\x1b[31mAlert" in out

    code, out, _ = run(capsys, "sources", "--json")
    assert name in [s["id"] for s in json.loads(out)]

    code, out, _ = run(capsys, "search", "ferry service", "--k", "8")
    assert code == EXIT_OK and ESC not in out and "a\\x1b[31mb " in out

    code, out, _ = run(capsys, "remove", name)
    assert (code, out) == (EXIT_OK, "removed a\\x1b[31mb\n")


# --- errors the user can act on: exit 3, one line, no traceback ---------------------------


@pytest.mark.parametrize(
    "error_class",
    [
        errors.LibraryMissing,
        errors.LibraryDamaged,
        errors.LibraryLocked,
        errors.LibraryReadOnly,
        errors.LibraryUnavailable,
        errors.DiskFull,
        errors.LibraryMismatch,
    ],
)
@pytest.mark.parametrize("json_flag", [[], ["--json"]])
def test_library_errors_exit_3_with_their_message(capsys, monkeypatch, error_class, json_flag):
    message = "The library in /data/lib cannot be used: do this."
    open_library_raises(monkeypatch, error_class(message))

    code, out, err = run(capsys, "sources", *json_flag)

    assert code == EXIT_ERROR
    assert err == f"dossier: {message}\n"
    assert out == ""


def test_library_mismatch_from_its_old_import_path_exits_3(capsys, monkeypatch):
    from retrieval.store import LibraryMismatch

    open_library_raises(monkeypatch, LibraryMismatch("Run `dossier reindex`."))
    assert run(capsys, "sources") == (EXIT_ERROR, "", "dossier: Run `dossier reindex`.\n")


def test_a_path_in_an_error_message_cannot_forge_lines(capsys, monkeypatch):
    open_library_raises(monkeypatch, errors.LibraryLocked("Busy: /data/x\nerror: forged\x1b[2J"))
    code, _, err = run(capsys, "sources")
    assert code == EXIT_ERROR
    assert err == "dossier: Busy: /data/x\\nerror: forged\\x1b[2J\n"


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (
            PermissionError(errno.EACCES, "Permission denied", "/data/lib"),
            "dossier: /data/lib: Permission denied\n",
        ),
        (
            OSError(errno.ENOSPC, "No space left on device", "/data/lib/library.sqlite3"),
            "dossier: /data/lib/library.sqlite3: No space left on device "
            "(the disk is full: free some space and run the command again)\n",
        ),
        (
            NotADirectoryError(errno.ENOTDIR, "Not a directory", "/data/file/library"),
            "dossier: /data/file/library: Not a directory "
            "(a file is in the way where a folder is needed)\n",
        ),
        (
            FileExistsError(errno.EEXIST, "File exists", "/data/file"),
            "dossier: /data/file: File exists (a file is in the way where a folder is needed)\n",
        ),
        (
            OSError(errno.EXDEV, "Invalid cross-device link", "/a/x", None, "/b/x"),
            "dossier: /a/x -> /b/x: Invalid cross-device link\n",
        ),
    ],
)
def test_os_errors_exit_3_naming_the_path(capsys, monkeypatch, exc, expected):
    open_library_raises(monkeypatch, exc)
    assert run(capsys, "sources") == (EXIT_ERROR, "", expected)


@pytest.mark.parametrize("command", [["sources"], ["reindex"], ["search", "ferry"]])
def test_data_dir_that_is_a_file_exits_3_naming_it(capsys, tmp_path, command):
    not_a_folder = tmp_path / "notes.txt"
    not_a_folder.write_text("a file, not a folder")

    code, out, err = run(capsys, "--data-dir", str(not_a_folder), *command)

    assert code == EXIT_ERROR and out == ""
    message = after_progress(err)
    assert message.startswith("dossier: ") and str(not_a_folder) in message
    assert len(message.splitlines()) == 1 and "Traceback" not in err


def test_unknown_model_exits_3_with_the_model_message(capsys, tmp_path):
    missing = tmp_path / "no-such-model.gguf"
    code, out, err = run(capsys, "ask", "What happened?", "--model", str(missing))
    assert code == EXIT_ERROR
    assert err.startswith("dossier: No model named") and str(missing) in err
    assert len(err.splitlines()) == 1


def test_bad_question_file_exits_3_naming_it(capsys, tmp_path):
    questions = tmp_path / "qa.jsonl"
    questions.write_text('{"id": "q1"}\n')
    code, out, err = run(capsys, "eval", str(questions))
    assert code == EXIT_ERROR
    assert err.startswith(f"dossier: {questions} is not a question file")
    assert "question" in err.split(":", 2)[2] and len(err.splitlines()) == 1


# --- bugs: exit 4 ------------------------------------------------------------------------


def test_unexpected_exception_is_an_internal_error_exit_4(capsys, monkeypatch):
    monkeypatch.delenv("DOSSIER_DEBUG", raising=False)
    open_library_raises(monkeypatch, ZeroDivisionError("division by zero"))
    code, out, err = run(capsys, "sources")
    assert code == EXIT_INTERNAL and out == ""
    assert err == (
        "dossier: internal error: ZeroDivisionError: division by zero "
        "(set DOSSIER_DEBUG=1 for the traceback)\n"
    )


def test_debug_prints_the_traceback_of_an_internal_error(capsys, monkeypatch):
    monkeypatch.setenv("DOSSIER_DEBUG", "1")
    open_library_raises(monkeypatch, ZeroDivisionError("division by zero"))
    code, _, err = run(capsys, "sources")
    assert code == EXIT_INTERNAL
    assert err.startswith("Traceback (most recent call last):")
    assert err.splitlines()[-1] == "dossier: internal error: ZeroDivisionError: division by zero"


def test_interrupt_exits_130(capsys, monkeypatch):
    open_library_raises(monkeypatch, KeyboardInterrupt())
    assert run(capsys, "sources") == (EXIT_INTERRUPTED, "", "dossier: interrupted\n")


def test_closed_pipe_exits_quietly(capsys, monkeypatch):
    # `dossier sources | head -1`: the reader left; that is neither an error nor a bug.
    open_library_raises(monkeypatch, BrokenPipeError(errno.EPIPE, "Broken pipe"))
    assert run(capsys, "sources") == (EXIT_BROKEN_PIPE, "", "")


# --- bad arguments: exit 2 ---------------------------------------------------------------


@pytest.mark.parametrize("k", ["-3", "0", "x", "2.5", "1001"])
@pytest.mark.parametrize(
    "command", [["search", "ferry"], ["ask", "What happened?"], ["chat"], ["eval", "qa.jsonl"]]
)
def test_k_must_be_a_positive_count(capsys, command, k):
    code, out, err = run(capsys, *command, "--k", k)
    assert code == EXIT_USAGE and out == ""
    assert f"argument --k: must be a whole number from 1 to 1000, not {k}" in err


@pytest.mark.parametrize(
    ("command", "argument"),
    [(["ask", ""], "question"), (["ask", " \t\n"], "question"), (["search", "  "], "query")],
)
def test_blank_question_is_a_usage_error(capsys, command, argument):
    code, out, err = run(capsys, *command)
    assert code == EXIT_USAGE and out == ""
    assert f"argument {argument}: must not be empty or only spaces" in err


def test_chat_does_not_search_for_a_blank_line(capsys, monkeypatch):
    llm = ScriptedLLM([])  # any question reaching the model fails the test
    monkeypatch.setattr(dossier.models, "shared_llm", lambda spec, options: llm)
    lines = iter(["   ", ""])
    monkeypatch.setattr("builtins.input", lambda prompt="": next(lines))

    code, _, err = run(capsys, "chat")

    assert code == EXIT_OK and llm.calls == []
    assert "(the question is only spaces: type one, or an empty line to quit)" in err


def test_unrecognised_arguments_are_echoed_escaped(capsys):
    code, _, err = run(capsys, "sources", "\x1b[31mred")
    assert code == EXIT_USAGE
    assert ESC not in err and "unrecognized arguments: \\x1b[31mred" in err


# --- source ids starting with "-" --------------------------------------------------------


def test_remove_takes_a_source_id_starting_with_a_dash(capsys, tmp_path):
    for name in ["-abc", "-hello", "-xyz"]:
        (tmp_path / f"{name}.txt").write_text(f"Story {name}\nThe ferry service resumed.")
    assert run(capsys, "ingest", str(tmp_path))[0] == EXIT_OK

    assert run(capsys, "remove", "-abc") == (EXIT_OK, "removed -abc\n", "")
    code, out, _ = run(capsys, "remove", "--json", "-hello")
    assert code == EXIT_OK and json.loads(out) == {"source_id": "-hello", "removed": True}
    code, out, _ = run(capsys, "remove", "-xyz", "--json")
    assert code == EXIT_OK and json.loads(out) == {"source_id": "-xyz", "removed": True}
    code, _, err = run(capsys, "remove", "-abc")  # already gone
    assert code == EXIT_SOME_FAILED
    assert err == "dossier: no source with id '-abc' (see `dossier sources`)\n"
    code, _, err = run(capsys, "remove", "--", "-abc")  # the classic spelling still parses
    assert code == EXIT_SOME_FAILED and "'-abc'" in err


def test_remove_help_still_works(capsys):
    code, out, _ = run(capsys, "remove", "-h")
    assert code == EXIT_OK and out.startswith("usage: dossier remove")


def test_summarize_takes_a_source_id_starting_with_a_dash(capsys):
    code, _, err = run(capsys, "summarize", "-nope", "--model=tiny")
    assert code == EXIT_USAGE
    assert err == "dossier: no source with id -nope (see `dossier sources`)\n"


# --- skipped files -----------------------------------------------------------------------


def test_skipped_files_are_listed_and_counted_but_do_not_fail(capsys, monkeypatch, tmp_path):
    report = IngestReport(
        added=["ok"],
        chunks_added=1,
        skipped=[FileError(path="/in/photo\x1b[1m.jpg", reason="not a supported file type")],
    )
    monkeypatch.setattr(Library, "ingest", lambda self, paths, **kw: report)

    code, out, err = run(capsys, "ingest", str(tmp_path))
    assert code == EXIT_OK
    assert after_progress(err) == "skipped: /in/photo\\x1b[1m.jpg: not a supported file type\n"
    assert "0 failed, 1 skipped;" in out

    code, out, _ = run(capsys, "ingest", str(tmp_path), "--json")
    assert json.loads(out)["skipped"] == [
        {"path": "/in/photo\x1b[1m.jpg", "reason": "not a supported file type"}
    ]


# --- --json: the document is the only thing on stdout ------------------------------------

NOISY_RUN = textwrap.dedent(
    """
    import ctypes, os, sys

    import dossier.runtime
    from cli.main import main
    from tests.conftest import FakeEmbedder


    class NoisyEmbedder(FakeEmbedder):
        # What a first run does: nncf's progress bars on sys.stdout, OpenVINO's C++ on fd 1.
        def embed(self, texts):
            print("python progress bar 100%")
            os.write(1, b"fd 1 from C++\\n")
            ctypes.CDLL(None).printf(b"C stdio, buffered\\n")
            return super().embed(texts)


    dossier.runtime.shared_embedder = lambda cache: NoisyEmbedder()
    sys.exit(main(sys.argv[1:]))
    """
)


@pytest.mark.parametrize("command", [["sources", "--json"], ["search", "ferry", "--json"]])
def test_json_stdout_holds_only_the_document_whatever_libraries_print(tmp_path, command):
    env = {**os.environ, "DOSSIER_DATA_DIR": str(tmp_path / "data"), "PYTHONPATH": str(REPO)}
    # As a user runs it: C stdio buffers stdout in a pipe (PYTHONUNBUFFERED would turn that off).
    env.pop("PYTHONUNBUFFERED", None)
    result = subprocess.run(
        [sys.executable, "-c", NOISY_RUN, *command],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == EXIT_OK, result.stderr
    json.loads(result.stdout)  # the whole of stdout is one JSON document
    for noise in ["python progress bar 100%", "fd 1 from C++", "C stdio, buffered"]:
        assert noise in result.stderr and noise not in result.stdout
