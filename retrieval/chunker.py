"""Sentence-aware chunks whose offsets slice the stored source text exactly."""

from __future__ import annotations

from dataclasses import dataclass

CHUNKER_VERSION = "sentences-v1"
# ~4 characters per wordpiece token for English news text; MiniLM reads 256 tokens at most.
TARGET_CHARS = 750  # ~190 tokens
MAX_CHARS = 1000  # ~250 tokens
MIN_CHARS = 400  # ~100 tokens: below this a chunk takes the next sentence even past target
OVERLAP_MAX_CHARS = 300  # carry the previous sentence over only when it is short


@dataclass(frozen=True)
class ChunkSpan:
    start: int
    end: int


def chunk_spans(
    text: str, sentences: list[tuple[int, int]], excluded: set[int] = frozenset()
) -> list[ChunkSpan]:
    """Pack sentences into chunks of ~TARGET_CHARS with a one-sentence overlap.

    A chunk never spans an excluded (boilerplate) sentence, so text[start:end] holds only
    indexed material.
    """
    runs: list[list[tuple[int, int]]] = [[]]
    for i, span in enumerate(sentences):
        if i in excluded:
            runs.append([])
            continue
        runs[-1].extend(_split_long(text, span))
    chunks: list[ChunkSpan] = []
    for run in runs:
        chunks.extend(_pack(run))
    return chunks


def _pack(run: list[tuple[int, int]]) -> list[ChunkSpan]:
    chunks: list[ChunkSpan] = []
    i = 0
    while i < len(run):
        start = run[i][0]
        j = i
        while j + 1 < len(run):
            size_with_next = run[j + 1][1] - start
            current = run[j][1] - start
            if size_with_next > MAX_CHARS or (
                size_with_next > TARGET_CHARS and current >= MIN_CHARS
            ):
                break
            j += 1
        chunks.append(ChunkSpan(start, run[j][1]))
        if j + 1 >= len(run):
            break
        last = run[j]
        # Overlap: start the next chunk on the last sentence when it is short and not the only one.
        i = j if j > i and last[1] - last[0] <= OVERLAP_MAX_CHARS else j + 1
    return chunks


def _split_long(text: str, span: tuple[int, int]) -> list[tuple[int, int]]:
    """A sentence longer than MAX_CHARS is cut at whitespace into pieces that fit."""
    start, end = span
    pieces = []
    while end - start > MAX_CHARS:
        cut = text.rfind(" ", start + MIN_CHARS, start + MAX_CHARS)
        if cut <= start:
            cut = start + MAX_CHARS
        pieces.append((start, cut))
        start = cut
        while start < end and text[start].isspace():
            start += 1
    if end > start:
        pieces.append((start, end))
    return pieces
