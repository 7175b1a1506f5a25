"""The dossier switcher above the library: which story is open, with New / Rename / Delete."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

SLUG_ROLE = Qt.ItemDataRole.UserRole


class DossierSwitcher(QWidget):
    """A combo with one line per dossier ("Name — 5 sources · changed …") and its actions."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        label = QLabel("Dossier")
        font = label.font()
        font.setBold(True)
        label.setFont(font)
        self.combo = QComboBox()
        self.combo.setObjectName("dossiers")
        self.combo.setToolTip("Each dossier is one story, with its own sources and conversations")
        self.combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.combo.setMinimumContentsLength(30)
        self.combo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.new_button = QPushButton("New…")
        self.new_button.setToolTip("Start a new, empty dossier for another story")
        self.rename_button = QPushButton("Rename…")
        self.delete_button = QPushButton("Delete…")
        self.delete_button.setToolTip(
            "Delete this dossier with its sources, conversations and notes"
        )
        self.message = QLabel("")  # why an action was refused, or what went wrong
        self.message.setTextFormat(Qt.TextFormat.PlainText)  # names are data, never markup
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #8b1a1a;")
        self.message.hide()

        # The heading and the actions on one line, the combo the full width under them: the
        # name, source count and last change of a dossier fit without being cut.
        row = QHBoxLayout()
        row.addWidget(label, 1)
        for button in (self.new_button, self.rename_button, self.delete_button):
            row.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(9, 9, 9, 0)  # lined up with the library panel below
        layout.addLayout(row)
        layout.addWidget(self.combo)
        layout.addWidget(self.message)

    def set_items(self, items: list[tuple[str, str, str]], current: str | None) -> None:
        """`items`: (slug, line shown, tooltip); `current` is selected. Sends no signal."""
        self.combo.blockSignals(True)
        try:
            self.combo.clear()
            for slug, text, tip in items:
                self.combo.addItem(text, slug)
                self.combo.setItemData(self.combo.count() - 1, tip, Qt.ItemDataRole.ToolTipRole)
            index = self.combo.findData(current) if current is not None else -1
            self.combo.setCurrentIndex(index)
        finally:
            self.combo.blockSignals(False)
        self.delete_button.setEnabled(self.combo.count() > 1)  # the last one stays

    def select(self, slug: str | None) -> None:
        self.combo.blockSignals(True)
        try:
            self.combo.setCurrentIndex(self.combo.findData(slug) if slug else -1)
        finally:
            self.combo.blockSignals(False)

    def selected_slug(self) -> str | None:
        return self.combo.currentData()

    def slugs(self) -> list[str]:
        return [self.combo.itemData(i) for i in range(self.combo.count())]

    def show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))
