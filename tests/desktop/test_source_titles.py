"""The library table: a title for every source (never its id, a derived one muted), and a Date
column of dates only that sorts as dates."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from desktop.itemmodels import MUTED, sources_model
from retrieval.schema import Source, SourceMeta
from tests.fakes import ScriptedLLM

NO_HEADLINE = (
    "Volunteers counted more than three hundred nesting terns on the gravel spit this week, "
    "the highest number since the sanctuary opened, wardens said on Friday.\n"
)
WITH_DATELINE = (
    "Bridge Repairs Finish Early\n\nBy Ines Okafor\n\n"
    "RIGA, June 3, 2024 — Crews finished repairing the old stone bridge two weeks early, "
    "the city said on Monday.\n"
)


def source(source_id: str, **meta) -> Source:
    return Source(
        id=source_id,
        path=f"/articles/{source_id}.txt",
        content_hash="0" * 64,
        meta=SourceMeta(**meta),
        n_chars=100,
        n_chunks=1,
        added_at="2024-01-01T00:00:00+00:00",
    )


def cell(model, row: int, column: int, role=Qt.ItemDataRole.DisplayRole):
    return model.data(model.index(row, column), role)


def test_no_source_in_the_library_table_has_its_id_as_title(make_window, tmp_path):
    """GIVEN a library of the seeds (two have no headline line) and an article of our own
    without a headline
    WHEN the window lists the sources
    THEN every row's title is text from the source, not its id, and the derived titles are
    shown muted."""
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "obs_0173.txt").write_text(NO_HEADLINE)
    window, app = make_window(ScriptedLLM([]))
    app.engine.library.ingest([folder])
    model = sources_model()
    model.set_items(app.engine.library.sources())
    assert model.rowCount() >= 6
    derived = 0
    for row in range(model.rowCount()):
        item = model.object_at(row)
        title = cell(model, row, 0)
        assert title and title != item.id and not title.startswith(item.id)
        if item.meta.title_derived:
            derived += 1
            assert cell(model, row, 0, Qt.ItemDataRole.ForegroundRole) == MUTED
            assert cell(model, row, 0, Qt.ItemDataRole.FontRole).italic()
        else:
            assert cell(model, row, 0, Qt.ItemDataRole.ForegroundRole) is None
    assert derived >= 3  # two seeds and the terns article
    terns = next(s for s in model.items() if Path(s.path).name == "obs_0173.txt")
    assert terns.meta.title.startswith("Volunteers counted more than three hundred")


def test_the_window_table_shows_no_id_as_a_title(make_window):
    """GIVEN the window over the seed library
    WHEN its library table is read
    THEN no row shows a source id in the Title column."""
    window, app = make_window(ScriptedLLM([]))
    model = app.library.model
    assert model.rowCount() > 0
    for row in range(model.rowCount()):
        assert cell(model, row, 0) != model.object_at(row).id


def test_date_column_shows_dates_only_and_sorts_as_dates(qtbot):
    """GIVEN sources with dates, one with only a dateline place, one with nothing
    WHEN the table is sorted by the Date column, both ways
    THEN the column shows dates or a dash (never a place), dated rows in date order, undated
    last."""
    model = sources_model()
    model.set_items(
        [
            source("a", title="Spring", published="2024-03-26"),
            source("b", title="Placed", dateline="CHISINAU, Moldova"),
            source("c", title="Winter", published="2023-12-01"),
            source("d", title="Autumn", published="2024-10-02"),
        ]
    )
    shown = {model.object_at(r).id: cell(model, r, 2) for r in range(4)}
    assert shown == {"a": "2024-03-26", "b": "—", "c": "2023-12-01", "d": "2024-10-02"}
    model.sort(2, Qt.SortOrder.AscendingOrder)
    assert [model.object_at(r).id for r in range(4)] == ["c", "a", "d", "b"]
    model.sort(2, Qt.SortOrder.DescendingOrder)
    assert [model.object_at(r).id for r in range(4)] == ["d", "a", "c", "b"]
    # The sort holds when the library is listed again.
    model.set_items([source("e", title="Later", published="2025-01-01"), *model.items()])
    assert model.object_at(0).id == "e"


def test_a_dateline_place_is_in_the_tooltip_not_the_date(qtbot, make_window, tmp_path):
    """GIVEN an article with a byline and a dated dateline
    WHEN it is ingested and listed
    THEN its Date is the dateline's date and its place is named apart, in the tooltip."""
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "bridge.txt").write_text(WITH_DATELINE)
    window, app = make_window(ScriptedLLM([]), folder=folder)
    model = app.library.model
    (row,) = [r for r in range(model.rowCount()) if model.object_at(r).meta.place == "RIGA"]
    assert cell(model, row, 0) == "Bridge Repairs Finish Early"
    assert cell(model, row, 2) == "2024-06-03"
    assert "RIGA" in cell(model, row, 0, Qt.ItemDataRole.ToolTipRole)
    assert model.object_at(row).meta.byline == "Ines Okafor"
