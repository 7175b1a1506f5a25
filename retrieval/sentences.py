"""Sentence spans with character offsets into the original text."""

from __future__ import annotations

import re

import blingfire

_LINE = re.compile(r"[^\n]+")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every sentence; a line break always ends a sentence (headlines, bylines)."""
    spans: list[tuple[int, int]] = []
    for line in _LINE.finditer(text):
        base = line.start()
        segment = line.group()
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


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
