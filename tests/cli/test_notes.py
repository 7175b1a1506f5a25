"""`dossier notes`: pin an answer of a saved conversation, add a passage, edit, move, delete,
and find the notes in `dossier brief`; in process, with fakes."""

from __future__ import annotations

import pytest

import dossier.briefing
import dossier.runtime
from cli.main import EXIT_OK, EXIT_SOME_FAILED, EXIT_USAGE, main
from tests.cli.helpers import run, run_json
from tests.dossier.briefing_fixture import make_briefing

QUESTION = "What does ATACMS stand for?"
SENTENCE = "ATACMS stands for the Army's Tactical Missile System"


pytestmark = pytest.mark.usefixtures("fake_default_embedder")


def test_pinning_an_answer_and_finding_it_in_the_briefing(capsys, scripted_model, monkeypatch,
                                                          tmp_path):  # fmt: skip
    # GIVEN a question answered (and saved) with `dossier ask`
    code, answer = run_json(capsys, "ask", QUESTION)
    assert code == EXIT_OK and answer["citations"]
    # WHEN its answer is pinned to the notes
    code, note = run_json(capsys, "notes", "pin-answer", "1")
    # THEN the note holds the answer and its citation, with offsets and the passage's words
    assert code == EXIT_OK
    assert note["kind"] == "answer" and note["origin"] == QUESTION and note["position"] == 1
    assert SENTENCE in note["text"] and not note["user_edited"]
    cited = answer["citations"][0]
    [citation] = note["citations"]
    assert {k: citation[k] for k in ("source_id", "start", "end", "text")} == {
        k: cited[k] for k in ("source_id", "start", "end", "text")
    }
    assert citation["source_status"] == "present"
    # AND `dossier notes --json` lists it
    code, listing = run_json(capsys, "notes")
    assert code == EXIT_OK and [n["id"] for n in listing] == [note["id"]]
    # AND the briefing has a Notes section with the answer and a note quoting its passage
    monkeypatch.setattr(dossier.briefing, "brief", lambda **kwargs: make_briefing())
    out = tmp_path / "briefing.md"
    code, _, _ = run(capsys, "brief", "--out", str(out))
    assert code == EXIT_OK
    text = out.read_text(encoding="utf-8")
    notes_section = text[text.index("## Notes") : text.index("## Sources in brief")]
    assert "ATACMS stands for the Army's Tactical Missile System" in notes_section
    marker = notes_section[notes_section.index("[^") :].split("]")[0] + "]"
    reference = next(line for line in text.splitlines() if line.startswith(marker + ":"))
    assert "Tactical Missile System" in reference
    # AND `brief --json` carries the notes too
    code, data = run_json(capsys, "brief")
    assert [n["id"] for n in data["notes"]] == [note["id"]]


def test_add_edit_move_delete(capsys, scripted_model):
    run(capsys, "ask", QUESTION)
    _, pinned = run_json(capsys, "notes", "pin-answer", "1")
    source_id = pinned["citations"][0]["source_id"]
    start = pinned["citations"][0]["start"]
    # a passage pinned by offsets, in the source's own words
    code, passage = run_json(capsys, "notes", "add", "--cite", f"{source_id}:{start}-{start + 40}")
    assert code == EXIT_OK and passage["kind"] == "passage" and passage["position"] == 2
    assert passage["text"] == " ".join(pinned["citations"][0]["text"][:40].split())
    # editing marks the note as the user's words; a claim its passage lacks loses the citation
    code, edited = run_json(capsys, "notes", "edit", str(pinned["id"]), "It was built in 1991.")
    assert code == EXIT_OK and edited["user_edited"] and edited["citations"] == []
    code, out, _ = run(capsys, "notes")
    assert "answer (your words)" in out and "2 notes" in out
    # moving the passage first
    code, order = run_json(capsys, "notes", "move", str(passage["id"]), "1")
    assert [n["id"] for n in order] == [passage["id"], pinned["id"]]
    code, deleted = run_json(capsys, "notes", "delete", str(passage["id"]))
    assert code == EXIT_OK and deleted == {"id": passage["id"], "deleted": True}
    code, deleted = run_json(capsys, "notes", "delete", str(passage["id"]))
    assert code == EXIT_SOME_FAILED and deleted["deleted"] is False
    code, _, err = run(capsys, "notes", "edit", "999", "text")
    assert code == EXIT_SOME_FAILED and "no note 999" in err


def test_a_note_whose_source_was_removed_is_listed_as_such(capsys, scripted_model):
    run(capsys, "ask", QUESTION)
    _, pinned = run_json(capsys, "notes", "pin-answer", "1")
    source_id = pinned["citations"][0]["source_id"]
    assert run(capsys, "remove", source_id)[0] == EXIT_OK
    code, listing = run_json(capsys, "notes")
    assert code == EXIT_OK
    assert listing[0]["citations"][0]["source_status"] == "removed"
    code, out, _ = run(capsys, "notes")
    assert "(source removed)" in out


def test_usage_errors(capsys, scripted_model):
    assert run(capsys, "notes", "add")[0] == EXIT_USAGE
    with pytest.raises(SystemExit) as exit_:
        main(["notes", "add", "--cite", "abc:9-3"])
    assert exit_.value.code == EXIT_USAGE
    code, _, err = run(capsys, "notes", "add", "--cite", "no-such-source:0-5")
    assert code == EXIT_USAGE and "no source with id no-such-source" in err
    code, _, err = run(capsys, "notes", "pin-answer", "5")
    assert code == EXIT_SOME_FAILED and "no saved conversation 5" in err
    code, _, err = run(capsys, "notes", "add", "--text", "   ")
    assert code == EXIT_USAGE and "cannot be empty" in err


def test_a_summary_point_is_pinned_from_the_cached_summary(capsys, monkeypatch):
    import dossier.models
    from tests.desktop.test_summaries import SOURCE, summary_reply
    from tests.fakes import ScriptedLLM

    llm = ScriptedLLM(summary_reply)
    monkeypatch.setattr(dossier.models, "shared_llm", lambda spec, options: llm)
    # GIVEN no summary yet: the user is told to make one
    code, _, err = run(capsys, "notes", "pin-point", SOURCE, "1")
    assert code == EXIT_SOME_FAILED and f"dossier summarize {SOURCE}" in err
    # WHEN the source is summarised and its first point pinned
    code, [summary] = run_json(capsys, "summarize", SOURCE)
    assert code == EXIT_OK and summary["points"]
    calls = len(llm.calls)
    code, note = run_json(capsys, "notes", "pin-point", SOURCE, "1")
    # THEN the note is the point with its evidence, taken from the cache (no model call)
    assert code == EXIT_OK and len(llm.calls) == calls
    point = summary["points"][0]
    assert note["kind"] == "summary_point" and note["origin"] == SOURCE
    assert note["text"] == point["text"]
    assert [c["text"] for c in note["citations"]] == [e["text"] for e in point["evidence"]]
    code, _, err = run(capsys, "notes", "pin-point", SOURCE, "99")
    assert code == EXIT_USAGE and "points" in err
