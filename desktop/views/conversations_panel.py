"""Saved conversations beside the chat: a search field, the list (newest first), Delete."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

ID_ROLE = Qt.ItemDataRole.UserRole


class ConversationsPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        heading = QLabel("Conversations")
        font = heading.font()
        font.setBold(True)
        heading.setFont(font)
        self.search = QLineEdit()
        self.search.setObjectName("conversation_search")
        self.search.setPlaceholderText("Search questions and answers…")
        self.search.setClearButtonEnabled(True)
        self.list = QListWidget()
        self.list.setObjectName("conversations")
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setWordWrap(True)
        self.list.setSpacing(2)
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.empty = QLabel("")
        self.empty.setWordWrap(True)
        self.empty.setStyleSheet("color: #555;")
        self.empty.setTextFormat(Qt.TextFormat.PlainText)
        self.delete_button = QPushButton("Delete")
        self.delete_button.setToolTip("Delete the selected conversation")
        self.delete_button.setEnabled(False)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.delete_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(heading)
        layout.addWidget(self.search)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.empty)
        layout.addLayout(buttons)
        self.list.itemSelectionChanged.connect(
            lambda: self.delete_button.setEnabled(self.selected_id() is not None)
        )

    def set_items(self, items: list[tuple[int, str, str]], current: int | None) -> None:
        """(id, text, tooltip) per conversation, in order; `current` is selected if listed."""
        self.list.blockSignals(True)
        try:
            self.list.clear()
            for conversation_id, text, tip in items:
                item = QListWidgetItem(text)
                item.setData(ID_ROLE, conversation_id)
                # a tooltip that looks like markup is rendered as rich text: keep it plain
                escaped = html.escape(tip).replace("\n", "<br>")
                item.setToolTip(f"<p>{escaped}</p>" if tip else "")
                self.list.addItem(item)
                if conversation_id == current:
                    self.list.setCurrentItem(item)
        finally:
            self.list.blockSignals(False)
        self.delete_button.setEnabled(self.selected_id() is not None)

    def ids(self) -> list[int]:
        return [self.list.item(i).data(ID_ROLE) for i in range(self.list.count())]

    def item_of(self, conversation_id: int) -> QListWidgetItem | None:
        for i in range(self.list.count()):
            if self.list.item(i).data(ID_ROLE) == conversation_id:
                return self.list.item(i)
        return None

    def selected_id(self) -> int | None:
        items = self.list.selectedItems()
        return items[0].data(ID_ROLE) if items else None
