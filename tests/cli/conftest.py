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


@pytest.fixture
def scripted_model(monkeypatch):
    """The model of every command: cites the Tactical Missile System passage to a question
    holding "stand for" ("ATACMS stands for the Army's Tactical Missile System [n]."),
    refuses anything else (tests.fakes.citing_reply)."""
    import dossier.models
    from tests.fakes import ScriptedLLM, citing_reply

    llm = ScriptedLLM(
        citing_reply(
            "stand for",
            "Tactical Missile System",
            "ATACMS stands for the Army's Tactical Missile System",
        )
    )
    monkeypatch.setattr(dossier.models, "shared_llm", lambda spec, options: llm)
    return llm
