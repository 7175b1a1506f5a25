from retrieval.metadata import extract_metadata
from retrieval.sentences import sentence_spans


def meta_of(text):
    return extract_metadata(text, sentence_spans(text))[0]


def test_title_byline_and_outlet_from_a_by_line():
    meta = meta_of(
        "Council Approves New Harbour Plan\n"
        "by Maria Lopez\n"
        "The city council voted on Tuesday to approve the plan.\n"
    )
    assert meta.title == "Council Approves New Harbour Plan"
    assert meta.byline == "Maria Lopez"
    assert meta.published is None  # "Tuesday" is not a publication date


def test_name_for_outlet_line_gives_byline_and_outlet():
    meta = meta_of(
        "The mayor spoke to reporters at length about the harbour.\n"
        "Jane Q Smith for Harbour Daily News"
    )
    assert meta.byline == "Jane Q Smith"
    assert meta.outlet == "Harbour Daily News"
    # The first line is a sentence, not a headline: the title is cut from it, marked derived.
    assert meta.title == "The mayor spoke to reporters at length about the harbour"
    assert meta.title_derived


def test_outlet_from_publisher_boilerplate():
    meta = meta_of(
        "Storm Closes Ports\n\nThe storm closed three ports on Friday.\n"
        "Catch all the World News and Updates on Coast Herald."
    )
    assert meta.outlet == "Coast Herald"


def test_dateline_and_stated_publication_date():
    meta = meta_of(
        "Ministers Meet In Oslo\nPublished: March 3, 2023\n"
        "OSLO, Norway—Ministers met on Friday to discuss fishing quotas.\n"
    )
    assert meta.dateline == "OSLO, Norway"
    assert meta.published == "2023-03-03"


def test_repeated_headline_lines_are_excluded_from_the_index():
    text = "Harbour Plan Approved\n\nHarbour plan approved\nThe council approved the plan."
    sentences = sentence_spans(text)
    _, excluded = extract_metadata(text, sentences)
    assert [text[slice(*sentences[i])] for i in excluded] == ["Harbour plan approved"]


def test_a_sentence_starting_with_by_is_not_a_byline():
    meta = meta_of("Talks Resume\nby the end of the week the talks had resumed\n")
    assert meta.byline is None
