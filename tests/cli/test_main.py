"""The CLI end to end, in process, with the fake embedder standing in for the model."""

import json

import pytest

from cli.main import EXIT_OK, EXIT_SOME_FAILED
from tests.cli.helpers import run

pytestmark = pytest.mark.usefixtures("fake_default_embedder")


def test_first_run_ingests_the_seeds(capsys):
    code, out, _ = run(capsys, "sources", "--json")
    assert code == EXIT_OK
    sources = json.loads(out)
    assert len(sources) == 5
    assert {"id", "path", "meta", "n_chunks", "n_chars", "content_hash", "added_at"} <= set(
        sources[0]
    )


def test_seeds_are_not_brought_back_after_removal(capsys):
    run(capsys, "sources")
    for source_id in ["000_af46ed12ca4a5ab7", "001_31967120e13bec8f"]:
        assert run(capsys, "remove", source_id)[0] == EXIT_OK
    code, out, _ = run(capsys, "sources", "--json")
    assert len(json.loads(out)) == 3


def test_search_json_offsets_slice_the_source(capsys, isolated_data_dir, fake_embedder):
    code, out, _ = run(capsys, "search", "missile range miles", "--k", "4", "--json")
    assert code == EXIT_OK
    result = json.loads(out)
    assert result["query"] == "missile range miles" and len(result["hits"]) == 4
    from dossier.runtime import Runtime, Settings

    library = Runtime(Settings.resolve(), embedder=fake_embedder).library()
    for hit in result["hits"]:
        text = library.source_text(hit["source_id"])
        assert text[hit["start"] : hit["end"]] == hit["text"]
        assert set(hit) == {
            "rank",
            "source_id",
            "chunk_id",
            "start",
            "end",
            "text",
            "score",
            "dense_rank",
            "bm25_rank",
        }


def test_ingest_reports_failures_by_name_and_exit_code(capsys, tmp_path):
    (tmp_path / "ok.txt").write_text("Ferry Service Resumes\nThe ferry service resumed on Sunday.")
    (tmp_path / "empty.txt").write_text("")
    code, out, err = run(capsys, "ingest", str(tmp_path))
    assert code == EXIT_SOME_FAILED
    assert f"{tmp_path / 'empty.txt'}: file is empty" in err
    assert "1 added" in out
    code, out, _ = run(capsys, "ingest", str(tmp_path / "ok.txt"), "--json")
    assert code == EXIT_OK and json.loads(out)["unchanged"] == ["ok"]


def test_remove_unknown_source_fails(capsys):
    code, _, err = run(capsys, "remove", "no-such-source")
    assert code == EXIT_SOME_FAILED and "no-such-source" in err


def test_data_dir_flag_overrides_environment(capsys, tmp_path):
    target = tmp_path / "elsewhere"
    run(capsys, "--data-dir", str(target), "sources")
    assert (target / "dossiers" / "demo" / "library" / "library.sqlite3").exists()


def test_ask_json_has_the_documented_fields(capsys, scripted_model):
    code, out, _ = run(capsys, "ask", "What does ATACMS stand for?", "--json")
    assert code == EXIT_OK
    answer = json.loads(out)
    assert {
        "question",
        "answer",
        "refused",
        "sentences",
        "citations",
        "model",
        "prompt_hash",
        "timings",
    } <= set(answer)
    assert {
        "load_s",
        "ttft_s",
        "total_s",
        "prompt_tokens",
        "completion_tokens",
        "tokens_per_s",
    } <= set(answer["timings"])
    assert answer["model"] == {"id": "scripted", "sha256": "0" * 64}
    [citation] = answer["citations"]
    assert {"n", "source_id", "start", "end", "text", "support"} <= set(citation)
    assert answer["sentences"][0]["supported"] is True


def test_ask_streams_text_then_lists_sources(capsys, scripted_model):
    code, out, _ = run(capsys, "ask", "What does ATACMS stand for?")
    assert out.startswith("ATACMS stands for") and "Sources:" in out


def test_eval_scores_a_question_file(capsys, scripted_model, tmp_path):
    questions = tmp_path / "qa.jsonl"
    questions.write_text(
        '{"id": "q1", "question": "What does ATACMS stand for?", "answerable": true, '
        '"gold_sources": ["002_8c75088e5995e160"], "key_facts": [["Tactical Missile"]]}\n'
        '{"id": "q2", "question": "What is the unit price of one missile?", "answerable": false, '
        '"gold_sources": [], "key_facts": []}\n'
    )
    out_file = tmp_path / "results.jsonl"
    code, out, _ = run(capsys, "eval", str(questions), "--json", "--out", str(out_file))
    assert code == EXIT_OK
    metrics = json.loads(out)
    assert metrics["key_fact_recall"] == 1.0 and metrics["refusal_accuracy"] == 1.0
    assert metrics["citation_precision"] == 1.0 and metrics["false_refusals"] == 0
    records = [json.loads(line) for line in out_file.read_text().splitlines()]
    assert [r["id"] for r in records] == ["q1", "q2"] and records[1]["refused"] is True


def test_models_json_lists_the_catalog(capsys):
    code, out, _ = run(capsys, "models", "--json")
    listing = json.loads(out)
    assert listing["default"] == "default"
    roles = {m["role"] for m in listing["models"]}
    assert {"default", "fast", "tiny"} <= roles


def test_ingest_lists_warnings_and_counts_skipped_without_failing(capsys, tmp_path):
    (tmp_path / "ok.txt").write_text("Ferry Service Resumes\nThe ferry service resumed on Sunday.")
    (tmp_path / "metadata.json").write_text("[1, 2]")  # not an object: ignored, with a warning
    code, out, err = run(capsys, "ingest", str(tmp_path / "ok.txt"))
    assert code == EXIT_OK
    warning = f"warning: {tmp_path / 'metadata.json'}: not read: it is not a JSON object"
    assert warning in err
    assert out == "1 added, 0 replaced, 0 unchanged, 0 failed, 0 skipped; 1 chunks indexed\n"


def test_ingest_lists_skipped_files_escaped_and_exits_0(capsys, tmp_path):
    folder = tmp_path / "in"  # not tmp_path itself: the library's own files are there
    folder.mkdir()
    (folder / "ok.txt").write_text("Ferry Service Resumes\nThe ferry service resumed on Sunday.")
    (folder / "photo.jpg").write_bytes(b"\xff\xd8\xff")
    (folder / ".hidden\nskipped: forged\x1b[31m.txt").write_text("Hidden text.")
    code, out, err = run(capsys, "ingest", str(folder))
    assert code == EXIT_OK
    assert "0 failed, 2 skipped;" in out
    skipped = sorted(err.split("\r")[-1].splitlines())  # after the progress bar
    assert len(skipped) == 2 and "\x1b" not in err
    assert skipped[0].startswith(f"skipped: {folder}/.hidden\\nskipped: forged\\x1b[31m.txt: ")
    assert skipped[1].startswith(f"skipped: {folder / 'photo.jpg'}: ")
