"""Per-source summaries: points linked to source sentences, checked, cached."""

import re

import pytest

import dossier.summaries as summaries_module
from dossier.summaries import cached_summary, parse_points, summarize
from prompts import PromptSet
from tests.fakes import ScriptedLLM

ARTICLE = (
    "Harbour plan approved\n"
    "The city council approved the harbour plan on Tuesday by a vote of 7 to 2.\n"
    "Mayor Rosa Klein said the project would create 400 jobs.\n"
    'Opponents said the plan "ignores the fishing industry" and vowed to appeal.\n'
    "Construction is due to start next spring.\n"
)
REPLY = (
    "- The council approved the harbour plan by 7 votes to 2 [2].\n"
    "- Mayor Klein said the project would create 400 jobs [3].\n"
    '- Opponents said the plan "destroys the fishing industry" [4].\n'
    "- The project will cost 90 million euros [5].\n"
    "ANGLE: stresses the jobs over the objections\n"
)


@pytest.fixture
def harbour(library, tmp_path):
    path = tmp_path / "harbour.txt"
    path.write_text(ARTICLE, encoding="utf-8")
    report = library.ingest([path])
    assert report.ok
    return library, report.added[0], path


def test_points_carry_offsets_that_slice_the_source(harbour):
    library, source_id, _ = harbour
    # WHEN the source is summarised with a scripted model
    summary = summarize(source_id, library=library, llm=ScriptedLLM([REPLY]))
    text = library.source_text(source_id)
    supported = [p for p in summary.points if p.supported]
    # THEN the supported points carry the sentences they cite, as offsets into the source
    assert [p.text for p in supported][:2] == [
        "The council approved the harbour plan by 7 votes to 2.",
        "Mayor Klein said the project would create 400 jobs.",
    ]
    for point in supported:
        assert point.evidence
        for span in point.evidence:
            assert text[span.start : span.end] == span.text
    assert "7 to 2" in supported[0].evidence[0].text
    assert summary.angle == "stresses the jobs over the objections"
    assert summary.quoted == ["Opponents"]  # as the text attributes the quote


def test_misquote_and_invented_number_are_not_shown_as_fact(harbour):
    library, source_id, _ = harbour
    summary = summarize(source_id, library=library, llm=ScriptedLLM([REPLY]))
    flagged = {p.text: p for p in summary.points if not p.supported}
    # "destroys" is not what the source quotes; 90 million appears nowhere
    assert 'Opponents said the plan "destroys the fishing industry".' in flagged
    assert "The project will cost 90 million euros." in flagged
    assert all(not p.evidence for p in flagged.values())


def test_second_run_is_served_from_the_cache(harbour):
    library, source_id, _ = harbour
    llm = ScriptedLLM([REPLY])  # one reply only: a second model call would fail the test
    first = summarize(source_id, library=library, llm=llm)
    calls = len(llm.calls)  # the summary, the guide and judgments
    second = summarize(source_id, library=library, llm=llm)
    assert not first.cached and second.cached
    assert second.points == first.points and second.guide == first.guide
    assert len(llm.calls) == calls and len(llm.scripted_calls) == 1
    assert cached_summary(source_id, library=library, llm=llm) is not None


def test_changed_source_model_or_prompt_is_summarised_again(harbour, tmp_path):
    library, source_id, path = harbour
    llm = ScriptedLLM([REPLY] * 4)
    summarize(source_id, library=library, llm=llm)
    # a changed prompt template
    folder = tmp_path / "prompts"
    folder.mkdir()
    for name in PromptSet().names():
        (folder / f"{name}.txt").write_bytes(PromptSet().path(name).read_bytes())
    (folder / "summary_system.txt").write_text(
        PromptSet().path("summary_system").read_text() + "\nBe terse.\n"
    )
    assert not summarize(source_id, library=library, llm=llm, prompts=PromptSet(folder)).cached
    # another model
    other = ScriptedLLM([REPLY])
    other.model_id = "other-model"
    assert cached_summary(source_id, library=library, llm=other) is None
    # a changed source text
    path.write_text(ARTICLE + "The vote was held late at night.\n", encoding="utf-8")
    library.ingest([path])
    assert cached_summary(source_id, library=library, llm=llm) is None
    assert not summarize(source_id, library=library, llm=llm).cached
    assert len(llm.scripted_calls) == 3


def test_long_source_is_summarised_in_parts_and_merged(harbour, monkeypatch):
    library, source_id, _ = harbour
    monkeypatch.setattr(summaries_module, "PART_TOKENS", 30)
    llm = ScriptedLLM(lambda messages: "- The council approved the harbour plan [1].\n")
    summary = summarize(source_id, library=library, llm=llm)
    assert summary.parts == len(llm.scripted_calls) > 1
    # the same point from several parts appears once
    texts = [p.text for p in summary.points if p.supported]
    assert len(texts) == len(set(texts))


def test_parse_points_reads_bullets_numbers_and_angle():
    points, angle = parse_points("Key points:\n1. First [1]\n* Second [2][3]\nANGLE: none\n")
    assert points == [("First", [1]), ("Second", [2, 3])]
    assert angle is None


def test_a_point_that_restates_the_headline_is_dropped(harbour):
    library, source_id, _ = harbour
    assert library.sources()[0].meta.title == "Harbour plan approved"
    reply = "- Harbour plan approved [1].\n" + REPLY
    summary = summarize(source_id, library=library, llm=ScriptedLLM([reply]))
    assert "Harbour plan approved." not in [p.text for p in summary.points]
    assert summary.points[0].text.startswith("The council approved")


def test_credit_lines_bare_names_and_same_span_repeats_are_not_points(library, tmp_path):
    # GIVEN an article ending with a credit line, and a model that offers a bare name,
    # and two points resting on the same sentence
    path = tmp_path / "ferry.txt"
    path.write_text(
        "Ferry service resumes\n"
        "The island ferry resumed sailings on Monday after a two-week repair.\n"
        "The operator said the engine fault had been fixed by its own engineers.\n"
        "Tomas Berg contributed to this article.\n",
        encoding="utf-8",
    )
    source_id = library.ingest([path]).added[0]
    reply = (
        "- The island ferry resumed sailings on Monday [1].\n"
        "- Sailings resumed after a two-week repair on Monday [1].\n"
        "- Tomas Berg [2].\n"
    )
    llm = ScriptedLLM([reply], verdict=lambda messages: "NO")  # no headline point added
    # WHEN it is summarised
    summary = summarize(source_id, library=library, llm=llm)
    # THEN the credit line was never shown to the model
    assert "contributed" not in llm.calls[0][-1]["content"]
    # AND the bare name is no point, and one sentence backs one point only
    texts = [p.text for p in summary.points if p.supported]
    assert texts == ["The island ferry resumed sailings on Monday."]


def test_longer_sources_earn_more_points():
    assert summaries_module.max_points(4) == 3
    assert summaries_module.max_points(35) == 7
    assert summaries_module.max_points(200) == 10
    assert summaries_module.is_credit_line("Reporting by Ana Ruiz; editing by Li Wei")
    assert not summaries_module.is_credit_line("The minister said staff had contributed.")


def test_the_model_is_held_to_a_few_short_points_citing_only_the_parts_sentences(harbour):
    # GIVEN a short source, summarised in one part
    library, source_id, _ = harbour
    llm = ScriptedLLM([REPLY])
    # WHEN it is summarised
    summarize(source_id, library=library, llm=llm)
    # THEN the call is constrained by a grammar that llama.cpp accepts, that allows at most
    # the source's points plus one and cites only the sentences the prompt numbers
    grammar = llm.grammars[0]
    shown = re.findall(r"^\[(\d+)\]", llm.calls[0][-1]["content"], re.MULTILINE)
    from llama_cpp import LlamaGrammar

    LlamaGrammar.from_string(grammar, verbose=False)  # raises on a malformed grammar
    assert f"point{{1,{summaries_module.max_points(len(shown)) + 1}}}" in grammar
    assert "number ::= " + " | ".join(f'"{n}"' for n in reversed(shown)) in grammar


def test_a_reply_the_summary_grammar_allows_parses_into_points_and_angle():
    reply = (
        "- The council approved the plan by 7 votes to 2 [1][2].\n- Jobs follow [3]\nANGLE: jobs"
    )
    points, angle = parse_points(reply)
    assert points == [
        ("The council approved the plan by 7 votes to 2.", [1, 2]),
        ("Jobs follow", [3]),
    ]
    assert angle == "jobs"


def test_a_point_the_grammar_cut_off_at_its_word_limit_is_dropped(harbour):
    # GIVEN a reply whose second point runs to the grammar's word limit (cut mid-phrase)
    library, source_id, _ = harbour
    cut = " ".join(["The council approved the harbour plan"] * 10).split()
    cut = " ".join(cut[: summaries_module.POINT_WORDS])
    reply = f"- Mayor Klein said the project would create 400 jobs [3].\n- {cut} [2].\nANGLE: none"
    # WHEN the source is summarised
    no_headline_point = ScriptedLLM([reply], verdict=lambda messages: "NO")
    summary = summarize(source_id, library=library, llm=no_headline_point)
    # THEN only the finished point is kept
    assert [p.text for p in summary.points] == [
        "Mayor Klein said the project would create 400 jobs."
    ]


def test_a_last_point_cut_by_the_token_limit_is_dropped(harbour, monkeypatch):
    # GIVEN a reply that runs into the token limit inside its second point
    library, source_id, _ = harbour
    monkeypatch.setattr(summaries_module, "SUMMARY_MAX_TOKENS", 20)
    reply = (
        "- Mayor Klein said the project would create 400 jobs [3].\n"
        "- The council approved the harbour plan on Tuesday by a vote of 7 to 2 [2].\n"
    )
    # WHEN the source is summarised
    no_headline_point = ScriptedLLM([reply], verdict=lambda messages: "NO")
    summary = summarize(source_id, library=library, llm=no_headline_point)
    # THEN only the point the model finished is kept
    assert [p.text for p in summary.points] == [
        "Mayor Klein said the project would create 400 jobs."
    ]
