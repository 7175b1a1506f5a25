"""Start the desktop app: the window first, then the library and model load in the background.

`python -m desktop [--data-dir DIR] [--model NAME|PATH] [--timings]` or `dossier gui`.
"""

from __future__ import annotations

import argparse
import sys
import time

STARTED = time.perf_counter()


def build(engine=None, settings=None, prefs=None):
    """The window and its controller (not shown, engine not started); tests use this."""
    from .controllers.app import AppController
    from .engine import Engine
    from .preferences import Preferences
    from .views.main_window import MainWindow

    if engine is None:
        engine = Engine(prefs or Preferences())
    window = MainWindow()
    controller = AppController(window, engine, settings)
    return window, controller


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="dossier gui", description=__doc__)
    parser.add_argument("--data-dir", help="library folder (default: the user data folder)")
    parser.add_argument("--model", help="catalog name (default, fast, tiny) or .gguf path")
    parser.add_argument(
        "--timings", action="store_true", help="print time to window and to ready-to-answer"
    )
    args = parser.parse_args(argv)

    from PySide6.QtCore import QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from .engine import Engine
    from .preferences import Preferences

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Dossier")
    app.setOrganizationName("Dossier")
    settings = QSettings()
    prefs = Preferences.load(settings)
    if args.data_dir:
        prefs.data_dir = args.data_dir
    if args.model:
        prefs.model = args.model
    engine = Engine(prefs)
    window, controller = build(engine, settings)
    window.show()
    marks: dict[str, float] = {}

    def visible() -> None:
        marks["window"] = time.perf_counter() - STARTED
        if args.timings:
            print(f"dossier-gui: window visible after {marks['window']:.2f} s", file=sys.stderr)
        engine.start()

    def check_ready(_state: str) -> None:
        if engine.ready and "ready" not in marks:
            marks["ready"] = time.perf_counter() - STARTED
            if args.timings:
                print(f"dossier-gui: ready to answer after {marks['ready']:.2f} s", file=sys.stderr)

    engine.library_state.connect(check_ready)
    engine.llm_state.connect(check_ready)
    QTimer.singleShot(0, visible)  # runs once the window has been shown by the event loop
    app.aboutToQuit.connect(controller.shutdown)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
