"""Figures read as unit-normalised ranges: what counts as the same value and what does not."""

from dossier.quantities import figures


def only(text):
    [figure] = figures(text)
    return figure


def test_a_change_by_a_figure_is_that_figure_not_a_range_up_to_it():
    assert (only("Prices rose by 5 percent.").low, only("Prices rose by 5 percent.").high) == (5, 5)
    a, b = only("Prices rose by 5 percent."), only("Prices rose by 12 percent.")
    assert a.high < b.low  # they differ


def test_hundred_and_dozen_multiply_the_number_before_them():
    words = only("About two hundred people were evacuated.")
    digits = only("About 200 people were evacuated.")
    assert (words.family, words.low, words.high) == (digits.family, digits.low, digits.high)
    assert only("Three dozen boats were moored.").low == 36


def test_a_qualifier_is_a_whole_word():
    # "thunder" ends in "under", "handsome" in "some": neither qualifies the figure after it
    assert (only("The thunder 5 km away").low, only("The thunder 5 km away").high) == (5, 5)
    assert only("Under 5 km away").low == 0


def test_a_hyphenated_number_word_is_one_number():
    ships = only("Thirty-seven ships waited offshore.")
    assert (ships.family, ships.low) == ("count:ship", 37)
    assert only("Sixty people were moved.").low == 60
    assert only("Seventeen boats were moored.").low == 17  # not "seven"


def test_two_highest_values_of_one_thing_differ_unless_equal():
    # "up to" gives the highest value found: two sources giving two of them disagree
    low = only("Tests found the dye at up to 1.6 times the safe level.")
    high = only("Tests found the dye at up to 2.4 times the safe level.")
    assert not low.agrees_with(high) and not high.agrees_with(low)
    assert low.agrees_with(only("Tests found the dye at up to 1.6 times the safe level."))
    # a plain bound still agrees with any value within it
    assert only("The dye was at less than 2.4 times the safe level.").agrees_with(low)
    assert only("The dye was at 1.6 times the safe level.").agrees_with(high)
