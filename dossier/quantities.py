"""Figures and clock times as written in a sentence, unit-normalised into value intervals.

"about 190 miles", "more than 180 miles" and "306 km" become intervals in one base unit
(kilometres), so two figures conflict only when their intervals cannot meet: an approximate
or one-sided figure ("about", "nearly", "more than", "up to") widens its value into a range.
Clock times ("1:28 a.m.", "shortly after 2 a.m.", "14:05") become minutes after midnight.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

APPROX = 0.05  # "about 190" covers 180.5-199.5
NEARLY = 0.10  # "nearly 300" covers 270-300
CONVERSION_TOLERANCE = 0.02  # rounding after a unit conversion ("12-inch" vs "30-centimetre")
TEMPERATURE_TOLERANCE = 0.6  # degrees Celsius: 88 °F is 31.1 °C
APPROX_MINUTES = 15  # "around 2:10 a.m."
SHORTLY_MINUTES = 20  # "shortly after 2 a.m."

_WORD_NUMBERS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}  # fmt: skip
# "thirty-seven" is one number, not "thirty" with a stray "seven"
_WORD_NUMBERS |= {
    f"{tens}-{ones}": _WORD_NUMBERS[tens] + _WORD_NUMBERS[ones]
    for tens in _WORD_NUMBERS
    if _WORD_NUMBERS[tens] >= 20
    for ones in _WORD_NUMBERS
    if _WORD_NUMBERS[ones] < 10
}
# "hundred" and "dozen" multiply the number before them ("two hundred"), like "million".
_SCALES = {"dozen": 12, "hundred": 1e2, "thousand": 1e3, "million": 1e6, "billion": 1e9,
           "trillion": 1e12}  # fmt: skip
# unit word -> (family, factor to the family's base unit, shown name of the family)
_UNITS: dict[str, tuple[str, float]] = {
    "mile": ("distance", 1.609344), "mi": ("distance", 1.609344),
    "kilometre": ("distance", 1.0), "kilometer": ("distance", 1.0), "km": ("distance", 1.0),
    "metre": ("distance", 1e-3), "meter": ("distance", 1e-3), "m": ("distance", 1e-3),
    "centimetre": ("distance", 1e-5), "centimeter": ("distance", 1e-5), "cm": ("distance", 1e-5),
    "millimetre": ("distance", 1e-6), "millimeter": ("distance", 1e-6), "mm": ("distance", 1e-6),
    "foot": ("distance", 3.048e-4), "feet": ("distance", 3.048e-4), "ft": ("distance", 3.048e-4),
    "inch": ("distance", 2.54e-5), "inches": ("distance", 2.54e-5),
    "yard": ("distance", 9.144e-4),
    "percent": ("share", 1.0), "per cent": ("share", 1.0), "%": ("share", 1.0),
    "percentage point": ("share", 1.0),
    "second": ("duration", 1 / 60), "minute": ("duration", 1.0), "hour": ("duration", 60.0),
    "day": ("duration", 1440.0), "week": ("duration", 10080.0),
    "month": ("duration", 43830.0), "year": ("duration", 525960.0),
    "kg": ("weight", 1.0), "kilogram": ("weight", 1.0), "kilogramme": ("weight", 1.0),
    "gram": ("weight", 1e-3), "tonne": ("weight", 1e3), "ton": ("weight", 907.185),
    "lb": ("weight", 0.4536),
    "mph": ("speed", 1.609344), "km/h": ("speed", 1.0), "kph": ("speed", 1.0),
    "knot": ("speed", 1.852),
    "litre": ("volume", 1.0), "liter": ("volume", 1.0), "gallon": ("volume", 3.785),
    "hectare": ("area", 1.0), "acre": ("area", 0.4047),
    "square kilometre": ("area", 100.0), "square kilometer": ("area", 100.0),
    "square mile": ("area", 259.0), "square metre": ("area", 1e-4), "square meter": ("area", 1e-4),
}  # fmt: skip
_CURRENCY = {"$": "USD", "us$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY"}
_CURRENCY_WORDS = {"dollar": "USD", "euro": "EUR", "pound": "GBP", "yen": "JPY"}
FAMILY_NAMES = {
    "distance": "Distance", "share": "Share", "duration": "Duration", "weight": "Weight",
    "speed": "Speed", "volume": "Volume", "area": "Area", "temperature": "Temperature",
    "clock": "Time",
}  # fmt: skip

# Number words and scale words, longest first (a regex alternation takes the first that fits).
NUMBER_WORDS = tuple(sorted(_WORD_NUMBERS, key=len, reverse=True))
SCALE_WORDS = tuple(_SCALES)
_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|" + "|".join(NUMBER_WORDS)
_UNIT_ALT = "|".join(
    sorted((re.escape(u) + ("s?" if u[-1].isalpha() else "") for u in _UNITS), key=len)[::-1]
)
_QUANTITY = re.compile(
    rf"(?P<cur>US\$|[$€£¥])?\s?(?<!\w)(?P<num>{_NUM})\b"
    rf"(?:\s?(?P<scale>{'|'.join(SCALE_WORDS)})\b)?"
    rf"(?:(?:\s?-\s?|\s)(?P<deg>degrees?\s+)?(?P<unit>(?:{_UNIT_ALT}))(?![\w/])"
    r"|(?P<temp>\s?°\s?[CF]\b|\s+degrees?\s+(?:Celsius|Fahrenheit|centigrade)\b)"
    r"|(?P<pct>\s?%))?",
    re.IGNORECASE,
)
_CLOCK = re.compile(
    r"\b(?P<h>1[0-2]|0?[1-9])(?:[:.](?P<m>[0-5]\d))?\s*(?P<ap>a\.m\.|p\.m\.|am\b|pm\b)"
    r"|\b(?P<h24>[01]?\d|2[0-3]):(?P<m24>[0-5]\d)\b(?!\s*(?:a\.m|p\.m|am\b|pm\b))"
    r"|\b(?P<word>noon|midday|midnight)\b",
    re.IGNORECASE,
)
_QUALIFIER = re.compile(
    r"(?<![\w-])(?P<q>about|around|roughly|approximately|some|an estimated|estimated|close to|"
    r"nearly|almost|just under|more than|over|above|at least|upwards of|in excess of|"
    r"exceed(?:ed|s|ing)?|"
    r"less than|under|below|fewer than|at most|up to|as many as|as much as|no more than|"
    r"shortly after|just after|soon after|after|shortly before|just before|before|by)\s+$",
    re.IGNORECASE,
)
_APPROX_WORDS = {"about", "around", "roughly", "approximately", "some", "an estimated",
                 "estimated", "close to"}  # fmt: skip
_BELOW_WORDS = {"nearly", "almost", "just under"}
_AT_LEAST = {"more than", "over", "above", "at least", "upwards of", "in excess of"}
# "before" and "by" bound a time ("by 2 a.m.", see _clock_range), not a figure: "rose by 5
# per cent" is a change of exactly 5.
# These give the highest value found ("up to 2.3 times the limit"), not just a bound: two
# sources giving different highest values of one thing disagree.
_PEAK = {"up to", "as many as", "as much as"}
_AT_MOST = {"less than", "under", "below", "fewer than", "at most", "no more than"} | _PEAK
_NOUN = re.compile(r"\s+(?P<noun>[a-z][a-z-]+)")
_NOT_COUNTED = {"a", "an", "the", "of", "and", "or", "to", "in", "on", "at", "for", "by", "per"}
_NOT_COUNTED |= {"from", "with", "as", "was", "were", "is", "are", "had", "has", "have", "said"}


@dataclass(frozen=True)
class Figure:
    """One figure or clock time in a text: its words, kind and the values it allows."""

    start: int
    end: int  # the qualifier and unit included: text[start:end] is what the label shows
    text: str
    family: str  # "distance", "share", "money:USD", "count:runner", "clock", ...
    low: float
    high: float
    noun: str = ""  # the counted noun as written, for counts
    peak: bool = False  # the highest value reported ("up to 2.3 times"): `high` is that value

    def agrees_with(self, other: Figure) -> bool:
        """The two can be the same value (after rounding and unit conversion)."""
        if self.peak and other.peak:
            slack = CONVERSION_TOLERANCE * max(abs(self.high), abs(other.high))
            return abs(self.high - other.high) <= slack
        if self.family == "temperature":
            slack = TEMPERATURE_TOLERANCE
        elif self.family == "clock":
            slack = 0.0
        else:
            slack = CONVERSION_TOLERANCE * max(abs(self.low), abs(other.low), 1e-9)
            slack = min(slack, CONVERSION_TOLERANCE * max(self.high, other.high))
        return self.low <= other.high + slack and other.low <= self.high + slack


def figures(text: str) -> list[Figure]:
    """Every clock time, then every other figure, of `text` (numbers inside times not again)."""
    found = clock_times(text)
    taken = [(f.start, f.end) for f in found]
    for match in _QUANTITY.finditer(text):
        a, b = match.span("num")
        if any(s <= a < e for s, e in taken) or _inside_word_or_code(text, a, b):
            continue
        figure = _quantity(text, match)
        if figure is not None:
            found.append(figure)
    return sorted(found, key=lambda f: f.start)


def clock_times(text: str) -> list[Figure]:
    found = []
    for match in _CLOCK.finditer(text):
        if match.group("word"):
            minutes = 720.0 if match.group("word").lower() in {"noon", "midday"} else 0.0
        elif match.group("h24"):
            minutes = int(match.group("h24")) * 60 + int(match.group("m24"))
        else:
            hour = int(match.group("h")) % 12
            if match.group("ap").lower().startswith("p"):
                hour += 12
            minutes = hour * 60 + int(match.group("m") or 0)
        start, qualifier = _qualifier(text, match.start())
        low, high = _clock_range(minutes, qualifier)
        end = match.end()
        found.append(Figure(start, end, text[start:end], "clock", low, high))
    return found


def _quantity(text: str, match: re.Match) -> Figure | None:
    raw = match.group("num").lower()
    value = float(_WORD_NUMBERS[raw]) if raw in _WORD_NUMBERS else float(raw.replace(",", ""))
    if match.group("scale"):
        value *= _SCALES[match.group("scale").lower()]
    start = match.start("cur") if match.group("cur") else match.start("num")
    end = match.end()
    noun = ""
    if match.group("cur"):
        family = "money:" + _CURRENCY[match.group("cur").lower()]
    elif match.group("pct"):
        family = "share"
    elif match.group("temp"):
        family = "temperature"
        if match.group("temp").strip()[-1].upper() == "F" or "fahr" in match.group("temp").lower():
            value = (value - 32) * 5 / 9
    elif match.group("unit"):
        unit = match.group("unit").lower()
        key = unit if unit in _UNITS else unit[:-1] if unit[:-1] in _UNITS else unit
        if match.group("deg") and key in {"c", "f"}:
            return None
        family, factor = _UNITS[key]
        value *= factor
    else:
        after = _NOUN.match(text, end)
        word = after.group("noun").lower() if after else ""
        currency = _CURRENCY_WORDS.get(word.rstrip("s"))
        if currency:
            family, end = "money:" + currency, after.end()
        elif word and word not in _NOT_COUNTED and not _is_year(raw, match):
            family, noun, end = "count:" + _singular(word), after.group("noun"), after.end()
        else:
            return None
    start, qualifier = _qualifier(text, start)
    low, high = _value_range(value, qualifier)
    return Figure(
        start, end, text[start:end].strip(), family, low, high, noun, peak=qualifier in _PEAK
    )


def _qualifier(text: str, start: int) -> tuple[int, str]:
    found = _QUALIFIER.search(text[max(0, start - 24) : start])
    if not found:
        return start, ""
    word = found.group("q").lower()
    return start - (len(text[max(0, start - 24) : start]) - found.start("q")), word


def _value_range(value: float, qualifier: str) -> tuple[float, float]:
    if qualifier in _APPROX_WORDS:
        return value * (1 - APPROX), value * (1 + APPROX)
    if qualifier in _BELOW_WORDS:
        return value * (1 - NEARLY), value
    if qualifier in _AT_LEAST or qualifier.startswith("exceed"):
        return value, math.inf
    if qualifier in _AT_MOST:
        return -math.inf if value < 0 else 0.0, value
    return value, value


def _clock_range(minutes: float, qualifier: str) -> tuple[float, float]:
    if qualifier in _APPROX_WORDS:
        return minutes - APPROX_MINUTES, minutes + APPROX_MINUTES
    if qualifier in {"shortly after", "just after", "soon after"}:
        return minutes, minutes + SHORTLY_MINUTES
    if qualifier in {"shortly before", "just before"} or qualifier in _BELOW_WORDS:
        return minutes - SHORTLY_MINUTES, minutes
    if qualifier == "after":
        return minutes, math.inf
    if qualifier in {"before", "by"}:
        return -math.inf, minutes
    return minutes, minutes


def _inside_word_or_code(text: str, a: int, b: int) -> bool:
    """Digits glued to letters or slashes ("F-16", "1930s", "24/7") are names, not figures."""
    before = text[a - 1] if a > 0 else " "
    after = text[b] if b < len(text) else " "
    return before.isalnum() or before in "/-" and a > 1 and text[a - 2].isalpha() or (
        after.isalpha() and after.lower() != "s" or after == "/" or text[b : b + 2] == "s "
    )  # fmt: skip


def _is_year(raw: str, match: re.Match) -> bool:
    return raw.isdigit() and len(raw) == 4 and 1800 <= int(raw) <= 2100


def _singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word
