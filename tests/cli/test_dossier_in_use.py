"""A dossier another process has open (here a real `dossier watch` in a second process) is not
deleted or renamed under it; once that process has ended, it is."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from cli.main import EXIT_ERROR, EXIT_OK
from tests.cli.helpers import run

ROOT = Path(__file__).resolve().parents[2]
# `dossier watch` with the tests' fake embedder (no model to load in the second process), and
# Ctrl-C handled as in a terminal: a test run started in the background (`make test &` in a
# script) ignores SIGINT, its children inherit that, and Python then leaves it ignored.
WATCH = """
import signal
import sys
signal.signal(signal.SIGINT, signal.default_int_handler)
import dossier.runtime
from tests.conftest import FakeEmbedder
dossier.runtime.shared_embedder = lambda cache: FakeEmbedder()
from cli.main import main
sys.exit(main(sys.argv[1:]))
"""

pytestmark = pytest.mark.usefixtures("fake_default_embedder")


def start_watch(dossier_name: str, folder: Path, data: Path) -> subprocess.Popen:
    env = {**os.environ, "DOSSIER_DATA_DIR": str(data), "PYTHONPATH": str(ROOT)}
    # Its stderr goes to a file, with faulthandler on: a watch that does not stop can then be
    # made to say where it is stuck (`ended`).
    with (data / "watch-stderr.txt").open("w") as stderr:  # the child keeps its own copy
        process = subprocess.Popen(
            [sys.executable, "-X", "faulthandler", "-c", WATCH, "--dossier", dossier_name]
            + ["watch", str(folder), "--json"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
    line = process.stdout.readline()  # {"event": "watching", ...} once the library is open
    assert json.loads(line)["event"] == "watching", line
    return process


def ended(process: subprocess.Popen, data: Path, seconds: float = 30) -> None:
    """Wait for the watch to end; if it does not, fail with the stacks of its threads."""
    try:
        process.wait(seconds)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGABRT)  # faulthandler prints every thread's stack
        process.wait(10)
        stacks = (data / "watch-stderr.txt").read_text(encoding="utf-8", errors="replace")
        pytest.fail(f"the watch did not end within {seconds} s; its stderr:\n{stacks}")


@pytest.fixture
def watching(capsys, tmp_path, isolated_data_dir):
    """GIVEN the dossier "Ferry", open in a second process that watches a folder for it."""
    code, _, _ = run(capsys, "new", "Ferry")
    assert code == EXIT_OK
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    process = start_watch("Ferry", inbox, isolated_data_dir)
    yield process
    if process.poll() is None:
        process.kill()
    process.wait(30)
    process.stdout.close()


def test_a_dossier_open_in_another_process_is_neither_deleted_nor_renamed(capsys, watching):
    # WHEN this process deletes it, THEN that is refused, naming the process that holds it
    code, _, err = run(capsys, "delete", "Ferry", "--yes")
    assert code == EXIT_ERROR
    assert "open in another Dossier process" in err and "watch" in err
    assert f"process {watching.pid}" in err
    # AND renaming it is refused the same way
    code, _, err = run(capsys, "rename", "Ferry", "Harbour ferry")
    assert code == EXIT_ERROR and f"process {watching.pid}" in err
    # AND the dossier is still there, under its name
    code, out, _ = run(capsys, "dossiers", "--json")
    assert [d["name"] for d in json.loads(out)] == ["Demo", "Ferry"]
    assert watching.poll() is None  # the watch goes on


def test_once_the_other_process_stopped_the_dossier_can_be_deleted(
    capsys, watching, isolated_data_dir
):
    # WHEN the watch is stopped with Ctrl-C (it closes its library)
    watching.send_signal(signal.SIGINT)
    ended(watching, isolated_data_dir)
    # THEN the dossier can be renamed and deleted
    code, _, err = run(capsys, "rename", "Ferry", "Harbour ferry")
    assert code == EXIT_OK, err
    code, _, err = run(capsys, "delete", "Harbour ferry", "--yes")
    assert code == EXIT_OK, err


def test_a_process_that_was_killed_does_not_keep_the_dossier(capsys, watching, isolated_data_dir):
    # WHEN the watch is killed outright (no chance to clean up its hold)
    watching.kill()
    watching.wait(30)
    holds = list(isolated_data_dir.glob("dossiers/ferry/library/.open/*"))
    assert holds  # its leftovers are still there
    # THEN the system released its lock: the dossier is deleted all the same
    code, _, err = run(capsys, "delete", "Ferry", "--yes")
    assert code == EXIT_OK, err
