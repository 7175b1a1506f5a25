"""One source: its metadata above, its text below as plain text, a passage highlighted."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from ..itemmodels import source_date, source_title, title_is_derived

HIGHLIGHT = QColor("#fff1b8")  # the cited passage
FOCUS = QColor("#ffc94d")  # the sentence of it that supports the answer


def utf16_offset(text: str, index: int) -> int:
    """Qt counts UTF-16 code units; Python counts code points (they differ beyond the BMP)."""
    return len(text[:index].encode("utf-16-le")) // 2


def python_offset(text: str, units: int) -> int:
    """The inverse of `utf16_offset`: the code point index at `units` UTF-16 code units."""
    index = 0
    for char in text:
        if units <= 0:
            break
        units -= 2 if ord(char) > 0xFFFF else 1
        index += 1
    return index


class SourceViewer(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel("No source open")
        self.title.setTextFormat(Qt.TextFormat.PlainText)  # a title is data, never markup
        self.title.setWordWrap(True)
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.title.setFont(font)
        self.meta = QLabel("Click a citation [n] in an answer to see its passage here.")
        self.meta.setTextFormat(Qt.TextFormat.PlainText)
        self.meta.setWordWrap(True)
        self.meta.setStyleSheet("color: #555;")
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setObjectName("source_text")
        # Select words of the source, then pin them to the notes (controllers/notes.py).
        self.pin_button = QPushButton("Pin selection to notes")
        self.pin_button.setToolTip("Pin the selected text, with its place in the source")
        self.pin_button.setEnabled(False)
        self.text.selectionChanged.connect(
            lambda: self.pin_button.setEnabled(self.selected_span() is not None)
        )
        pin_row = QHBoxLayout()
        pin_row.addStretch(1)
        pin_row.addWidget(self.pin_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.meta)
        layout.addWidget(self.text, 1)
        layout.addLayout(pin_row)
        self.source_id: str | None = None
        self.highlighted: tuple[int, int] | None = None  # Python offsets into the source text
        self.focused: tuple[int, int] | None = None
        self._raw = ""

    def show_source(self, source, text: str, start=None, end=None, focus=None) -> None:
        """Show `text` (setPlainText: HTML in a source stays visible characters)."""
        self.source_id = source.id if source is not None else None
        meta = source.meta if source is not None else None
        self.title.setText(source_title(source) if source is not None else "")
        font = self.title.font()
        font.setItalic(source is not None and title_is_derived(source))  # cut from the text
        self.title.setFont(font)
        parts = []
        if meta:
            parts += [meta.outlet, meta.byline, source_date(source), meta.place]
        if source is not None:
            parts.append(f"{source.n_chunks} passages · {source.id}")
        self.meta.setText("  ·  ".join(p for p in parts if p))
        if text != self._raw:
            self._raw = text
            self.text.setPlainText(text)
        self.highlight(start, end, focus)

    def _selection(self, start: int, end: int, color: QColor) -> QTextEdit.ExtraSelection:
        cursor = self.text.textCursor()
        cursor.setPosition(utf16_offset(self._raw, start))
        cursor.setPosition(utf16_offset(self._raw, end), QTextCursor.MoveMode.KeepAnchor)
        selection = QTextEdit.ExtraSelection()
        fmt = QTextCharFormat()
        fmt.setBackground(color)
        selection.format = fmt
        selection.cursor = cursor
        return selection

    def highlight(self, start: int | None, end: int | None, focus=None) -> None:
        """Highlight `text[start:end]` (and the `focus` span inside it more strongly)."""
        if start is None or end is None:
            self.highlighted = None
            self.text.setExtraSelections([])
            return
        self.highlighted = (start, end)
        self.focused = tuple(focus) if focus else None
        selections = [self._selection(start, end, HIGHLIGHT)]
        if self.focused:
            selections.append(self._selection(*self.focused, FOCUS))
        self.text.setExtraSelections(selections)
        a, b = utf16_offset(self._raw, start), utf16_offset(self._raw, end)
        # Scroll so the passage is in view: end first, then start, so its top is visible.
        end_cursor = self.text.textCursor()
        end_cursor.setPosition(b)
        self.text.setTextCursor(end_cursor)
        self.text.ensureCursorVisible()
        start_cursor = self.text.textCursor()
        start_cursor.setPosition(a)
        self.text.setTextCursor(start_cursor)
        self.text.centerCursor()

    def highlighted_text(self) -> str:
        if self.highlighted is None:
            return ""
        return self._raw[self.highlighted[0] : self.highlighted[1]]

    def selected_span(self) -> tuple[int, int, str] | None:
        """(start, end, text) of the selected words as offsets into the source's text (outer
        whitespace left out), or None when nothing but blanks is selected."""
        cursor = self.text.textCursor()
        if self.source_id is None or not cursor.hasSelection():
            return None
        start = python_offset(self._raw, cursor.selectionStart())
        end = python_offset(self._raw, cursor.selectionEnd())
        while start < end and self._raw[start].isspace():
            start += 1
        while end > start and self._raw[end - 1].isspace():
            end -= 1
        if start >= end:
            return None
        return start, end, self._raw[start:end]
