"""Article metadata the text itself shows, and boilerplate sentences to keep out of the index.

Nothing here is invented: a field the text does not show stays None.
"""

from __future__ import annotations

import re

from dateutil import parser as dateparser

from .schema import SourceMeta

# Promotional or navigational sentences publishers append; they carry no reporting.
_BOILERPLATE = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"^read (the )?(full|more|original) (article|story)\b",
        r"^(continue|keep) reading\b",
        r"^catch all the .{0,80} (news|updates)\b",
        r"^download (the |our )?.{0,60}\bapp\b",
        r"^(subscribe|sign up)\b.{0,120}$",
        r"^(follow|like) us on\b",
        r"^share (this|on)\b",
        r"^click here\b",
        r"^advertisement$",
        r"^(copyright|©)\b",
        r"\ball rights reserved\.?$",
        r"^(get|install) the .{0,40}\bapp\b",
    )
]
_SOURCE_AT = re.compile(
    r"\bread (?:the )?(?:full|more|original) (?:article|story) (?:at|on) "
    r"(?P<outlet>[^.\n]+(?:\.[a-z]{2,})?)",
    re.I,
)
_UPDATES_ON = re.compile(r"\b(?i:news|updates) on (?P<outlet>[A-Z][\w&' ]{1,40}?)\.?$")
_BYLINE = re.compile(
    r"^(?i:by)\s+(?P<name>[A-Z][\w.'-]+(?:\s+[A-Z][\w.'-]*){0,3})(?:\s*[,|]\s*(?P<outlet>.+))?$"
)
_NAME_FOR_OUTLET = re.compile(
    r"^(?P<name>[A-Z][\w.'-]+(?:\s+[A-Z][\w.'-]*){1,3})\s+for\s+(?P<outlet>[A-Z][\w&.' -]{1,40})$"
)
_DATELINE = re.compile(
    r"^(?P<place>[A-Z][A-Z.'’ -]{2,}(?:,\s*[A-Z][A-Za-z.'’ -]{1,30})?)\s*(?:—|–|--|\s-\s)"
)
_DATE_LINE = re.compile(
    r"^(?:published|posted|updated|date)?\s*:?\s*(?:on\s+)?"
    r"(?P<date>(?:[A-Z][a-z]+day,?\s+)?(?:[A-Z][a-z]{2,8}\.?\s+\d{1,2},?\s+\d{4}"
    r"|\d{1,2}\s+[A-Z][a-z]{2,8}\.?\s+\d{4}|\d{4}-\d{2}-\d{2}))"
    r"(?:[\s,]+\d{1,2}:\d{2}.*)?$",
    re.IGNORECASE,
)
_MAX_TITLE = 160


def is_boilerplate(sentence: str) -> bool:
    s = sentence.strip()
    return any(p.search(s) for p in _BOILERPLATE)


def extract_metadata(text: str, spans: list[tuple[int, int]]) -> tuple[SourceMeta, set[int]]:
    """Metadata, and the indices (into `spans`) of sentences to leave out of the index."""
    meta = SourceMeta()
    excluded: set[int] = set()
    seen_lines: set[str] = set()
    sentences = [text[a:b] for a, b in spans]
    first_line = next((line.strip() for line in text.split("\n") if line.strip()), None)
    # Where the text's first non-blank character is: whatever starts at or before it starts
    # a line. Computed once; the per-sentence checks below look only at the neighbouring
    # spaces, so the pass stays linear in the length of the text.
    text_begins = len(text) - len(text.lstrip())

    if first_line and _looks_like_title(first_line):
        meta.title = first_line

    for i, sentence in enumerate(sentences):
        stripped = sentence.strip()
        whole_line = _is_whole_line(text, spans[i], text_begins)
        if is_boilerplate(stripped):
            excluded.add(i)
            outlet = _SOURCE_AT.search(stripped) or _UPDATES_ON.search(stripped)
            if outlet and not meta.outlet:
                meta.outlet = outlet.group("outlet").strip()
            continue
        if whole_line:
            key = stripped.casefold()
            if key in seen_lines and len(stripped) < _MAX_TITLE:
                excluded.add(i)  # a headline repeated by the page template
                continue
            seen_lines.add(key)
            byline = _BYLINE.match(stripped)
            if byline and len(stripped) < 80 and not meta.byline:
                meta.byline = byline.group("name").strip()
                if byline.group("outlet"):
                    meta.outlet = byline.group("outlet").strip()
                continue
            name_for = _NAME_FOR_OUTLET.match(stripped)
            if name_for and not meta.byline:
                meta.byline = name_for.group("name").strip()
                # The outlet a byline names is the publisher; a "read more at" teaser may
                # only point at where the story came from.
                meta.outlet = name_for.group("outlet").strip()
                continue
            date = _DATE_LINE.match(stripped)
            if date and not meta.published:
                meta.published = _iso_date(date.group("date"))
                continue
        if not meta.dateline:
            dateline = _DATELINE.match(stripped)
            if dateline and _line_start(text, spans[i][0], text_begins):
                meta.dateline = dateline.group("place").strip()
    return meta, excluded


def _looks_like_title(line: str) -> bool:
    return len(line) <= _MAX_TITLE and not line.endswith((".", ":", ",", ";")) and " " in line


def _is_whole_line(text: str, span: tuple[int, int], text_begins: int) -> bool:
    """The span starts a line and only spaces or tabs follow it up to the line break."""
    start, end = span
    if not _line_start(text, start, text_begins):
        return False
    after = end
    while after < len(text) and text[after] in " \t":
        after += 1
    return after == len(text) or text[after] == "\n"


def _line_start(text: str, pos: int, text_begins: int) -> bool:
    """Only spaces or tabs lie between `pos` and the line break before it, or only whitespace
    between the start of the text and `pos` (`text_begins`: index of the first non-blank).

    Walks back over the spaces rather than slicing text[:pos]: a slice per sentence made
    chunking quadratic in the length of the text (500k lines took minutes).
    """
    if pos <= text_begins:
        return True
    before = pos
    while before > 0 and text[before - 1] in " \t":
        before -= 1
    return before > 0 and text[before - 1] == "\n"


def _iso_date(raw: str) -> str | None:
    try:
        return dateparser.parse(raw, fuzzy=True).date().isoformat()
    except (ValueError, OverflowError):
        return None
