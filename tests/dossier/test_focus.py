"""What a question pins down: pure string checks."""

import pytest

from dossier.focus import asks_reason, expected_answer, holds_answer_kind, numbers_in_question


def test_figures_a_question_pins_its_subject_to():
    assert numbers_in_question("What happened in May 2023 to the 2 ships?") == ["2023", "2"]
    assert numbers_in_question("Who paid 1,200.50 euros?") == ["1,200.50"]
    assert numbers_in_question("Who won?") == []


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Why did the council close the bridge?", True),
        ("  why was the match called off?", True),
        ("For what reason was the vote delayed?", True),
        ("What were the reasons for the strike?", True),
        ("What prompted the evacuation?", True),
        ("What led to the minister's resignation?", True),
        ("Who closed the bridge?", False),
        ("What did the council decide?", False),
        ("When did the strike start?", False),
        ("Whyte Street was closed when?", False),  # "why" only as a whole word
    ],
)
def test_a_question_asking_for_a_reason(question, expected):
    assert asks_reason(question) is expected


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("How many ships were waiting off the port?", "figure"),
        ("How much did the repairs cost?", "figure"),
        ("What share of the vote did she win?", "figure"),
        ("When did the strike start?", "date"),
        ("On what date was the recall announced?", "date"),
        ("What year did the plant open?", "date"),
        ("Who chaired the talks?", "name"),
        ("Where did the minister speak?", "name"),
        ("Which city hosted the summit?", "name"),
        ("What is the name of the ship's captain?", "name"),
        ("Which year did the plant open?", "date"),
        ("How full was the reservoir in May?", "figure"),
        ("What did the mayor say about the port?", None),
        ("Why was the vote delayed?", None),
        # a follow-up read after the question before it asks what it asks
        ("Who leads the union? How many members does it have?", "figure"),
        ("How many members does the union have? Who leads it?", "name"),
    ],
)
def test_the_kind_of_answer_a_question_word_asks_for(question, kind):
    assert expected_answer(question) == kind


def test_a_sentence_holds_the_kind_of_answer_asked_for():
    # figures in digits or words
    assert holds_answer_kind("figure", "Forty ships waited offshore.", "How many ships?")
    assert holds_answer_kind("figure", "The bill came to 3.2 million.", "How much?")
    assert not holds_answer_kind("figure", "Ships waited offshore.", "How many ships?")
    # dates: a weekday, a month, a year or a clock time
    assert holds_answer_kind("date", "Work stopped on Tuesday.", "When did work stop?")
    assert holds_answer_kind("date", "It opened at 6:15 in the morning.", "When did it open?")
    assert not holds_answer_kind("date", "Work stopped after the vote.", "When did work stop?")
    # a name the question does not already give, inside the sentence
    question = "Who chaired the talks in Lindale?"
    assert holds_answer_kind("name", "The talks in Lindale were chaired by Rosa Quell.", question)
    assert not holds_answer_kind("name", "The talks in Lindale were chaired by a judge.", question)
    assert not holds_answer_kind("name", "Officials said the talks went on.", question)
    assert not holds_answer_kind("name", "The talks in Lindale began in March.", question)


def test_a_day_of_a_month_is_one_date_value_whatever_the_order():
    from dossier.focus import answer_values

    question = "When did the talks open?"
    assert answer_values("date", "They opened on 24 January.", question) == {"24 january"}
    assert answer_values("date", "They opened on January 24th.", question) == {"24 january"}
    assert answer_values("date", "They opened on Jan. 24.", question) == {"24 january"}
    assert answer_values("date", "They opened on 24 Sept.", question) == {"24 september"}
    # a weekday, a year and a time stay values of their own
    found = answer_values("date", "They opened on Friday 3 May 2024 at 9:30.", question)
    assert found == {"friday", "3 may", "2024", "9:30"}
    # a date the question already gives is no answer to it
    assert answer_values("date", "Talks resumed on 3 May.", "What happened on 3 May?") == set()


def test_a_figure_in_words_is_one_value_from_the_teens_to_compounds():
    from dossier.focus import answer_values

    question = "How many boats were stopped?"
    assert answer_values("figure", "Seventeen boats were stopped.", question) == {"seventeen"}
    assert answer_values("figure", "Thirty-seven boats were stopped.", question) == {"thirty-seven"}
    assert answer_values("figure", "Dozens of boats were stopped.", question) == {"dozens"}
