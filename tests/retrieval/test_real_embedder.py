"""The real all-MiniLM-L6-v2 from its registry package, offline."""

import socket

import numpy as np
import pytest

from models.embedder import EMBEDDER_DIM, SentenceTransformerEmbedder, packaged_model_dir
from retrieval.library import Library
from tests.conftest import SEEDS

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def embedder():
    return SentenceTransformerEmbedder()


def test_model_loads_from_the_package_folder_without_connecting(embedder, monkeypatch):
    attempts = []
    monkeypatch.setattr(socket.socket, "connect", lambda self, addr: attempts.append(addr))
    vectors = embedder.embed(
        ["The council approved the budget.", "Lawmakers passed the spending plan."]
    )
    assert (packaged_model_dir() / "model.safetensors").exists()
    assert vectors.shape == (2, EMBEDDER_DIM) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert float(vectors[0] @ vectors[1]) > 0.5  # paraphrases are close
    assert attempts == []


def test_seed_search_finds_the_kyiv_press_conference_source_first(embedder, tmp_path):
    library = Library(tmp_path / "lib", embedder=embedder)
    library.ingest([SEEDS])
    hits = library.search("What did Blinken say in Kyiv?", k=5)
    assert hits[0].chunk.source_id == "000_af46ed12ca4a5ab7"
    for hit in hits:
        assert (
            library.source_text(hit.chunk.source_id)[hit.chunk.start : hit.chunk.end]
            == hit.chunk.text
        )
