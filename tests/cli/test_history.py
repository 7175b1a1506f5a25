"""`dossier history` and the saving of `ask` and `chat` turns, in process, with fakes."""

from __future__ import annotations

import builtins

import pytest

from cli.main import EXIT_OK, EXIT_SOME_FAILED, EXIT_USAGE, main
from tests.cli.helpers import run, run_json

QUESTION = "What does ATACMS stand for?"


pytestmark = pytest.mark.usefixtures("fake_default_embedder")


def test_an_answer_is_saved_with_its_citations_and_verdicts(capsys, scripted_model):
    # GIVEN a question answered with `dossier ask --json`
    code, answer = run_json(capsys, "ask", QUESTION)
    assert code == EXIT_OK and answer["citations"]
    # WHEN the history is listed
    code, listing = run_json(capsys, "history")
    # THEN it holds one conversation named after the question, with one turn
    assert code == EXIT_OK
    [conversation] = listing
    assert conversation["title"] == QUESTION and conversation["n_turns"] == 1
    assert {"id", "created_at", "updated_at"} <= set(conversation)
    # AND showing it gives back the whole answer: citations, offsets, verdicts, timings
    code, shown = run_json(capsys, "history", str(conversation["id"]))
    assert code == EXIT_OK
    [turn] = shown["turns"]
    assert turn["n"] == 1 and turn["status"] == "complete" and turn["question"] == QUESTION
    assert turn["answer"]["citations"] == answer["citations"]
    assert turn["answer"]["sentences"] == answer["sentences"]
    assert turn["answer"]["passages"] == answer["passages"]
    assert turn["answer"]["timings"] == answer["timings"]


def test_history_of_one_conversation_reads_like_the_answer(capsys, scripted_model):
    run(capsys, "ask", QUESTION)
    code, out, _ = run(capsys, "history", "1")
    assert code == EXIT_OK
    assert out.startswith(f"Conversation 1: {QUESTION}")
    assert "ATACMS stands for the Army's Tactical Missile System" in out
    assert "Sources:" in out and "  [" in out
    code, out, _ = run(capsys, "history")
    assert out.splitlines()[0].startswith("1\t") and QUESTION in out
    assert out.splitlines()[-1] == "1 saved conversations"


def test_ask_says_where_it_saved_and_no_save_saves_nothing(capsys, scripted_model):
    code, out, _ = run(capsys, "ask", QUESTION)
    assert "(saved: `dossier history 1` shows it again)" in out
    run(capsys, "ask", "What range do the missiles have?", "--no-save")
    code, listing = run_json(capsys, "history")
    assert [c["title"] for c in listing] == [QUESTION]


def test_search_finds_questions_and_answers(capsys, scripted_model):
    run(capsys, "ask", QUESTION)
    run(capsys, "ask", "What range do the missiles have?")  # refused
    code, found = run_json(capsys, "history", "--search", "tactical missile")
    assert code == EXIT_OK and found["query"] == "tactical missile"
    [match] = found["matches"]
    assert match["question"] == QUESTION and match["n"] == 1
    assert "Tactical Missile System" in match["snippet"]
    _, found = run_json(capsys, "history", "--search", "range")
    assert [m["question"] for m in found["matches"]] == ["What range do the missiles have?"]
    _, found = run_json(capsys, "history", "--search", "no such words anywhere")
    assert found["matches"] == []


def test_delete_removes_one_conversation(capsys, scripted_model):
    run(capsys, "ask", QUESTION)
    run(capsys, "ask", "What range do the missiles have?")
    _, listing = run_json(capsys, "history")
    newest, oldest = listing  # newest first
    assert newest["title"] == "What range do the missiles have?"
    code, deleted = run_json(capsys, "history", "--delete", str(oldest["id"]))
    assert code == EXIT_OK and deleted == {"id": oldest["id"], "deleted": True}
    _, listing = run_json(capsys, "history")
    assert [c["id"] for c in listing] == [newest["id"]]
    code, deleted = run_json(capsys, "history", "--delete", str(oldest["id"]))
    assert code == EXIT_SOME_FAILED and deleted["deleted"] is False
    code, _, err = run(capsys, "history", str(oldest["id"]))
    assert code == EXIT_SOME_FAILED and f"no saved conversation {oldest['id']}" in err


def test_bad_ids_and_mixed_options_are_usage_errors(capsys):
    for argv in (["history", "abc"], ["history", "0"], ["history", "1", "--delete", "1"]):
        with pytest.raises(SystemExit) as exit_:
            main(argv)
        assert exit_.value.code == EXIT_USAGE
    capsys.readouterr()


def test_an_empty_history_lists_nothing_and_the_library_still_gets_its_seeds(capsys):
    code, listing = run_json(capsys, "history")
    assert code == EXIT_OK and listing == []
    # the conversations file made in the library folder is not taken for a lost library
    code, sources = run_json(capsys, "sources")
    assert code == EXIT_OK and len(sources) == 5


def test_chat_saves_its_turns_in_one_conversation_and_new_starts_another(
    capsys, scripted_model, monkeypatch
):
    # GIVEN a terminal chat: two questions, "new", one more, then an empty line
    lines = iter([QUESTION, "What range do they have?", "new", "Who is Blinken?", ""])
    monkeypatch.setattr(builtins, "input", lambda prompt="": next(lines))
    code, out, _ = run(capsys, "chat")
    assert code == EXIT_OK and "dossier history" in out
    # THEN two conversations were saved: the newest with one turn, the first with two
    _, listing = run_json(capsys, "history")
    assert [(c["title"], c["n_turns"]) for c in listing] == [
        ("Who is Blinken?", 1),
        (QUESTION, 2),
    ]
    _, shown = run_json(capsys, "history", str(listing[1]["id"]))
    assert [t["question"] for t in shown["turns"]] == [QUESTION, "What range do they have?"]
    assert all(t["status"] == "complete" for t in shown["turns"])


def test_chat_ctrl_c_saves_the_answer_as_interrupted(capsys, scripted_model, monkeypatch):
    import dossier.ask

    # GIVEN an answer the user stops with Ctrl-C after three words
    def ask_then_interrupt(question, *, events, **kwargs):
        for piece in ["Blinken", " spoke", " in"]:
            events.on_token(piece)
        raise KeyboardInterrupt

    monkeypatch.setattr(dossier.ask, "ask", ask_then_interrupt)
    lines = iter(["What did Blinken say?", ""])
    monkeypatch.setattr(builtins, "input", lambda prompt="": next(lines))
    code, out, _ = run(capsys, "chat")
    assert code == EXIT_OK and "(stopped)" in out
    # THEN the turn is saved as interrupted, as far as it came
    _, [conversation] = run_json(capsys, "history")
    _, shown = run_json(capsys, "history", str(conversation["id"]))
    [turn] = shown["turns"]
    assert turn["status"] == "interrupted" and turn["answer"]["cancelled"] is True
    assert turn["answer"]["answer"] == "Blinken spoke in"
    assert turn["answer"]["model"]["id"] == "scripted"
    _, out, _ = run(capsys, "history", str(conversation["id"]))
    assert "(interrupted" in out


def test_a_damaged_conversations_file_is_a_user_error(capsys, isolated_data_dir):
    folder = isolated_data_dir / "library"
    folder.mkdir(parents=True)
    (folder / "conversations.sqlite").write_bytes(b"not a database at all" * 100)
    code, _, err = run(capsys, "history")
    assert code == 3
    assert "conversations.sqlite" in err and "damaged" in err
