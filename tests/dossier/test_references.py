"""Shorter references a source makes to a body it named in full (pure string functions)."""

import pytest

from dossier.references import shorter_references, spelled_out

FREIGHT = (
    "Drivers walk out at Osterby depot\n"
    "Drivers at the depot in Osterby walked out on Monday. The depot is run by Halvern "
    'Freight Lines, which took it over in 2019. "We regret the disruption," said Ina Vos, a '
    "spokeswoman for Halvern. The company employs about 300 drivers at the depot. Halvern "
    "reported a profit of €12 million last year."
)
ASSEMBLY = (
    "Ostmark votes\n"
    "Voters in Ostmark elected a new regional assembly on Sunday. Turnout was 61 per cent, "
    "according to Lena Marr of the electoral board. The new assembly will hold its first "
    "sitting on 3 May."
)


@pytest.mark.parametrize(
    ("claim", "evidence", "source", "restated"),
    [
        # "The company" right after the source named Halvern last
        (
            "Halvern Freight Lines employs about 300 drivers at the depot.",
            "The company employs about 300 drivers at the depot.",
            FREIGHT,
            "The company employs about 300 drivers at the depot.",
        ),
        # the word of the name the source shortens it to
        (
            "Halvern Freight Lines made a profit of €12 million last year.",
            "Halvern reported a profit of €12 million last year.",
            FREIGHT,
            "Halvern made a profit of €12 million last year.",
        ),
        # a description sharing the noun of the claim's subject replaces that whole subject
        (
            "The newly elected Ostmark assembly will meet for the first time on 3 May.",
            "The new assembly will hold its first sitting on 3 May.",
            ASSEMBLY,
            "The new assembly will meet for the first time on 3 May.",
        ),
    ],
)
def test_a_claim_naming_a_body_in_full_is_restated_with_the_evidences_reference(
    claim, evidence, source, restated
):
    # GIVEN a claim naming a body in full and evidence referring to it more shortly
    # WHEN the claim is restated with the evidence's reference
    # THEN it reads with that reference for the name
    assert shorter_references(claim, evidence, source) == [restated]


def test_no_restatement_where_the_source_does_not_link_the_name_to_the_reference():
    # the source never names the claim's body
    claim = "Osterby Haulage employs about 300 drivers at the depot."
    assert shorter_references(claim, "The company employs about 300 drivers.", FREIGHT) == []
    # the description's sentence does not go on as the claim does
    claim = "Halvern Freight Lines opened a second depot."
    assert shorter_references(claim, "The company employs about 300 drivers.", FREIGHT) == []
    # the evidence already names the body as the claim does
    evidence = "Halvern Freight Lines employs about 300 drivers."
    assert (
        shorter_references("Halvern Freight Lines employs about 300 drivers.", evidence, FREIGHT)
        == []
    )


def test_the_last_name_before_a_description_must_be_the_claims_body():
    # GIVEN a source where another body is named right before "The company"
    source = (
        "Depot sold\n"
        "Halvern Freight Lines sold the depot to Brink Cargo. A spokesman for Brink Cargo "
        "confirmed the sale. The company employs about 300 drivers."
    )
    claim = "Halvern Freight Lines employs about 300 drivers."
    # WHEN restated, THEN "The company" is not taken for Halvern
    assert shorter_references(claim, "The company employs about 300 drivers.", source) == []


def test_a_word_that_is_a_place_or_part_of_another_name_is_no_short_name():
    # GIVEN a body named after a town the source also writes about ("in Osterby"), and one
    # sharing a word with another body the source names
    source = (
        "Osterby Harbour Board and Osterby Council\n"
        "Boats in Osterby were idle. The Osterby Harbour Board raised its fees, Kell Marine "
        "Services said. Kell Marine Trust objected."
    )
    # WHEN claims name them in full against evidence using the short word
    place = shorter_references(
        "The Osterby Harbour Board raised its fees.", "Osterby raised its fees.", source
    )
    shared = shorter_references("Kell Marine Services said so.", "Kell said so.", source)
    # THEN neither is restated
    assert place == []
    assert shared == []


def test_initials_are_spelled_out_where_the_evidence_names_the_body_in_full():
    # GIVEN a claim naming a body by initials and evidence naming it in full
    claim = "The OFC approved the fares on Monday."
    evidence = "The Ostmark Freight Council approved the fares on Monday."
    # WHEN restated, THEN the claim reads with the full name, and the other way round too
    assert spelled_out(claim, evidence) == [evidence]
    assert spelled_out(evidence, "The OFC approved the fares on Monday.") == [claim]


def test_initials_matching_no_name_or_too_short_to_tell_are_left_alone():
    evidence = "The Ostmark Freight Council approved the fares. AI Labs said so."
    # other initials, and two letters that match a name by chance
    assert spelled_out("The OTC approved the fares.", evidence) == []
    assert spelled_out("The AL assistant said so.", evidence) == []
    # a claim already giving both forms
    both = "The Ostmark Freight Council (OFC) approved the fares."
    assert spelled_out(both, evidence) == []
