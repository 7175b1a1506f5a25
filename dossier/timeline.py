"""The timeline: events whose date a source states, or lets us resolve from a date it states.

Nothing is dated by guesswork. "August 6" in a source with no year stays "August 6 (year not
stated)"; "on Tuesday" is resolved only against the source's own stated publication date, and is
listed as undated otherwise.
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
# Order matters: the most precise form is tried first at each position.
_ABSOLUTE = re.compile(
    rf"\b(?P<iso>{_YEAR}-\d{{2}}-\d{{2}})\b"
    rf"|\b(?P<m1>{_MONTH})\s+(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(?P<y1>{_YEAR}))?\b"
    rf"|\b(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<m2>{_MONTH})(?:,?\s+(?P<y2>{_YEAR}))?\b"
    rf"|\b(?P<m3>{_MONTH})\s+(?P<y3>{_YEAR})\b"
)
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


def find_events(
    source_id: str, text: str, published: str | None = None
) -> tuple[list[TimelineEvent], list[SourceSpan]]:
    """(dated events, sentences that name a day but have no date to resolve it against)."""
    anchor = _parse_date(published)
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
        found = [_absolute(m, anchor, span) for m in precise + vague]
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


def _absolute(match: re.Match, anchor: dt.date | None, span: SourceSpan) -> TimelineEvent | None:
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
        month = _MONTHS[month_name.lower().rstrip(".")]
        day_text = g["d1"] or g["d2"]
        year_text = g["y1"] or g["y2"] or g["y3"]
        year = int(year_text) if year_text else None
        # A year the source states elsewhere (its own date) places "August 6"; none is invented.
        if year is None and anchor is not None:
            year = anchor.year
        label = calendar.month_name[month]
        if day_text:
            day = int(day_text)
            if not 1 <= day <= calendar.monthrange(year or 2000, month)[1]:
                return None
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
