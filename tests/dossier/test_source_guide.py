"""The source guide: the model's sentences the source entails, and whom it quotes."""

import pytest

import dossier.source_guide as guide_module
import dossier.summaries as summaries_module
from dossier.source_guide import (
    GUIDE_GRAMMAR,
    parse_guide,
    quoted_sentence,
)
from dossier.summaries import summarize, summary_prompt_hash
from prompts import PromptSet
from tests.fakes import ScriptedLLM, word_verdict

ARTICLE = (
    "Harbour plan approved\n"
    "The city council approved the harbour plan on Tuesday by a vote of 7 to 2.\n"
    "Mayor Rosa Klein said the project would create 400 jobs.\n"
    'Opponents said the plan "ignores the fishing industry" and vowed to appeal.\n'
    "Construction is due to start next spring.\n"
)
POINTS = (
    "- The council approved the harbour plan by 7 votes to 2 [2].\n"
    "- Mayor Klein said the project would create 400 jobs [3].\n"
    "ANGLE: none\n"
)


@pytest.fixture
def harbour(library, tmp_path):
    path = tmp_path / "harbour.txt"
    path.write_text(ARTICLE, encoding="utf-8")
    return library, library.ingest([path]).added[0]


def test_a_guide_sentence_the_source_does_not_entail_is_dropped(harbour):
    # GIVEN a model whose guide's second sentence says what the source does not
    library, source_id = harbour
    guide = (
        "1. The city council approved the harbour plan on Tuesday.\n"
        "2. It focuses on the cost of the harbour for taxpayers.\n"
    )
    llm = ScriptedLLM([POINTS], verdict=word_verdict, guide=lambda messages: guide)
    # WHEN the source is summarised
    summary = summarize(source_id, library=library, llm=llm)
    # THEN the entailed sentence is shown, with the sentence that states it as evidence
    text = library.source_text(source_id)
    shown = [s.text for s in summary.guide.sentences]
    assert shown[0] == "The city council approved the harbour plan on Tuesday."
    [evidence] = summary.guide.sentences[0].evidence
    assert text[evidence.start : evidence.end] == evidence.text
    assert "approved the harbour plan on Tuesday" in evidence.text
    # AND the one the judge refused is not shown, only listed as dropped
    assert "It focuses on the cost of the harbour for taxpayers." not in summary.guide.text
    assert summary.guide.dropped == ["It focuses on the cost of the harbour for taxpayers."]
    assert summary.guide.seconds is not None


def test_a_guide_sentence_with_an_invented_number_is_dropped_even_if_the_judge_agrees(harbour):
    # GIVEN a judge that agrees with everything and a guide with a number the source lacks
    library, source_id = harbour
    guide = "1. The council approved the plan by 9 votes to 2.\n"
    llm = ScriptedLLM([POINTS], guide=lambda messages: guide)
    # WHEN the source is summarised
    summary = summarize(source_id, library=library, llm=llm)
    # THEN the sentence is not in the guide
    assert "9 votes" not in summary.guide.text
    assert summary.guide.dropped == ["The council approved the plan by 9 votes to 2."]


def test_whom_the_source_quotes_comes_from_its_attributions(harbour):
    # GIVEN a model that writes no guide sentence at all
    library, source_id = harbour
    summary = summarize(source_id, library=library, llm=ScriptedLLM([POINTS]))
    # THEN the guide still says whom the source quotes, citing the quoting sentence
    [quoted] = summary.guide.sentences
    assert quoted.text == "It quotes Opponents."
    assert quoted.from_attributions
    assert "ignores the fishing industry" in quoted.evidence[0].text


def test_the_quoted_sentence_names_a_few_speakers_and_counts_the_rest():
    text = " ".join(
        f'"We will keep going tomorrow," {name} said.'
        for name in ("Ana Lima", "Ben Osei", "Cara Diaz", "Dev Rao", "Eli Park", "Fay Moss")
    )
    sentence = quoted_sentence("s", text)
    assert sentence.text == "It quotes Ana Lima, Ben Osei, Cara Diaz, Dev Rao and 2 others."
    assert len(sentence.evidence) == 4
    assert quoted_sentence("s", "Nobody is quoted here.") is None


def test_the_guide_is_asked_right_after_the_first_part_in_the_same_conversation(
    harbour, monkeypatch
):
    # GIVEN a source long enough for two parts
    library, source_id = harbour
    monkeypatch.setattr(summaries_module, "PART_TOKENS", 40)
    guide = (
        "1. The city council approved the harbour plan on Tuesday.\n"
        "2. Mayor Rosa Klein said the project would create 400 jobs.\n"
    )
    llm = ScriptedLLM(lambda messages: POINTS, verdict=word_verdict, guide=lambda m: guide)
    # WHEN the source is summarised
    summary = summarize(source_id, library=library, llm=llm)
    assert summary.parts > 1
    # THEN the guide is the second call: the first part's prompt and reply, then the ask, so
    # the model's prompt cache already holds the article
    assert llm.grammars[1] == GUIDE_GRAMMAR
    first, asked = llm.calls[0], llm.calls[1]
    assert asked[: len(first)] == first
    assert asked[len(first)] == {"role": "assistant", "content": POINTS.strip()}
    assert asked[-1]["content"].startswith("Now write a short guide")
    # AND the guide reads: what it reports, whom it quotes, what it stresses
    assert [s.from_attributions for s in summary.guide.sentences] == [False, True, False]


def test_a_guide_line_cut_at_the_word_limit_is_left_out():
    cut = " ".join(["word"] * guide_module.GUIDE_WORDS)
    assert parse_guide(f"1. A short finished line.\n2. {cut}") == ["A short finished line."]


def test_the_guide_grammar_is_one_llama_cpp_accepts():
    from llama_cpp import LlamaGrammar

    LlamaGrammar.from_string(GUIDE_GRAMMAR, verbose=False)  # raises on a malformed grammar


def test_the_guide_prompt_has_its_placeholders_and_is_in_the_summary_cache_key(tmp_path):
    prompts = PromptSet()
    assert prompts.placeholders("guide") == {"words"}
    # a changed guide template makes every cached summary stale
    folder = tmp_path / "prompts"
    folder.mkdir()
    for name in prompts.names():
        (folder / f"{name}.txt").write_bytes(prompts.path(name).read_bytes())
    (folder / "guide.txt").write_text(prompts.path("guide").read_text() + "\n")
    changed_guide = summary_prompt_hash(PromptSet(folder))
    assert changed_guide != summary_prompt_hash(prompts)
    # and so does a changed judge, which decides what the guide keeps
    (folder / "judge_entails_user.txt").write_text(
        prompts.path("judge_entails_user").read_text() + "\n"
    )
    assert summary_prompt_hash(PromptSet(folder)) != changed_guide
