"""Yearless dates take their year from a date the source states: metadata, dateline or text."""

import pytest

from dossier.timeline import dateline_date, find_events, latest_stated_date

# Invented articles, written for these tests.
DATELINED = (
    "Ferry strikes pier in fog\n"
    "By Mara Quint\n"
    "PORT ELLIS, June 10, 2024 — The ferry Tamsin lost steering on March 26, the harbour board "
    "said. Divers inspected the pier on May 7. Crews met on Tuesday. A hearing will be held on "
    "July 2.\n"
)


def _whens(text, published=None):
    events, undated = find_events("a", text, published=published)
    return {e.date_text: e for e in events}, undated


def test_yearless_dates_take_the_year_of_the_dateline():
    # GIVEN an article whose only stated year is in its dateline, and no metadata date
    whens, undated = _whens(DATELINED)
    # THEN "March 26" and "May 7" fall before June 10, 2024, not "year not stated"
    assert whens["March 26"].when == "2024-03-26" and whens["March 26"].year_known
    assert whens["May 7"].when == "2024-05-07"
    # AND the dateline is the publication date: "on Tuesday" is the Tuesday before it
    assert whens["on Tuesday"].when == "2024-06-04" and not undated
    # AND what is to come falls after it
    assert whens["July 2"].when == "2024-07-02"


def test_the_metadata_date_is_used_first():
    text = "Divers inspected the pier on May 7. Crews met on Tuesday."
    whens, _ = _whens(text, published="2024-06-10")
    assert whens["May 7"].when == "2024-05-07"
    assert whens["on Tuesday"].when == "2024-06-04"


@pytest.mark.parametrize(
    ("published", "words", "expected"),
    [
        ("2025-01-05", "December 30", "2024-12-30"),  # just before a new year: last year's
        ("2024-06-10", "March 26", "2024-03-26"),
        ("2024-06-10", "June 20", "2024-06-20"),  # just after: around the date, same year
        ("2024-06-10", "November 3", "2023-11-03"),  # months later: the one before
        ("2024-12-28", "January 3", "2025-01-03"),  # a few days into the next year
    ],
)
def test_the_year_puts_the_day_nearest_before_or_around_the_source_date(published, words, expected):
    whens, _ = _whens(f"The ferry was inspected on {words}.", published=published)
    assert whens[words].when == expected


def test_a_full_date_anywhere_in_the_text_gives_the_year():
    # GIVEN no metadata date and no dateline, but a full date later in the text
    text = (
        "Harbour report\n"
        "The cold spell began on December 30. The board filed its report on January 5, 2025. "
        "Crews met on Monday.\n"
    )
    whens, undated = _whens(text)
    assert whens["December 30"].when == "2024-12-30"
    # AND a weekday is not resolved against a date that is not the source's own
    assert "on Monday" not in whens
    assert [u.text for u in undated] == ["Crews met on Monday."]


def test_a_month_without_a_year_takes_the_year_too():
    whens, _ = _whens("Repairs began in April.", published="2024-06-10")
    assert whens["in April"].when == "2024-04"


def test_year_not_stated_only_when_nothing_states_a_date():
    whens, _ = _whens("The ferry lost steering on March 26. Divers came on May 7.")
    assert whens["March 26"].when == "March 26 (year not stated)"
    assert not whens["March 26"].year_known


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Headline\nBALTIMORE, March 26, 2024 — Text.", "2024-03-26"),
        ("CHISINAU, Moldova, 10 June 2024 — Text.", "2024-06-10"),
        ("Headline\nPublished: 2024-06-10\nText.", "2024-06-10"),
        ("Headline\nJune 10, 2024\nText.", "2024-06-10"),
        ("Vote set for November 5, 2024\nText.", None),  # a headline, not a dateline
        ("The ship sailed on March 26, 2024, from the port.", None),
    ],
)
def test_dateline_date(text, expected):
    found = dateline_date(text)
    assert (found.isoformat() if found else None) == expected


def test_latest_stated_date():
    text = "It began on 2 March 2023. It ended on January 5, 2025. It met on 2024-06-01."
    assert latest_stated_date(text).isoformat() == "2025-01-05"
    assert latest_stated_date("It began on March 2.") is None
