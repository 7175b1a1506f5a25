"""The manifest records which embedding backends computed a library's vectors and its index
kind; only the model, dimension and chunker decide whether a library can be opened."""

from __future__ import annotations

import json

import pytest

from retrieval.library import Library
from retrieval.store import LibraryMismatch
from tests.conftest import FakeEmbedder


class BackendEmbedder(FakeEmbedder):
    def __init__(self, backend: str) -> None:
        super().__init__()
        self.backend = backend


def manifest(folder):
    return json.loads((folder / "manifest.json").read_text())


def test_backends_are_recorded_and_a_second_backend_is_not_refused(tmp_path, caplog):
    folder = tmp_path / "lib"
    (tmp_path / "a.txt").write_text("Headline A\n" + "The first report on grain exports. " * 20)
    (tmp_path / "b.txt").write_text("Headline B\n" + "The second report on river floods. " * 20)
    library = Library(folder, embedder=BackendEmbedder("openvino-int8-bf16"))
    library.ingest([tmp_path / "a.txt"])
    library.search("grain", k=1)  # the index is built on first search, and recorded
    library.close()
    assert manifest(folder)["embedder_backends"] == ["openvino-int8-bf16"]
    assert manifest(folder)["index"] == "flat-ip"

    library = Library(folder, embedder=BackendEmbedder("torch-f32"))  # a fallback: opens
    library.ingest([tmp_path / "b.txt"])
    assert manifest(folder)["embedder_backends"] == ["openvino-int8-bf16", "torch-f32"]
    assert "now holds vectors from embedding backends" in caplog.text
    assert library.search("river floods", k=1)[0].chunk.source_id == "b"
    library.close()


def test_a_library_made_before_the_index_switch_still_opens(tmp_path):
    folder = tmp_path / "lib"
    library = Library(folder, embedder=FakeEmbedder())
    library.close()
    data = manifest(folder)
    data["index"] = "something-older"
    data.pop("embedder_backends", None)
    (folder / "manifest.json").write_text(json.dumps(data))
    Library(folder, embedder=FakeEmbedder()).close()  # informational keys are not checked


def test_another_model_is_still_refused(tmp_path):
    folder = tmp_path / "lib"
    Library(folder, embedder=FakeEmbedder()).close()
    other = FakeEmbedder()
    other.name = "another/model"
    with pytest.raises(LibraryMismatch, match="reindex"):
        Library(folder, embedder=other)
