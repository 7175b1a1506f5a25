"""`dossier watch`: the stored folder (--attach, --detach, --status) and the foreground watch,
in process with the fake embedder; Ctrl-C is delivered as the terminal would (SIGINT)."""

from __future__ import annotations

import _thread
import io
import json
import signal
import sys
import threading

import pytest

from cli.common import EXIT_ERROR, EXIT_INTERRUPTED
from cli.main import EXIT_OK, EXIT_USAGE, main
from tests.cli.helpers import run

ARTICLE = (
    "Harbour Council Approves New Ferry Route\n\n"
    "The harbour council voted on Tuesday to approve a new ferry route between the old port "
    "and the northern islands. The first ferry will sail in spring, the council said.\n"
)
WAIT_S = 60


pytestmark = pytest.mark.usefixtures("fake_default_embedder")


class Stdout(io.StringIO):
    """stdout that another thread can wait on, for a line the command prints."""

    def __init__(self) -> None:
        super().__init__()
        self._written = threading.Condition()

    def write(self, text: str) -> int:
        with self._written:
            n = super().write(text)
            self._written.notify_all()
            return n

    def wait_for(self, needle: str) -> bool:
        with self._written:
            return self._written.wait_for(lambda: needle in self.getvalue(), timeout=WAIT_S)


def watch_until(monkeypatch, argv, steps):
    """Run `dossier watch ...` in this thread while `steps(stdout)` acts on another, then
    press Ctrl-C (always, so a failing step cannot leave the command running)."""
    stdout = Stdout()
    monkeypatch.setattr(sys, "stdout", stdout)
    problems = []

    def drive():
        try:
            steps(stdout)
        except BaseException as exc:  # reported by the test after the command stopped
            problems.append(exc)
        finally:
            _thread.interrupt_main()  # what Ctrl-C does

    # A process started in the background by a non-interactive shell ignores SIGINT, and
    # interrupt_main() then does nothing: the terminal's Ctrl-C handler is set explicitly.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    threading.Thread(target=drive, daemon=True).start()
    try:
        code = main(argv)
    finally:
        signal.signal(signal.SIGINT, previous)
    if problems:
        raise problems[0]
    return code, stdout.getvalue()


def test_attach_status_and_detach_share_the_setting(capsys, tmp_path):
    folder = tmp_path / "inbox"
    folder.mkdir()
    folder = folder.resolve()  # as the watcher reports it
    code, out, _ = run(capsys, "watch", "--status", "--json")
    assert code == EXIT_OK and json.loads(out)["folder"] is None
    code, out, _ = run(capsys, "watch", "--attach", str(folder), "--json")
    assert code == EXIT_OK and json.loads(out) == {"folder": str(folder), "attached": True}
    code, out, _ = run(capsys, "watch", "--status")
    assert code == EXIT_OK and out.strip() == f"watched folder: {folder}"
    code, out, _ = run(capsys, "watch", "--detach", "--json")
    assert code == EXIT_OK and json.loads(out)["detached"] == str(folder)
    code, out, _ = run(capsys, "watch", "--status", "--json")
    assert json.loads(out)["folder"] is None


def test_a_folder_that_cannot_be_watched_is_named(capsys, tmp_path):
    missing = tmp_path / "nowhere"
    code, _, err = run(capsys, "watch", "--attach", str(missing))
    assert code == EXIT_ERROR and str(missing) in err
    code, _, err = run(capsys, "watch", str(missing))
    assert code == EXIT_ERROR and str(missing) in err


def test_watch_without_a_folder_needs_one_attached(capsys):
    code, _, err = run(capsys, "watch")
    assert code == EXIT_USAGE and "--attach" in err


def test_watch_json_reports_the_catch_up_then_each_new_file_until_ctrl_c(monkeypatch, tmp_path):
    folder = tmp_path / "inbox"
    folder.mkdir()
    folder = folder.resolve()  # as the watcher reports it
    (folder / "before.txt").write_text(ARTICLE)
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4 not really a pdf \x00\xff" * 10)
    new = folder / "new.txt"

    def steps(stdout):
        assert stdout.wait_for('"event": "catch_up"')
        new.write_text(ARTICLE.replace("ferry", "tram").replace("Ferry", "Tram"))
        assert stdout.wait_for(f'"paths": ["{new}"]')

    code, out = watch_until(monkeypatch, ["watch", str(folder), "--json"], steps)
    assert code == EXIT_INTERRUPTED
    lines = [json.loads(line) for line in out.splitlines()]  # stdout holds JSON lines only
    assert [line["event"] for line in lines] == ["watching", "catch_up", "batch"]
    catch_up, batch = lines[1], lines[2]
    assert catch_up["added"] == ["before"]
    assert [f["path"] for f in catch_up["failed"]] == [str(folder / "broken.pdf")]
    assert batch["added"] == ["new"] and batch["failed"] == []
    assert set(batch) >= {"folder", "paths", "added", "replaced", "unchanged", "chunks_added"}


def test_watch_prints_a_line_per_batch_and_watches_the_attached_folder(
    capsys, monkeypatch, tmp_path
):
    folder = tmp_path / "inbox"
    folder.mkdir()
    folder = folder.resolve()  # as the watcher reports it
    assert run(capsys, "watch", "--attach", str(folder))[0] == EXIT_OK
    new = folder / "new.txt"

    def steps(stdout):
        assert stdout.wait_for("catch-up: 0 added")
        new.write_text(ARTICLE)
        assert stdout.wait_for("new.txt: 1 added")

    code, out = watch_until(monkeypatch, ["watch"], steps)
    assert code == EXIT_INTERRUPTED
    assert "interrupted" in capsys.readouterr().err
