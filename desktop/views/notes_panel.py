"""Notes: the pinned answers, passages and summary points in the user's order; the selected
note's citations below as links; Edit, Move up, Move down, Delete; a note dragged to another
place in the list is moved there (`dragged`)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from . import id_list


class NotesPanel(QWidget):
    dragged = Signal()  # the user dropped a note at another place in the list

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        heading = QLabel("Notes — in the order the briefing lists them")
        font = heading.font()
        font.setBold(True)
        heading.setFont(font)
        self.list = QListWidget()
        self.list.setObjectName("notes")
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setWordWrap(True)
        self.list.setSpacing(3)
        self.list.setAlternatingRowColors(True)
        # Qt's own move within the list; the controller saves the new order and reads it back.
        self.list.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.list.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.list.model().rowsMoved.connect(lambda *_: self.dragged.emit())
        self.citations = QTextBrowser()
        self.citations.setObjectName("note_citations")
        self.citations.setOpenLinks(False)  # note: links are handled by the controller
        self.citations.setOpenExternalLinks(False)
        self.citations.setPlaceholderText("Select a note to see the passages it cites.")
        self.empty = QLabel(
            "No notes yet: pin an answer (“Pin to notes” under it), a passage selected in the "
            "source viewer, or a summary point."
        )
        self.empty.setWordWrap(True)
        self.empty.setTextFormat(Qt.TextFormat.PlainText)
        self.empty.setStyleSheet("color: #555;")
        self.status = QLabel("")
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setStyleSheet("color: #555;")
        self.status.setWordWrap(True)

        self.edit_button = QPushButton("Edit…")
        self.edit_button.setToolTip(
            "Rewrite the note in your words; a citation stays only where its passage still "
            "holds the sentence"
        )
        self.up_button = QPushButton("Move up")
        self.down_button = QPushButton("Move down")
        self.delete_button = QPushButton("Delete")
        self.buttons = (self.edit_button, self.up_button, self.down_button, self.delete_button)
        row = QHBoxLayout()
        row.addWidget(self.status, 1)
        for button in self.buttons:
            button.setEnabled(False)
            row.addWidget(button)

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.list)
        splitter.addWidget(self.citations)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.empty)
        layout.addWidget(splitter, 1)
        layout.addLayout(row)

    def set_items(self, items: list[tuple[int, str, str]], current: int | None) -> None:
        """(id, text, tooltip) per note, in order; `current` is selected if listed."""
        id_list.fill(self.list, items, current)
        self.empty.setVisible(not items)

    def ids(self) -> list[int]:
        return id_list.ids(self.list)

    def selected_id(self) -> int | None:
        return id_list.selected_id(self.list)

    def select(self, note_id: int) -> None:
        item = id_list.item_of(self.list, note_id)
        if item is not None:
            self.list.setCurrentItem(item)
