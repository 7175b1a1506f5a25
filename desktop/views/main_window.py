"""The main window's layout: the dossier switcher and library on the left; chat, source,
summaries and notes on the right."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QLabel,
    QMainWindow,
    QSplitter,
    QTabWidget,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from .chat_panel import ChatPanel
from .dossier_switcher import DossierSwitcher
from .library_panel import LibraryPanel
from .notes_panel import NotesPanel
from .source_viewer import SourceViewer
from .summaries_panel import SummariesPanel


class MainWindow(QMainWindow):
    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle("Dossier")
        self.resize(1280, 800)
        self.dossiers = DossierSwitcher()
        self.library = LibraryPanel()
        self.chat = ChatPanel()
        self.source = SourceViewer()
        self.summaries = SummariesPanel()
        self.notes = NotesPanel()
        self.tabs = QTabWidget()
        self.tabs.addTab(self.chat, "Chat")
        self.tabs.addTab(self.source, "Source")
        self.tabs.addTab(self.summaries, "Summaries")
        self.tabs.addTab(self.notes, "Notes")
        splitter = QSplitter(Qt.Orientation.Horizontal)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.dossiers)
        left_layout.addWidget(self.library, 1)
        splitter.addWidget(left)
        splitter.addWidget(self.tabs)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([480, 800])
        self.setCentralWidget(splitter)

        self.add_files_action = QAction("Add files…", self)
        self.add_files_action.setShortcut(QKeySequence("Ctrl+O"))
        self.export_action = QAction("Export briefing…", self)
        self.export_action.setShortcut(QKeySequence("Ctrl+E"))
        self.export_action.setToolTip("Export a briefing of all sources (Ctrl+E)")
        self.settings_action = QAction("Settings…", self)
        self.settings_action.setShortcut(QKeySequence("Ctrl+,"))
        self.focus_question_action = QAction("Focus question", self)
        self.focus_question_action.setShortcut(QKeySequence("Ctrl+L"))
        self.stop_action = QAction("Stop", self)
        self.stop_action.setShortcut(QKeySequence(Qt.Key.Key_Escape))
        for action in (self.focus_question_action, self.stop_action):
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            self.addAction(action)
        toolbar = QToolBar("Main")
        toolbar.setObjectName("main_toolbar")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        toolbar.addAction(self.add_files_action)
        toolbar.addAction(self.export_action)
        toolbar.addAction(self.settings_action)
        self.addToolBar(toolbar)

        self.model_status = QLabel("Model: loading…")
        self.library_status = QLabel("Library: opening…")
        self.offline_status = QLabel("● Offline")
        self.offline_status.setToolTip("Dossier runs entirely on this computer; nothing is sent")
        self.offline_status.setStyleSheet("color: #2e7d32;")
        self.job_status = QLabel("")
        for label in (self.model_status, self.library_status, self.job_status):
            label.setTextFormat(Qt.TextFormat.PlainText)
        bar = self.statusBar()
        bar.addWidget(self.model_status)
        bar.addWidget(self.library_status)
        bar.addWidget(self.job_status, 1)
        # Summaries prepared in the background (controllers/background.py): progress and a
        # pause/resume toggle, hidden while there is nothing to prepare.
        self.background_status = QLabel("")
        self.background_status.setTextFormat(Qt.TextFormat.PlainText)
        self.background_button = QToolButton()
        self.background_button.setText("Pause")
        self.background_button.setAutoRaise(True)
        self.background_status.hide()
        self.background_button.hide()
        bar.addPermanentWidget(self.background_status)
        bar.addPermanentWidget(self.background_button)
        bar.addPermanentWidget(self.offline_status)

    def show_tab(self, widget) -> None:
        self.tabs.setCurrentWidget(widget)
