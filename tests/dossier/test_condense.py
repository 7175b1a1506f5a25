"""Condensing a follow-up: the model's rewrite is used only when it keeps to the conversation."""

import pytest

from dossier.condense import condense, read_with_previous, rewrite_keeps_to_the_conversation
from dossier.schema import Turn
from prompts import PromptSet
from tests.fakes import ScriptedLLM

FIRST = Turn(question="Who leads the dockers' union?", answer="The sources do not say.")
ANSWERED = Turn(
    question="Who leads the dockers' union?",
    answer="The dockers' union is led by Ana Ruiz [1].",
)


def condensed(question: str, history: list[Turn], rewrite: str) -> str:
    return condense(question, history, llm=ScriptedLLM([rewrite]), prompts=PromptSet())


def test_a_rewrite_that_names_the_referent_from_the_conversation_is_used():
    # GIVEN a first answer that names the union's leader
    # WHEN the model rewrites "she" with that name
    rewrite = "What did Ana Ruiz say to the strikers?"
    # THEN the rewrite is the question that retrieval and the answer read
    assert condensed("What did she say to the strikers?", [ANSWERED], rewrite) == rewrite


@pytest.mark.parametrize(
    "rewrite",
    [
        # a name the conversation never gave (taken from the prompt's own example)
        "What did the trade minister say to the strikers?",
        # the earlier question again, the follow-up's own words dropped
        "Who leads the dockers' union?",
        # nothing usable
        "",
    ],
)
def test_a_rewrite_that_leaves_the_conversation_is_not_used(rewrite):
    # GIVEN a first question the sources did not answer
    # WHEN the model's rewrite adds words from nowhere or loses the follow-up's
    standalone = condensed("What did she say to the strikers?", [FIRST], rewrite)
    # THEN the follow-up is read after the question before it, every word the user wrote kept
    assert standalone == "Who leads the dockers' union? What did she say to the strikers?"
    assert standalone == read_with_previous("What did she say to the strikers?", [FIRST])


def test_words_in_another_form_and_referring_words_replaced_keep_to_the_conversation():
    conversation = "User: Who leads the dockers' union?\nAssistant: Ana Ruiz leads it [1]."
    instructions = "Rewrite the question. Example: When did the mayor resign?"

    def keeps(question, rewritten):
        return rewrite_keeps_to_the_conversation(question, rewritten, conversation, instructions)

    assert keeps("How many members does it have?", "How many members does the union have?")
    assert keeps("When did she speak?", "When did Ana Ruiz speak?")
    # words the model adds from what it knows are its own call
    assert keeps("When did she speak?", "When did Ana Ruiz speak in Lisbon?")
    # but not the words of its instructions' example, nor dropping the follow-up's words
    assert not keeps("When did she speak?", "When did the mayor speak?")
    assert not keeps("When did she speak?", "Who leads the dockers' union?")


def test_a_noun_after_a_word_pointing_back_may_be_replaced_with_it():
    conversation = (
        "User: Which firm supplies the ferries?\nAssistant: Tessaro Marine supplies them [1]."
    )

    def keeps(question, rewritten):
        return rewrite_keeps_to_the_conversation(question, rewritten, conversation, "")

    # GIVEN a follow-up naming its referent by a pointing phrase ("that firm")
    # WHEN the rewrite puts the name in place of the whole phrase
    # THEN it keeps to the conversation
    assert keeps(
        "How many ferries did that firm build?", "How many ferries did Tessaro Marine build?"
    )
    assert keeps("Where is her office?", "Where is Tessaro Marine's head office?")
    # AND a noun that no word points to is still the follow-up's own
    assert not keeps("How many firm ferries were built?", "How many ferries were built?")


def test_a_question_with_no_history_is_not_rewritten():
    llm = ScriptedLLM([])
    assert condense("Who won?", [], llm=llm, prompts=PromptSet()) == "Who won?"
    assert llm.calls == []
