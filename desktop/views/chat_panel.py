"""The chat: saved conversations on the left; transcript with clickable citations, question box,
Ask / Stop / Copy / New."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from .conversations_panel import ConversationsPanel


class ChatPanel(QWidget):
    starter_clicked = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.transcript = QTextBrowser()
        self.transcript.setOpenLinks(False)  # cite:/passage: links are handled by the controller
        self.transcript.setOpenExternalLinks(False)
        self.transcript.setPlaceholderText("Ask a question about your sources.")
        self.transcript.setObjectName("transcript")

        self.starters_label = QLabel("Try asking:")
        self.starters_row = QVBoxLayout()
        self.starters_box = QWidget()
        starters = QVBoxLayout(self.starters_box)
        starters.setContentsMargins(0, 0, 0, 0)
        starters.addWidget(self.starters_label)
        starters.addLayout(self.starters_row)

        self.question = QLineEdit()
        self.question.setPlaceholderText("Ask about your sources…  (Enter to ask, Ctrl+L to focus)")
        self.question.setClearButtonEnabled(True)
        self.ask_button = QPushButton("Ask")
        self.ask_button.setDefault(True)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("Stop the answer (Esc)")
        self.stop_button.setEnabled(False)
        self.copy_button = QPushButton("Copy answer")
        self.copy_button.setEnabled(False)
        self.new_button = QPushButton("New conversation")
        self.status = QLabel("")
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setStyleSheet("color: #555;")

        ask_row = QHBoxLayout()
        ask_row.addWidget(self.question, 1)
        ask_row.addWidget(self.ask_button)
        ask_row.addWidget(self.stop_button)
        tools = QHBoxLayout()
        tools.addWidget(self.status, 1)
        tools.addWidget(self.copy_button)
        tools.addWidget(self.new_button)

        chat = QWidget()
        layout = QVBoxLayout(chat)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.transcript, 1)
        layout.addWidget(self.starters_box)
        layout.addLayout(ask_row)
        layout.addLayout(tools)

        # Saved conversations on the left of the chat: pick one to restore it.
        self.conversations = ConversationsPanel()
        self.conversations.setMinimumWidth(190)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.conversations)
        self.splitter.addWidget(chat)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setSizes([240, 640])
        outer = QVBoxLayout(self)
        outer.addWidget(self.splitter)

    # -- transcript ---------------------------------------------------------------------
    def set_transcript(self, html: str) -> None:
        self.transcript.setHtml(html)
        self.scroll_to_end()

    def append_plain(self, text: str) -> None:
        """Streamed model text: inserted as plain text, never parsed as markup."""
        cursor = self.transcript.textCursor()
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertText(text)
        self.scroll_to_end()

    def links(self) -> list[tuple[str, int]]:
        """(href, document position) of every link in the transcript, in order."""
        found = []
        block = self.transcript.document().begin()
        while block.isValid():
            it = block.begin()
            while not it.atEnd():
                fragment = it.fragment()
                href = fragment.charFormat().anchorHref()
                if href:
                    found.append((href, fragment.position()))
                it += 1
            block = block.next()
        return found

    def link_point(self, position: int) -> QPoint:
        """Viewport point over the character at `position` (scrolled into view first)."""
        cursor = QTextCursor(self.transcript.document())
        cursor.setPosition(position + 1)
        self.transcript.setTextCursor(cursor)
        self.transcript.ensureCursorVisible()
        rect = self.transcript.cursorRect(cursor)
        return QPoint(rect.left() - 2, rect.center().y())

    def scroll_to_end(self) -> None:
        bar = self.transcript.verticalScrollBar()
        bar.setValue(bar.maximum())

    def set_starters(self, questions: list[str]) -> None:
        while self.starters_row.count():
            item = self.starters_row.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        for q in questions:
            button = QPushButton(q)
            button.setFlat(True)
            button.setStyleSheet("text-align: left; color: #1a5fb4;")
            button.clicked.connect(lambda _=False, q=q: self.starter_clicked.emit(q))
            self.starters_row.addWidget(button)
        self.starters_box.setVisible(bool(questions))

    def set_busy(self, busy: bool) -> None:
        self.ask_button.setEnabled(not busy)
        self.stop_button.setEnabled(busy)
