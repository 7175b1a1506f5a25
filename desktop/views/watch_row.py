"""The watched folder, under the library's buttons: which folder, and the buttons to change it."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget


class WatchRow(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel("")
        self.label.setObjectName("watched_folder")
        self.label.setTextFormat(Qt.TextFormat.PlainText)  # a folder name is never markup
        self.label.setStyleSheet("color: #555;")
        self.label.setWordWrap(True)
        self.watch_button = QPushButton("Watch a folder…")
        self.watch_button.setToolTip(
            "Files added to or changed in this folder are added to the library automatically. "
            "Deleting a file there removes nothing from the library."
        )
        self.stop_button = QPushButton("Stop watching")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.watch_button)
        layout.addWidget(self.stop_button)
        self.show_folder(None)

    def show_folder(self, folder, note: str = "") -> None:
        """The watched folder (None: none), with a note such as "missing"."""
        if folder is None:
            self.label.setText("No folder watched")
            self.label.setToolTip("")
        else:
            self.label.setText(f"Watching {folder}" + (f" ({note})" if note else ""))
            self.label.setToolTip(str(folder))
        self.stop_button.setVisible(folder is not None)
