import numpy as np

from dossier.citations import (
    money_in,
    numbers_in,
    parse_citations,
    quotations,
    quote_is_verbatim,
    split_answer,
)
from dossier.verify import assess


def test_markers_are_parsed_in_order_and_removed():
    clean, numbers = parse_citations("The port closed on Monday [2][1], officials said [2, 3].")
    assert clean == "The port closed on Monday, officials said."
    assert numbers == [2, 1, 3]


def test_sentence_without_markers_has_no_citations():
    assert parse_citations("Nothing cited here.") == ("Nothing cited here.", [])


def test_a_marker_after_the_full_stop_stays_with_its_sentence():
    sentences = split_answer("The mayor resigned. [1] The council met on Friday [2].")
    assert [parse_citations(s)[1] for s in sentences] == [[1], [2]]


def test_quotations_skip_single_scare_words():
    sentence = 'He called it a "reset" and said "we will not back down" [1].'
    assert quotations(sentence) == ["we will not back down"]


def test_verbatim_quote_tolerates_typography_but_not_changed_words():
    passage = "“We’re working that out now,” the president told reporters."
    assert quote_is_verbatim("We're working that out now", passage)
    assert quote_is_verbatim("we’re working ... out now", passage)
    assert not quote_is_verbatim("We have worked that out", passage)


def test_numbers_are_compared_without_thousands_separators():
    assert numbers_in("about 1,200 troops and 3.5 tanks") == {"1200", "3.5"}


def test_amounts_of_money_are_told_apart_from_other_figures():
    assert money_in("The unit price is $190.") == {"190"}
    assert money_in("It has a range of about 190 miles.") == set()
    assert money_in("Aid worth over $200 billion and 3 million euros") == {"200", "3"}
    assert money_in("It cost £1,200.") == {"1200"}


def test_a_price_is_not_supported_by_a_distance_with_the_same_figure():
    passage = "The missiles have a range of about 190 miles."
    vector = np.ones(4, dtype=np.float32) / 2
    support = assess(
        "The unit price of one missile is $190.",
        vector,
        passage,
        [(0, len(passage))],
        vector[None, :],
    )
    assert not support.numbers_ok and not support.supported


def test_names_of_a_sentence_are_runs_of_capitalised_words_after_the_first_word():
    from dossier.citations import names_in

    assert names_in("Officials at Meridian Quay Holdings met Ola Berg.") == [
        "Meridian Quay Holdings",
        "Ola Berg",
    ]
    assert names_in("Talks resumed.") == []


def test_a_name_is_found_through_one_of_its_words_or_a_shared_stem():
    from dossier.citations import names_found

    # the short form a source uses after naming a body in full
    assert names_found("Meridian Quay Holdings made a profit.", "Meridian reported a profit.")
    # an adjective and its country
    assert names_found("The Norwegian minister spoke.", "Norway's minister spoke.")
    # a name the text never gives, even when the sentence's other words are all there
    assert not names_found("The host city is London.", "The host city is ...")
    assert not names_found("The lead actress in La La Land is Liu Yifei.", "Its lead, Liu Yifei.")
    # "The" opening a run does not make the run found
    assert not names_found("The London mayor spoke.", "the mayor spoke")
    assert not names_found("The SRC's chair spoke.", "The chair spoke.")
    assert names_found("The SRC's chair spoke.", "The chair of the SRC spoke.")
    assert names_found("The UN said so.", "The UN agency said so.")


def test_an_unfinished_last_sentence_is_cut_from_a_reply_that_hit_its_token_limit():
    from dossier.citations import without_unfinished_end

    assert without_unfinished_end("It rained [1]. The U.S. provided shorter-range versions of") == (
        "It rained [1]."
    )
    assert without_unfinished_end('It rained [1]. He said "it is done."') == (
        'It rained [1]. He said "it is done."'
    )
    assert without_unfinished_end("It rained [1].") == "It rained [1]."
    assert without_unfinished_end("cut off") == ""
