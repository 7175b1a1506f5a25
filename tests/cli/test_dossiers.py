"""`dossier dossiers/new/rename/delete/use` and the global `--dossier NAME`, in process."""

from __future__ import annotations

import json

import pytest

from cli.main import EXIT_ERROR, EXIT_OK, EXIT_USAGE
from tests.cli.helpers import run
from tests.dossier.legacy_library import make_legacy_data_folder

ARTICLE = (
    "Harbour Council Approves New Ferry Route\n\n"
    "The harbour council voted on Tuesday to approve a new ferry route.\n"
)


pytestmark = pytest.mark.usefixtures("fake_default_embedder")


def listed(capsys) -> dict:
    code, out, _ = run(capsys, "dossiers", "--json")
    assert code == EXIT_OK
    return {d["name"]: d for d in json.loads(out)}


def test_new_dossiers_start_empty_and_dossier_picks_one_for_any_command(capsys, tmp_path):
    # GIVEN a new dossier next to the Demo
    code, out, _ = run(capsys, "new", "Ferry", "--json")
    assert code == EXIT_OK
    made = json.loads(out)
    assert made["name"] == "Ferry" and made["sources"] == 0 and not made["current"]
    # WHEN an article is ingested into it by name
    article = tmp_path / "ferry.txt"
    article.write_text(ARTICLE)
    code, out, _ = run(capsys, "--dossier", "ferry", "ingest", str(article), "--json")
    assert code == EXIT_OK and json.loads(out)["added"] == ["ferry"]
    # THEN it holds that article only, and the current dossier (the Demo) has the seeds
    _, out, _ = run(capsys, "--dossier", "Ferry", "sources", "--json")
    assert [s["id"] for s in json.loads(out)] == ["ferry"]
    _, out, _ = run(capsys, "sources", "--json")
    assert len(json.loads(out)) == 5
    # AND the list shows both with their counts and which one is current
    dossiers = listed(capsys)
    assert (dossiers["Ferry"]["sources"], dossiers["Demo"]["sources"]) == (1, 5)
    assert dossiers["Demo"]["current"] and not dossiers["Ferry"]["current"]
    assert dossiers["Ferry"]["last_change"] is not None
    assert set(dossiers["Ferry"]) == {
        "name",
        "slug",
        "folder",
        "sources",
        "last_change",
        "created",
        "current",
    }


def test_use_rename_and_delete(capsys):
    run(capsys, "new", "Ferry")
    code, out, _ = run(capsys, "use", "Ferry", "--json")
    assert code == EXIT_OK and json.loads(out)["current"]
    _, out, _ = run(capsys, "sources", "--json")
    assert json.loads(out) == []  # the current dossier is used when none is named
    code, out, _ = run(capsys, "rename", "Ferry", "Harbour ferry", "--json")
    assert code == EXIT_OK and json.loads(out)["slug"] == "ferry"
    code, out, _ = run(capsys, "delete", "Harbour ferry", "--yes", "--json")
    assert code == EXIT_OK and json.loads(out)["deleted"] is True
    assert list(listed(capsys)) == ["Demo"]
    assert listed(capsys)["Demo"]["current"]


def test_the_human_list_marks_the_current_dossier(capsys):
    run(capsys, "new", "Ferry")
    code, out, _ = run(capsys, "dossiers")
    assert code == EXIT_OK
    lines = out.splitlines()
    assert lines[0].startswith("* Demo\t0 sources")
    assert lines[1].startswith("  Ferry\t0 sources")
    assert "2 dossiers" in lines[-1]


def test_mistakes_are_one_line_and_exit_3(capsys):
    code, _, err = run(capsys, "--dossier", "Nope", "sources")
    assert code == EXIT_ERROR and "no dossier named" in err and "Traceback" not in err
    code, _, err = run(capsys, "new", "demo")
    assert code == EXIT_ERROR and "exists already" in err
    code, _, err = run(capsys, "new", "bad\x1bname")
    assert code == EXIT_ERROR and "control characters" in err and "\x1b" not in err
    code, _, err = run(capsys, "delete", "Demo", "--yes")
    assert code == EXIT_ERROR and "only dossier" in err


def test_delete_without_yes_asks_and_a_script_cannot_answer(capsys):
    run(capsys, "new", "Ferry")
    code, _, err = run(capsys, "delete", "Ferry")
    assert code == EXIT_USAGE and "--yes" in err
    assert "Ferry" in listed(capsys)


def test_an_upgraded_library_is_listed_and_used(capsys, isolated_data_dir, fake_embedder):
    # GIVEN the single library of an earlier version in the data folder
    ids, conversation_id = make_legacy_data_folder(isolated_data_dir, fake_embedder)
    # WHEN the CLI runs, THEN its one dossier holds the sources and the conversation
    assert list(listed(capsys)) == ["My dossier"]
    _, out, _ = run(capsys, "sources", "--json")
    assert [s["id"] for s in json.loads(out)] == ids
    code, out, _ = run(capsys, "history", str(conversation_id), "--json")
    assert code == EXIT_OK and json.loads(out)["n_turns"] == 1
