"""`dossier brief --json`: the export recorded, "New since the last briefing", and a briefing
prepared ahead by `ingest --summarize` made with no model call."""

from __future__ import annotations

import json

import pytest

import dossier.models
import dossier.runtime
from cli.main import EXIT_OK, main
from dossier.runtime import Runtime, Settings
from tests.dossier.test_briefing import scripted_reply
from tests.dossier.test_briefing_prepared import NEW_ARTICLE, is_overview
from tests.fakes import ScriptedLLM

pytestmark = pytest.mark.usefixtures("qt_app_for_pdf")


@pytest.fixture
def llm(monkeypatch, fake_embedder):
    llm = ScriptedLLM(scripted_reply)
    monkeypatch.setattr(dossier.runtime, "shared_embedder", lambda cache: fake_embedder)
    monkeypatch.setattr(dossier.models, "shared_llm", lambda spec, options: llm)
    return llm


def run_json(capsys, *argv) -> dict:
    code = main(list(argv))
    out = capsys.readouterr().out
    assert code == EXIT_OK
    return json.loads(out)


def test_brief_json_reports_what_is_new_since_the_last_export(capsys, tmp_path, llm):
    # GIVEN a first briefing exported
    first = run_json(capsys, "brief", "--out", str(tmp_path / "a.md"), "--json")
    # THEN it has no "new since" section, and the export is recorded in the dossier's folder
    assert first["new_since_last_briefing"] is None
    assert first["export"]["format"] == ".md"
    history = Runtime(Settings.resolve()).dossier_dir / "briefings.json"
    exports = json.loads(history.read_text(encoding="utf-8"))["exports"]
    assert [e["path"] for e in exports] == [str(tmp_path / "a.md")]
    # WHEN a source is added and the briefing exported again
    path = tmp_path / "harbour.txt"
    path.write_text(NEW_ARTICLE, encoding="utf-8")
    added = run_json(capsys, "ingest", str(path), "--json")["added"]
    second = run_json(capsys, "brief", "--out", str(tmp_path / "b.pdf"), "--json")
    # THEN the JSON lists that source with its key points and the previous export's time
    new = second["new_since_last_briefing"]
    assert new["previous_export_at"] == exports[0]["exported_at"]
    assert [s["source_id"] for s in new["sources"]] == added
    assert new["sources"][0]["status"] == "added" and new["sources"][0]["points"]
    assert second["export"]["pages"] >= 1
    # AND a briefing only printed (no file) is not an export: the next one still compares
    # with the PDF
    third = run_json(capsys, "brief", "--json")
    assert third["new_since_last_briefing"]["previous_path"] == str(tmp_path / "b.pdf")
    assert len(json.loads(history.read_text(encoding="utf-8"))["exports"]) == 2


def test_after_ingest_summarize_the_briefing_runs_no_model(capsys, tmp_path, llm):
    # GIVEN every source summarised and the overview prepared by `ingest --summarize`
    # (the seeds first, then a new file)
    run_json(capsys, "summarize", "--json")
    path = tmp_path / "harbour.txt"
    path.write_text(NEW_ARTICLE, encoding="utf-8")
    run_json(capsys, "ingest", str(path), "--summarize", "--json")
    assert sum(1 for m in llm.calls if is_overview(m)) == 1
    calls = len(llm.calls)
    # WHEN the briefing is exported
    result = run_json(capsys, "brief", "--out", str(tmp_path / "b.md"), "--json")
    # THEN no model call was made
    assert len(llm.calls) == calls
    assert result["overview_prepared"] and result["overview"]


def test_an_export_that_cannot_be_recorded_is_still_written(capsys, tmp_path, llm):
    # GIVEN a dossier folder where the history file cannot be written (a folder in its place)
    history = Runtime(Settings.resolve()).dossier_dir / "briefings.json"
    history.mkdir(parents=True)
    # WHEN the briefing is exported
    code = main(["brief", "--out", str(tmp_path / "a.md")])
    # THEN the file is written, and the user is told the export was not recorded
    assert code == EXIT_OK and (tmp_path / "a.md").stat().st_size > 0
    assert "not recorded" in capsys.readouterr().err


def test_notes_that_cannot_be_read_fail_the_briefing_before_the_model_is_asked(
    capsys, tmp_path, llm
):
    # GIVEN a dossier whose notes file is damaged
    notes = Runtime(Settings.resolve()).dossier_dir / "notes.sqlite"
    notes.parent.mkdir(parents=True, exist_ok=True)
    notes.write_bytes(b"this is not a database " * 100)
    # WHEN a briefing is asked for
    code = main(["brief", "--out", str(tmp_path / "b.md")])
    # THEN it fails with a message naming the notes file, before any model call
    assert code != EXIT_OK
    assert "notes.sqlite" in capsys.readouterr().err
    assert llm.calls == []
    assert not (tmp_path / "b.md").exists()


def test_brief_json_lists_the_stories_prepared_ahead_with_no_model_call(
    capsys, tmp_path, monkeypatch
):
    from tests.conftest import SEEDS
    from tests.dossier.test_briefing_stories import story_reply
    from tests.dossier.test_stories import FLOOD
    from tests.fakes import TopicEmbedder

    llm = ScriptedLLM(story_reply)
    embedder = TopicEmbedder()
    monkeypatch.setattr(dossier.runtime, "shared_embedder", lambda cache: embedder)
    monkeypatch.setattr(dossier.models, "shared_llm", lambda spec, options: llm)
    # GIVEN the seeds (one story) and three articles of another, all summarised, the briefing
    # prepared by `ingest --summarize`
    run_json(capsys, "summarize", "--json")
    run_json(capsys, "ingest", *map(str, FLOOD), "--summarize", "--json")
    calls = len(llm.calls)
    # WHEN the briefing is exported
    result = run_json(capsys, "brief", "--out", str(tmp_path / "b.md"), "--json")
    # THEN no model call was made, and the JSON lists both stories with their own sources
    assert len(llm.calls) == calls and result["overview_prepared"]
    assert result["title"] == "Briefing: 2 stories in 8 sources"
    found = sorted(sorted(story["source_ids"]) for story in result["stories"])
    assert found == sorted([sorted(p.stem for p in FLOOD), sorted(p.stem for p in
                                                                SEEDS.glob("*.txt"))])  # fmt: skip
    for story in result["stories"]:
        assert story["title"] and story["title"] not in story["source_ids"]
        assert story["overview"]
        assert {s["source_id"] for s in story["overview_sources"]} <= set(story["source_ids"])
    text = (tmp_path / "b.md").read_text(encoding="utf-8")
    assert "\n### Story 1: " in text and "\n### Story 2: " in text
