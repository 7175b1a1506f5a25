"""Does an answer give what the question asks for: pure string checks."""

import pytest

from dossier.focus import (
    AnswerKind,
    adds_nothing,
    expected_kind,
    numbers_in_question,
    shares_terms,
    unmentioned_names,
    wrong_kind,
)


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("What is the unit price of one drone?", AnswerKind.MONEY),
        ("What was the total cost of the new bridge?", AnswerKind.MONEY),
        ("How much did the city pay for the stadium?", AnswerKind.MONEY),
        ("What is the value of the aid package?", AnswerKind.MONEY),
        ("How many people were evacuated?", AnswerKind.NUMBER),
        ("What percentage of voters turned out?", AnswerKind.NUMBER),
        ("Until what date was the road closed?", AnswerKind.DATE),
        ("In which year did the plant open?", AnswerKind.DATE),
        # about a topic, not asking for an amount
        ("What did the minister say about prices?", None),
        ("What did the council decide about the budget?", None),
        # "when" and "how far" are often answered in words
        ("When did the talks start?", None),
        ("How far did the storm travel inland?", None),
        ("Who chaired the meeting?", None),
    ],
)
def test_expected_kind(question, kind):
    assert expected_kind(question) == kind


def test_a_price_question_answered_with_a_distance_is_the_wrong_kind():
    question = "What is the unit price of one drone?"
    assert wrong_kind(question, ["The drone can fly more than 300 miles."]) == AnswerKind.MONEY
    assert wrong_kind(question, ["Each drone costs about $20,000."]) is None
    assert wrong_kind(question, ["Each drone costs 18,000 euros."]) is None


def test_a_count_or_a_date_must_appear_in_some_answer_sentence():
    assert wrong_kind("How many people were evacuated?", ["Officials ordered it."]) is not None
    assert wrong_kind("How many people were evacuated?", ["About two thousand left."]) is None
    assert wrong_kind("Until what date was the road closed?", ["It reopened in spring."])
    assert (
        wrong_kind("Until what date was the road closed?", ["It stayed shut until May 4."]) is None
    )
    assert wrong_kind("Until what date was the road closed?", []) is not None


def test_names_in_the_question_no_passage_mentions():
    passages = ["The mayor of Leeds opened the bridge.", "U.N. officials attended."]
    assert unmentioned_names("Who did the mayor of Leeds meet in Paris?", passages) == ["Paris"]
    assert unmentioned_names("What did U.N. officials say?", passages) == []
    # the first word is capitalised anyway and is not taken for a name
    assert unmentioned_names("Officials opened what?", passages) == []


def test_an_answer_that_only_restates_the_question_adds_nothing():
    question = "Who will succeed Maria Lopez as head of the agency?"
    assert adds_nothing(question, ["Maria Lopez will succeed Maria Lopez as head of the agency."])
    assert not adds_nothing(question, ["Deputy head Omar Said will succeed her."])
    # a yes/no question is fairly answered in its own words
    assert not adds_nothing("Did the agency close?", ["The agency closed."])


def test_figures_a_question_pins_its_subject_to():
    assert numbers_in_question("What happened in May 2023 to the 2 ships?") == ["2023", "2"]
    assert numbers_in_question("Who paid 1,200.50 euros?") == ["1,200.50"]
    assert numbers_in_question("Who won?") == []


def test_shares_terms_compares_stemmed_content_words():
    assert shares_terms("Who travelled to Leeds?", ["She was travelling to Leeds."])
    assert not shares_terms("Who travelled to Leeds?", ["The office declined to comment."])
