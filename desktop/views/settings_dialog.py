"""Settings: model (catalog, any GGUF file or a model server on this machine), CPU threads,
passages per question, data folder, shared library URL."""

from __future__ import annotations

import os

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from ..preferences import Preferences

SERVER_PREFIX = "openai:"  # the model string of an OpenAI-compatible server (models/backends.py)


class SettingsDialog(QDialog):
    """`models` is a list of (value, label) pairs; a chosen GGUF file is added to the list."""

    def __init__(self, prefs: Preferences, models: list[tuple[str, str]], parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.model = QComboBox()
        self.model.addItem("Default ($DOSSIER_MODEL or the catalog default)", "")
        for value, label in models:
            self.model.addItem(label, value)
        if prefs.model and self.model.findData(prefs.model) < 0:
            self.model.addItem(os.path.basename(prefs.model), prefs.model)
        self.model.setCurrentIndex(max(0, self.model.findData(prefs.model)))
        browse = QPushButton("GGUF file…")
        browse.clicked.connect(self._browse_model)
        server = QPushButton("Model server…")
        server.setToolTip("An OpenAI-compatible server on this machine (llama-server, Ollama, …)")
        server.clicked.connect(self._ask_server)
        model_row = QHBoxLayout()
        model_row.addWidget(self.model, 1)
        model_row.addWidget(browse)
        model_row.addWidget(server)

        self.threads = QSpinBox()
        self.threads.setRange(0, os.cpu_count() or 64)
        self.threads.setSpecialValueText("Automatic (physical cores)")
        self.threads.setValue(prefs.threads)
        self.k = QSpinBox()
        self.k.setRange(1, 30)
        self.k.setValue(prefs.k)
        self.data_dir = QLineEdit(prefs.data_dir)
        self.data_dir.setPlaceholderText("Default ($DOSSIER_DATA_DIR or the user data folder)")
        choose = QPushButton("Choose…")
        choose.clicked.connect(self._browse_data)
        data_row = QHBoxLayout()
        data_row.addWidget(self.data_dir, 1)
        data_row.addWidget(choose)

        self.library_url = QLineEdit(prefs.library_url)
        self.library_url.setPlaceholderText(
            "Default ($DOSSIER_LIBRARY_URL, else the dossier's library in the data folder)"
        )
        self.library_url.setToolTip(
            "A shared library in PostgreSQL: postgresql://user@host:port/database"
        )
        self.library_url.textChanged.connect(lambda _text: self.library_url_error.clear())
        self.library_url_error = QLabel()
        self.library_url_error.setStyleSheet("color: #b00020")

        self.background_summaries = QCheckBox("Prepare summaries in the background")
        self.background_summaries.setToolTip(
            "Summarise new sources on an idle worker, so the briefing is ready when you are"
        )
        self.background_summaries.setChecked(prefs.background_summaries)

        form = QFormLayout(self)
        form.addRow("Model:", _wrap(model_row))
        form.addRow("CPU threads:", self.threads)
        form.addRow("Passages per question:", self.k)
        form.addRow("Data folder:", _wrap(data_row))
        form.addRow("Shared library:", self.library_url)
        form.addRow("", self.library_url_error)
        form.addRow("", self.background_summaries)
        form.addRow(QLabel("A new model, data folder or library loads in the background."))
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def accept(self) -> None:
        """OK keeps the dialog open while the library URL is not one (the CLI's own check)."""
        from dossier.runtime import is_library_url  # the core loads after the window shows

        url = self.library_url.text().strip()
        if url and not is_library_url(url):
            self.library_url_error.setText(
                "Not a library URL: postgresql://user@host:port/database (or leave it empty)"
            )
            self.library_url.setFocus()
            return
        super().accept()

    def _browse_model(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose a GGUF model", "", "GGUF (*.gguf)")
        if path:
            self._choose(path, os.path.basename(path))

    def _ask_server(self) -> None:
        url, ok = QInputDialog.getText(
            self,
            "Model server",
            "Address of an OpenAI-compatible server on this machine\n"
            "(e.g. http://127.0.0.1:8080/v1, optionally #model-name):",
        )
        url = url.strip()
        if ok and url:
            self._choose(SERVER_PREFIX + url, url)

    def _choose(self, value: str, label: str) -> None:
        if self.model.findData(value) < 0:
            self.model.addItem(label, value)
        self.model.setCurrentIndex(self.model.findData(value))

    def _browse_data(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Choose the data folder")
        if path:
            self.data_dir.setText(path)

    def preferences(self) -> Preferences:
        return Preferences(
            model=self.model.currentData() or "",
            threads=self.threads.value(),
            k=self.k.value(),
            data_dir=self.data_dir.text().strip(),
            library_url=self.library_url.text().strip(),
            background_summaries=self.background_summaries.isChecked(),
        )


def _wrap(layout) -> QWidget:
    widget = QWidget()
    layout.setContentsMargins(0, 0, 0, 0)
    widget.setLayout(layout)
    return widget
