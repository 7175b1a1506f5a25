"""The real window, offscreen, over a fake-embedder library of the seeds and a scripted model."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

from tests.conftest import SEEDS  # noqa: E402


def passage_numbered(messages, needle: str) -> int:
    """The number the prompt gave the passage containing `needle` (what a good model cites)."""
    for line in messages[-1]["content"].splitlines():
        if line.startswith("[") and needle in line:
            return int(line[1 : line.index("]")])
    raise AssertionError(f"{needle!r} not among the passages")


def citing(needle: str, sentence: str):
    return lambda messages: f"{sentence} [{passage_numbered(messages, needle)}]."


@pytest.fixture
def make_window(qtbot, tmp_path, fake_embedder):
    """`make_window(llm, folder=SEEDS)` -> (window, controller), shown and ready to answer.

    Background summaries are off unless `background=True`: they would use the scripted replies.
    """
    from desktop.app import build
    from desktop.engine import Engine
    from desktop.preferences import Preferences
    from retrieval.library import Library

    made = []

    def make(
        llm, folder=SEEDS, wait_ready=True, llm_factory=None, background=False, library_dir=None
    ):
        def library_factory(prefs, progress):
            library = Library(library_dir or tmp_path / "lib", embedder=fake_embedder)
            if folder is not None and library.is_empty():
                library.ingest([folder], progress=progress)
            return library

        engine = Engine(
            Preferences(background_summaries=background),
            library_factory=library_factory,
            llm_factory=llm_factory or (lambda prefs: llm),
        )
        window, controller = build(engine)
        made.append(controller)
        qtbot.addWidget(window)
        window.show()
        engine.start()
        if wait_ready:
            qtbot.waitUntil(lambda: engine.ready, timeout=30000)
        return window, controller

    yield make
    for controller in made:
        controller.shutdown()
