"""`dossier ingest --summarize`: the new and changed sources are summarised after the ingest."""

from __future__ import annotations

import json

import pytest

import dossier.models
import dossier.runtime
from cli.main import EXIT_OK
from tests.cli.helpers import run
from tests.fakes import ScriptedLLM

ARTICLE = "Harbour plan approved\nThe city council approved the harbour plan on Tuesday.\n"


@pytest.fixture
def llm(monkeypatch, fake_embedder):
    llm = ScriptedLLM(lambda messages: "ANGLE: none")
    monkeypatch.setattr(dossier.runtime, "shared_embedder", lambda cache: fake_embedder)
    monkeypatch.setattr(dossier.models, "shared_llm", lambda spec, options: llm)
    return llm


def test_ingest_summarize_summarises_the_new_sources(capsys, tmp_path, llm):
    path = tmp_path / "harbour.txt"
    path.write_text(ARTICLE, encoding="utf-8")
    # WHEN a new file is ingested with --summarize --json
    code, out, _ = run(capsys, "ingest", str(path), "--summarize", "--json")
    # THEN the report lists the summarised source: the new one only, not the seeds
    assert code == EXIT_OK
    report = json.loads(out)
    assert report["summarized"] == report["added"] and len(report["added"]) == 1
    calls = len(llm.calls)
    assert calls >= 1
    # WHEN the file changes and is ingested again, in plain text
    path.write_text(ARTICLE + "Work starts in spring.\n", encoding="utf-8")
    code, out, _ = run(capsys, "ingest", str(path), "--summarize")
    # THEN it is summarised again
    assert code == EXIT_OK and "1 summarised" in out
    assert len(llm.calls) > calls
    # WHEN nothing changed THEN nothing is summarised and the model is not asked
    calls = len(llm.calls)
    code, out, _ = run(capsys, "ingest", str(path), "--summarize", "--json")
    assert json.loads(out)["summarized"] == [] and len(llm.calls) == calls


def test_ingest_without_summarize_has_no_summarized_key(capsys, tmp_path, llm):
    path = tmp_path / "harbour.txt"
    path.write_text(ARTICLE, encoding="utf-8")
    code, out, _ = run(capsys, "ingest", str(path), "--json")
    assert code == EXIT_OK and "summarized" not in json.loads(out)
    assert llm.calls == []


def test_a_model_that_cannot_load_still_reports_the_ingest(
    capsys, tmp_path, fake_embedder, monkeypatch
):
    # GIVEN a model that is not installed
    from models.resolve import ModelError

    def missing(spec, options):
        raise ModelError("the model 'x' is not installed")

    monkeypatch.setattr(dossier.runtime, "shared_embedder", lambda cache: fake_embedder)
    monkeypatch.setattr(dossier.models, "shared_llm", missing)
    path = tmp_path / "harbour.txt"
    path.write_text(ARTICLE, encoding="utf-8")
    # WHEN a file is ingested with --summarize --json
    code, out, err = run(capsys, "ingest", str(path), "--summarize", "--json")
    # THEN the ingest (committed) is reported with why no summary was made, and the exit says so
    report = json.loads(out)
    assert len(report["added"]) == 1 and "not installed" in report["summarize_error"]
    assert code == 3 and "summaries not made" in err


def test_ingest_embeds_the_new_sentences_ahead_of_questions(capsys, tmp_path, llm):
    from dossier.passages import texts_to_embed
    from dossier.runtime import Runtime, Settings

    path = tmp_path / "harbour.txt"
    path.write_text(ARTICLE + "It will open in 2027.\n", encoding="utf-8")
    cache = Runtime(Settings.resolve()).sentence_embedder
    # WHEN a file is ingested with --no-warm THEN its sentences are not embedded ahead
    code, out, _ = run(capsys, "ingest", str(path), "--no-warm", "--json")
    assert code == EXIT_OK and cache.count() == 0
    # WHEN it changes and is ingested again THEN every text a question may embed from it is
    # cached (its sentences, and "It will open…" read with the sentence before it)
    path.write_text(ARTICLE + "It will open in 2028.\n", encoding="utf-8")
    code, out, _ = run(capsys, "ingest", str(path))
    sources = json.loads(run(capsys, "sources", "--json")[1])
    [source_id] = [s["id"] for s in sources if s["id"] == "harbour"]
    library = Runtime(Settings.resolve()).library()
    texts = texts_to_embed(library.source_text(source_id), library.chunks_of(source_id))
    library.close()
    assert code == EXIT_OK and len(texts) >= 3 and cache.missing(texts) == []
