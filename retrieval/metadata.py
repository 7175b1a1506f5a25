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
    lines = [line.strip() for line in text.split("\n") if line.strip()]

    if lines and _looks_like_title(lines[0]):
        meta.title = lines[0]

    for i, sentence in enumerate(sentences):
        stripped = sentence.strip()
        whole_line = _is_whole_line(text, spans[i])
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
            if dateline and _line_start(text, spans[i][0]):
                meta.dateline = dateline.group("place").strip()
    return meta, excluded


def _looks_like_title(line: str) -> bool:
    return len(line) <= _MAX_TITLE and not line.endswith((".", ":", ",", ";")) and " " in line


def _is_whole_line(text: str, span: tuple[int, int]) -> bool:
    start, end = span
    return _line_start(text, start) and (
        end == len(text) or text[end:].lstrip(" \t")[:1] in ("\n", "")
    )


def _line_start(text: str, pos: int) -> bool:
    return pos == 0 or text[:pos].rstrip(" \t").endswith("\n") or text[:pos].strip() == ""


def _iso_date(raw: str) -> str | None:
    try:
        return dateparser.parse(raw, fuzzy=True).date().isoformat()
    except (ValueError, OverflowError):
        return None
