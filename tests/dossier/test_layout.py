"""The briefing layout's notes: one per distinct passage, reused, and quoted once."""

import pytest

from dossier.layout import _Notes, document, note_label, quoted
from dossier.schema import Difference, DifferenceSide
from tests.dossier.briefing_fixture import SOURCE_ID, make_briefing, sentence, span


def test_one_note_per_distinct_passage_reused_when_cited_again():
    doc = document(make_briefing())
    texts = [n.text for n in doc.notes]
    # the four sentences of the article, each once, though cited by the overview, the summary,
    # the quote ledger and the timeline
    assert len(texts) == len(set(texts)) == 4
    assert [n.n for n in doc.notes] == [1, 2, 3, 4]
    refs = {p.text: p.notes for s in doc.sections for p in s.paras}
    assert refs["The Tamsin lost steering."] == refs["The ferry lost steering."] == [1]
    # a passage inside an earlier note's passage points at that note
    assert refs["Tugs came within the hour."] == refs["Nobody was hurt."] == [3]


def test_the_same_words_at_another_place_of_the_source_share_a_note():
    repeated = "The pier was closed. The ferry waited. The pier was closed."
    notes = _Notes(make_briefing().sources)
    first = span("The pier was closed.", text=repeated)
    start = repeated.rindex("The pier was closed.")
    again = first.model_copy(update={"start": start, "end": start + len(first.text)})
    assert repeated[again.start : again.end] == again.text
    assert notes.ref(first) == notes.ref(again) == 1
    # other words, or the same words in another source, get their own note
    assert notes.ref(span("The ferry waited.", text=repeated)) == 2
    assert notes.ref(first.model_copy(update={"source_id": "other"})) == 3
    assert len(notes.items) == 3


def test_notes_name_their_source_briefly():
    source = make_briefing().sources[0]
    assert note_label(source) == f"Ellis Courier [{SOURCE_ID}]"
    untitled_outlet = source.model_copy(
        update={"meta": source.meta.model_copy(update={"outlet": None})}
    )
    label = note_label(untitled_outlet)
    assert label.startswith("Night ferry loses steering off Port Ellis")
    assert label.endswith(f"… [{SOURCE_ID}]") and len(label) < len(source.meta.title) + 12


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The hull was dry.", "“The hull was dry.”"),
        ('"We heard the engines stop," said Varga.', '"We heard the engines stop," said Varga.'),
        ("“Nobody was hurt,” the board said.", "“Nobody was hurt,” the board said."),
        ('The board said: "Nobody was hurt."', 'The board said: "Nobody was hurt."'),
        ("The board said: «Nobody was hurt»", "The board said: «Nobody was hurt»"),
        ("‘Calm,’ she said.", "‘Calm,’ she said."),
        # an apostrophe at the end is not a closing quotation mark
        ("The boat was the Smiths’", "“The boat was the Smiths’”"),
    ],
)
def test_quoted_adds_no_second_pair(text, expected):
    assert quoted(text) == expected


def test_differences_and_the_quote_ledger_do_not_double_quote_marks():
    sides = [DifferenceSide(statement=sentence(words)) for words in ('"We heard', "“Nobody")]
    doc = document(
        make_briefing(differences=[Difference(kind="stance", topic="Harm", sides=sides)])
    )
    body = "\n".join(p.text for s in doc.sections for p in s.paras)
    assert f"[{SOURCE_ID}]: {sides[0].statement.text} versus " in body
    assert "“We heard the engines stop and then nothing at all” — Ines Varga" in body
    for doubled in ('“"', '"”', "““", "””"):
        assert doubled not in body
