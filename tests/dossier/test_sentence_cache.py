"""The sentence-vector cache behind questions: same passages, warmed after an ingest."""

from __future__ import annotations

import threading

import pytest

from dossier.ask import AskEvents, ask
from dossier.runtime import Runtime, Settings
from dossier.warmup import warm_sentences
from models.vector_cache import CachingEmbedder
from tests.conftest import SEEDS, FakeEmbedder
from tests.fakes import ScriptedLLM

QUESTIONS = [
    "What does ATACMS stand for?",
    "What did Blinken say in Kyiv?",
    "How far can the missiles travel?",
    "Why did the United States change its position?",
]


def reply(messages):
    return "ATACMS stands for the Army's Tactical Missile System [1]."


def cached(library, tmp_path, inner=None):
    library.sentence_embedder = CachingEmbedder(inner or FakeEmbedder(), tmp_path / "v.sqlite")
    return library.sentence_embedder


@pytest.mark.parametrize("question", QUESTIONS)
def test_the_passages_are_the_same_with_and_without_the_cache(seeded_library, tmp_path, question):
    plain = ask(question, library=seeded_library, llm=ScriptedLLM(reply))
    cached(seeded_library, tmp_path)
    cold = ask(question, library=seeded_library, llm=ScriptedLLM(reply))
    warm = ask(question, library=seeded_library, llm=ScriptedLLM(reply))
    assert plain.passages and cold.passages == plain.passages == warm.passages
    assert cold.sentences == plain.sentences == warm.sentences


def test_a_second_question_on_the_same_sentences_runs_no_model_for_them(seeded_library, tmp_path):
    inner = FakeEmbedder()
    cache = cached(seeded_library, tmp_path, inner)
    ask(QUESTIONS[0], library=seeded_library, llm=ScriptedLLM(reply))
    before = inner.texts_embedded
    ask(QUESTIONS[0], library=seeded_library, llm=ScriptedLLM(reply))
    assert before > 10 and inner.texts_embedded == before
    assert cache.count() >= before


def test_the_warm_up_embeds_what_a_question_selects_from(seeded_library, tmp_path):
    inner = FakeEmbedder()
    cache = cached(seeded_library, tmp_path, inner)
    seen = []
    report = warm_sentences(seeded_library, progress=lambda done, total: seen.append((done, total)))
    assert report.embedded == report.texts > 100 and not report.cancelled
    assert seen[0] == (0, report.embedded) and seen[-1] == (report.embedded, report.embedded)
    assert cache.count() == report.texts
    # Every question's passage selection is then a cache hit: only the question is embedded
    # before its passages are shown.
    for question in QUESTIONS:
        before = inner.texts_embedded
        at_passages = []
        ask(
            question,
            library=seeded_library,
            llm=ScriptedLLM(reply),
            events=AskEvents(
                on_passages=lambda _, seen=at_passages: seen.append(inner.texts_embedded)
            ),
        )
        assert at_passages == [before + 1]
    assert warm_sentences(seeded_library).embedded == 0  # nothing left to do


def test_the_warm_up_stops_when_cancelled_and_keeps_what_it_made(seeded_library, tmp_path):
    cache = cached(seeded_library, tmp_path)
    cancel = threading.Event()

    def progress(done, total):
        if done >= 32:
            cancel.set()

    report = warm_sentences(seeded_library, cancel=cancel, progress=progress)
    assert report.cancelled and report.embedded == 32 == cache.count()
    rest = warm_sentences(seeded_library)
    assert rest.embedded == report.texts - 32 and not rest.cancelled


def test_a_library_without_a_cache_is_not_warmed(seeded_library):
    assert warm_sentences(seeded_library).embedded == 0


def test_the_runtime_gives_every_library_one_shared_cache_in_the_data_folder(tmp_path):
    embedder = FakeEmbedder()
    settings = Settings.resolve(data=tmp_path / "data")
    first, second = Runtime(settings, embedder=embedder), Runtime(settings, embedder=embedder)
    assert first.sentence_embedder is second.sentence_embedder
    assert first.sentence_embedder.path == settings.cache_dir / "sentence-vectors.sqlite"
    library = first.library()
    try:
        assert library.sentence_embedder is first.sentence_embedder
        assert library.embedder is embedder  # ingest stores chunk vectors without the cache
        library.ingest([SEEDS])
        assert first.sentence_embedder.count() == 0
    finally:
        first.close()


@pytest.mark.parametrize("headline", ["", "Harbour plan approved\n\n"])
def test_what_is_warmed_covers_selection_from_chunks_hit_apart(headline):
    from dossier.passages import select_passages, texts_to_embed
    from retrieval.schema import Chunk, Hit

    sentences = [
        "The council met on Monday about the harbour.",
        "Members debated the ferry route for hours.",
        "The mayor praised the plan at a press conference.",
        "Critics said the pier was too long.",
        "It will cost the city two million euros.",
        "Work starts in the spring.",
        "This was announced on Friday.",
    ]
    text = headline + " ".join(sentences)  # a headline: sentences are read under it too
    starts = [text.index(s) for s in sentences]
    ends = [a + len(s) for a, s in zip(starts, sentences, strict=True)]
    # chunks of three sentences overlapping by one, as the chunker makes them: hit the first
    # and the last alone, "It will cost..." is read with "The mayor praised..."
    chunks = [
        Chunk(source_id="s", start=starts[i], end=ends[i + 2], id=i, ordinal=i, text="")
        for i in (0, 2, 4)
    ]
    chunks = [c.model_copy(update={"text": text[c.start : c.end]}) for c in chunks]
    inner = FakeEmbedder()
    warmed = set(texts_to_embed(text, chunks))
    assert f"{sentences[2]} {sentences[4]}" in warmed
    assert (f"Harbour plan approved. {sentences[4]}" in warmed) == bool(headline)

    class Spy(FakeEmbedder):
        def __init__(self) -> None:
            super().__init__()
            self.seen: list[str] = []

        def embed(self, texts):
            self.seen.extend(texts)
            return super().embed(texts)

    # every way two of them can be hit (neighbours, or far apart) embeds only what was warmed
    for first in range(len(chunks)):
        for second in range(len(chunks)):
            spy = Spy()
            hits = [Hit(chunk=chunks[first], score=1.0), Hit(chunk=chunks[second], score=0.5)]
            select_passages(
                "How much will the pier cost?",
                inner.embed(["How much will the pier cost?"])[0],
                hits,
                {"s": text},
                spy,
                budget_tokens=300,
                count_tokens_many=lambda s: [len(x.split()) for x in s],
            )
            assert set(spy.seen) <= warmed, (first, second, set(spy.seen) - warmed)
