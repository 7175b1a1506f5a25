"""What the in-process CLI tests share: the fake embedder in place of the default one."""

from __future__ import annotations

import pytest

import dossier.runtime


@pytest.fixture
def fake_default_embedder(monkeypatch, fake_embedder):
    """Every command of the test embeds with the tests' fake embedder (no model loaded).
    A test file uses it with `pytestmark = pytest.mark.usefixtures("fake_default_embedder")`."""
    monkeypatch.setattr(dossier.runtime, "shared_embedder", lambda cache: fake_embedder)
    return fake_embedder
