"""A data folder as Dossier left it before dossiers: one library in `<data>/library/` with the
seeds and one saved conversation, built with the fake embedder (shared by the upgrade tests)."""

from __future__ import annotations

from pathlib import Path

from dossier.conversations import ConversationStore
from dossier.library import open_library
from dossier.schema import Answer, ModelInfo

QUESTION = "What did the council approve?"


def make_legacy_data_folder(data: Path, embedder) -> tuple[list[str], int]:
    """The single library of an earlier version under `data`; (its source ids, the saved
    conversation's id)."""
    library = open_library(data / "library", embedder=embedder)  # the seeds go in, as they did
    ids = [s.id for s in library.sources()]
    library.close()
    store = ConversationStore(data / "library")
    conversation_id = store.start(QUESTION)
    answer = Answer(
        question=QUESTION,
        standalone_question=QUESTION,
        answer="A new ferry route.",
        refused=False,
        model=ModelInfo(id="scripted", sha256="0" * 64),
        prompt_hash="abc:def",
    )
    store.add_turn(conversation_id, QUESTION, answer)
    store.close()
    return ids, conversation_id
