"""Qt item models over lists of the core's pydantic objects.

`ObjectListModel` is a table over any list: each column is a header and a function of the
row object (and, optionally, a sort key). Views select rows and ask `object_at(row)` for the
pydantic object back; sorting reorders the rows in the model itself, so row numbers stay the
model's (no proxy model to map through).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QFont

# (header, value) or (header, value, sort key): the key sorts the column where the shown text
# would not (dates, counts); rows without a value sort last either way.
Column = tuple[str, Callable[[Any], Any]] | tuple[str, Callable[[Any], Any], Callable[[Any], Any]]
Index = QModelIndex | QPersistentModelIndex
MUTED = QColor("#777777")  # a value Dossier made up rather than read (a derived title)
UNTITLED = "(untitled)"


class ObjectListModel(QAbstractTableModel):
    def __init__(
        self,
        columns: Sequence[Column],
        tooltip: Callable[[Any], str] | None = None,
        muted: Callable[[Any, int], bool] | None = None,
    ):
        super().__init__()
        self._columns = list(columns)
        self._tooltip = tooltip
        self._muted = muted  # (row object, column) -> shown grey and italic
        self._items: list[Any] = []
        self._sort: tuple[int, Qt.SortOrder] | None = None

    def set_items(self, items: Sequence[Any]) -> None:
        self.beginResetModel()
        self._items = self._sorted(list(items))
        self.endResetModel()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort the rows by `column` (kept for later `set_items`); a negative column keeps the
        order the items were given in from the next `set_items` on."""
        self._sort = (column, order) if 0 <= column < len(self._columns) else None
        if self._sort is None:
            return
        self.layoutAboutToBeChanged.emit()
        self._items = self._sorted(self._items)
        self.layoutChanged.emit()

    def _sorted(self, items: list[Any]) -> list[Any]:
        if self._sort is None:
            return items
        column, order = self._sort
        spec = self._columns[column]
        key = spec[2] if len(spec) > 2 else spec[1]
        descending = order == Qt.SortOrder.DescendingOrder
        present = [(key(item), item) for item in items]
        known = [p for p in present if p[0] is not None and p[0] != ""]
        missing = [item for value, item in present if value is None or value == ""]
        try:
            known.sort(key=lambda p: p[0], reverse=descending)
        except TypeError:  # mixed kinds of value: sort as text
            known.sort(key=lambda p: str(p[0]).casefold(), reverse=descending)
        return [item for _, item in known] + missing

    def items(self) -> list[Any]:
        return list(self._items)

    def object_at(self, row: int) -> Any:
        return self._items[row]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._items)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        item = self._items[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            value = self._columns[index.column()][1](item)
            return "" if value is None else str(value)
        if role == Qt.ItemDataRole.ToolTipRole and self._tooltip:
            return self._tooltip(item)
        if role == Qt.ItemDataRole.UserRole:
            return item
        if self._muted and self._muted(item, index.column()):
            if role == Qt.ItemDataRole.ForegroundRole:
                return MUTED
            if role == Qt.ItemDataRole.FontRole:
                font = QFont()
                font.setItalic(True)
                return font
        return None

    def headerData(self, section: int, orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self._columns[section][0]
        return None


def source_date(source) -> str:
    """The publication date only (ISO, so it sorts as a date); never a dateline's place."""
    return source.meta.published or ""


def source_title(source) -> str:
    """The title to show: stated or derived, never the internal id."""
    return source.meta.title or UNTITLED


def title_is_derived(source) -> bool:
    """Shown muted: Dossier cut this title from the text, the source states none."""
    return bool(source.meta.title_derived) or not source.meta.title


def sources_model() -> ObjectListModel:
    """Title, outlet, date and chunk count of each `retrieval.schema.Source`; a derived title
    is shown muted; the Date column sorts as dates, undated sources last."""
    return ObjectListModel(
        [
            ("Title", source_title, lambda s: source_title(s).casefold()),
            ("Outlet", lambda s: s.meta.outlet or "—", lambda s: (s.meta.outlet or "").casefold()),
            ("Date", lambda s: source_date(s) or "—", source_date),
            ("Chunks", lambda s: s.n_chunks, lambda s: s.n_chunks),
        ],
        tooltip=_source_tooltip,
        muted=lambda s, column: column == 0 and title_is_derived(s),
    )


def _source_tooltip(source) -> str:
    lines = []
    if title_is_derived(source):
        lines.append("Title taken from the first sentence (the source states none)")
    if source.meta.place:
        lines.append(f"Filed from {source.meta.place}")
    return "\n".join([*lines, source.id, source.path])


def errors_model() -> ObjectListModel:
    """Files that could not be ingested (`retrieval.schema.FileError`)."""
    return ObjectListModel(
        [("File", lambda e: e.path.rsplit("/", 1)[-1]), ("Problem", lambda e: e.reason)],
        tooltip=lambda e: f"{e.path}\n{e.reason}",
    )


def summary_points_model() -> ObjectListModel:
    """Points of a `SourceSummary`: supported ones plain, the others flagged."""
    return ObjectListModel(
        [("Point", lambda p: p.text if p.supported else f"⚠ {p.text} (not supported)")],
        tooltip=lambda p: (
            "Click to see the evidence in the source"
            if p.evidence
            else "No evidence found in the source"
        ),
    )
