"""Which sentences the model reads: selection within a budget (fake embedder, word counts)."""

from dossier.passages import select_passages
from retrieval.schema import Chunk, Hit
from tests.conftest import FakeEmbedder
from tests.fakes import TopicEmbedder

SOURCE = (
    "The council voted to close the old bridge on Monday. "
    "Officials said the decision followed a safety report on its cracked pillars. "
    "The weather was mild. "
    "Traffic will use the ring road until a new bridge opens in 2027."
)


def select(question, budget, **kwargs):
    embedder = FakeEmbedder()
    hit = Hit(
        chunk=Chunk(id=1, source_id="s", ordinal=0, start=0, end=len(SOURCE), text=SOURCE),
        score=1.0,
    )
    return select_passages(
        question,
        embedder.embed([question])[0],
        [hit],
        {"s": SOURCE},
        embedder,
        budget_tokens=budget,
        count_tokens_many=lambda texts: [len(text.split()) for text in texts],
        **kwargs,
    )


def shown(passages):
    return " ".join(p.text for p in passages)


def test_passages_slice_the_source_and_fit_the_budget():
    passages = select("Why did the council vote to close the bridge?", 40)
    for p in passages:
        assert SOURCE[p.start : p.end] == p.text
    assert sum(len(p.text.split()) for p in passages) <= 40


def test_a_why_question_brings_the_sentence_after_the_best_one():
    # GIVEN a reason stated in the sentence after the decision, in other words than the question
    question = "Why did the council vote to close the bridge?"
    # WHEN passages are chosen for a why-question and for a what-question
    why = shown(select(question, 12))
    what = shown(select("What did the council vote to close?", 12))
    # THEN only the why-question gets the following sentence with the reason
    assert "safety report" in why
    assert "safety report" not in what


def test_unrelated_filler_is_left_out_even_with_budget_to_spare():
    assert "weather" not in shown(select("When will the new bridge open?", 500))


def test_without_skip_to_fill_selection_stops_at_the_first_sentence_that_does_not_fit():
    question = "What will traffic use until the new bridge opens?"
    # the best sentence fits; the next best is longer than what is left
    strict = select(question, 16, skip_to_fill=False)
    assert shown(strict).startswith("Traffic will use the ring road")
    assert len(strict) == 1 and strict[0].text.count(".") == 1


def test_the_model_is_asked_once_for_every_candidates_token_count():
    # GIVEN a token counter that records each call (a model server answers each over HTTP)
    calls = []

    def count(texts):
        calls.append(list(texts))
        return [len(text.split()) for text in texts]

    embedder = FakeEmbedder()
    question = "Why did the council vote to close the bridge?"
    hit = Hit(
        chunk=Chunk(id=1, source_id="s", ordinal=0, start=0, end=len(SOURCE), text=SOURCE),
        score=1.0,
    )
    # WHEN passages are selected
    select_passages(
        question,
        embedder.embed([question])[0],
        [hit],
        {"s": SOURCE},
        embedder,
        budget_tokens=40,
        count_tokens_many=count,
    )
    # THEN every candidate sentence was counted in one call
    assert len(calls) == 1 and len(calls[0]) == 4


def test_a_sentence_holding_the_kind_of_answer_asked_for_is_preferred():
    # GIVEN two sentences equally close to a "when" question, only one of which has a date
    source = "The bridge will reopen after the repairs. The bridge will reopen in March."
    embedder = FakeEmbedder()
    hit = Hit(
        chunk=Chunk(id=1, source_id="s", ordinal=0, start=0, end=len(source), text=source),
        score=1.0,
    )
    question = "When will the bridge reopen?"
    # WHEN the budget has room for one sentence only
    passages = select_passages(
        question,
        embedder.embed([question])[0],
        [hit],
        {"s": source},
        embedder,
        budget_tokens=7,
        count_tokens_many=lambda texts: [len(text.split()) for text in texts],
    )
    # THEN the model reads the one with the date
    assert [p.text for p in passages] == ["The bridge will reopen in March."]


def _select_from(sources: dict[str, str], question: str, budget: int):
    embedder = TopicEmbedder()  # content words: "offered" and "offer" alike
    hits = [
        Hit(chunk=Chunk(id=i, source_id=s, ordinal=0, start=0, end=len(t), text=t), score=1.0)
        for i, (s, t) in enumerate(sources.items())
    ]
    return select_passages(
        question,
        embedder.embed([question])[0],
        hits,
        sources,
        embedder,
        budget_tokens=budget,
        count_tokens_many=lambda texts: [len(text.split()) for text in texts],
    )


def test_a_sentence_is_read_under_its_articles_headline():
    # GIVEN an answer that names only part of what it is about, under a headline naming the
    # rest, and another source's sentence sharing more of the question's words
    answer = "Its negotiator offered to double the summer releases."
    other = "The dam talks drew a crowd of farmers near the river."
    question = "What did the river authority offer at the dam talks?"
    with_headline = {"a": f"River authority opens dam talks\n\n{answer}", "b": other}
    without = {"a": f"Reporters waited outside.\n\n{answer}", "b": other}
    # WHEN the budget has room for the headline and one of the two sentences
    titled, untitled = (_select_from(s, question, 16) for s in (with_headline, without))
    # THEN the answer is chosen under its headline, and the other sentence without one
    assert answer in shown(titled) and other not in shown(titled)
    assert other in shown(untitled) and answer not in shown(untitled)
