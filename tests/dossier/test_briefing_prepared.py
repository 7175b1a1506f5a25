"""The briefing prepared ahead (overview and differences cached), and what is new since the
last exported briefing of the dossier."""

from __future__ import annotations

import json

import pytest

from dossier.briefing import brief, overview_needed
from dossier.briefing_history import BriefingHistory, new_since, with_new_since
from dossier.export import write_briefing
from dossier.layout import NEW_SINCE_HEADING, document
from dossier.prepare import prepare_briefing, summarize_missing
from tests.conftest import SEEDS
from tests.dossier.test_briefing import scripted_reply
from tests.fakes import ScriptedLLM

NEW_ARTICLE = (
    "Harbour board orders new tugboats\n"
    "The harbour board ordered two new tugboats on Monday after a long review of its fleet.\n"
    "The boats will be built at the yard in Port Ellis and delivered within two years.\n"
)


def is_overview(messages) -> bool:
    return messages[0]["content"].startswith("You write the overview")


def overview_calls(llm: ScriptedLLM) -> int:
    return sum(1 for m in llm.calls if is_overview(m))


# -- the overview prepared ahead ----------------------------------------------------------


def test_a_second_briefing_with_unchanged_summaries_runs_no_model(seeded_library):
    # GIVEN a briefing made once (summaries, differences and overview by the model)
    llm = ScriptedLLM(scripted_reply)
    first = brief(library=seeded_library, llm=llm)
    assert overview_calls(llm) == 1 and first.overview and not first.overview_prepared
    calls = len(llm.calls)
    # WHEN the briefing is made again, nothing having changed
    second = brief(library=seeded_library, llm=llm)
    # THEN no model call was made: the overview, differences and title are the same ones
    assert len(llm.calls) == calls
    assert second.overview_prepared
    assert second.overview == first.overview
    assert second.differences == first.differences
    assert second.title == first.title


def test_a_changed_source_invalidates_the_prepared_overview(library, tmp_path):
    # GIVEN a briefing made of the seeds and one more article
    path = tmp_path / "harbour.txt"
    path.write_text(NEW_ARTICLE, encoding="utf-8")
    assert library.ingest([SEEDS, path]).ok
    llm = ScriptedLLM(scripted_reply)
    brief(library=library, llm=llm)
    # WHEN the article's text changes and it is ingested again
    path.write_text(NEW_ARTICLE.replace("two new tugboats", "three new tugboats"), "utf-8")
    assert library.ingest([path]).replaced
    again = brief(library=library, llm=llm)
    # THEN the overview is written again, by the model
    assert overview_calls(llm) == 2 and not again.overview_prepared


def test_another_model_does_not_reuse_the_prepared_overview(seeded_library):
    llm = ScriptedLLM(scripted_reply)
    brief(library=seeded_library, llm=llm)
    other = ScriptedLLM(scripted_reply)
    other.model_id = "another-model"
    assert not brief(library=seeded_library, llm=other).overview_prepared
    assert overview_calls(other) == 1


def test_prepared_in_the_background_then_exported_with_no_model_call(seeded_library, tmp_path):
    # GIVEN the summaries made, then the briefing prepared, as the idle worker does
    llm = ScriptedLLM(scripted_reply)
    summarize_missing(seeded_library, llm)
    assert overview_needed(seeded_library, llm)
    assert prepare_briefing(seeded_library, llm) is True
    assert overview_calls(llm) == 1
    assert not overview_needed(seeded_library, llm)
    assert prepare_briefing(seeded_library, llm) is False  # nothing left to make
    calls = len(llm.calls)
    # WHEN the briefing is exported
    result = brief(library=seeded_library, llm=llm)
    written = write_briefing(result, tmp_path / "briefing.md")
    # THEN no model ran, and the file has the prepared overview
    assert len(llm.calls) == calls and result.overview_prepared
    assert result.overview[0].text in written.path.read_text(encoding="utf-8")


def test_nothing_is_prepared_while_a_summary_is_missing(seeded_library):
    llm = ScriptedLLM(scripted_reply)
    first = seeded_library.sources()[0].id
    summarize_missing(seeded_library, llm, source_ids=[first])
    assert not overview_needed(seeded_library, llm)
    assert prepare_briefing(seeded_library, llm) is False
    assert overview_calls(llm) == 0


def test_a_cancelled_preparation_caches_nothing(seeded_library):
    import threading

    llm = ScriptedLLM(scripted_reply)
    summarize_missing(seeded_library, llm)
    cancel = threading.Event()
    cancel.set()
    assert prepare_briefing(seeded_library, llm, cancel=cancel) is False
    assert overview_needed(seeded_library, llm)


# -- New since the last briefing ----------------------------------------------------------


@pytest.fixture
def history(tmp_path) -> BriefingHistory:
    return BriefingHistory(tmp_path / "dossier")


def export(library, llm, history, out):
    """What `dossier brief --out` and the window's export do: brief, new since, write, record."""
    result = with_new_since(brief(library=library, llm=llm), history)
    written = write_briefing(result, out)
    history.record(result, written.path, written.format)
    return result, written


def test_the_first_briefing_has_no_new_since_section(seeded_library, history, tmp_path):
    llm = ScriptedLLM(scripted_reply)
    result, written = export(seeded_library, llm, history, tmp_path / "a.md")
    assert result.new_since_last_briefing is None
    assert NEW_SINCE_HEADING not in written.path.read_text(encoding="utf-8")
    # AND the export is recorded: when, where, each source with its content hash
    record = history.last()
    assert record.path == str(tmp_path / "a.md") and record.format == ".md"
    assert record.sources == {s.id: s.content_hash for s in seeded_library.sources()}


def test_a_source_added_since_is_listed_with_its_key_points(seeded_library, history, tmp_path):
    # GIVEN a briefing exported once
    llm = ScriptedLLM(scripted_reply)
    first, _ = export(seeded_library, llm, history, tmp_path / "a.md")
    # WHEN a source is added and the briefing exported again
    path = tmp_path / "harbour.txt"
    path.write_text(NEW_ARTICLE, encoding="utf-8")
    added = seeded_library.ingest([path]).added
    second, written = export(seeded_library, llm, history, tmp_path / "b.md")
    # THEN the section lists exactly that source, with its checked points and their evidence
    new = second.new_since_last_briefing
    assert new is not None and new.previous_export_at == history.exports()[0].exported_at
    assert [s.source_id for s in new.sources] == added
    item = new.sources[0]
    assert item.status == "added" and item.title == "Harbour board orders new tugboats"
    summary = next(s for s in second.summaries if s.source_id == added[0])
    assert item.points == [p for p in summary.points if p.supported] and item.points
    # AND the file has the section after the overview, each point with its numbered note
    text = written.path.read_text(encoding="utf-8")
    assert text.index("Overview") < text.index(NEW_SINCE_HEADING) < text.index("Sources in brief")
    section = text[text.index(NEW_SINCE_HEADING) : text.index("Sources in brief")]
    assert item.points[0].text in section
    assert "Harbour board" in section
    doc = document(second)
    new_section = next(s for s in doc.sections if s.heading == NEW_SINCE_HEADING)
    bullets = [p for p in new_section.paras if p.style == "bullet"]
    assert bullets and all(p.notes for p in bullets)
    # AND a third export with nothing new says so
    third, _ = export(seeded_library, llm, history, tmp_path / "c.md")
    assert third.new_since_last_briefing.sources == []
    assert len(history.exports()) == 3


def test_a_changed_source_is_listed_as_changed(library, history, tmp_path):
    path = tmp_path / "harbour.txt"
    path.write_text(NEW_ARTICLE, encoding="utf-8")
    source_id = library.ingest([path]).added[0]
    llm = ScriptedLLM(scripted_reply)
    export(library, llm, history, tmp_path / "a.md")
    path.write_text(NEW_ARTICLE.replace("Monday", "Friday"), encoding="utf-8")
    library.ingest([path])
    result, _ = export(library, llm, history, tmp_path / "b.md")
    assert [(s.source_id, s.status) for s in result.new_since_last_briefing.sources] == [
        (source_id, "changed")
    ]


def test_a_damaged_history_reads_as_none(history):
    history.folder.mkdir(parents=True)
    history.path.write_text("{not json", encoding="utf-8")
    assert history.exports() == [] and history.last() is None


def test_the_history_file_is_json_with_every_export(seeded_library, history, tmp_path):
    llm = ScriptedLLM(scripted_reply)
    export(seeded_library, llm, history, tmp_path / "a.html")
    data = json.loads(history.path.read_text(encoding="utf-8"))
    assert [e["format"] for e in data["exports"]] == [".html"]
    assert len(data["exports"][0]["sources"]) == 5
    assert not list(history.folder.glob(".*.tmp"))  # written atomically, nothing left over


def test_new_since_without_a_previous_export_is_none(seeded_library):
    result = brief(library=seeded_library, llm=ScriptedLLM(scripted_reply))
    assert new_since(result, None) is None
