from hypothesis import given, settings
from hypothesis import strategies as st

from retrieval.chunker import MAX_CHARS, chunk_spans
from retrieval.metadata import extract_metadata
from retrieval.sentences import sentence_spans
from tests.conftest import SEEDS


def _chunks(text):
    sentences = sentence_spans(text)
    _, excluded = extract_metadata(text, sentences)
    return sentences, excluded, chunk_spans(text, sentences, excluded)


def test_seed_chunks_slice_their_source_and_stay_within_size():
    for path in sorted(SEEDS.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        _, _, chunks = _chunks(text)
        assert chunks, path.name
        for chunk in chunks:
            piece = text[chunk.start : chunk.end]
            assert piece == piece.strip() and piece
            assert len(piece) <= MAX_CHARS


def test_every_kept_sentence_is_in_some_chunk_and_boilerplate_in_none():
    text = (
        "Officials met on Monday to discuss the budget.\n"
        "Read the full article at Example.com.\n"
        "The talks ended without agreement. Both sides will meet again next week.\n"
        "Download the Example News app for daily updates."
    )
    sentences, excluded, chunks = _chunks(text)
    assert {text[sentences[i][0] : sentences[i][1]] for i in excluded} == {
        "Read the full article at Example.com.",
        "Download the Example News app for daily updates.",
    }
    for i, (a, b) in enumerate(sentences):
        covering = [c for c in chunks if c.start <= a and b <= c.end]
        assert bool(covering) == (i not in excluded)


def test_consecutive_chunks_overlap_by_at_most_one_sentence():
    sentence = "The committee reviewed the proposal in detail and asked for changes. "
    text = sentence * 40
    _, _, chunks = _chunks(text)
    assert len(chunks) > 3
    for left, right in zip(chunks, chunks[1:], strict=False):
        assert right.start <= left.end  # some overlap or adjacency
        assert left.end - right.start <= len(sentence)
        assert right.start > left.start


def test_a_sentence_longer_than_a_chunk_is_cut_at_whitespace():
    text = " ".join(["word"] * 600) + "."
    _, _, chunks = _chunks(text)
    assert len(chunks) >= 3
    assert all(c.end - c.start <= MAX_CHARS for c in chunks)
    assert all(text[c.start] != " " and text[c.end - 1] != " " for c in chunks)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.text(
            alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]),
            min_size=0,
            max_size=300,
        ),
        min_size=1,
        max_size=12,
    )
)
def test_offsets_round_trip_on_arbitrary_text(paragraphs):
    text = "\n".join(paragraphs)
    sentences, _, chunks = _chunks(text)
    for a, b in sentences:
        assert 0 <= a < b <= len(text)
    for chunk in chunks:
        assert 0 <= chunk.start < chunk.end <= len(text)
        assert text[chunk.start : chunk.end].strip()
