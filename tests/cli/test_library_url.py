"""`dossier --library postgresql://...`: the same commands on a shared PostgreSQL library,
with the fake embedder, against the session's real server."""

import json

import pytest

from cli.main import EXIT_OK
from tests.cli.helpers import run
from tests.conftest import SEEDS

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("fake_default_embedder")]

EXIT_CANNOT_RUN = 3


def test_ingest_and_search_match_the_embedded_library(capsys, pg_url, tmp_path):
    # GIVEN the seeds ingested into an embedded library and into PostgreSQL
    embedded = ["--data-dir", str(tmp_path / "embedded")]
    shared = ["--data-dir", str(tmp_path / "client"), "--library", pg_url]
    for flags in (embedded, shared):
        code, out, _ = run(capsys, *flags, "ingest", str(SEEDS), "--json")
        assert code == EXIT_OK
    # THEN both hold the same sources, cut into the same passages
    listed = []
    for flags in (embedded, shared):
        code, out, _ = run(capsys, *flags, "sources", "--json")
        listed.append([{k: v for k, v in s.items() if k != "added_at"} for s in json.loads(out)])
    assert len(listed[0]) == 5 and listed[0] == listed[1]
    # AND a search ranks the passages by meaning the same way, and its fused list mostly agrees
    # (the keyword half differs: BM25 in the embedded library, ts_rank_cd in PostgreSQL)
    for query in ["missile range miles", "who decided to allow the strikes"]:
        results = []
        for flags in (embedded, shared):
            code, out, _ = run(capsys, *flags, "search", query, "--k", "8", "--json")
            assert code == EXIT_OK
            results.append(json.loads(out)["hits"])
        by_dense = [
            {
                h["dense_rank"]: (h["source_id"], h["start"], h["end"])
                for h in hits
                if h["dense_rank"]
            }
            for hits in results
        ]
        common = by_dense[0].keys() & by_dense[1].keys()
        assert common and all(by_dense[0][r] == by_dense[1][r] for r in common)
        fused = [{(h["source_id"], h["start"]) for h in hits} for hits in results]
        assert len(fused[0] & fused[1]) >= 4


def test_first_opening_of_a_shared_library_seeds_it_once(capsys, pg_url, monkeypatch, tmp_path):
    monkeypatch.setenv("DOSSIER_LIBRARY_URL", pg_url)  # the environment chooses it too
    code, out, _ = run(capsys, "sources", "--json")
    assert code == EXIT_OK and len(json.loads(out)) == 5
    assert run(capsys, "remove", "000_af46ed12ca4a5ab7")[0] == EXIT_OK
    # Another desk's Dossier (its own data folder) opens the same library: no seeds again.
    code, out, _ = run(capsys, "--data-dir", str(tmp_path / "desk2"), "sources", "--json")
    assert len(json.loads(out)) == 4


def test_an_unreachable_library_is_one_line_naming_the_server(capsys):
    code, out, err = run(
        capsys, "--library", "postgresql://dossier@127.0.0.1:1/newsroom", "sources", "--json"
    )
    assert code == EXIT_CANNOT_RUN and out == ""
    assert "127.0.0.1:1/newsroom" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("command", ["check", "reindex"])
def test_folder_only_commands_say_so_for_a_database(capsys, command):
    url = "postgresql://dossier@127.0.0.1:1/newsroom"
    code, _, err = run(capsys, "--library", url, command, "--json")
    assert code == EXIT_CANNOT_RUN and "library folder" in err


def test_a_library_that_is_not_a_url_is_refused(capsys, tmp_path):
    code, _, err = run(capsys, "--library", str(tmp_path), "sources")
    assert code == EXIT_CANNOT_RUN and "postgresql://" in err
