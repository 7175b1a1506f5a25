"""The headline's news is in the summary: a point from the body sentence that supports it."""

import numpy as np
import pytest

from dossier.headline import cover_headline
from dossier.schema import SourceSpan, SummaryPoint
from dossier.source_guide import SourceBody
from dossier.summaries import max_points, summarize
from retrieval.sentences import sentence_spans
from tests.conftest import FakeEmbedder
from tests.fakes import ScriptedLLM, WordJudge, word_verdict

BODY = (
    "Dock workers walked out at dawn. "
    "The port authority suspended all container loading on Friday after the strike began. "
    "Union leader Mira Sand said talks had failed. "
    "Shipping lines diverted four vessels to other ports."
)


def body(headline: str | None) -> SourceBody:
    embedder = FakeEmbedder()
    spans = sentence_spans(BODY)
    vectors = embedder.embed([BODY[a:b] for a, b in spans])
    return SourceBody("s", BODY, spans, vectors, embedder, headline=headline)


def point(text: str, span: tuple[int, int]) -> SummaryPoint:
    start, end = span
    evidence = [SourceSpan(source_id="s", start=start, end=end, text=BODY[start:end])]
    return SummaryPoint(text=text, supported=True, evidence=evidence)


HEADLINE = "Port authority suspends container loading"


def test_a_summary_that_misses_the_headline_gains_the_sentence_that_supports_it():
    # GIVEN points that say other things than the headline
    source = body(HEADLINE)
    spans = source.spans
    points = [
        point("Union leader Mira Sand said talks had failed.", spans[2]),
        point("Four vessels were diverted to other ports.", spans[3]),
    ]
    # WHEN the headline is covered
    covered = cover_headline(points, source, WordJudge(), limit=5)
    # THEN the body sentence that states it comes first, cited to its own span
    first = covered[0]
    assert first.covers_headline and first.supported
    assert first.text == BODY[spans[1][0] : spans[1][1]]
    assert [(e.start, e.end) for e in first.evidence] == [spans[1]]
    assert covered[1:] == points


def test_the_added_point_replaces_one_on_the_same_sentence_and_keeps_the_limit():
    # GIVEN a point resting on the headline's sentence that misses its news, and a full list
    source = body(HEADLINE)
    spans = source.spans
    points = [
        point("The strike began on Friday.", spans[1]),
        point("Union leader Mira Sand said talks had failed.", spans[2]),
        point("Four vessels were diverted to other ports.", spans[3]),
        SummaryPoint(text="An unchecked claim.", supported=False),
    ]
    # WHEN the headline is covered with room for two points
    covered = cover_headline(points, source, WordJudge(), limit=2)
    supported = [p for p in covered if p.supported]
    # THEN no two points rest on the same sentence and the limit holds
    assert len(supported) == 2 and supported[0].covers_headline
    spans_used = [tuple((e.start, e.end) for e in p.evidence) for p in supported]
    assert len(spans_used) == len(set(spans_used))
    # AND the unchecked point is still listed, flagged
    assert covered[-1].text == "An unchecked claim."


def test_a_point_that_states_the_headline_leaves_the_summary_as_it_is():
    source = body(HEADLINE)
    points = [point("The port authority suspended container loading on Friday.", source.spans[1])]
    assert cover_headline(points, source, WordJudge(), limit=5) == points


def test_a_point_on_the_headlines_topic_that_does_not_state_it_is_not_enough():
    # GIVEN a point about the same thing as the headline that says something else
    source = body(HEADLINE)
    points = [point("The port authority will review container loading rules.", source.spans[3])]
    judge = WordJudge()
    # WHEN the headline is covered
    covered = cover_headline(points, source, judge, limit=5)
    # THEN the judge was asked whether the point states the headline, and it does not
    assert ("The port authority will review container loading rules.", HEADLINE) in (
        judge.entailment_calls
    )
    assert covered[0].covers_headline and covered[1:] == points


@pytest.mark.parametrize("headline", [None, "Airline cancels winter flights"])
def test_no_stated_headline_or_one_the_body_does_not_support_adds_nothing(headline):
    # GIVEN no headline (a derived title is not one), or one no body sentence states
    source = body(headline)
    points = [point("Union leader Mira Sand said talks had failed.", source.spans[2])]
    # THEN the points are left as they are: nothing is made up to fit a headline
    assert cover_headline(points, source, WordJudge(), limit=5) == points


def test_summarize_adds_the_headline_point_citing_its_span(library, tmp_path):
    # GIVEN a source with a headline line whose key points miss the headline's news
    path = tmp_path / "port.txt"
    path.write_text(HEADLINE + "\n" + BODY.replace(". ", ".\n") + "\n", encoding="utf-8")
    source_id = library.ingest([path]).added[0]
    reply = (
        "- Union leader Mira Sand said talks had failed [3].\n"
        "- Shipping lines diverted four vessels to other ports [4].\n"
        "ANGLE: none\n"
    )

    # WHEN it is summarised
    summary = summarize(source_id, library=library, llm=ScriptedLLM([reply], verdict=word_verdict))
    # THEN the first point is the body sentence that supports the headline, cited to it
    text = library.source_text(source_id)
    first = summary.points[0]
    assert first.covers_headline
    assert "suspended all container loading" in first.text
    [span] = first.evidence
    assert text[span.start : span.end] == span.text and "suspended" in span.text
    assert len([p for p in summary.points if p.supported]) == 3


def test_length_scales_with_the_source_and_no_two_points_share_a_span(library, tmp_path):
    # GIVEN a long source of distinct sentences and a model that writes a point per sentence
    syllables = ["ka", "lo", "mi", "ne", "ru", "si", "to", "va", "ze", "pu", "da", "fe"]
    words = [a + b + c for a in syllables for b in syllables for c in ("n", "r", "s")]
    rng = np.random.default_rng(7)
    picked = rng.choice(len(words), size=(40, 4), replace=False)
    sentences = [
        f"{words[a].title()} {words[b]} reported {n + 3} {words[c]} near {words[d].title()}."
        for n, (a, b, c, d) in enumerate(picked)
    ]
    path = tmp_path / "long.txt"
    path.write_text("\n".join(sentences) + "\n", encoding="utf-8")
    source_id = library.ingest([path]).added[0]
    text = library.source_text(source_id)

    def reply(messages):
        lines = [line for line in messages[-1]["content"].splitlines() if line.startswith("[")]
        points = [f"- {line.split('] ', 1)[1]} [{line[1 : line.index(']')]}]" for line in lines]
        return "\n".join(points) + "\nANGLE: none\n"

    # WHEN it is summarised (no judge agrees, so no headline point either)
    llm = ScriptedLLM(reply, verdict=lambda messages: "NO")
    summary = summarize(source_id, library=library, llm=llm)
    supported = [p for p in summary.points if p.supported]
    # THEN it earns the points its length allows, more than a short source's three
    assert len(supported) == max_points(len(sentence_spans(text))) > 3
    # AND no two points rest on the same span
    spans = [tuple((e.start, e.end) for e in p.evidence) for p in supported]
    assert len(spans) == len(set(spans))
