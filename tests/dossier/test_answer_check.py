"""The sentence-by-sentence check of an answer against its numbered passages (no model).

With a judge, cheap filters (verbatim quotes, numbers present) reject first and the judge
decides what passes them; without one (`judge=None`) the old overlap rule decides.
"""

from dossier.answer_check import check_answer, render_answer
from dossier.schema import AnswerSentence, Passage
from tests.conftest import FakeEmbedder
from tests.fakes import WordJudge


class NoJudge:
    """A judge that finds nothing entailed and no answer answering; it records what it read."""

    def __init__(self) -> None:
        self.entailment_calls: list[tuple[str, str]] = []

    def entails(self, evidence: str, claim: str) -> bool:
        self.entailment_calls.append((evidence, claim))
        return False

    def answers(self, question: str, answer: str) -> bool:
        return False


def passages(*texts: str) -> list[Passage]:
    """Passages numbered from 1, each from its own source."""
    return [
        Passage(n=n, source_id=f"s{n}", start=0, end=len(text), text=text)
        for n, text in enumerate(texts, start=1)
    ]


COUNCIL = "The council approved the budget on Monday."
RAIN = "Heavy rain flooded the valley roads at night."


# --- cheap filters: rejected before the judge is asked --------------------------------------


def test_a_fabricated_quote_is_rejected_before_the_judge_is_asked():
    # GIVEN a passage quoting the minister and an answer that changes the quotation
    shown = passages('The minister said "we will review the policy next year".')
    judge = WordJudge()
    # WHEN the answer is checked
    sentences, citations = check_answer(
        'The minister said "we will scrap the policy next year" [1].',
        shown,
        FakeEmbedder(),
        judge,
    )
    # THEN the sentence is unsupported, its citation rejected, and the judge never asked
    [sentence] = sentences
    assert not sentence.supported and sentence.rejected_citations == [1]
    assert citations == [] and judge.entailment_calls == []


def test_an_invented_number_is_rejected_before_the_judge_is_asked():
    # GIVEN a passage with one cost and an answer giving another
    shown = passages("The bridge cost 40 million euros to build.")
    judge = WordJudge()
    # WHEN the answer is checked
    sentences, citations = check_answer(
        "The bridge cost 90 million euros to build [1].", shown, FakeEmbedder(), judge
    )
    # THEN it is unsupported without the judge being asked
    assert not sentences[0].supported and sentences[0].rejected_citations == [1]
    assert citations == [] and judge.entailment_calls == []


def test_the_same_sentence_with_the_right_number_goes_to_the_judge():
    # GIVEN the same passage and a faithful answer
    shown = passages("The bridge cost 40 million euros to build.")
    judge = WordJudge()
    # WHEN it is checked
    sentences, citations = check_answer(
        "The bridge cost 40 million euros to build [1].", shown, FakeEmbedder(), judge
    )
    # THEN the judge read the passage sentence and the claim, and the citation stands
    assert judge.entailment_calls == [
        ("The bridge cost 40 million euros to build.", "The bridge cost 40 million euros to build.")
    ]
    assert sentences[0].supported and sentences[0].citations == [1]
    [citation] = citations
    assert (citation.n, citation.source_id, citation.text) == (1, "s1", shown[0].text)


# --- the judge decides ---------------------------------------------------------------------


def test_a_sentence_the_judge_rejects_is_unsupported():
    # GIVEN a sentence that passes the cheap filters, and a judge that says NO
    judge = NoJudge()
    # WHEN it is checked
    sentences, citations = check_answer(
        "The council approved the budget on Monday [1].", passages(COUNCIL), FakeEmbedder(), judge
    )
    # THEN the judge was asked about the cited passage (and only about it: the only one related)
    # and the sentence has no citation left
    assert judge.entailment_calls
    assert set(judge.entailment_calls) == {(COUNCIL, "The council approved the budget on Monday.")}
    [sentence] = sentences
    assert not sentence.supported and sentence.citations == [] and not sentence.attributed
    assert sentence.rejected_citations == [1] and citations == []


def test_a_sentence_setting_two_passages_side_by_side_is_judged_on_both_together():
    # GIVEN two sources that disagree on the cost, and an answer that sets them side by side
    shown = passages(
        "The council said the bridge cost 40 million euros.",
        "The builder said the bridge cost 45 million euros.",
    )
    claim = "The council said the bridge cost 40 million euros and the builder said 45 million."
    judge = WordJudge()
    # WHEN it is checked
    sentences, citations = check_answer(f"{claim[:-1]} [1][2].", shown, FakeEmbedder(), judge)
    # THEN the judge was asked once, with both passages as evidence
    [(evidence, judged)] = judge.entailment_calls
    assert judged == claim
    assert shown[0].text in evidence and shown[1].text in evidence
    # AND both citations are kept: neither passage alone states the sentence
    [sentence] = sentences
    assert sentence.supported and sentence.citations == [1, 2]
    assert sentence.rejected_citations == [] and not sentence.attributed
    assert [c.n for c in citations] == [1, 2]
    assert [e.source_id for e in sentence.evidence] == ["s1", "s2"]


def test_of_two_citations_the_one_lacking_the_sentences_figure_is_dropped():
    # GIVEN two sources giving different costs, and a sentence stating one cost citing both
    shown = passages(
        "The council said the bridge cost 40 million euros.",
        "The builder said the bridge cost 45 million euros.",
    )
    judge = WordJudge()
    # WHEN it is checked
    sentences, _ = check_answer(
        "The bridge cost 40 million euros [1][2].", shown, FakeEmbedder(), judge
    )
    # THEN only the passage that states that figure is its citation
    [sentence] = sentences
    assert sentence.supported and sentence.citations == [1]
    assert sentence.rejected_citations == [2]
    # AND the judge read only that passage
    [(evidence, _)] = judge.entailment_calls
    assert shown[0].text in evidence and shown[1].text not in evidence


def test_a_side_by_side_sentence_the_judge_rejects_keeps_neither_citation():
    shown = passages(
        "The council said the bridge cost 40 million euros.",
        "The builder said the bridge cost 45 million euros.",
    )
    judge = NoJudge()
    sentences, citations = check_answer(
        "The council said the bridge cost 40 million euros and the builder said 45 million [1][2].",
        shown,
        FakeEmbedder(),
        judge,
    )
    assert len(judge.entailment_calls) == 1
    assert not sentences[0].supported and sentences[0].rejected_citations == [1, 2]
    assert citations == []


def test_an_uncited_sentence_is_attributed_to_the_best_passage_when_the_judge_agrees():
    # GIVEN two passages and a sentence without a citation that the second one states
    shown = passages(COUNCIL, RAIN)
    # WHEN the judge agrees that the second one entails it
    judge = WordJudge()
    sentences, citations = check_answer(
        "Heavy rain flooded the valley roads.", shown, FakeEmbedder(), judge
    )
    # THEN the sentence is attributed to it, and only to it, marked as attributed
    [sentence] = sentences
    assert sentence.supported and sentence.attributed and sentence.citations == [2]
    assert [c.n for c in citations] == [2]
    assert [evidence for evidence, _ in judge.entailment_calls] == [RAIN]


def test_an_uncited_sentence_is_not_attributed_when_the_judge_disagrees():
    shown = passages(COUNCIL, RAIN)
    judge = NoJudge()
    sentences, citations = check_answer(
        "Heavy rain flooded the valley roads.", shown, FakeEmbedder(), judge
    )
    # THEN only the best passage was put to the judge, and the sentence stays unsupported
    assert [evidence for evidence, _ in judge.entailment_calls] == [RAIN]
    [sentence] = sentences
    assert not sentence.supported and not sentence.attributed and sentence.citations == []
    assert citations == []


def test_a_sentence_citing_an_unrelated_passage_is_moved_to_the_one_that_states_it():
    # GIVEN a sentence citing the council passage while it is about the rain
    judge = WordJudge()
    sentences, citations = check_answer(
        "Heavy rain flooded the valley roads [1].", passages(COUNCIL, RAIN), FakeEmbedder(), judge
    )
    # THEN the unrelated citation is rejected without asking the judge about it,
    # and the sentence is attributed to the passage the judge finds entails it
    [sentence] = sentences
    assert sentence.rejected_citations == [1]
    assert sentence.citations == [2] and sentence.attributed
    assert [evidence for evidence, _ in judge.entailment_calls] == [RAIN]
    assert [c.n for c in citations] == [2]


def test_a_citation_to_a_passage_that_was_not_shown_is_rejected():
    # GIVEN one passage, and an answer citing passage 3, which the model never saw
    judge = NoJudge()
    # WHEN it is checked with a judge that agrees with nothing
    sentences, citations = check_answer(
        "The council approved the budget on Monday [3].", passages(COUNCIL), FakeEmbedder(), judge
    )
    # THEN [3] is rejected, and no passage takes its place
    [sentence] = sentences
    assert sentence.rejected_citations == [3] and sentence.citations == []
    assert not sentence.supported and citations == []
    # AND the judge read only the passage that exists
    assert [evidence for evidence, _ in judge.entailment_calls] == [COUNCIL]


def test_a_citation_to_a_missing_passage_is_rejected_even_when_a_shown_one_states_it():
    judge = WordJudge()
    sentences, citations = check_answer(
        "The council approved the budget on Monday [3].", passages(COUNCIL), FakeEmbedder(), judge
    )
    [sentence] = sentences
    assert sentence.rejected_citations == [3]
    assert sentence.citations == [1] and sentence.attributed
    assert [c.n for c in citations] == [1]


def test_the_judge_reads_the_passage_sentences_closest_to_the_claim():
    # GIVEN a long passage in which one sentence states the claim
    text = (
        "The harbour reopened on Monday after storm repairs. "
        "Fishing boats returned to the quay within hours. "
        "The mayor thanked the engineers who rebuilt the sea wall. "
        "A new ferry timetable starts in June."
    )
    judge = WordJudge()
    # WHEN a sentence citing it is checked
    check_answer("The mayor thanked the engineers [1].", passages(text), FakeEmbedder(), judge)
    # THEN the judge's evidence holds that sentence, not the whole passage
    [(evidence, _)] = judge.entailment_calls
    assert "The mayor thanked the engineers who rebuilt the sea wall." in evidence
    assert len(evidence) < len(text)


def test_a_refusal_sentence_is_not_checked():
    judge = WordJudge()
    assert check_answer("The sources do not say.", passages(COUNCIL), FakeEmbedder(), judge) == (
        [],
        [],
    )
    assert judge.entailment_calls == []


# --- without a judge: the overlap rule ------------------------------------------------------


def test_without_a_judge_a_sentence_citing_an_unrelated_passage_is_attributed_by_overlap():
    sentences, citations = check_answer(
        "Heavy rain flooded the valley roads [1].", passages(COUNCIL, RAIN), FakeEmbedder()
    )
    [sentence] = sentences
    assert sentence.rejected_citations == [1]
    assert sentence.citations == [2] and sentence.attributed
    assert [c.n for c in citations] == [2]


def test_without_a_judge_a_citation_to_a_weaker_neighbour_moves_to_the_passage_that_says_it():
    shown = passages(
        "Officials said the ferry service would resume on Sunday morning.",
        "The ferry operator cut prices for the service.",
    )
    sentences, _ = check_answer(
        "The ferry service would resume on Sunday morning [2].", shown, FakeEmbedder()
    )
    assert sentences[0].citations == [1] and sentences[0].rejected_citations == [2]


def test_without_a_judge_quotes_and_numbers_are_still_checked():
    quoted, _ = check_answer(
        'The minister said "we will scrap the policy next year" [1].',
        passages('The minister said "we will review the policy next year".'),
        FakeEmbedder(),
    )
    counted, _ = check_answer(
        "The bridge cost 90 million euros to build [1].",
        passages("The bridge cost 40 million euros to build."),
        FakeEmbedder(),
    )
    assert not quoted[0].supported and not counted[0].supported


# --- rendering ------------------------------------------------------------------------------


def test_render_answer_keeps_only_surviving_citations():
    text = render_answer(
        [
            AnswerSentence(text="One.", citations=[1, 2], supported=True),
            AnswerSentence(text="Two.", citations=[], supported=False),
        ]
    )
    assert text == "One [1][2]. Two."


# --- names the sources give one person ------------------------------------------------------

INTRODUCTION = "Mira Castell, president of the Tenants' Association, spoke first."
BY_SURNAME = "Castell said rents had risen by a third."


def test_a_claim_naming_by_role_holds_where_the_sources_give_that_role_to_the_evidences_name():
    # GIVEN evidence naming a speaker by surname, and another source giving her role
    shown = passages(BY_SURNAME)
    sources = {"s1": BY_SURNAME, "s2": INTRODUCTION}
    claim = "The president of the Tenants' Association said rents had risen by a third [1]."
    # WHEN an answer naming her by role is checked
    sentences, _ = check_answer(claim, shown, FakeEmbedder(), WordJudge(), sources)
    # THEN the sentence is supported by the passage, and without the introduction it is not
    assert sentences[0].supported and sentences[0].citations == [1]
    alone, _ = check_answer(claim, shown, FakeEmbedder(), WordJudge(), {"s1": BY_SURNAME})
    assert not alone[0].supported


def test_a_claim_naming_someone_the_sources_never_link_to_the_evidence_stays_unsupported():
    # GIVEN the same evidence and introduction
    shown = passages(BY_SURNAME)
    sources = {"s1": BY_SURNAME, "s2": INTRODUCTION}
    # WHEN an answer gives the words to another body's president
    claim = "The president of the Landlords' Guild said rents had risen by a third [1]."
    sentences, _ = check_answer(claim, shown, FakeEmbedder(), WordJudge(), sources)
    # THEN it is not supported
    assert not sentences[0].supported


# --- shorter references a source makes to a body --------------------------------------------

BY_DESCRIPTION = "The company employs about 300 drivers at the depot."
DEPOT_STORY = (
    "Drivers walk out\n"
    "The depot is run by Halvern Freight Lines. Ina Vos, a spokeswoman for Halvern, said "
    f"talks would resume. {BY_DESCRIPTION}"
)


def test_a_claim_naming_a_body_in_full_holds_where_its_source_named_it_before_the_description():
    # GIVEN evidence saying "The company", from a source naming the company just before
    shown = passages(BY_DESCRIPTION)
    claim = "Halvern Freight Lines employs about 300 drivers at the depot [1]."
    # WHEN an answer naming the company in full is checked with that source
    sentences, _ = check_answer(claim, shown, FakeEmbedder(), WordJudge(), {"s1": DEPOT_STORY})
    # THEN it is supported, and with a source naming another company last it is not
    assert sentences[0].supported and sentences[0].citations == [1]
    other = DEPOT_STORY.replace("a spokeswoman for Halvern", "a spokeswoman for Brink Cargo")
    elsewhere, _ = check_answer(claim, shown, FakeEmbedder(), WordJudge(), {"s1": other})
    assert not elsewhere[0].supported


def test_a_claim_giving_a_body_by_initials_holds_where_the_evidence_names_it_in_full():
    # GIVEN evidence naming a council in full, never by its initials
    full = "The Ostmark Freight Council approved the fares on Monday."
    # WHEN an answer giving it by initials is checked
    sentences, _ = check_answer(
        "The OFC approved the fares on Monday [1].",
        passages(full),
        FakeEmbedder(),
        WordJudge(),
        {"s1": full},
    )
    # THEN it is supported, and other initials are not
    assert sentences[0].supported
    other, _ = check_answer(
        "The OTC approved the fares on Monday [1].",
        passages(full),
        FakeEmbedder(),
        WordJudge(),
        {"s1": full},
    )
    assert not other[0].supported
