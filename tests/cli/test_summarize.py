"""`dossier summarize`: the source guide above the key points, in text and JSON."""

from __future__ import annotations

import json

import pytest

import dossier.models
import dossier.runtime
from cli.main import EXIT_OK, main
from tests.fakes import ScriptedLLM

ARTICLE = (
    "Harbour plan approved\n"
    "The city council approved the harbour plan on Tuesday by a vote of 7 to 2.\n"
    'Opponents said the plan "ignores the fishing industry" and vowed to appeal.\n'
)
POINTS = "- The council approved the harbour plan by 7 votes to 2 [1].\nANGLE: none\n"
GUIDE = "1. The city council approved the harbour plan on Tuesday.\n2. It invents a budget.\n"


@pytest.fixture
def source_id(monkeypatch, fake_embedder, tmp_path, capsys):
    def verdict(messages):
        return "NO" if "invents" in messages[-1]["content"] else "YES"

    llm = ScriptedLLM(lambda messages: POINTS, verdict=verdict, guide=lambda messages: GUIDE)
    monkeypatch.setattr(dossier.runtime, "shared_embedder", lambda cache: fake_embedder)
    monkeypatch.setattr(dossier.models, "shared_llm", lambda spec, options: llm)
    path = tmp_path / "harbour.txt"
    path.write_text(ARTICLE, encoding="utf-8")
    assert main(["ingest", str(path), "--json"]) == EXIT_OK
    return json.loads(capsys.readouterr().out)["added"][0]


def test_summarize_json_carries_the_checked_guide(capsys, source_id):
    # WHEN a source is summarised with --json
    assert main(["summarize", source_id, "--json"]) == EXIT_OK
    [summary] = json.loads(capsys.readouterr().out)
    guide = summary["guide"]
    # THEN the guide holds the entailed sentence and whom the source quotes, with evidence
    assert guide["text"] == (
        "The city council approved the harbour plan on Tuesday. It quotes Opponents."
    )
    assert all(s["evidence"] for s in guide["sentences"])
    # AND the refused sentence is listed as dropped, not in the text
    assert guide["dropped"] == ["It invents a budget."]


def test_summarize_prints_the_guide_above_the_points(capsys, source_id):
    assert main(["summarize", source_id]) == EXIT_OK
    lines = capsys.readouterr().out.splitlines()
    shown = "  The city council approved the harbour plan on Tuesday. It quotes Opponents."
    guide = lines.index(shown)
    point = next(i for i, line in enumerate(lines) if line.startswith("  - "))
    assert 0 < guide < point
    assert "invents" not in "\n".join(lines)
