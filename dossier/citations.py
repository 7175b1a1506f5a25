"""Citation markers and quotations in model answers, as pure string functions."""

from __future__ import annotations

import re
import unicodedata

from retrieval.sentences import sentence_spans

_MARKER = re.compile(r"\s*\[(\d{1,3}(?:\s*[,;]\s*\d{1,3})*)\]")
_ONLY_MARKERS = re.compile(r"^(?:\s*\[\d{1,3}(?:\s*[,;]\s*\d{1,3})*\])+\s*[.,;:]?\s*$")
_QUOTED = re.compile(r"[\"“”]([^\"“”]+)[\"“”]")
_SPACE = re.compile(r"\s+")
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_EDGE_PUNCT = ".,;:!?'\"“”‘’()[]—–- "


def parse_citations(sentence: str) -> tuple[str, list[int]]:
    """The sentence without its [n] markers, and the cited numbers in order of first use."""
    numbers: list[int] = []
    for match in _MARKER.finditer(sentence):
        for part in re.split(r"[,;]", match.group(1)):
            n = int(part)
            if n not in numbers:
                numbers.append(n)
    clean = _MARKER.sub("", sentence)
    clean = re.sub(r"\s+([.,;:!?])", r"\1", clean).strip()
    return clean, numbers


def split_answer(answer: str) -> list[str]:
    """Answer sentences with their markers; a lone marker after a full stop joins its sentence."""
    sentences: list[str] = []
    for start, end in sentence_spans(answer):
        piece = answer[start:end]
        if sentences and _ONLY_MARKERS.match(piece):
            sentences[-1] = f"{sentences[-1]} {piece.strip()}"
        else:
            sentences.append(piece)
    return sentences


_FINISHED = re.compile(r"""[.!?…](?:\s*\[\d+\])*["'”’)\]]*\s*$""")


def without_unfinished_end(text: str) -> str:
    """`text` without its last sentence when that one does not end as a sentence ends: for a
    reply the token limit stopped, the words after the last full stop are a fragment."""
    text = text.rstrip()
    if not text or _FINISHED.search(text):
        return text
    spans = sentence_spans(text)
    return text[: spans[-1][0]].rstrip() if len(spans) > 1 else ""


def quotations(sentence: str, min_words: int = 2) -> list[str]:
    """Text the sentence puts in quotation marks (short scare quotes of one word are skipped)."""
    return [q.strip() for q in _QUOTED.findall(sentence) if len(q.split()) >= min_words]


def normalise(text: str) -> str:
    """Case, quotes, dashes and spacing folded: a verbatim check is not fooled by typography."""
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    text = text.replace("—", "-").replace("–", "-")
    return _SPACE.sub(" ", text).strip().lower()


def quote_is_verbatim(quote: str, passage: str) -> bool:
    """True when the quoted words appear in the passage exactly (up to typography and ellipses)."""
    haystack = normalise(passage)
    # An ellipsis in a quote joins pieces that must each be verbatim.
    pieces = [p.strip(_EDGE_PUNCT) for p in re.split(r"\.\.\.|…", normalise(quote))]
    return all(piece in haystack for piece in pieces if piece)


def numbers_in(text: str) -> set[str]:
    return {n.replace(",", "") for n in NUMBER.findall(text)}


CURRENCY_SYMBOLS = "$€£¥₹₽₴"
CURRENCY_WORDS = (
    "dollars?|euros?|pounds|sterling|yen|yuan|renminbi|roubles?|rubles?|hryvnias?|francs?|"
    "rupees?|pesos?|usd|eur|gbp|jpy|cny|chf"
)
_MONEY = re.compile(
    rf"[{CURRENCY_SYMBOLS}]\s?({NUMBER.pattern})|"
    rf"({NUMBER.pattern})\s?(?:(?:thousand|million|billion|trillion|bn|m)\s)?"
    rf"(?:{CURRENCY_WORDS})\b",
    re.IGNORECASE,
)


def money_in(text: str) -> set[str]:
    """Figures given as amounts of money ("$190", "3 million euros"): a distance of 190 miles
    in a passage does not support a price of $190."""
    return {(a or b).replace(",", "") for a, b in _MONEY.findall(text)}


_NAME = re.compile(r"(?<![\w'’-])[A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*)*")
_WORD = re.compile(r"[\w'’-]+")
NAME_STEM = 4  # "Norwegian" is found through "Norway", "British" through "Britain"


def names_in(sentence: str) -> list[str]:
    """Runs of capitalised words ("Meridian Quay Holdings"), the sentence's first word left
    out unless it starts a longer run: the names a sentence attaches its claim to."""
    text = sentence.replace("’s", "").replace("'s", "")
    names = [m.group(0) for m in _NAME.finditer(text)]
    first = _WORD.search(text)
    if names and first and first.start() == text.index(names[0]) and " " not in names[0]:
        names = names[1:]
    return [n for n in names if n != "I"]


def names_found(sentence: str, text: str) -> bool:
    """Every name of the sentence is in the text: one of its words as a word or, for longer
    words, through a word sharing its first letters (an adjective and its country). A source
    names a body in full once and shortens it after, so one word of a name is enough."""
    words = {w.lower() for w in _WORD.findall(text)}
    stems = {w[:NAME_STEM] for w in words if len(w) >= NAME_STEM}

    def found(word: str) -> bool:
        low = word.lower().strip("'’-")
        return low in words or (len(low) >= NAME_STEM and low[:NAME_STEM] in stems)

    def telling(name: str) -> list[str]:
        # "The" or "La" opening a run says nothing about which name it is, also before a short
        # one ("The UN", "The SRC"): of a run of short words, its first is not enough
        words = name.split()
        return [w for w in words if len(w) >= NAME_STEM] or words[1:] or words

    return all(any(found(w) for w in telling(name)) for name in names_in(sentence))


def cited_text_grammar(rules: list[str], passages: int) -> str:
    """A llama.cpp grammar from `rules` that may use `word` (text without spaces or brackets)
    and `number` (a citation number, 1..`passages`; larger first, so "12" is tried before "1")."""
    numbers = " | ".join(f'"{n}"' for n in range(passages, 0, -1))
    return "\n".join([*rules, f"number ::= {numbers}", r"word ::= [^ \n\[\]]+"])
