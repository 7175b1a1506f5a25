"""Opening a source in the viewer at a passage."""

from __future__ import annotations

from PySide6.QtCore import QObject

from ..engine import Engine
from ..views.main_window import MainWindow


class SourceController(QObject):
    def __init__(self, window: MainWindow, engine: Engine) -> None:
        super().__init__(window)
        self.window = window
        self.engine = engine

    def open(
        self,
        source_id: str,
        start: int | None = None,
        end: int | None = None,
        focus: tuple[int, int] | None = None,
    ) -> None:
        library = self.engine.library
        if library is None:
            return
        text = library.source_text(source_id)
        if text is None:
            self.window.job_status.setText(f"The source {source_id} is no longer in the library.")
            return
        source = next((s for s in self.engine.sources if s.id == source_id), None)
        self.window.source.show_source(source, text, start, end, focus)
        self.window.show_tab(self.window.source)
