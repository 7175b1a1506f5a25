"""Sentence spans with character offsets into the original text."""

from __future__ import annotations

import re

import blingfire

_LINE = re.compile(r"[^\n]+")
# blingfire's Python wrapper allocates about 20 bytes per byte of its input and walks it byte
# by byte: one 19 M-character line took 860 MB. No article has a line this long, so a longer
# one is handed over in pieces, cut after a sentence end where there is one.
MAX_SEGMENT_CHARS = 100_000


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every sentence; a line break always ends a sentence (headlines, bylines)."""
    spans: list[tuple[int, int]] = []
    for line in _LINE.finditer(text):
        for base, segment in _segments(line.start(), line.group()):
            if not segment.strip():
                continue
            _, offsets = blingfire.text_to_sentences_and_offsets(segment)
            if not offsets:
                offsets = [(0, len(segment))]
            for start, end in offsets:
                start, end = _trim(segment, start, end)
                if end > start:
                    spans.append((base + start, base + end))
    return spans


def _segments(base: int, line: str) -> list[tuple[int, str]]:
    """The line as (offset, piece) pairs of at most MAX_SEGMENT_CHARS (usually one piece)."""
    pieces: list[tuple[int, str]] = []
    at = 0
    while len(line) - at > MAX_SEGMENT_CHARS:
        limit = at + MAX_SEGMENT_CHARS
        cut = line.rfind(". ", at + MAX_SEGMENT_CHARS // 2, limit) + 1  # after the full stop
        if cut <= 0:
            cut = line.rfind(" ", at + MAX_SEGMENT_CHARS // 2, limit)
        if cut <= at:
            cut = limit
        pieces.append((base + at, line[at:cut]))
        at = cut
    pieces.append((base + at, line[at:]))
    return pieces


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
