"""Other names the sources give one person (pure string functions, no model)."""

import pytest

from dossier.aliases import aliases, restatements

INTRODUCED = (
    "Mira Castell, president of the Tenants' Association, told the council the rents were "
    "too high. The council's treasurer, Paul Ode, disagreed. Harland's mayor, Rosa Finch, "
    "did not comment."
)


def test_an_apposition_gives_a_role_to_a_name_either_way_round():
    # GIVEN a source that introduces one person name-first and two role-first (after "The"
    # or after whose post it is)
    # WHEN its aliases are read
    roles = aliases([INTRODUCED])
    # THEN each role maps to its holder, without its article, in lower case
    assert roles == {
        "president of the tenants' association": "Mira Castell",
        "council's treasurer": "Paul Ode",
        "harland's mayor": "Rosa Finch",
    }


@pytest.mark.parametrize(
    "text",
    [
        "Paul Ode, the treasurer, said so.",  # a post without whose it is could be anyone's
        "Paul Ode, who spoke first, said so.",  # a clause, not a role
        "Meanwhile, the council's treasurer, said so.",  # one capitalised word opens a sentence
    ],
)
def test_what_does_not_name_one_post_is_no_alias(text):
    assert aliases([text]) == {}


def test_a_role_two_sources_give_different_people_is_dropped():
    # GIVEN two sources naming different holders of the same role
    first = "The council's treasurer, Paul Ode, disagreed."
    second = "The council's treasurer, Lena Marr, agreed."
    # WHEN their aliases are read together
    # THEN the role names nobody
    assert aliases([first, second]) == {}


def test_a_claim_naming_by_role_is_restated_with_the_surname_the_evidence_uses():
    roles = aliases([INTRODUCED])
    claim = "The president of the Tenants' Association said rents were too high."
    assert restatements(claim, "Castell said rents were too high.", roles) == [
        "Castell said rents were too high."
    ]


def test_a_claim_naming_by_name_is_restated_with_the_role_the_evidence_uses():
    roles = aliases([INTRODUCED])
    claim = "Paul Ode warned of a deficit."
    evidence = "The council's treasurer warned of a deficit."
    assert restatements(claim, evidence, roles) == ["The council's treasurer warned of a deficit."]


def test_no_restatement_where_the_evidence_names_someone_else_or_no_one():
    roles = aliases([INTRODUCED])
    claim = "Paul Ode warned of a deficit."
    # the evidence quotes another person, or already names the same one as the claim
    assert restatements(claim, "Castell warned of a deficit.", roles) == []
    assert restatements(claim, "Ode warned of a deficit.", roles) == []
    # a claim giving both names is not restated
    both = "The council's treasurer, Paul Ode, warned of a deficit."
    assert restatements(both, "The council's treasurer warned of a deficit.", roles) == []
