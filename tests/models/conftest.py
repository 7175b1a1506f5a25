"""Fixtures for the model-layer tests."""

from __future__ import annotations

import os

import pytest

from tests.models.fakedist import FakeSite


@pytest.fixture
def fake_site(tmp_path, monkeypatch) -> FakeSite:
    root = tmp_path / "site"
    root.mkdir()
    monkeypatch.syspath_prepend(os.fspath(root))
    return FakeSite(root)
