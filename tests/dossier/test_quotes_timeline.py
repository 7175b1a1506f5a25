"""Quote ledger and timeline: pure string functions over a source's text."""

from dossier.quotes import find_quotes, group_quotes, speakers_disagree
from dossier.timeline import find_events, sort_events

ARTICLE = (
    "Officials met in Geneva.\n"
    '"We will not retreat from this position," Defence Minister Ana Lima said at a press '
    "conference in Lisbon.\n"
    "“It is a question of law, not of politics,” she added.\n"
    "Kofi Mensah, a senior adviser, said: “The talks have failed.”\n"
    'The ministry called the plan "dangerous".\n'
)


def test_quotes_slice_the_source_and_name_their_speakers():
    # GIVEN an article with three common attribution forms
    # WHEN the quotes are found
    quotes = find_quotes("a", ARTICLE)
    # THEN each quote's offsets slice the text and the speaker is the one the text names
    by_text = {q.text.rstrip(","): q for q in quotes}
    for q in quotes:
        assert ARTICLE[q.span.start : q.span.end] == q.text
        assert ARTICLE[q.sentence.start : q.sentence.end] == q.sentence.text
        assert q.verbatim
    assert by_text["We will not retreat from this position"].speaker.endswith("Ana Lima")
    assert "press conference in Lisbon" in by_text["We will not retreat from this position"].setting
    pronoun = by_text["It is a question of law, not of politics"]
    assert pronoun.speaker.endswith("Ana Lima") and pronoun.speaker_inferred
    assert by_text["The talks have failed."].speaker == "Kofi Mensah"
    # a one-word scare quote is not a statement
    assert "dangerous" not in by_text


def test_unattributed_quote_has_no_invented_speaker():
    quotes = find_quotes("a", 'Nobody knows who wrote "the end is near" on the wall.')
    assert [q.speaker for q in quotes] == [None]


def test_same_words_from_two_outlets_are_grouped_and_speaker_clash_detected():
    a = find_quotes("a", '"We are working that out now," Biden told reporters.')
    b = find_quotes("b", "Harris said: “We are working that out now.”")
    groups = group_quotes(a + b)
    assert len(groups) == 1
    assert groups[0].source_ids == ["a", "b"]
    assert speakers_disagree(groups[0])


def test_relative_dates_are_not_invented_without_a_stated_date():
    # GIVEN a source that states no publication date
    text = "The summit opened on Tuesday. Troops crossed on August 6. Talks began in May 2023."
    events, undated = find_events("a", text, published=None)
    whens = {e.date_text: e for e in events}
    # THEN "Tuesday" is not placed on the timeline, "August 6" keeps its unknown year
    assert "on Tuesday" not in whens
    assert [u.text for u in undated] == ["The summit opened on Tuesday."]
    assert whens["August 6"].when == "August 6 (year not stated)"
    assert not whens["August 6"].year_known
    assert whens["May 2023"].when == "2023-05"
    assert sort_events(events)[0].when == "2023-05"  # known years first


def test_weekdays_resolve_against_the_stated_date():
    # 2024-09-11 was a Wednesday
    text = "Officials met on Tuesday. They will meet again on Friday. Last Wednesday was calm."
    events, undated = find_events("a", text, published="2024-09-11")
    assert not undated
    assert [e.when for e in events] == ["2024-09-10", "2024-09-13", "2024-09-04"]
    for e in events:
        assert text[e.sentence.start : e.sentence.end] == e.sentence.text
