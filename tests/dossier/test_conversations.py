"""The conversation store: round trips of whole answers, interrupted turns, delete, search."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from dossier.conversations import (
    CONVERSATIONS_FILE,
    ConversationNotFound,
    ConversationsError,
    ConversationStore,
)
from dossier.schema import (
    Answer,
    AnswerSentence,
    Citation,
    Evidence,
    ModelInfo,
    Passage,
)
from models.llm import Timings


def answer(question: str, text: str, **fields) -> Answer:
    return Answer(
        question=question,
        standalone_question=fields.pop("standalone_question", question),
        answer=text,
        refused=fields.pop("refused", False),
        model=ModelInfo(id="scripted", sha256="0" * 64),
        prompt_hash="abc:def",
        **fields,
    )


def cited_answer() -> Answer:
    sentence = "ATACMS stands for the Army's Tactical Missile System."
    return answer(
        "What does ATACMS stand for?",
        "ATACMS stands for the Army's Tactical Missile System [2].",
        draft="ATACMS stands for the Army's Tactical Missile System [2].",
        sentences=[
            AnswerSentence(
                text=sentence,
                citations=[2],
                supported=True,
                rejected_citations=[1],
                evidence=[Evidence(n=2, source_id="002_x", start=10, end=60)],
            )
        ],
        citations=[Citation(n=2, source_id="002_x", start=0, end=120, text="…", support=0.9)],
        passages=[
            Passage(n=1, source_id="001_y", start=5, end=50, text="Other.", relevance=0.2),
            Passage(n=2, source_id="002_x", start=0, end=120, text="…", relevance=0.8),
        ],
        timings=Timings(ttft_s=0.4, total_s=2.5, completion_tokens=12, tokens_per_s=5.0),
        judge_calls=3,
    )


@pytest.fixture
def store(tmp_path):
    s = ConversationStore(tmp_path / "library")
    yield s
    s.close()


def test_a_turn_round_trips_with_its_citations_verdicts_and_timings(store):
    # GIVEN a conversation with one checked answer
    original = cited_answer()
    conversation_id = store.start(original.question)
    saved = store.add_turn(conversation_id, original.question, original)
    assert saved.n == 1 and saved.status == "complete"
    # WHEN its turns are read back
    [turn] = store.turns(conversation_id)
    # THEN the whole Answer is equal, citations, evidence, passages and timings included
    assert turn.answer == original
    assert turn.question == original.question
    assert turn.standalone_question == original.standalone_question
    assert turn.answer.sentences[0].evidence[0].start == 10
    assert turn.answer.sentences[0].rejected_citations == [1]


def test_turns_keep_their_order_and_the_summary_counts_them(store):
    conversation_id = store.start("What does ATACMS stand for?")
    store.add_turn(conversation_id, "What does ATACMS stand for?", cited_answer())
    follow_up = answer(
        "What range do they have?",
        "The sources do not say.",
        standalone_question="What range do ATACMS missiles have?",
        refused=True,
        refusal_reason="no_relevant_passage",
    )
    store.add_turn(conversation_id, "What range do they have?", follow_up)
    turns = store.turns(conversation_id)
    assert [t.n for t in turns] == [1, 2]
    assert turns[1].standalone_question == "What range do ATACMS missiles have?"
    assert turns[1].answer.refused and turns[1].answer.refusal_reason == "no_relevant_passage"
    [summary] = store.conversations()
    assert summary.id == conversation_id and summary.n_turns == 2
    assert summary.title == "What does ATACMS stand for?"
    assert summary.updated_at >= summary.created_at
    full = store.conversation(conversation_id)
    assert full is not None and full.n_turns == 2 and len(full.turns) == 2


def test_a_cancelled_answer_is_saved_as_interrupted(store):
    conversation_id = store.start("What did Blinken say?")
    stopped = answer("What did Blinken say?", "Blinken spoke in", cancelled=True)
    assert store.add_turn(conversation_id, "What did Blinken say?", stopped).interrupted
    explicit = answer("And then?", "He")
    store.add_turn(conversation_id, "And then?", explicit, interrupted=True)
    assert [t.status for t in store.turns(conversation_id)] == ["interrupted", "interrupted"]
    assert store.turns(conversation_id)[0].answer.cancelled


def test_newest_conversation_first(store):
    first = store.start("first")
    second = store.start("second")
    assert [c.id for c in store.conversations()] == [second, first]
    store.add_turn(first, "first", answer("first", "An answer."))  # updated last
    assert [c.id for c in store.conversations()] == [first, second]
    assert [c.n_turns for c in store.conversations()] == [1, 0]


def test_delete_removes_the_conversation_and_its_turns(store):
    keep = store.start("keep")
    store.add_turn(keep, "keep", answer("keep", "Kept missiles."))
    drop = store.start("drop")
    store.add_turn(drop, "drop", answer("drop", "Dropped missiles."))
    assert store.delete(drop) is True
    assert store.delete(drop) is False
    assert [c.id for c in store.conversations()] == [keep]
    assert store.turns(drop) == [] and store.conversation(drop) is None
    assert [m.conversation_id for m in store.search("missiles")] == [keep]
    with pytest.raises(ConversationNotFound):
        store.add_turn(drop, "again", answer("again", "No."))
    new = store.start("new")
    assert new > drop  # ids are never reused


@pytest.mark.parametrize("fts", [None, False], ids=["fts5", "like"])
def test_search_finds_questions_and_answers_by_every_word(tmp_path, fts):
    store = ConversationStore(tmp_path, fts=fts)
    try:
        a = store.start("What does ATACMS stand for?")
        store.add_turn(a, "What does ATACMS stand for?", cited_answer())
        b = store.start("Who spoke in Kyiv?")
        store.add_turn(b, "Who spoke in Kyiv?", answer("Who spoke in Kyiv?", "Blinken did [1]."))
        [match] = store.search("tactical missile")
        assert match.conversation_id == a and match.n == 1
        assert "Tactical Missile System" in match.snippet
        assert match.title == "What does ATACMS stand for?"
        assert [m.conversation_id for m in store.search("kyiv")] == [b]  # in the question
        assert [m.conversation_id for m in store.search("BLINKEN")] == [b]  # in the answer
        assert store.search("blinken tactical") == []  # every word, in one turn
        assert store.search("atac") != []  # a word being typed
        assert store.search("   ") == [] and store.search('"*:)(') == []
        assert store.search("100%") == []  # LIKE wildcards are taken literally
    finally:
        store.close()


def test_it_survives_reopening_the_store(tmp_path):
    # GIVEN a saved conversation, the store closed
    store = ConversationStore(tmp_path)
    conversation_id = store.start("What does ATACMS stand for?")
    store.add_turn(conversation_id, "What does ATACMS stand for?", cited_answer())
    store.close()
    assert (tmp_path / CONVERSATIONS_FILE).exists()
    # WHEN it is opened again
    with ConversationStore(tmp_path) as again:
        # THEN everything is there, searchable and ready for the next turn
        [summary] = again.conversations()
        assert summary.id == conversation_id and summary.n_turns == 1
        assert again.turns(conversation_id)[0].answer == cited_answer()
        assert again.search("missile")[0].conversation_id == conversation_id
        assert again.add_turn(conversation_id, "And?", answer("And?", "More.")).n == 2


def test_turns_saved_without_the_full_text_index_are_found_once_it_is_back(tmp_path):
    with ConversationStore(tmp_path) as store:
        first = store.start("one")
        store.add_turn(first, "one", answer("one", "Missiles."))
    with ConversationStore(tmp_path, fts=False) as store:  # an SQLite without FTS5
        second = store.start("two")
        store.add_turn(second, "two", answer("two", "More missiles."))
        store.delete(first)
    with ConversationStore(tmp_path) as store:
        assert store.fts
        assert [m.conversation_id for m in store.search("missiles")] == [second]


def test_writes_from_several_threads_all_land(store):
    conversation_id = store.start("busy")

    def save(i: int) -> None:
        store.add_turn(conversation_id, f"q{i}", answer(f"q{i}", f"a{i}"))

    threads = [threading.Thread(target=save, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(t.n for t in store.turns(conversation_id)) == list(range(1, 9))


def test_a_damaged_file_says_which_file_and_what_to_do(tmp_path):
    (tmp_path / CONVERSATIONS_FILE).write_bytes(b"garbage " * 1000)
    with pytest.raises(ConversationsError, match="damaged") as error:
        ConversationStore(tmp_path)
    assert CONVERSATIONS_FILE in str(error.value)


def test_a_failed_write_leaves_the_saved_conversations_as_they_were(store, monkeypatch):
    conversation_id = store.start("safe")
    store.add_turn(conversation_id, "safe", answer("safe", "Saved."))

    class Broken(Answer):
        def model_dump_json(self, **kwargs):
            raise sqlite3.OperationalError("disk I/O error")

    broken = Broken(**answer("lost", "Lost.").model_dump())
    with pytest.raises(ConversationsError):
        store.add_turn(conversation_id, "lost", broken)
    assert [t.question for t in store.turns(conversation_id)] == ["safe"]
    assert store.conversations()[0].n_turns == 1


def test_a_title_is_the_first_question_on_one_line(store):
    conversation_id = store.start("  What\n happened   in Kyiv?  ")
    assert store.get(conversation_id).title == "What happened in Kyiv?"
    assert store.get(12345) is None
