"""The model as judge, with a scripted model: prompts, grammar, verdicts, cancel."""

import threading

import pytest

from dossier.judge import (
    ANSWER_PHRASE_GRAMMAR,
    YES_NO_GRAMMAR,
    ModelJudge,
    gives_more_than,
    holding_sentences,
)
from prompts import PromptSet
from tests.fakes import ScriptedLLM, WordJudge


class RecordingLLM(ScriptedLLM):
    """A scripted model that also records the options of every call."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.options: list[dict] = []

    def stream(self, messages, **options):
        self.options.append(options)
        return super().stream(messages, **options)


def saying(*verdicts: str) -> RecordingLLM:
    """A model whose judgments are `verdicts`, in order, and that has no other reply."""
    left = list(verdicts)
    return RecordingLLM([], verdict=lambda messages: left.pop(0))


def test_entails_renders_the_entailment_prompts_with_the_texts_on_one_line():
    # GIVEN a judge over a model that says YES
    llm = saying("YES")
    judge = ModelJudge(llm)
    # WHEN it is asked whether a text with line breaks entails a claim
    judge.entails("The harbour reopened\n on Monday.  Boats returned.", "The harbour\treopened.")
    # THEN the model got the entailment instructions as system and the texts as user message
    prompts = PromptSet()
    [messages] = llm.calls
    assert [m["role"] for m in messages] == ["system", "user"]
    assert messages[0]["content"] == prompts.render("judge_entails_system").text
    assert messages[1]["content"] == (
        prompts.render(
            "judge_entails_user",
            evidence="The harbour reopened on Monday. Boats returned.",
            claim="The harbour reopened.",
        ).text
    )
    assert judge.calls == 1


def test_answers_renders_the_answer_prompts_with_the_copied_phrase_named():
    # GIVEN a model that copies "The mayor" as the phrase that answers
    llm = RecordingLLM([], phrase=lambda messages: "The  mayor", verdict=lambda messages: "NO")
    # WHEN the judge is asked whether the answer answers
    ModelJudge(llm).answers("Who  opened\nthe bridge?", "The mayor opened it.")
    # THEN YES or NO was asked with the answer and, after it, the phrase on one line
    prompts = PromptSet()
    _phrase, messages = llm.calls
    assert messages[0]["content"] == prompts.render("judge_answers_system").text
    assert messages[1]["content"] == (
        prompts.render(
            "judge_answers_phrase_user",
            question="Who opened the bridge?",
            answer="The mayor opened it.",
            phrase="The mayor",
        ).text
    )
    assert "(that is: The mayor) ->" in messages[1]["content"]


def test_answer_probability_alone_asks_without_a_phrase():
    llm = saying("YES")
    ModelJudge(llm).answer_probability("Who opened the bridge?", "The mayor opened it.")
    [messages] = llm.calls
    assert messages[0]["content"] == PromptSet().render("judge_answers_system").text
    assert messages[1]["content"] == (
        PromptSet()
        .render(
            "judge_answers_user", question="Who opened the bridge?", answer="The mayor opened it."
        )
        .text
    )


def test_the_instructions_are_the_same_for_every_judgment_so_the_prefix_is_cached():
    llm = saying("YES", "NO", "YES")
    judge = ModelJudge(llm)
    judge.entails("Text one.", "Claim one.")
    judge.entails("Another text entirely.", "Another claim.")
    judge.answers("A question?", "An answer.")
    first, second, phrase, third = llm.calls
    assert first[0] == second[0] and first[0] != third[0] != phrase[0]
    assert first[1] != second[1]


def test_every_judgment_is_constrained_and_kept_short():
    llm = saying("YES", "YES")
    judge = ModelJudge(llm)
    judge.entails("Text.", "Claim.")
    judge.answers("Question?", "Answer.")
    # entailment: one word, YES or NO; does it answer: with what, one short line, then YES or NO
    assert llm.grammars == [YES_NO_GRAMMAR, ANSWER_PHRASE_GRAMMAR, YES_NO_GRAMMAR]
    entailment, phrase, answers = llm.options
    assert all(0 < o["max_tokens"] <= 4 for o in (entailment, answers))
    assert 0 < phrase["max_tokens"] <= 32 and phrase["stop"] == ["\n"]
    assert all(o.get("temperature", 0.0) == 0.0 for o in llm.options)


def test_no_phrase_is_final_and_no_yes_or_no_is_asked_for():
    llm = RecordingLLM([], phrase=lambda messages: "NONE")
    assert ModelJudge(llm).answers("Question?", "Answer.") is False
    assert llm.grammars == [ANSWER_PHRASE_GRAMMAR]


@pytest.mark.parametrize(
    ("reply", "verdict"),
    [("YES", True), ("NO", False), (" yes", True), ("No", False), ("", False)],
)
def test_the_reply_maps_to_a_verdict(reply, verdict):
    judge = ModelJudge(saying(reply, reply))
    assert judge.entails("Text.", "Claim.") is verdict
    assert judge.answers("Question?", "Answer.") is verdict


def test_the_grammar_allows_exactly_the_two_words_the_verdict_is_read_from():
    # (The slow model tests check that llama.cpp, in process and as a server, obeys it.)
    rule = YES_NO_GRAMMAR.split("::=")
    assert rule[0].strip() == "root"
    assert {part.strip() for part in rule[1].split("|")} == {'"YES"', '"NO"'}


def test_the_questions_cancel_event_is_passed_to_the_model():
    # GIVEN a judge sharing the question's cancel event, not set
    cancel = threading.Event()
    llm = saying("YES", "NO")
    judge = ModelJudge(llm, cancel=cancel)
    # WHEN it judges, THEN every model call gets the event, so a stop cuts a judgment short
    assert judge.entails("Text.", "Claim.") is True
    assert judge.answers("Question?", "Answer.") is False
    assert [o["cancel"] for o in llm.options] == [cancel, cancel, cancel]


def test_a_judgment_after_cancel_is_no():
    # GIVEN a judge whose cancel event is set, over a model that would say YES
    cancel = threading.Event()
    cancel.set()
    llm = saying("YES", "YES")
    judge = ModelJudge(llm, cancel=cancel)
    # WHEN it judges, THEN the verdicts are NO (the model, if asked, stops before its first word)
    assert judge.entails("Text.", "Claim.") is False
    assert judge.answers("Question?", "Answer.") is False
    assert all(o["cancel"] is cancel for o in llm.options)


def test_without_cancel_none_is_passed():
    llm = saying("YES")
    ModelJudge(llm).entails("Text.", "Claim.")
    assert llm.options[0]["cancel"] is None


def test_other_prompts_can_be_used(tmp_path):
    for name, text in {
        "judge_entails_system": "Check.",
        "judge_entails_user": "T={evidence} C={claim}",
        "judge_answers_system": "Answer?",
        "judge_answers_user": "Q={question} A={answer}",
        "judge_answers_phrase_user": "Q={question} A={answer} P={phrase}",
        "judge_phrase_system": "Which words?",
        "judge_phrase_user": "Q={question} A={answer}",
    }.items():
        (tmp_path / f"{name}.txt").write_text(text)
    llm = saying("YES")
    judge = ModelJudge(llm, PromptSet(tmp_path))
    judge.entails("e", "c")
    assert llm.calls[0] == [
        {"role": "system", "content": "Check."},
        {"role": "user", "content": "T=e C=c"},
    ]
    # AND its hash names the seven templates, so another judge prompt changes the answer's hash
    assert judge.prompt_hash() != ModelJudge(llm).prompt_hash()
    assert len(judge.prompt_hash().split("+")) == 7


def test_the_word_judge_used_by_other_tests_judges_by_content_words():
    word = WordJudge()
    assert word.entails("The harbour reopened on Monday.", "The harbour reopened.")
    assert not word.entails("The harbour reopened on Monday.", "The airport reopened.")
    assert word.answers("When did the harbour reopen?", "The harbour reopened on Monday.")
    assert not word.answers("When did the harbour reopen?", "Rain fell.")


class ScoringLLM(ScriptedLLM):
    """A model that gives the probability of each one-word reply (a `ChoiceScorer`)."""

    def __init__(self, yes: float) -> None:
        super().__init__([])
        self.yes = yes
        self.choices: list[tuple[str, ...]] = []

    def choice_probabilities(self, messages, choices, *, cancel=None):
        self.calls.append(messages)
        self.choices.append(tuple(choices))
        return {"YES": self.yes, "NO": 1.0 - self.yes}


@pytest.mark.parametrize(
    ("yes", "threshold", "entailed"),
    [(0.7, 0.5, True), (0.7, 0.9, False), (0.95, 0.9, True), (0.3, 0.5, False)],
)
def test_a_scoring_model_entails_only_when_yes_reaches_the_threshold(yes, threshold, entailed):
    # GIVEN a model that is `yes` sure a claim is stated, and a judge asking for `threshold`
    llm = ScoringLLM(yes)
    judge = ModelJudge(llm, threshold=threshold)
    # WHEN the judge decides
    verdict = judge.entails("The harbour reopened on Monday.", "The harbour reopened.")
    # THEN the claim is entailed exactly when the probability reaches the threshold,
    # asked as YES against NO, with no text generated
    assert verdict is entailed
    assert llm.choices == [("YES", "NO")]
    assert llm.grammars == []
    assert judge.entailment_probability("a", "b") == pytest.approx(yes)


class CopyingLLM(ScriptedLLM):
    """A model that says YES to every judgment and reads `phrase` as what answers."""

    def __init__(self, phrase: str) -> None:
        super().__init__([], phrase=lambda messages: phrase)


@pytest.mark.parametrize(
    ("phrase", "answers"),
    [
        ("Ana Ruiz", True),  # a name the question does not have
        ("9", True),  # a number, even of one digit
        ("2.3 times", True),
        ("the harbour", False),  # only the question's own words handed back
        ("NONE", False),
        ("None.", False),
        ("  ", False),
    ],
)
def test_a_yes_stands_when_the_phrase_the_model_copies_says_more_than_the_question(phrase, answers):
    # GIVEN a model that says YES and reads `phrase` as what gives the answer
    judge = ModelJudge(CopyingLLM(phrase))
    # WHEN it is asked whether an answer answers "Who reopened the harbour?"
    verdict = judge.answers("Who reopened the harbour?", "Ana Ruiz reopened the harbour.")
    # THEN it does exactly when there is a phrase with something the question lacks
    assert verdict is answers


@pytest.mark.parametrize(
    ("phrase", "question", "more"),
    [
        ("in 2019", "What happened in 2019?", False),
        ("in 2020", "What happened in 2019?", True),
        ("the mayors", "Which mayor spoke?", False),  # the same word, plural
        ("Oslo", "Which city?", True),
    ],
)
def test_gives_more_than_compares_content_words_and_numbers(phrase, question, more):
    assert gives_more_than(phrase, question) is more


def test_does_it_answer_stays_the_likelier_word_whatever_the_entailment_threshold():
    judge = ModelJudge(ScoringLLM(0.7), threshold=0.9)
    assert judge.answers("Who opened the bridge?", "The mayor opened it.") is True


def test_a_model_that_can_only_pick_a_word_gives_probability_one_or_zero():
    assert ModelJudge(saying("YES")).entailment_probability("a", "b") == 1.0
    assert ModelJudge(saying("NO")).entailment_probability("a", "b") == 0.0


@pytest.mark.parametrize(
    ("phrase", "kept"), [("Ana Ruiz", "Ana Ruiz"), ("the harbour", None), ("NONE", None)]
)
def test_the_answering_phrase_is_asked_for_alone(phrase, kept):
    # GIVEN a model that reads `phrase` as what answers "Who reopened the harbour?"
    llm = CopyingLLM(phrase)
    # WHEN the judge is asked which phrase of a text may answer it (before reading it again)
    found = ModelJudge(llm).answering_phrase("Who reopened the harbour?", "Ana Ruiz reopened it.")
    # THEN only the phrase was asked for, no YES/NO, and it is kept when it says more
    assert llm.grammars == [ANSWER_PHRASE_GRAMMAR]
    assert found == kept


def test_a_judgment_asked_again_is_not_asked_of_the_model_again():
    # GIVEN a judge over a scoring model
    llm = ScoringLLM(0.8)
    judge = ModelJudge(llm)
    # WHEN the same answer is weighed twice against its question, and another once
    first = judge.answer_probability("Who opened the bridge?", "The mayor opened it.")
    again = judge.answer_probability("Who  opened the bridge?", "The mayor\nopened it.")
    judge.answer_probability("Who opened the bridge?", "The bridge opened.")
    # THEN the model was asked twice, and the repeated judgment gave the same probability
    assert len(llm.calls) == 2 and judge.calls == 2
    assert first == again == pytest.approx(0.8)


def test_yes_or_no_reads_the_sentences_that_hold_the_copied_phrase():
    # GIVEN an answer of three sentences, and a model that copies "9 May" as what answers
    llm = RecordingLLM([], phrase=lambda messages: "9 May")
    answer = "The harbour shut in April. It reopened on 9 May. Boats returned the next day."
    # WHEN the judge is asked whether it answers "When did the harbour reopen?"
    assert ModelJudge(llm).answers("When did the harbour reopen?", answer) is True
    # THEN YES or NO was asked of the sentence holding the phrase alone
    prompts = PromptSet()
    assert llm.calls[-1][1]["content"] == (
        prompts.render(
            "judge_answers_phrase_user",
            question="When did the harbour reopen?",
            answer="It reopened on 9 May.",
            phrase="9 May",
        ).text
    )


@pytest.mark.parametrize(
    ("text", "phrase", "held"),
    [
        ("It shut. It reopened on 9 May.", "9 May", "It reopened on 9 May."),
        ("It shut. It reopened on 9 May.", "9 MAY", "It reopened on 9 May."),  # case aside
        (
            "On 9 May it shut. It reopened on 9 May.",
            "9 May",
            "On 9 May it shut. It reopened on 9 May.",
        ),
        ("It shut.\n It reopened  on 9 May.", "on 9 May", "It reopened on 9 May."),  # spaces aside
        ("It shut. It reopened on 9 May.", "in June", "It shut. It reopened on 9 May."),  # no copy
        ("It shut. It reopened on 9 May.", "shut. It", "It shut. It reopened on 9 May."),  # across
    ],
)
def test_holding_sentences(text, phrase, held):
    assert holding_sentences(text, phrase) == held
