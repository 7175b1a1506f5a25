"""Qt item models over lists of the core's pydantic objects.

`ObjectListModel` is a table over any list: each column is a header and a function of the
row object. Views select rows and ask `object_at(row)` for the pydantic object back.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

Column = tuple[str, Callable[[Any], Any]]
Index = QModelIndex | QPersistentModelIndex


class ObjectListModel(QAbstractTableModel):
    def __init__(self, columns: Sequence[Column], tooltip: Callable[[Any], str] | None = None):
        super().__init__()
        self._columns = list(columns)
        self._tooltip = tooltip
        self._items: list[Any] = []

    def set_items(self, items: Sequence[Any]) -> None:
        self.beginResetModel()
        self._items = list(items)
        self.endResetModel()

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
        return None

    def headerData(self, section: int, orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self._columns[section][0]
        return None


def source_date(source) -> str:
    return source.meta.published or source.meta.dateline or ""


def sources_model() -> ObjectListModel:
    """Title, outlet, date and chunk count of each `retrieval.schema.Source`."""
    return ObjectListModel(
        [
            ("Title", lambda s: s.meta.title or s.id),
            ("Outlet", lambda s: s.meta.outlet or "—"),
            ("Date", lambda s: source_date(s) or "—"),
            ("Chunks", lambda s: s.n_chunks),
        ],
        tooltip=lambda s: f"{s.id}\n{s.path}",
    )


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
