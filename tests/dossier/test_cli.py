"""The CLI end to end, in process, with the fake embedder standing in for the model."""

import json

import pytest

import retrieval.library
from dossier.cli import EXIT_OK, EXIT_SOME_FAILED, main


@pytest.fixture(autouse=True)
def fake_default_embedder(monkeypatch, fake_embedder):
    monkeypatch.setattr(retrieval.library, "default_embedder", lambda: fake_embedder)


def run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


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


def test_search_json_offsets_slice_the_source(capsys, isolated_data_dir):
    code, out, _ = run(capsys, "search", "missile range miles", "--k", "4", "--json")
    assert code == EXIT_OK
    result = json.loads(out)
    assert result["query"] == "missile range miles" and len(result["hits"]) == 4
    from dossier.library import open_library

    library = open_library()
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
    assert (target / "library" / "library.sqlite3").exists()
