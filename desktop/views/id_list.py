"""A list of things known by id (saved conversations, notes): each row's id in `ID_ROLE`, a
plain-text tooltip, the selection kept by id when the list is filled again."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QListWidget, QListWidgetItem

ID_ROLE = Qt.ItemDataRole.UserRole


def fill(widget: QListWidget, items: list[tuple[int, str, str]], current: int | None) -> None:
    """(id, text, tooltip) per row, in order; `current` is selected if listed. No selection
    signal is sent while the list is filled."""
    widget.blockSignals(True)
    try:
        widget.clear()
        for item_id, text, tip in items:
            item = QListWidgetItem(text)
            item.setData(ID_ROLE, item_id)
            # a tooltip that looks like markup is rendered as rich text: keep it plain
            escaped = html.escape(tip).replace("\n", "<br>")
            item.setToolTip(f"<p>{escaped}</p>" if tip else "")
            widget.addItem(item)
            if item_id == current:
                widget.setCurrentItem(item)
    finally:
        widget.blockSignals(False)


def ids(widget: QListWidget) -> list[int]:
    return [widget.item(i).data(ID_ROLE) for i in range(widget.count())]


def item_of(widget: QListWidget, item_id: int) -> QListWidgetItem | None:
    return next(
        (widget.item(i) for i in range(widget.count()) if widget.item(i).data(ID_ROLE) == item_id),
        None,
    )


def selected_id(widget: QListWidget) -> int | None:
    items = widget.selectedItems()
    return items[0].data(ID_ROLE) if items else None
