"""Which sentences the model reads: the best ones, the sentence after the best, within budget."""

from dossier.passages import select_passages
from retrieval.schema import Chunk, Hit
from tests.conftest import FakeEmbedder

TEXT = (
    "The minister announced the decision to close the northern plant on Monday. "
    "Officials said the reason was a collapse in orders from abroad. "
    "The minister's father built the northern plant. "
    "A bakery opened downtown."
)


def _select(question: str, budget: int):
    embedder = FakeEmbedder()
    chunk = Chunk(id=1, source_id="s", ordinal=0, start=0, end=len(TEXT), text=TEXT)
    return select_passages(
        question,
        embedder.embed([question])[0],
        [Hit(chunk=chunk, score=1.0)],
        {"s": TEXT},
        embedder,
        budget_tokens=budget,
        count_tokens=lambda text: len(text.split()),
    )


def test_the_sentence_after_the_best_match_comes_along():
    # GIVEN a question whose words match the first sentence, while the answer is in the next
    passages = _select("Why did the minister decide to close the northern plant?", budget=24)
    text = " ".join(p.text for p in passages)
    # THEN the reason, which shares no word with the question, is shown to the model too,
    # ahead of a sentence that only echoes the question's words
    assert "collapse in orders" in text
    assert "father" not in text and "bakery" not in text
    for p in passages:
        assert TEXT[p.start : p.end] == p.text


def test_the_budget_still_holds():
    passages = _select("Why did the minister decide to close the northern plant?", budget=12)
    # the best sentence always goes in; nothing beyond the budget is added to it
    assert len(passages) == 1 and "northern plant" in passages[0].text
    assert "father" not in passages[0].text
