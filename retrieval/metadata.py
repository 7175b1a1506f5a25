"""Article metadata the text itself shows, and boilerplate sentences to keep out of the index.

Nothing here is invented: a field the text does not show stays None, except the title: a
source that states none gets one cut from its first sentence, marked `title_derived`.
"""

from __future__ import annotations

import re

from dateutil import parser as dateparser

from .schema import SourceMeta
from .sentences import sentence_spans

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
# "BALTIMORE —", "OSLO, Norway—", "CHISINAU, Moldova, May 7, 2024 —", "LAGOS (Reuters) -":
# the place in capitals, maybe its region, maybe a date, maybe an agency, then a dash.
_DATE_WORDS = (
    r"(?:[A-Z][a-z]+day,?\s+)?(?:[A-Z][a-z]{2,8}\.?\s+\d{1,2}(?:st|nd|rd|th)?(?:,?\s+\d{4})?"
    r"|\d{1,2}\s+[A-Z][a-z]{2,8}\.?(?:,?\s+\d{4})?|\d{4}-\d{2}-\d{2})"
)
_DATELINE = re.compile(
    r"^(?P<dateline>(?P<place>[A-Z][A-Z.'’ -]{2,}(?:,\s*[A-Z][A-Za-z.'’ -]{1,30}?)?)"
    rf"(?:,\s*(?P<date>{_DATE_WORDS}))?)"
    r"\s*(?:\([^()\n]{1,40}\)\s*)?(?:—|–|--|\s-\s)"
)
_YEAR = re.compile(r"\b\d{4}\b")
_DATE_LINE = re.compile(
    r"^(?:published|posted|updated|date)?\s*:?\s*(?:on\s+)?"
    r"(?P<date>(?:[A-Z][a-z]+day,?\s+)?(?:[A-Z][a-z]{2,8}\.?\s+\d{1,2},?\s+\d{4}"
    r"|\d{1,2}\s+[A-Z][a-z]{2,8}\.?\s+\d{4}|\d{4}-\d{2}-\d{2}))"
    r"(?:[\s,]+\d{1,2}:\d{2}.*)?$",
    re.IGNORECASE,
)
_MAX_TITLE = 160
_TITLE_HEAD_CHARS = 3000  # the start of a text enough to find its headline or first sentence
MAX_DERIVED_TITLE = 80  # a title cut from the first sentence is at most this long
# Where a long first sentence may be cut for a title: after a clause, before an aside.
_NATURAL_BREAK = re.compile(r"[,;:](?=\s)|\s[—–-]\s|\s\(")


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
    first_body: str | None = None  # the first sentence of the article itself

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
        dateline = None
        if (first_body is None or not meta.dateline) and _line_start(
            text, spans[i][0], text_begins
        ):
            dateline = _DATELINE.match(stripped)
        if dateline and not meta.dateline:
            meta.dateline = dateline.group("dateline").strip()
            meta.place = dateline.group("place").strip()
            stated = dateline.group("date")
            if stated and _YEAR.search(stated) and not meta.published:
                meta.published = _iso_date(stated)  # a date without its year is not guessed
        if first_body is None and stripped != meta.title:
            body = stripped[dateline.end() :].strip() if dateline else stripped
            first_body = body or None
    if not meta.title and first_body:
        meta.title = derive_title(first_body)
        meta.title_derived = meta.title is not None
    return meta, excluded


def title_of_text(text: str) -> tuple[str | None, bool]:
    """(title, derived) the start of `text` gives: its headline, or one cut from its first
    sentence. For sources stored before titles were derived."""
    head = text[:_TITLE_HEAD_CHARS]
    meta, _ = extract_metadata(head, sentence_spans(head))
    return meta.title, meta.title_derived


def derive_title(sentence: str) -> str | None:
    """A title for a source that states none: its first sentence, cut at a natural break
    (a comma, a dash, an aside) or else at a word, to at most MAX_DERIVED_TITLE characters."""
    words = " ".join(sentence.split()).strip(" \"'“”‘’")
    words = words.rstrip(".")
    if not words:
        return None
    if len(words) <= MAX_DERIVED_TITLE:
        return words
    head = words[: MAX_DERIVED_TITLE - 1]
    breaks = [m.start() for m in _NATURAL_BREAK.finditer(head) if m.start() >= 25]
    cut = breaks[-1] if breaks else head.rfind(" ")
    if cut < 25:
        cut = len(head)
    return head[:cut].rstrip(" ,;:—–-(") + "…"


def merge_metadata(document: SourceMeta, text: SourceMeta) -> SourceMeta:
    """What the document states (HTML meta tags, front matter) first, then what the text shows."""
    merged = text.model_copy()
    for field in ("title", "outlet", "byline", "dateline", "published", "place"):
        value = getattr(document, field)
        if value:
            setattr(merged, field, value)
    if document.title:
        merged.title_derived = document.title_derived
    return merged


def _looks_like_title(line: str) -> bool:
    return (
        len(line) <= _MAX_TITLE
        and not line.endswith((".", ":", ",", ";"))
        and " " in line
        and not (_BYLINE.match(line) or _DATE_LINE.match(line) or _DATELINE.match(line))
    )


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
