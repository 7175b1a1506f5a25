"""Sentence spans and what a sentence leans on (pure string functions)."""

import pytest

from retrieval.sentences import leans_on_previous, sentence_spans


def test_sentence_spans_slice_the_text_and_a_line_break_ends_a_sentence():
    text = "Port reopens\nThe port reopened on Monday. Ships returned."
    pieces = [text[a:b] for a, b in sentence_spans(text)]
    assert pieces == ["Port reopens", "The port reopened on Monday.", "Ships returned."]


@pytest.mark.parametrize(
    ("sentence", "leans"),
    [
        ("She said the port would reopen.", True),
        ("Its owners declined to comment.", True),
        ('"The wall held," she said.', True),
        ('"We will not wait," they told reporters on Monday.', True),
        ("The port reopened, he added, after repairs.", True),
        ("The mayor said the port would reopen.", False),
        ('"The wall held," said the mayor.', False),
        ("Shepherds said the flood came at night.", False),
    ],
)
def test_a_sentence_leans_on_the_one_before_when_it_names_its_subject_by_a_pronoun(sentence, leans):
    assert leans_on_previous(sentence) is leans
