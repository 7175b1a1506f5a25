"""Evidence first: `ask` hands the chosen passages to `on_passages` before the model is asked.

A scripted model over the seed library (fake embedder); every judgment says YES.
"""

from __future__ import annotations

from dossier.ask import AskEvents, ask
from dossier.schema import Turn
from prompts import REFUSAL
from tests.fakes import ScriptedLLM

QUESTION = "What does ATACMS stand for?"


def citing(needle: str, sentence: str):
    """A reply citing whichever passage holds `needle` (what a good model would cite)."""

    def reply(messages):
        for line in messages[-1]["content"].splitlines():
            if line.startswith("[") and needle in line:
                return f"{sentence} [{line[1 : line.index(']')]}]."
        raise AssertionError(f"{needle!r} not among the passages")

    return reply


class RecordingLLM(ScriptedLLM):
    """A scripted model that notes, in a shared log, when it is asked."""

    def __init__(self, replies, log: list) -> None:
        super().__init__(replies)
        self.log = log

    def stream(self, messages, **kwargs):
        self.log.append(("model", len(messages)))
        return super().stream(messages, **kwargs)


def test_the_passages_come_once_before_the_model_is_asked(seeded_library):
    # GIVEN a model that cites the passage holding the answer, and a log of what happens when
    log: list = []
    llm = RecordingLLM(
        citing("Tactical Missile System", "ATACMS stands for the Army's Tactical Missile System"),
        log,
    )
    # WHEN a question is asked with `on_passages`
    answer = ask(
        QUESTION,
        library=seeded_library,
        llm=llm,
        events=AskEvents(
            on_token=lambda piece: log.append(("token", piece)),
            on_passages=lambda passages: log.append(("passages", passages)),
        ),
    )
    # THEN the passages came exactly once, before the model's first call and its first word
    kinds = [kind for kind, _ in log]
    assert kinds.count("passages") == 1
    assert kinds[0] == "passages" and kinds[1] == "model"
    assert kinds.index("passages") < kinds.index("token")
    # AND they are the passages the answer reports, best first, the cited one among them
    [shown] = [value for kind, value in log if kind == "passages"]
    assert not answer.refused and answer.citations
    assert shown == answer.passages
    assert [p.n for p in shown] == list(range(1, len(shown) + 1))
    assert any("Tactical Missile System" in p.text for p in shown)
    for p in shown:  # each can be opened at its place in the source
        assert seeded_library.source_text(p.source_id)[p.start : p.end] == p.text


def test_a_follow_up_shows_passages_before_condensing_and_again_after(seeded_library):
    # GIVEN a conversation, and a model that rewrites the follow-up and then answers it
    log: list = []

    def reply(messages):
        if len(messages) == 1:  # condensing: one user message
            return QUESTION
        return citing("Tactical Missile System", "ATACMS is the Army's Tactical Missile System")(
            messages
        )

    llm = RecordingLLM(reply, log)
    history = [Turn(question="Which missiles are discussed?", answer="ATACMS [1].")]
    # WHEN the follow-up is asked
    answer = ask(
        "what does that stand for?",
        history=history,
        library=seeded_library,
        llm=llm,
        events=AskEvents(on_passages=lambda passages: log.append(("passages", passages))),
    )
    # THEN passages found for the follow-up read with the question before it came first,
    # before any model call; then the model condensed it, the passages of the rewritten
    # question came, and then the model was asked for the answer
    assert [kind for kind, _ in log][:4] == ["passages", "model", "passages", "model"]
    assert log[0][1]  # something to read at once
    assert log[1][1] == 1 and log[3][1] == 2  # condensing, then the answer (system + user)
    assert answer.standalone_question == QUESTION
    assert log[2][1] == answer.passages


def test_nothing_relevant_calls_neither_on_passages_nor_the_model(library, tmp_path):
    # GIVEN a library with nothing about the question
    (tmp_path / "a.txt").write_text("Harbour News\nThe harbour reopened after repairs.")
    library.ingest([tmp_path])
    llm = ScriptedLLM([])
    shown = []
    # WHEN it is asked
    answer = ask("zzz qqq", library=library, llm=llm, events=AskEvents(on_passages=shown.append))
    # THEN the refusal comes at once, with no passages shown first
    assert answer.refused and answer.answer == REFUSAL
    assert shown == [] and llm.calls == []
