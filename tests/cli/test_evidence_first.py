"""Evidence first in the terminal: `ask` and `chat` list the passages being read (on stderr)
before the answer streams; `--json` is unchanged. In process, with fakes."""

from __future__ import annotations

import builtins
import json

import pytest

from cli.main import EXIT_OK, main

QUESTION = "What does ATACMS stand for?"
ANSWER = "ATACMS stands for the Army's Tactical Missile System"


pytestmark = pytest.mark.usefixtures("fake_default_embedder")


@pytest.fixture
def events(monkeypatch):
    """What the CLI shows, in order: ("reading", passages) lists and ("token", piece) prints."""
    import cli.answers

    log: list[tuple[str, object]] = []
    reading_printer, print_token = cli.answers._reading_printer, cli.answers._print_token

    def recording_printer(library):
        show = reading_printer(library)
        return lambda passages: (log.append(("reading", passages)), show(passages))

    monkeypatch.setattr(cli.answers, "_reading_printer", recording_printer)

    def recording_print_token(piece):
        log.append(("token", piece))
        print_token(piece)

    monkeypatch.setattr(cli.answers, "_print_token", recording_print_token)
    return log


@pytest.fixture
def scripted_model(monkeypatch):
    """Cites the Tactical Missile System passage for "stand for", refuses anything else."""
    import dossier.models
    from tests.fakes import ScriptedLLM, citing_reply

    llm = ScriptedLLM(
        citing_reply("stand for", "Tactical Missile System", ANSWER, condensed=QUESTION)
    )
    monkeypatch.setattr(dossier.models, "shared_llm", lambda spec, options: llm)
    return llm


def reading_lines(err: str) -> list[str]:
    lines = err.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Reading: [1] "))
    block = [lines[start]]
    for line in lines[start + 1 :]:
        if not line.startswith(" " * len("Reading:") + " ["):
            break
        block.append(line)
    return block


def test_ask_lists_the_passages_being_read_before_the_answer(capsys, scripted_model, events):
    # GIVEN the seeds and a model that answers
    # WHEN `dossier ask` runs without --json
    code = main(["ask", QUESTION, "--no-save"])
    out, err = capsys.readouterr()
    assert code == EXIT_OK
    # THEN stderr lists up to three passages: number, source title, the passage's first words
    block = reading_lines(err)
    assert 1 <= len(block) <= 3
    assert all(" — " in line and line.rstrip().endswith(("…", ".")) for line in block)
    assert any("Blinken" in line or "ATACMS" in line or "Missile" in line for line in block)
    # AND they were written before the first words of the answer, which stays alone on stdout
    kinds = [kind for kind, _ in events]
    assert kinds.count("reading") == 1 and kinds[0] == "reading" and "token" in kinds
    assert out.startswith("ATACMS stands for") and "Reading:" not in out


def test_ask_json_is_unchanged_and_lists_nothing(capsys, scripted_model):
    code = main(["ask", QUESTION, "--json", "--no-save"])
    out, err = capsys.readouterr()
    assert code == EXIT_OK
    assert "Reading:" not in err and "Reading:" not in out
    assert json.loads(out)["answer"].startswith("ATACMS stands for")


def test_chat_lists_the_passages_of_each_question(capsys, scripted_model, monkeypatch):
    # GIVEN a chat with a question and a follow-up
    lines = iter([QUESTION, "what does it stand for?", ""])
    monkeypatch.setattr(builtins, "input", lambda prompt="": next(lines))
    # WHEN both are asked
    code = main(["chat", "--no-save"])
    out, err = capsys.readouterr()
    # THEN each got its own list of passages read, the follow-up two: what it finds read
    # with the question before it, at once, then its own once the model has rewritten it
    assert code == EXIT_OK
    assert err.count("Reading: [1] ") == 3
    assert out.count(ANSWER) == 2


def test_nothing_relevant_lists_no_passages(capsys, scripted_model, tmp_path):
    # GIVEN a library of one article about something else
    main(["sources", "--json"])  # the first run brings the seeds: remove them
    for source in json.loads(capsys.readouterr().out):
        main(["remove", source["id"]])
    (tmp_path / "harbour.txt").write_text("Harbour News\nThe harbour reopened after repairs.")
    assert main(["ingest", str(tmp_path / "harbour.txt")]) == EXIT_OK
    capsys.readouterr()
    # WHEN a question about nothing in it is asked
    code = main(["ask", "zzz qqq", "--no-save"])
    out, err = capsys.readouterr()
    # THEN the refusal comes with no list of passages read
    assert code == EXIT_OK
    assert "Reading:" not in err and "refused" in out
