"""The sentences a question can select are embedded in the background, before any summary."""

from __future__ import annotations

import time

import pytest

from dossier.passages import texts_to_embed
from models.vector_cache import CachingEmbedder
from tests.conftest import SEEDS, FakeEmbedder
from tests.desktop.conftest import citing
from tests.fakes import ScriptedLLM

ATACMS = citing("Tactical Missile System", "ATACMS stands for the Army's Tactical Missile System")


class SlowEmbedder(FakeEmbedder):
    """Takes a while per call, so the test can act while the warm-up runs."""

    def embed(self, texts):
        time.sleep(0.05)
        return super().embed(texts)


def every_text(library) -> list[str]:
    return [
        t
        for s in library.sources()
        for t in texts_to_embed(library.source_text(s.id), library.chunks_of(s.id))
    ]


@pytest.fixture
def open_window(qtbot, tmp_path):
    """(window, controller, cache): the seeds' library, its sentence vectors cached in
    `tmp_path`, background summaries off (the warm-up runs without them)."""
    from desktop.app import build
    from desktop.engine import Engine
    from desktop.preferences import Preferences
    from retrieval.library import Library

    made = []
    inner = SlowEmbedder()
    cache = CachingEmbedder(inner, tmp_path / "cache" / "sentence-vectors.sqlite")

    def make(llm, folder=SEEDS):
        def library_factory(prefs, progress):
            library = Library(tmp_path / "lib", embedder=inner)
            if folder is not None and library.is_empty():
                library.ingest([folder], progress=progress)
            library.sentence_embedder = cache  # as `Runtime.library` does
            return library

        engine = Engine(
            Preferences(background_summaries=False),
            library_factory=library_factory,
            llm_factory=lambda prefs: llm,
        )
        window, controller = build(engine)
        made.append(controller)
        qtbot.addWidget(window)
        window.show()
        engine.start()
        return window, controller, cache

    yield make
    for controller in made:
        controller.shutdown()


def test_when_the_library_opens_its_sentences_are_embedded_in_the_background(qtbot, open_window):
    # GIVEN the window opening the seeds' library for the first time, nothing cached
    window, app, cache = open_window(ScriptedLLM(ATACMS))
    shown = []
    app.background.changed.connect(shown.append)
    # WHEN it is ready
    qtbot.waitUntil(lambda: app.engine.ready, timeout=30000)
    # THEN the status bar shows the warm-up's progress until every text is cached
    qtbot.waitUntil(lambda: app.background.job is None and not app.background.warm, timeout=30000)
    assert cache.missing(every_text(app.engine.library)) == []
    steps = [t for t in shown if t.startswith("Preparing passages for questions ")]
    assert steps and steps[-1].endswith(f"/{cache.count()}")
    assert window.background_status.text() == "" and window.background_status.isHidden()


def test_a_question_pre_empts_the_warm_up_which_resumes_after_it(qtbot, open_window):
    # GIVEN the warm-up running
    window, app, cache = open_window(ScriptedLLM(ATACMS))
    qtbot.waitUntil(lambda: (app.background.warming or (0, 0))[0] > 0, timeout=30000)
    shown = []
    app.background.changed.connect(shown.append)
    # WHEN the user asks a question
    with qtbot.waitSignal(app.chat.answered, timeout=30000) as answered:
        app.chat.ask("What does ATACMS stand for?")
    # THEN the warm-up yielded to it, and the question was answered all the same
    assert "Preparing passages — waiting for your question" in shown
    assert not answered.args[0].refused
    # AND then the warm-up resumed and finished
    qtbot.waitUntil(lambda: app.background.job is None and not app.background.warm, timeout=30000)
    assert cache.missing(every_text(app.engine.library)) == []


def test_an_import_warms_the_new_sources(qtbot, open_window, tmp_path):
    # GIVEN an empty library in the window
    window, app, cache = open_window(ScriptedLLM(ATACMS), folder=None)
    qtbot.waitUntil(lambda: app.engine.ready, timeout=30000)
    assert cache.count() == 0
    # WHEN the user imports the seeds
    app.library.ingest([SEEDS])
    qtbot.waitUntil(lambda: len(app.engine.sources) == 5, timeout=30000)
    # THEN their sentences get embedded ahead of questions
    qtbot.waitUntil(lambda: not cache.missing(every_text(app.engine.library)), timeout=30000)
