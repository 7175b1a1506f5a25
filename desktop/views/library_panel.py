"""The library: sources table, add/remove/re-index, ingest progress with cancel, file errors."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from .watch_row import WatchRow


class LibraryPanel(QWidget):
    """Accepts files and folders dropped on it (`paths_dropped`)."""

    paths_dropped = Signal(list)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAcceptDrops(True)
        heading = QLabel("Library")
        font = heading.font()
        font.setBold(True)
        heading.setFont(font)
        self.summary = QLabel("")
        self.summary.setStyleSheet("color: #555;")

        self.table = QTableView()
        self.table.setObjectName("sources")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        self.table.setAlternatingRowColors(True)

        self.add_files_button = QPushButton("Add files…")
        self.add_files_button.setToolTip("Add articles (Ctrl+O); or drop files and folders here")
        self.add_folder_button = QPushButton("Add folder…")
        self.remove_button = QPushButton("Remove")
        self.remove_button.setEnabled(False)
        self.reindex_button = QPushButton("Re-index")
        self.reindex_button.setToolTip("Re-chunk and re-embed every source")
        buttons = QHBoxLayout()
        for b in (
            self.add_files_button,
            self.add_folder_button,
            self.remove_button,
            self.reindex_button,
        ):
            buttons.addWidget(b)

        self.watch_row = WatchRow()  # the watched folder (controllers/watch.py)

        self.progress = QProgressBar()
        self.progress.setObjectName("ingest_progress")
        self.progress_label = QLabel("")
        self.progress_label.setTextFormat(Qt.TextFormat.PlainText)
        self.cancel_button = QPushButton("Cancel")
        progress_row = QHBoxLayout()
        progress_row.addWidget(self.progress, 1)
        progress_row.addWidget(self.cancel_button)
        self.progress_box = QWidget()
        box = QVBoxLayout(self.progress_box)
        box.setContentsMargins(0, 0, 0, 0)
        box.addLayout(progress_row)
        box.addWidget(self.progress_label)
        self.progress_box.hide()

        self.errors_label = QLabel("Files that could not be added:")
        self.errors_label.setStyleSheet("color: #8b1a1a;")
        self.errors = QTableView()
        self.errors.setObjectName("ingest_errors")
        self.errors.verticalHeader().hide()
        self.errors.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.errors.setWordWrap(True)
        self.errors.setMaximumHeight(140)
        self.clear_errors_button = QPushButton("Dismiss")
        self.errors_box = QWidget()
        eb = QVBoxLayout(self.errors_box)
        eb.setContentsMargins(0, 0, 0, 0)
        header = QHBoxLayout()
        header.addWidget(self.errors_label, 1)
        header.addWidget(self.clear_errors_button)
        eb.addLayout(header)
        eb.addWidget(self.errors)
        self.errors_box.hide()

        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.summary)
        layout.addLayout(buttons)
        layout.addWidget(self.watch_row)
        layout.addWidget(self.progress_box)
        layout.addWidget(self.errors_box)

    def set_model(self, model) -> None:
        self.table.setModel(model)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in range(1, model.columnCount()):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        # Click a header to sort (the model sorts itself: row numbers stay the model's); until
        # then, the library's own order.
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.table.setSortingEnabled(True)

    def set_errors_model(self, model) -> None:
        self.errors.setModel(model)
        self.errors.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)

    def selected_rows(self) -> list[int]:
        return sorted({i.row() for i in self.table.selectionModel().selectedRows()})

    # -- drag and drop ------------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.paths_dropped.emit(paths)
