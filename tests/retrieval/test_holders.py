"""Which processes have a library open (retrieval/holders.py); another process holding it is
tested end to end in tests/cli/test_dossier_in_use.py."""

from __future__ import annotations

from datetime import UTC, datetime

from retrieval.holders import HOLDS_FOLDER, Holder, library_holders


def test_an_open_library_is_held_by_its_process_until_closed(library):
    # GIVEN an open library
    holds = library.folder / HOLDS_FOLDER
    # THEN this process holds it: one lock and a note naming the process
    assert sorted(p.suffix for p in holds.iterdir()) == [".json", ".lock"]
    note = Holder.model_validate_json(next(holds.glob("*.json")).read_text())
    assert note.pid > 0 and note.command
    # AND its own hold does not count against it (the window deletes what it put away itself)
    assert library_holders(library.folder) == []
    # WHEN it is closed, THEN the hold is gone
    library.close()
    assert list(holds.iterdir()) == []


def test_the_leftovers_of_a_process_that_ended_are_not_holders_and_are_removed(tmp_path):
    # GIVEN the lock and note of a process that ended (nothing holds the lock)
    holds = tmp_path / HOLDS_FOLDER
    holds.mkdir()
    gone = Holder(pid=2**22 + 7, command="dossier watch /in", since=datetime.now(UTC))
    (holds / "4194311-ab.json").write_text(gone.model_dump_json())
    (holds / "4194311-ab.lock").write_text("")
    # WHEN the holders are asked for, THEN there are none, and the leftovers were removed
    assert library_holders(tmp_path) == []
    assert list(holds.iterdir()) == []
