"""The timeline: events whose date a source states, or lets us resolve from a date it states.

Nothing is dated by guesswork. A yearless "March 26" takes its year from a date the source states:
its publication date (metadata or a dateline such as "BALTIMORE, June 10, 2024 —"), or else the
latest full date its text states anywhere; the year chosen puts the day nearest before (or just
around) that date, so "December 30" in a source dated January 5, 2025 is 2024-12-30. A source
that states no full date anywhere leaves it "March 26 (year not stated)". "On Tuesday" is resolved
only against the source's own publication date (metadata or dateline), and is listed as undated
otherwise.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

from dateutil import parser as date_parser
from dateutil.relativedelta import FR, MO, SA, SU, TH, TU, WE, relativedelta

from retrieval.sentences import sentence_spans

from .schema import SourceSpan, TimelineEvent

_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS |= {name.lower(): i for i, name in enumerate(calendar.month_abbr) if name}
_MONTHS["sept"] = 9
_MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December"
    r"|Jan\.?|Feb\.?|Mar\.?|Apr\.?|Jun\.?|Jul\.?|Aug\.?|Sept?\.?|Oct\.?|Nov\.?|Dec\.?)"
)
_YEAR = r"(?:19|20)\d{2}"
_MONTH_DAY = rf"(?P<m1>{_MONTH})\s+(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?"
_DAY_MONTH = rf"(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<m2>{_MONTH})"
# Order matters: the most precise form is tried first at each position.
_ABSOLUTE = re.compile(
    rf"\b(?P<iso>{_YEAR}-\d{{2}}-\d{{2}})\b"
    rf"|\b{_MONTH_DAY}(?:,?\s+(?P<y1>{_YEAR}))?\b"
    rf"|\b{_DAY_MONTH}(?:,?\s+(?P<y2>{_YEAR}))?\b"
    rf"|\b(?P<m3>{_MONTH})\s+(?P<y3>{_YEAR})\b"
)
# A day of a month, its year (if any) left out: "24 January", "Jan. 24th" (groups m1/d1, d2/m2).
DAY_OF_MONTH = re.compile(rf"\b(?:{_MONTH_DAY}|{_DAY_MONTH})\b(?!\d)")
# Month or year alone, taken only where no precise date above covers the words.
_VAGUE = re.compile(
    rf"\b(?:[Ii]n|[Ss]ince|[Uu]ntil|[Bb]y|[Ee]arly|[Ll]ate|[Mm]id-?)\s+(?P<m4>{_MONTH})\b"
    rf"|\b(?:[Ii]n|[Ss]ince|[Uu]ntil|[Bb]y)\s+(?P<y4>{_YEAR})\b"
)
_WEEKDAYS = {"monday": MO, "tuesday": TU, "wednesday": WE, "thursday": TH, "friday": FR}
_WEEKDAYS |= {"saturday": SA, "sunday": SU}
_RELATIVE_DAY = re.compile(
    r"\b(?:(?P<which>[Ll]ast|[Tt]his|[Nn]ext|[Oo]n|[Ss]ince|[Uu]ntil|[Bb]y)\s+)?(?P<day>Monday|Tuesday|Wednesday|"
    r"Thursday|Friday|Saturday|Sunday)\b|\b(?P<word>yesterday|today|tomorrow)\b"
)
_FUTURE = re.compile(
    r"\b(?:will|would meet|scheduled|expected|upcoming|set to|plans? to|is to|are to)\b"
)
# A dateline or date line near the top: "BALTIMORE, March 26, 2024 —", "Published June 10, 2024".
_PLACE = r"[A-Z][\w.'’\-]*(?:\s+[A-Z(][\w.'’()\-]*){0,3}"
_DATELINE_PREFIX = re.compile(
    rf"(?:{_PLACE},\s*(?:{_PLACE},\s*)?|(?:Published|Updated|Posted|Dated|Date)(?:\s+on)?:?\s*)?"
)
_DATELINE_SUFFIX = re.compile(r"\s*(?:[—–:(]|--?\s|$)")
DATELINE_LINES = 12  # a dateline is looked for in the source's first lines only
# A yearless day may fall this far after the source's date and still be read as this year's
# ("around" the date); further on, it is taken as last year's, unless the sentence speaks of
# what is to come.
AROUND_DAYS = 31


def find_events(
    source_id: str, text: str, published: str | None = None
) -> tuple[list[TimelineEvent], list[SourceSpan]]:
    """(dated events, sentences that name a day but have no date to resolve it against).

    `published` is the source's metadata date; without it, a dateline in the text stands in."""
    anchor = _parse_date(published) or dateline_date(text)
    year_anchor = anchor or latest_stated_date(text)
    events: list[TimelineEvent] = []
    undated: list[SourceSpan] = []
    for start, end in sentence_spans(text):
        sentence = text[start:end]
        span = SourceSpan(source_id=source_id, start=start, end=end, text=sentence)
        precise = list(_ABSOLUTE.finditer(sentence))
        vague = [
            m
            for m in _VAGUE.finditer(sentence)
            if not any(m.start() < p.end() and p.start() < m.end() for p in precise)
        ]
        future = bool(_FUTURE.search(sentence))
        found = [_absolute(m, year_anchor, span, future) for m in precise + vague]
        found = [event for event in found if event is not None]
        if not found:
            for match in _RELATIVE_DAY.finditer(sentence):
                event = _relative(match, sentence, anchor, span)
                if event is not None:
                    found.append(event)
                elif not any(u.start == start for u in undated):
                    undated.append(span)
        seen = set()
        for event in found:
            if event.when not in seen:
                seen.add(event.when)
                events.append(event)
    return events, undated


def sort_events(events: list[TimelineEvent]) -> list[TimelineEvent]:
    """Date order; events whose year no source states come last, by month and day."""
    return sorted(events, key=lambda e: (not e.year_known, e.sort_key, e.sentence.source_id))


def dateline_date(text: str) -> dt.date | None:
    """The full date of a dateline or date line among the source's first lines, if any."""
    for line in text.splitlines()[:DATELINE_LINES]:
        for match in _ABSOLUTE.finditer(line):
            day = _full_date(match)
            if (
                day is not None
                and _DATELINE_PREFIX.fullmatch(line[: match.start()].strip())
                and _DATELINE_SUFFIX.match(line, match.end())
            ):
                return day
    return None


def latest_stated_date(text: str) -> dt.date | None:
    """The latest full date (day, month and year) the text states anywhere."""
    days = [d for d in map(_full_date, _ABSOLUTE.finditer(text)) if d is not None]
    return max(days, default=None)


def month_number(name: str) -> int:
    """1 to 12 for a month's name or its abbreviation ("March", "Mar.", "Sept")."""
    return _MONTHS[name.lower().rstrip(".")]


def _full_date(match: re.Match) -> dt.date | None:
    g = match.groupdict()
    try:
        if g.get("iso"):
            return dt.date.fromisoformat(g["iso"])
        month_name, day_text = g.get("m1") or g.get("m2"), g.get("d1") or g.get("d2")
        year_text = g.get("y1") or g.get("y2")
        if not (month_name and day_text and year_text):
            return None
        return dt.date(int(year_text), month_number(month_name), int(day_text))
    except ValueError:
        return None


def _year_for(month: int, day: int, anchor: dt.date, future: bool) -> int | None:
    """The year that puts month/day nearest before (or just around) `anchor`; after it when
    the sentence speaks of what is to come. None for a February 29 no nearby year has."""
    window = dt.timedelta(days=AROUND_DAYS)
    candidates = []
    for year in (anchor.year - 1, anchor.year, anchor.year + 1):
        try:
            candidates.append(dt.date(year, month, day))
        except ValueError:  # February 29 outside a leap year
            continue
    if not candidates:
        return None
    if future:
        after = [d for d in candidates if d >= anchor - window]
        return min(after).year if after else max(candidates).year
    before = [d for d in candidates if d <= anchor + window]
    return max(before).year if before else min(candidates).year


def _absolute(
    match: re.Match, anchor: dt.date | None, span: SourceSpan, future: bool = False
) -> TimelineEvent | None:
    text = match.group(0)
    g = dict.fromkeys(("iso", "m1", "m2", "m3", "m4", "d1", "d2", "y1", "y2", "y3", "y4"))
    g |= match.groupdict()
    if g["iso"]:
        try:
            day = dt.date.fromisoformat(g["iso"])
        except ValueError:
            return None
        return _event(day.isoformat(), text, "day", True, (day.year, day.month, day.day), span)
    month_name = g["m1"] or g["m2"] or g["m3"] or g["m4"]
    if month_name:
        month = month_number(month_name)
        day_text = g["d1"] or g["d2"]
        year_text = g["y1"] or g["y2"] or g["y3"]
        year = int(year_text) if year_text else None
        label = calendar.month_name[month]
        day = int(day_text) if day_text else None
        if day is not None and not 1 <= day <= calendar.monthrange(year or 2000, month)[1]:
            return None
        # A date the source states elsewhere (its own date) places "August 6"; none is invented.
        if year is None and anchor is not None:
            # A month alone is placed by its first day.
            year = _year_for(month, day or 1, anchor, future)
        if day is not None:
            if year is None:
                return _event(f"{label} {day} (year not stated)", text, "day", False,
                              (0, month, day), span)  # fmt: skip
            return _event(f"{year:04d}-{month:02d}-{day:02d}", text, "day", True,
                          (year, month, day), span)  # fmt: skip
        if year is None:
            return _event(f"{label} (year not stated)", text, "month", False, (0, month, 0), span)
        return _event(f"{year:04d}-{month:02d}", text, "month", True, (year, month, 0), span)
    year = int(g["y4"])
    return _event(f"{year:04d}", text, "year", True, (year, 0, 0), span)


def _relative(
    match: re.Match, sentence: str, anchor: dt.date | None, span: SourceSpan
) -> TimelineEvent | None:
    """A weekday or yesterday/today/tomorrow, resolved against the source's stated date."""
    if anchor is None:
        return None
    word = (match.group("word") or "").lower()
    if word:
        offset = {"yesterday": -1, "today": 0, "tomorrow": 1}[word]
        day = anchor + dt.timedelta(days=offset)
    else:
        weekday = _WEEKDAYS[match.group("day").lower()]
        which = (match.group("which") or "").lower()
        future = which == "next" or (which != "last" and bool(_FUTURE.search(sentence)))
        # News reports mostly the past: "on Tuesday" is the latest Tuesday up to the article's
        # date, unless the sentence speaks of what is to come.
        if future:
            day = anchor + relativedelta(days=+1, weekday=weekday(+1))
        else:
            day = anchor + relativedelta(weekday=weekday(-1))
            if which == "last" and day == anchor:
                day = anchor + relativedelta(days=-1, weekday=weekday(-1))
    return _event(day.isoformat(), match.group(0), "day", True, (day.year, day.month, day.day),
                  span)  # fmt: skip


def _event(when, date_text, precision, year_known, sort_key, span) -> TimelineEvent:
    return TimelineEvent(
        when=when,
        date_text=date_text,
        precision=precision,
        year_known=year_known,
        sort_key=sort_key,
        sentence=span,
    )


def _parse_date(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return date_parser.parse(value).date()
    except (ValueError, OverflowError):
        return None
