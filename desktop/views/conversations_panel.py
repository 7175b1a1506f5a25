"""Saved conversations beside the chat: a search field, the list (newest first), Delete."""

from __future__ import annotations

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

from . import id_list


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
        id_list.fill(self.list, items, current)
        self.delete_button.setEnabled(self.selected_id() is not None)

    def ids(self) -> list[int]:
        return id_list.ids(self.list)

    def item_of(self, conversation_id: int) -> QListWidgetItem | None:
        return id_list.item_of(self.list, conversation_id)

    def selected_id(self) -> int | None:
        return id_list.selected_id(self.list)
