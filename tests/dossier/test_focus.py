"""What a question pins down: pure string checks."""

import pytest

from dossier.focus import asks_reason, numbers_in_question


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
