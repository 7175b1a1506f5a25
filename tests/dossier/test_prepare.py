"""Which sources still need a summary, and making them ahead of the briefing."""

from __future__ import annotations

import threading

from dossier.prepare import sources_to_summarize, summarize_missing
from dossier.summaries import cached_summary, summarize
from prompts import PromptSet
from tests.fakes import ScriptedLLM

REPLY = "ANGLE: none"


def test_only_sources_without_a_cached_summary_are_listed(seeded_library):
    # GIVEN the five seeds, two of them summarised with this model
    library = seeded_library
    ids = [s.id for s in library.sources()]
    llm = ScriptedLLM(lambda messages: REPLY)
    for source_id in ids[:2]:
        summarize(source_id, library=library, llm=llm)
    calls = len(llm.calls)
    # WHEN asked which sources still need one
    todo = sources_to_summarize(library, llm)
    # THEN the other three are listed, in library order, without running the model
    assert todo == ids[2:]
    assert len(llm.calls) == calls
    # AND another model, or other prompts, need them all
    other = ScriptedLLM(lambda messages: REPLY)
    other.model_id = "other-model"
    assert sources_to_summarize(library, other) == ids
    # AND a restricted list keeps its order and drops unknown ids
    assert sources_to_summarize(library, llm, source_ids=[ids[4], "nope", ids[0]]) == [ids[4]]


def test_a_changed_source_needs_its_summary_again(library, tmp_path):
    # GIVEN a source summarised once
    path = tmp_path / "a.txt"
    path.write_text("Title\nThe council approved the plan on Tuesday.\n", encoding="utf-8")
    source_id = library.ingest([path]).added[0]
    llm = ScriptedLLM(lambda messages: REPLY)
    summarize(source_id, library=library, llm=llm)
    assert sources_to_summarize(library, llm) == []
    # WHEN its file changes and is ingested again
    path.write_text("Title\nThe council rejected the plan on Tuesday.\n", encoding="utf-8")
    report = library.ingest([path])
    # THEN it is listed again
    assert report.replaced == [source_id]
    assert sources_to_summarize(library, llm) == [source_id]


def test_other_prompts_are_a_different_cache(seeded_library, tmp_path):
    library = seeded_library
    llm = ScriptedLLM(lambda messages: REPLY)
    summarize_missing(library, llm)
    folder = tmp_path / "prompts"
    folder.mkdir()
    for name in PromptSet().names():
        (folder / f"{name}.txt").write_bytes(PromptSet().path(name).read_bytes())
    (folder / "summary_system.txt").write_text(
        PromptSet().path("summary_system").read_text() + "\nBe terse.\n"
    )
    assert sources_to_summarize(library, llm) == []
    assert len(sources_to_summarize(library, llm, PromptSet(folder))) == 5


def test_summarize_missing_makes_and_caches_them_with_progress(seeded_library):
    # GIVEN the seeds, one summarised already
    library = seeded_library
    ids = [s.id for s in library.sources()]
    llm = ScriptedLLM(lambda messages: REPLY)
    summarize(ids[0], library=library, llm=llm)
    steps = []
    # WHEN the missing ones are made
    made = summarize_missing(library, llm, progress=lambda *step: steps.append(step))
    # THEN the four others are summarised and cached, with progress before each and at the end
    assert made == ids[1:]
    assert all(cached_summary(i, library=library, llm=llm) for i in ids)
    assert [s[:2] for s in steps] == [(0, 4), (1, 4), (2, 4), (3, 4), (4, 4)]
    assert sources_to_summarize(library, llm) == []


def test_a_cancelled_run_caches_nothing_it_did_not_finish(seeded_library):
    library = seeded_library
    llm = ScriptedLLM(lambda messages: REPLY)
    cancel = threading.Event()
    cancel.set()
    assert summarize_missing(library, llm, cancel=cancel) == []
    assert len(sources_to_summarize(library, llm)) == 5


def test_a_cancelled_scan_stops_early(seeded_library):
    cancel = threading.Event()
    cancel.set()
    llm = ScriptedLLM([])
    assert sources_to_summarize(seeded_library, llm, cancel=cancel) == []
    assert len(sources_to_summarize(seeded_library, llm)) == len(seeded_library.sources())
