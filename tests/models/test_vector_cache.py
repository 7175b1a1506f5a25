"""The sentence-vector cache: exact vectors, no second model run, persistent, thread-safe."""

from __future__ import annotations

import threading

import numpy as np

from models.vector_cache import CachingEmbedder
from tests.conftest import FakeEmbedder

TEXTS = ["The missiles can travel 300 km.", "Blinken spoke in Kyiv.", "It was announced in May."]


def test_the_cache_returns_exactly_the_inner_embedders_vectors(tmp_path, fake_embedder):
    cache = CachingEmbedder(FakeEmbedder(), tmp_path / "v.sqlite")
    first = cache.embed(TEXTS)
    again = cache.embed(list(reversed(TEXTS)))
    expected = fake_embedder.embed(TEXTS)
    assert first.dtype == np.float32 and first.shape == (3, fake_embedder.dim)
    assert first.tobytes() == expected.tobytes()
    assert again.tobytes() == expected[::-1].tobytes()
    assert cache.embed([]).shape == (0, fake_embedder.dim)


def test_a_second_call_does_not_run_the_inner_embedder(tmp_path):
    inner = FakeEmbedder()
    cache = CachingEmbedder(inner, tmp_path / "v.sqlite")
    cache.embed(TEXTS + [TEXTS[0]])  # a repeat within one call is embedded once
    assert (inner.calls, inner.texts_embedded) == (1, 3)
    cache.embed(TEXTS[1:])
    assert (inner.calls, inner.texts_embedded) == (1, 3)
    cache.embed(["A new sentence.", TEXTS[0]])  # only what was never seen, in one batch
    assert (inner.calls, inner.texts_embedded) == (2, 4)
    assert cache.missing(TEXTS + ["Never seen."]) == ["Never seen."]


def test_vectors_survive_reopening_the_file(tmp_path):
    path = tmp_path / "cache" / "v.sqlite"
    first = CachingEmbedder(FakeEmbedder(), path)
    vectors = first.embed(TEXTS)
    first.close()
    inner = FakeEmbedder()
    reopened = CachingEmbedder(inner, path)
    assert reopened.embed(TEXTS).tobytes() == vectors.tobytes()
    assert inner.calls == 0 and reopened.count() == 3


def test_another_embedder_or_backend_never_gets_these_vectors(tmp_path):
    path = tmp_path / "v.sqlite"
    CachingEmbedder(FakeEmbedder(), path).embed(TEXTS)

    class OtherBackend(FakeEmbedder):
        backend = "openvino-int8"

    inner = OtherBackend()
    CachingEmbedder(inner, path).embed(TEXTS)
    assert inner.texts_embedded == 3


def test_concurrent_calls_from_threads_are_safe_and_exact(tmp_path, fake_embedder):
    inner = FakeEmbedder()
    cache = CachingEmbedder(inner, tmp_path / "v.sqlite")
    texts = [f"Sentence number {i} about missiles." for i in range(200)]
    expected = fake_embedder.embed(texts)
    errors: list[BaseException] = []

    def work(offset: int) -> None:
        try:
            for start in range(offset, 200, 7):
                part = texts[start : start + 13]
                got = cache.embed(part)
                assert got.tobytes() == expected[start : start + 13].tobytes()
        except BaseException as exc:  # noqa: BLE001 (reported by the main thread)
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert cache.count() == 200
    assert cache.embed(texts).tobytes() == expected.tobytes()


def test_the_file_keeps_at_most_max_rows_dropping_the_oldest(tmp_path):
    inner = FakeEmbedder()
    cache = CachingEmbedder(inner, tmp_path / "v.sqlite", max_rows=100)
    cache.embed([f"old {i}" for i in range(80)])
    cache.embed([f"new {i}" for i in range(40)])
    assert cache.count() <= 100
    assert cache.missing(["new 39"]) == []  # the newest stay
    assert cache.missing(["old 0"]) == ["old 0"]  # the oldest went first
