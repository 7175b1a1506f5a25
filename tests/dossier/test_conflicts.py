"""Sources that disagree: the second account is found by judgment, not by wording."""

import pytest

from dossier.conflicts import (
    closest_sentences,
    differs,
    other_accounts,
    probe_pool,
    supported_text,
)
from dossier.schema import AnswerSentence, Passage
from tests.fakes import WordJudge


def passage(n, source, text, relevance=1.0):
    return Passage(n=n, source_id=source, start=0, end=len(text), text=text, relevance=relevance)


def said(text, n):
    return AnswerSentence(text=text, citations=[n], supported=True)


class ScriptedJudge:
    """Entails / answers by lookup, recording what it was asked."""

    def __init__(self, entails=(), answers=()):
        self._entails, self._answers = set(entails), set(answers)
        self.asked = []

    def entails(self, evidence, claim):
        self.asked.append(("entails", evidence, claim))
        return any(key in evidence for key in self._entails)

    def answers(self, question, answer):
        self.asked.append(("answers", question, answer))
        return any(key in answer for key in self._answers)

    def answer_probability(self, question, answer):
        return 0.9 if self.answers(question, answer) else 0.1


PASSAGES = [
    passage(1, "a", "Officials said 40 people were hurt in the blast on Monday.", 0.9),
    passage(2, "b", "Firefighters said 55 people were hurt in the blast.", 0.8),
    passage(3, "c", "The street reopened on Tuesday.", 0.3),
]


def test_a_passage_of_another_source_that_answers_differently_is_found(fake_embedder):
    # GIVEN an answer citing source a, and source b giving another count
    answer = [said("Officials said 40 people were hurt.", 1)]
    judge = ScriptedJudge(entails=["40 people"], answers=["55 people"])
    # WHEN another account is looked for
    found = other_accounts("How many were hurt?", answer, PASSAGES, fake_embedder, judge)
    # THEN source b's passage is it, and only the uncited passage giving a value was judged
    assert [p.source_id for p in found] == ["b"]
    assert {call[1] for call in judge.asked} == {PASSAGES[1].text}


def test_the_probe_goes_to_a_passage_giving_another_value_of_the_kind_asked_for(fake_embedder):
    # GIVEN an answer citing source a, a more relevant passage of source c that gives no
    # figure, and a less relevant one of source b that gives another count
    shown = [
        passage(1, "a", "Officials said 40 people were hurt in the blast on Monday.", 0.9),
        passage(3, "c", "People were hurt in the blast near the station.", 0.8),
        passage(2, "b", "Firefighters said 55 people were hurt.", 0.3),
    ]
    answer = [said("Officials said 40 people were hurt.", 1)]
    judge = ScriptedJudge(entails=["40 people"], answers=["55 people"])
    # WHEN another account is looked for on a "how many" question
    found = other_accounts("How many people were hurt?", answer, shown, fake_embedder, judge)
    # THEN the one probe went to source b, whose figure the answer lacks
    assert [p.source_id for p in found] == ["b"]


def test_a_passage_that_states_the_same_is_no_other_account(fake_embedder):
    # GIVEN the other source agrees with the answer
    answer = [said("55 people were hurt.", 2)]
    judge = ScriptedJudge(entails=["55 people", "40 people"], answers=["40 people"])
    # WHEN / THEN nothing is found, and the question-answering judgment was never needed
    assert other_accounts("How many were hurt?", answer, PASSAGES, fake_embedder, judge) == []
    assert [kind for kind, *_ in judge.asked] == ["entails"]


def test_a_passage_is_not_asked_whether_it_answers_the_question(fake_embedder):
    # GIVEN an uncited passage giving another count that does not state the answer
    answer = [said("40 people were hurt.", 1)]
    judge = ScriptedJudge(entails=[], answers=[])
    # WHEN another account is looked for
    found = other_accounts("How many were hurt?", answer, PASSAGES, fake_embedder, judge)
    # THEN it is a candidate: whether it answers is judged on what the model writes from it
    assert [p.source_id for p in found] == ["b"]
    assert [kind for kind, *_ in judge.asked] == ["entails"]


def test_an_unsupported_answer_has_no_other_account_to_look_for(fake_embedder):
    answer = [AnswerSentence(text="Many were hurt.", citations=[], supported=False)]
    judge = ScriptedJudge(answers=["55"])
    assert other_accounts("How many were hurt?", answer, PASSAGES, fake_embedder, judge) == []
    assert judge.asked == []


def test_accounts_differ_only_when_the_second_gives_a_value_the_first_does_not_state():
    judge = WordJudge()
    first = [said("Officials said 40 people were hurt.", 1)]
    asked = "How many people were hurt?"
    assert differs(asked, first, [said("Firefighters said 55 people were hurt.", 2)], judge)
    assert not differs(asked, first, [said("40 people were hurt.", 2)], judge)
    assert not differs(asked, first, [], judge)
    # a second account with no other value of the kind asked is no other side
    assert not differs(asked, first, [said("Officials said 40 were hurt badly.", 2)], judge)


def test_a_second_account_answering_less_directly_than_the_first_is_no_other_side():
    # GIVEN an answer giving the count of the injured, and a second account from another
    # source giving a count of something near it
    first = [said("Officials said 40 people were hurt in the blast.", 1)]
    second = [said("Firefighters said 55 people were evacuated from nearby streets.", 2)]
    asked = "How many people were hurt in the blast?"
    # WHEN the judge finds the first answers the question and the second less so
    judge = ScriptedJudge(answers=["hurt"])
    # THEN the two are not shown as sources that differ
    assert not differs(asked, first, second, judge)
    # AND a second account answering as directly is
    rival = [said("Firefighters said 55 people were hurt in the blast.", 2)]
    assert differs(asked, first, rival, judge)


def test_a_question_asking_for_no_value_has_no_other_account(fake_embedder):
    # GIVEN two sources quoting the mayor differently, and a question asking what was said
    shown = [
        passage(1, "a", "The mayor said the port would reopen soon.", 0.9),
        passage(2, "b", "The mayor said the strike had cost the city dearly.", 0.8),
    ]
    answer = [said("The mayor said the port would reopen soon.", 1)]
    judge = ScriptedJudge(answers=["cost the city"])
    # WHEN another account is looked for
    found = other_accounts("What did the mayor say?", answer, shown, fake_embedder, judge)
    # THEN there is none: the sources do not give two values of one thing
    assert found == [] and judge.asked == []


def test_closest_sentences_keep_reading_order(fake_embedder):
    text = "The mayor spoke. Rain fell all day. The mayor said the bridge would reopen."
    p = passage(1, "a", text)
    picked = closest_sentences(p, "What did the mayor say about the bridge?", fake_embedder, 2)
    assert picked.count(".") == 2
    first, second = (text.index(s) for s in picked.split(". ", 1))
    assert first < second


def test_a_passage_restating_the_answer_is_probed_after_one_that_gives_another_value(
    fake_embedder,
):
    # GIVEN an answer citing source a; source c, more relevant, repeats its count and adds a
    # date; source b gives another count
    shown = [
        passage(1, "a", "Officials said 40 people were hurt in the blast.", 0.9),
        passage(3, "c", "By 2024, 40 people had been hurt in the blasts, officials said.", 0.8),
        passage(2, "b", "Firefighters said 55 people were hurt in the blast.", 0.3),
    ]
    answer = [said("Officials said 40 people were hurt.", 1)]
    judge = ScriptedJudge(entails=["40 people"], answers=["55 people"])
    # WHEN another account is looked for
    found = other_accounts("How many people were hurt?", answer, shown, fake_embedder, judge)
    # THEN the first probe went to source b, and source c, which agrees, is no candidate
    assert judge.asked[0][1] == shown[2].text
    assert [p.source_id for p in found] == ["b"]


def test_a_second_passage_is_probed_when_the_first_agrees(fake_embedder):
    # GIVEN an answer citing source a; source b says it in nearly the same words with a
    # figure more (it agrees), source c gives another count in other words
    shown = [
        passage(1, "a", "Officials said 40 people were hurt in the blast.", 0.9),
        passage(2, "b", "Officials said forty people were hurt in the blast, 12 badly.", 0.8),
        passage(3, "c", "The fire brigade counted 55 injured.", 0.3),
    ]
    answer = [said("Officials said 40 people were hurt in the blast.", 1)]
    judge = ScriptedJudge(entails=["12 badly"], answers=["55 injured"])
    # WHEN another account is looked for
    found = other_accounts("How many people were hurt?", answer, shown, fake_embedder, judge)
    # THEN b, reading most like the answer, was probed first and agreed; c is the other account
    assert [call[1] for call in judge.asked][:1] == [shown[1].text]
    assert [p.source_id for p in found] == ["c"]


def test_a_passage_giving_the_same_measure_otherwise_is_probed_before_one_reading_closer(
    fake_embedder,
):
    # GIVEN an answer that the lake was 62 per cent full (source a); source c, worded
    # much like the answer, gives a flow in cubic metres; source b gives another share
    shown = [
        passage(
            1, "a", "The lake stood at 62 per cent of capacity when the gates were closed.", 0.9
        ),
        passage(3, "c", "The lake stood low when the gates were closed to 120 cubic metres.", 0.8),
        passage(2, "b", "Officials say storage has fallen to 58 per cent.", 0.3),
    ]
    answer = [said("The lake stood at 62 per cent of capacity when the gates were closed.", 1)]
    judge = ScriptedJudge(answers=["120 cubic", "58 per cent"])
    # WHEN another account is looked for on "how full"
    found = other_accounts("How full was the lake?", answer, shown, fake_embedder, judge)
    # THEN the first probe went to source b: another value of the same measure, a share
    assert [p.source_id for p in found][:1] == ["b"]


def test_two_days_of_the_same_month_are_two_accounts():
    judge = WordJudge()
    first = [said("The leak was found on 15 March.", 1)]
    asked = "When was the leak found?"
    assert differs(asked, first, [said("Staff found the leak on 12 March.", 2)], judge)
    assert not differs(asked, first, [said("Staff found the leak on 15 March.", 2)], judge)


def test_after_a_second_look_the_first_selection_is_probed_too_numbered_after_it():
    # GIVEN a second look that narrowed the passages to one sentence of source a, and the
    # first selection: a wider stretch of source a and a passage of source b
    narrowed = [Passage(n=1, source_id="a", start=10, end=40, text="x" * 30)]
    first = [
        Passage(n=1, source_id="a", start=0, end=80, text="y" * 80),
        Passage(n=2, source_id="b", start=0, end=50, text="z" * 50),
    ]
    # WHEN the passages to probe for another account are gathered
    pool = probe_pool(narrowed, first)
    # THEN source b's passage is among them with a number no shown passage has, and the
    # stretch of a that overlaps the one shown is not probed twice
    assert [(p.source_id, p.n, p.start) for p in pool] == [("a", 1, 10), ("b", 2, 0)]
    # AND with no second look, the pool is the passages themselves
    assert probe_pool(first, first) == first


class ProbableJudge(WordJudge):
    """Finds each answer to answer with the probability it is given for it."""

    def __init__(self, probabilities):
        super().__init__()
        self.probabilities = probabilities

    def answer_probability(self, question, answer):
        return self.probabilities[answer]


@pytest.mark.parametrize(("theirs", "shown"), [(0.75, True), (0.72, True), (0.6, False)])
def test_a_rival_account_may_answer_a_little_less_directly_than_the_first(theirs, shown):
    # GIVEN a first account the judge finds to answer with 0.8, and a rival count
    first = [said("Officials said 40 people were hurt.", 1)]
    rival = [said("Firefighters said 55 people were hurt.", 2)]
    judge = ProbableJudge({supported_text(first): 0.8, supported_text(rival): theirs})
    # WHEN the two are weighed
    # THEN judgment noise between two wordings does not hide the rival; a clear gap does
    assert differs("How many people were hurt?", first, rival, judge) is shown


def test_an_account_opening_with_the_name_it_gives_differs_when_the_passages_name_it():
    # GIVEN an answer naming one city and a second account opening with another's name
    judge = WordJudge()
    first = [said("The race was won by Ostrava.", 1)]
    second = [said("Brno won the race.", 2)]
    shown = [
        passage(1, "a", "The race was won by Ostrava.", 0.9),
        passage(2, "b", "In the end Brno won the race.", 0.8),
    ]
    asked = "Which city won the race?"
    # WHEN the two are compared with the passages they were written from
    # THEN the opening word is a name, as the passage writes it inside a sentence, and they differ
    assert differs(asked, first, second, judge, shown)
    # and without the passages an opening capital is not taken for a name
    assert not differs(asked, first, second, judge)


def test_a_passage_giving_another_figure_where_the_question_names_one_is_probed_later(
    fake_embedder,
):
    # GIVEN an answer about the 2019 final (source a); source c, reading more like the answer,
    # names another year's winner; source b names another 2019 winner
    shown = [
        passage(1, "a", "Ostrava won the 2019 final of the cup.", 0.9),
        passage(3, "c", "Ostrava lost the final of the cup to Plzen in 2018.", 0.8),
        passage(2, "b", "The 2019 final went to Brno, the club said.", 0.3),
    ]
    answer = [said("Ostrava won the 2019 final of the cup.", 1)]
    judge = ScriptedJudge()
    # WHEN another account is looked for
    found = other_accounts("Who won the 2019 final?", answer, shown, fake_embedder, judge)
    # THEN the passage about another year comes after the one about the question's
    assert [p.source_id for p in found] == ["b", "c"]
