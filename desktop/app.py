"""Start the desktop app: the window first, then the library and model load in the background.

`python -m desktop [--data-dir DIR] [--dossier NAME] [--model NAME|PATH] [--library URL]
[--timings]`, or `dossier gui`.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, field

STARTED = time.perf_counter()


def application():
    """The QApplication (made once), named so QSettings finds the app's settings."""
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Dossier")
    app.setOrganizationName("Dossier")
    return app


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


@dataclass
class Launched:
    app: object
    window: object
    controller: object
    engine: object
    marks: dict[str, float] = field(default_factory=dict)  # seconds since process start


def launch(prefs, settings=None, *, report=False) -> Launched:
    """Show the window, then start loading; `marks` gets "window" and "ready" times."""
    from PySide6.QtCore import QTimer

    from .engine import Engine

    app = application()
    engine = Engine(prefs)
    window, controller = build(engine, settings)
    launched = Launched(app, window, controller, engine)
    window.show()

    def visible() -> None:
        launched.marks["window"] = time.perf_counter() - STARTED
        if report:
            print(
                f"dossier-gui: window visible after {launched.marks['window']:.2f} s",
                file=sys.stderr,
            )
        engine.start()

    def check_ready(_state: str) -> None:
        if engine.ready and "ready" not in launched.marks:
            launched.marks["ready"] = time.perf_counter() - STARTED
            if report:
                print(
                    f"dossier-gui: ready to answer after {launched.marks['ready']:.2f} s",
                    file=sys.stderr,
                )

    engine.library_state.connect(check_ready)
    engine.llm_state.connect(check_ready)
    QTimer.singleShot(0, visible)  # runs once the event loop has shown the window
    app.aboutToQuit.connect(controller.shutdown)
    return launched


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="dossier gui", description=__doc__)
    parser.add_argument("--data-dir", help="library folder (default: the user data folder)")
    parser.add_argument("--dossier", help="the dossier to open (default: the last one used)")
    parser.add_argument("--model", help="catalog name (default, fast, tiny) or .gguf path")
    parser.add_argument(
        "--library", metavar="URL", help="a shared library, postgresql://user@host:port/db"
    )
    parser.add_argument(
        "--timings", action="store_true", help="print time to window and to ready-to-answer"
    )
    parser.add_argument(
        "--quit-when-ready", action="store_true", help="exit once ready (for start-up benchmarks)"
    )
    args = parser.parse_args(argv)

    from PySide6.QtCore import QSettings, QTimer

    from .preferences import Preferences

    application()
    settings = QSettings()
    prefs = Preferences.load(settings)
    if args.data_dir:
        prefs.data_dir = args.data_dir
    if args.dossier:
        prefs.dossier = args.dossier
    if args.model:
        prefs.model = args.model
    if args.library:
        prefs.library_url = args.library
    launched = launch(prefs, settings, report=args.timings)
    if args.quit_when_ready:
        engine = launched.engine

        def maybe_quit(_state: str) -> None:
            if engine.ready or engine.failed:
                QTimer.singleShot(0, launched.app.quit)

        engine.library_state.connect(maybe_quit)
        engine.llm_state.connect(maybe_quit)
    return launched.app.exec()


if __name__ == "__main__":
    sys.exit(main())
