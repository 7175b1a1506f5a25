"""Dossiers: one story each, its own library and conversations; the upgrade of a single library."""

from __future__ import annotations

import json
import shutil
import sqlite3

import pytest

from dossier.dossiers import (
    DEMO_NAME,
    UPGRADED_NAME,
    DossierError,
    Dossiers,
    move_sqlite,
    slug_of,
)
from dossier.runtime import Runtime, Settings
from tests.conftest import SEEDS
from tests.dossier.legacy_library import QUESTION, make_legacy_data_folder

ARTICLE = (
    "Harbour Council Approves New Ferry Route\n\n"
    "The harbour council voted on Tuesday to approve a new ferry route between the old port "
    "and the northern islands.\n"
)


def runtime(data, embedder, dossier=None) -> Runtime:
    return Runtime(Settings.resolve(data=data, dossier=dossier), embedder=embedder)


# --- the registry ------------------------------------------------------------------------


def test_a_first_run_makes_one_demo_dossier_that_gets_the_seeds(tmp_path, fake_embedder):
    # GIVEN an empty data folder
    data = tmp_path / "data"
    # WHEN the dossiers are listed, THEN there is one, the Demo, current, not yet opened
    [demo] = Dossiers(data).list()
    assert (demo.name, demo.slug, demo.current, demo.seed) == (DEMO_NAME, "demo", True, True)
    assert demo.sources == 0 and demo.folder == data / "dossiers" / "demo"
    # AND opening it ingests the seeds into its own library folder, once
    rt = runtime(data, fake_embedder)
    assert len(rt.library().sources()) == 5
    assert rt.library_dir == data / "dossiers" / "demo" / "library"
    rt.close()
    assert Dossiers(data).current().sources == 5
    # AND the model cache stays shared, outside the dossiers
    assert rt.settings.cache_dir == data / "cache"


def test_create_rename_delete_and_list(tmp_path):
    registry = Dossiers(tmp_path / "data")
    # WHEN two dossiers are created
    strikes = registry.create("Strikes inside Russia")
    ferry = registry.create("Ferry route")
    # THEN they are listed oldest first, empty, each in its own folder, the Demo still current
    listed = registry.list()
    assert [d.name for d in listed] == [DEMO_NAME, "Strikes inside Russia", "Ferry route"]
    assert strikes.slug == "strikes-inside-russia" and strikes.folder.is_dir()
    assert (strikes.sources, strikes.seed, strikes.current) == (0, False, False)
    assert listed[0].current
    # WHEN one is renamed, THEN only its name changes: the folder (and all in it) stays
    renamed = registry.rename("ferry ROUTE", "Harbour ferry")  # names are found in any case
    assert renamed.name == "Harbour ferry" and renamed.folder == ferry.folder
    assert registry.get("Harbour ferry").slug == ferry.slug
    assert registry.get(ferry.slug).name == "Harbour ferry"  # the folder name finds it too
    # WHEN one is deleted, THEN its folder is gone and the list no longer has it
    registry.delete("Harbour ferry")
    assert not ferry.folder.exists()
    assert [d.name for d in registry.list()] == [DEMO_NAME, "Strikes inside Russia"]
    assert not any(p.name.startswith(".deleted") for p in registry.root.iterdir())


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "needs a name"),
        ("   ", "needs a name"),
        ("x" * 81, "at most 80"),
        ("two\nlines", "control characters"),
        ("bell\x07", "control characters"),
        ("evil\u202etxt", "control characters"),
        ("demo", "exists already"),  # the Demo, whatever the case
    ],
)
def test_bad_or_taken_names_are_refused_with_a_clear_message(tmp_path, name, message):
    registry = Dossiers(tmp_path / "data")
    with pytest.raises(DossierError, match=message):
        registry.create(name)
    assert len(registry.list()) == 1  # nothing was made


def test_a_name_is_refused_if_it_is_another_dossiers_folder_name(tmp_path):
    registry = Dossiers(tmp_path / "data")
    registry.create("Ferry")
    registry.rename("Ferry", "Harbour")  # its folder stays "ferry"
    with pytest.raises(DossierError, match="folder name"):
        registry.create("Ferry")
    with pytest.raises(DossierError, match="no dossier named"):
        registry.rename("Nope", "Other")


def test_a_new_folder_is_never_named_like_another_dossier(tmp_path):
    # GIVEN a dossier whose name looks like a folder name ("ferry-2", kept in folder "x")
    registry = Dossiers(tmp_path / "data")
    registry.create("x")
    registry.rename("x", "ferry-2")
    registry.create("Ferry")
    # WHEN a dossier whose folder would be "ferry-2" is made
    made = registry.create("Ferry!")
    # THEN it gets another folder, and its folder name finds it, not the dossier "ferry-2"
    assert made.name == "Ferry!" and made.slug != "ferry-2"
    assert registry.get(made.slug).name == "Ferry!"
    # AND deleting it by its folder name (as the window and `dossier delete` do) deletes it
    assert registry.delete(made.slug).name == "Ferry!"
    assert sorted(d.name for d in registry.list()) == [DEMO_NAME, "Ferry", "ferry-2"]


def test_slugs_are_plain_and_unique(tmp_path):
    assert slug_of("Élections 2024: Paris / Lyon") == "elections-2024-paris-lyon"
    assert slug_of("Выборы") == "dossier"  # no Latin letters: a generic folder name
    registry = Dossiers(tmp_path / "data")
    assert registry.create("Выборы").slug == "dossier"
    assert registry.create("Курс").slug == "dossier-2"


def test_the_last_dossier_cannot_be_deleted_and_deleting_the_current_one_falls_back(tmp_path):
    registry = Dossiers(tmp_path / "data")
    with pytest.raises(DossierError, match="only dossier"):
        registry.delete(DEMO_NAME)
    registry.create("Ferry")
    registry.use("Ferry")
    assert registry.current().name == "Ferry"
    registry.delete("Ferry")
    assert registry.current().name == DEMO_NAME


def test_a_dossier_whose_library_is_being_written_is_not_deleted(tmp_path):
    # GIVEN another process writing to the library of "Ferry" (it holds the write lock)
    from filelock import FileLock

    registry = Dossiers(tmp_path / "data")
    ferry = registry.create("Ferry")
    ferry.library_dir.mkdir()
    writer = FileLock(ferry.library_dir / "write.lock", thread_local=False)
    writer.acquire()
    # WHEN it is deleted, THEN that is refused with a message, and nothing moved
    try:
        with pytest.raises(DossierError, match="being changed by another Dossier"):
            registry.delete("Ferry")
        assert ferry.folder.is_dir()
    finally:
        writer.release()
    # AND once the writer is done, it can be deleted
    registry.delete("Ferry")
    assert not ferry.folder.exists()


def test_the_current_dossier_is_remembered_in_the_data_folder(tmp_path, monkeypatch):
    data = tmp_path / "data"
    Dossiers(data).create("Ferry")
    Dossiers(data).use("ferry")
    # THEN a new process (a new registry) opens it, unless another is named
    assert Dossiers(data).current().name == "Ferry"
    assert Runtime(Settings.resolve(data=data)).dossier.name == "Ferry"
    assert Runtime(Settings.resolve(data=data, dossier=DEMO_NAME)).dossier.name == DEMO_NAME
    monkeypatch.setenv("DOSSIER_DOSSIER", DEMO_NAME)
    assert Settings.resolve(data=data).dossier == DEMO_NAME
    with pytest.raises(DossierError, match="no dossier named"):
        _ = Runtime(Settings.resolve(data=data, dossier="Missing")).dossier


def test_if_every_dossier_folder_was_removed_by_hand_an_empty_one_is_made(tmp_path):
    registry = Dossiers(tmp_path / "data")
    registry.list()
    shutil.rmtree(registry.root / "demo")
    [made] = registry.list()
    assert not made.seed  # the seeds go in on the first run only


# --- separate stories --------------------------------------------------------------------


def test_two_dossiers_keep_separate_sources_and_conversations(tmp_path, fake_embedder):
    # GIVEN a second dossier, and an article ingested into it
    data = tmp_path / "data"
    Dossiers(data).create("Ferry")
    article = tmp_path / "ferry.txt"
    article.write_text(ARTICLE)
    ferry = runtime(data, fake_embedder, "Ferry")
    assert ferry.library().ingest([article]).added == ["ferry"]
    with ferry.conversations() as store:
        store.start(QUESTION)
    ferry.close()
    # WHEN each dossier is opened
    demo = runtime(data, fake_embedder)
    ferry = runtime(data, fake_embedder, "Ferry")
    # THEN each has its own sources (the new dossier got no seeds) and conversations
    assert [s.id for s in ferry.library().sources()] == ["ferry"]
    assert len(demo.library().sources()) == 5
    with ferry.conversations() as store, demo.conversations() as other:
        assert [c.title for c in store.conversations()] == [QUESTION]
        assert other.conversations() == []
    assert ferry.dossier_dir / "conversations.sqlite" != demo.dossier_dir / "conversations.sqlite"
    assert (ferry.dossier_dir / "conversations.sqlite").exists()
    listed = {d.name: d for d in Dossiers(data).list()}
    assert (listed["Ferry"].sources, listed[DEMO_NAME].sources) == (1, 5)
    assert listed["Ferry"].last_change is not None
    ferry.close()
    demo.close()


# --- the upgrade of a single library -----------------------------------------------------


def test_an_existing_single_library_becomes_the_first_dossier_with_nothing_lost(
    tmp_path, fake_embedder
):
    # GIVEN a data folder from before dossiers: the seeds and a saved conversation
    data = tmp_path / "data"
    ids, conversation_id = make_legacy_data_folder(data, fake_embedder)
    # WHEN the new version opens it
    rt = runtime(data, fake_embedder)
    # THEN it is the one dossier (no Demo: this is not a first run), current, with every source
    assert rt.dossier.name == UPGRADED_NAME
    assert [s.id for s in rt.library().sources()] == ids
    assert rt.library().search("ferry missiles range", k=3)  # its vector index works as is
    # AND its saved conversation, moved into the dossier's folder
    with rt.conversations() as store:
        [turn] = store.turns(conversation_id)
        assert turn.question == QUESTION and turn.answer.answer == "A new ferry route."
    assert (rt.dossier_dir / "conversations.sqlite").exists()
    assert not (rt.library_dir / "conversations.sqlite").exists()
    # AND the old folder was moved, not copied
    assert not (data / "library").exists()
    rt.close()
    # AND doing it again changes nothing (one dossier, the seeds not added twice)
    [only] = Dossiers(data).list()
    assert (only.name, only.sources, only.current) == (UPGRADED_NAME, 5, True)
    again = runtime(data, fake_embedder)
    assert len(again.library().sources()) == 5
    again.close()


def test_an_interrupted_upgrade_is_finished_without_a_second_dossier(tmp_path, fake_embedder):
    # GIVEN an upgrade stopped after its dossier folder was made, before the library moved
    data = tmp_path / "data"
    ids, _ = make_legacy_data_folder(data, fake_embedder)
    (data / "library.bak").mkdir()  # a look-alike that is not the library: left alone
    registry = Dossiers(data)
    registry.root.mkdir(parents=True)
    folder = registry.root / "my-dossier"
    folder.mkdir()
    meta = {"name": UPGRADED_NAME, "created": "2026-01-01T00:00:00+00:00", "seed": False}
    meta["upgraded_from"] = str(data / "library")
    (folder / "dossier.json").write_text(json.dumps(meta))
    # WHEN the dossiers are listed again
    [only] = registry.list()
    # THEN the same dossier got the library and its conversations
    assert only.folder == folder and only.sources == len(ids)
    assert (folder / "conversations.sqlite").exists()
    assert (data / "library.bak").is_dir() and not (data / "library").exists()


def test_a_database_moves_with_its_write_ahead_log(tmp_path):
    # GIVEN a WAL database whose last commits are only in its -wal file (as after a crash)
    live = tmp_path / "live"
    live.mkdir()
    db = sqlite3.connect(live / "c.sqlite")
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA wal_autocheckpoint=0")
    db.execute("CREATE TABLE t (x)")
    db.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(100)])
    db.commit()
    old = tmp_path / "old"
    shutil.copytree(live, old)  # the files as they are on disk now, WAL included
    db.close()
    assert (old / "c.sqlite-wal").exists()
    # WHEN it is moved
    new = tmp_path / "new"
    new.mkdir()
    move_sqlite(old / "c.sqlite", new / "c.sqlite")
    # THEN every committed row is there, and nothing is left behind
    moved = sqlite3.connect(new / "c.sqlite")
    assert moved.execute("SELECT count(*) FROM t").fetchone()[0] == 100
    moved.close()
    assert not list(old.iterdir())


def test_seeds_in_the_demo_only_once(tmp_path, fake_embedder):
    data = tmp_path / "data"
    rt = runtime(data, fake_embedder)
    library = rt.library()
    for source in library.sources():
        library.remove(source.id)
    rt.close()
    assert runtime(data, fake_embedder).library().sources() == []
    assert SEEDS.is_dir()


def test_a_read_only_data_folder_is_read_as_it_is(tmp_path, monkeypatch):
    # GIVEN a data folder with two dossiers, then made read-only (a backup, a read-only disk)
    import dossier.dossiers

    data = tmp_path / "data"
    Dossiers(data).create("Ferry")
    before = sorted(p.name for p in (data / "dossiers").iterdir())
    monkeypatch.setattr(dossier.dossiers.os, "access", lambda path, mode: False)
    registry = Dossiers(data)
    # WHEN it is listed, THEN both dossiers are there, nothing was written
    assert [d.name for d in registry.list()] == [DEMO_NAME, "Ferry"]
    assert registry.current().name == DEMO_NAME
    assert sorted(p.name for p in (data / "dossiers").iterdir()) == before
    # AND a change is refused with a message
    with pytest.raises(DossierError, match="read-only"):
        registry.use("Ferry")


def test_a_read_only_empty_data_folder_says_why_it_cannot_be_used(tmp_path, monkeypatch):
    import dossier.dossiers

    monkeypatch.setattr(dossier.dossiers.os, "access", lambda path, mode: False)
    with pytest.raises(DossierError, match="read-only and holds no dossier"):
        Dossiers(tmp_path / "data").list()


def test_a_read_only_data_folder_without_a_dossiers_folder_says_why(tmp_path, monkeypatch):
    # GIVEN a data folder from before dossiers on a read-only disk (mkdir is refused there)
    from pathlib import Path

    def refused(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "mkdir", refused)
    # WHEN it is opened, THEN the message says what to do, and names the folder
    with pytest.raises(DossierError, match="read-only and holds no dossier") as error:
        Dossiers(tmp_path / "data").list()
    assert str(tmp_path / "data") in str(error.value)


def test_a_creation_time_without_a_time_zone_is_listed(tmp_path):
    # GIVEN a dossier.json edited by hand, its time without a zone
    registry = Dossiers(tmp_path / "data")
    ferry = registry.create("Ferry")
    meta = json.loads((ferry.folder / "dossier.json").read_text())
    meta["created"] = "2020-01-01T00:00:00"
    (ferry.folder / "dossier.json").write_text(json.dumps(meta))
    # WHEN the dossiers are listed, THEN it is there (first: it is the oldest)
    assert [d.name for d in registry.list()] == ["Ferry", DEMO_NAME]


def test_a_registry_held_too_long_by_another_process_is_a_message(tmp_path, monkeypatch):
    from filelock import FileLock

    import dossier.dossiers

    registry = Dossiers(tmp_path / "data")
    registry.list()
    monkeypatch.setattr(dossier.dossiers, "LOCK_TIMEOUT_S", 0.1)
    other = FileLock(registry.root / ".lock", thread_local=False)
    other.acquire()
    try:
        with pytest.raises(DossierError, match=r"busy: .*\.lock"):
            registry.list()
    finally:
        other.release()
    assert registry.list()
