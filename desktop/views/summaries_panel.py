"""Summaries: pick a source, summarise it on demand, click a point to see its evidence."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)


class SummariesPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.source_picker = QComboBox()
        self.source_picker.setObjectName("summary_source")
        self.summarize_button = QPushButton("Summarise")
        self.refresh_button = QPushButton("Regenerate")
        self.refresh_button.setToolTip("Run the model again instead of using the cached summary")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.hide()
        top = QHBoxLayout()
        top.addWidget(QLabel("Source:"))
        top.addWidget(self.source_picker, 1)
        top.addWidget(self.summarize_button)
        top.addWidget(self.refresh_button)
        top.addWidget(self.cancel_button)

        self.progress = QProgressBar()
        self.progress.hide()
        self.heading = QLabel("")
        self.heading.setTextFormat(Qt.TextFormat.PlainText)
        self.heading.setWordWrap(True)
        font = self.heading.font()
        font.setBold(True)
        self.heading.setFont(font)
        self.meta = QLabel("")
        self.meta.setTextFormat(Qt.TextFormat.PlainText)
        self.meta.setStyleSheet("color: #555;")
        self.meta.setWordWrap(True)

        # The source guide: what the source reports, whom it quotes, what it stresses; only
        # sentences the source entails reach it.
        self.guide = QLabel("")
        self.guide.setObjectName("summary_guide")
        self.guide.setTextFormat(Qt.TextFormat.PlainText)
        self.guide.setWordWrap(True)
        self.guide.setToolTip(
            "About this source: each sentence was checked against the source's text; "
            "whom it quotes is read from its attributions."
        )
        self.guide.hide()

        self.points = QTableView()
        self.points.setObjectName("summary_points")
        self.points.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.points.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.points.verticalHeader().hide()
        self.points.horizontalHeader().hide()
        self.points.setWordWrap(True)
        self.points.setAlternatingRowColors(True)

        self.extra = QLabel("")
        self.extra.setTextFormat(Qt.TextFormat.PlainText)
        self.extra.setWordWrap(True)
        self.pin_button = QPushButton("Pin point to notes")
        self.pin_button.setToolTip("Pin the selected point, with its evidence, to the notes")
        self.pin_button.setEnabled(False)
        self.status = QLabel("Choose a source and press Summarise.")
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setStyleSheet("color: #555;")

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.progress)
        layout.addWidget(self.heading)
        layout.addWidget(self.meta)
        layout.addWidget(self.guide)
        layout.addWidget(self.points, 1)
        layout.addWidget(self.extra)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.pin_button)
        layout.addLayout(bottom)

    def set_model(self, model) -> None:
        self.points.setModel(model)
        self.points.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        model.modelReset.connect(self.points.resizeRowsToContents)
        selection = self.points.selectionModel()
        selection.selectionChanged.connect(
            lambda *_: self.pin_button.setEnabled(self.selected_row() is not None)
        )
        model.modelReset.connect(lambda: self.pin_button.setEnabled(False))

    def selected_row(self) -> int | None:
        rows = self.points.selectionModel().selectedRows()
        return rows[0].row() if rows else None

    def set_busy(self, busy: bool) -> None:
        self.summarize_button.setEnabled(not busy)
        self.refresh_button.setEnabled(not busy)
        self.cancel_button.setVisible(busy)
        self.progress.setVisible(busy)
