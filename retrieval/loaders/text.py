"""Plain text: the bytes decoded, whatever of the usual encodings they are in (Markdown adds
its own reading on top, in markdown.py)."""

from __future__ import annotations

import re

from .base import LoadError


class TextLoader:
    suffixes = (".txt",)

    def extract(self, data: bytes) -> str:
        return decode_text(data)


_BOMS = (  # UTF-32 first: its little-endian mark starts with UTF-16's
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)
# What Western European text in cp1252 / Latin-1 holds beyond ASCII: letters of the Latin-1
# supplement and cp1252's extra letters, and the punctuation and signs news text uses.
_WESTERN_LETTERS = frozenset(
    "ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖØÙÚÛÜÝÞßàáâãäåæçèéêëìíîïðñòóôõöøùúûüýþÿŒœŠšŽžŸƒ"
)
_WESTERN_MARKS = frozenset("’‘“”„‚–—…«»‹›°€£¥¢§©®™±·•¿¡ªº\xa0\xad´¨¶†‡‰¹²³¼½¾µ×÷")
# A sign glued between two letters ("mo¿e", "wi¹za") is what a Central European code page read
# as cp1252 looks like; apostrophes and the Catalan middle dot do sit inside words.
_SIGN_INSIDE_WORD = re.compile(
    "[^\\W\\d_][" + re.escape("".join(sorted(_WESTERN_MARKS - set("’‘·\xad")))) + "][^\\W\\d_]"
)
_ACCENTED_RUN = re.compile("[" + "".join(sorted(_WESTERN_LETTERS)) + "]{4,}")
_ASCII = bytes(range(128))
_ASCII_LETTERS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_STRAY_RUNS = re.compile("[\udc80-\udcff]+")
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f]")


def decode_text(data: bytes) -> str:
    """The text of a plain-text file, whatever of the usual encodings it is in.

    In order: a byte-order mark (UTF-8, UTF-16, UTF-32); UTF-16 without one, told by its zero
    bytes; UTF-8; mostly UTF-8 with a few Western (cp1252/Latin-1) letters pasted in, each
    piece decoded as what it is, or refused as "mixed encodings"; one Western legacy encoding
    (cp1252, which reads Latin-1 text the same); and only then charset-normalizer's guess, which
    alone picks cp1250 for short French or German text ("crčme brűlée").
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _decode_as(data, encoding, with_bom=True)
    utf16 = _utf16_without_bom(data)
    if utf16:
        return _decode_as(data, utf16, with_bom=False)
    if b"\x00" in data[:8192]:
        raise LoadError("binary file, not text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    # Python's strict UTF-8 decoder, keeping each byte it rejects as a lone surrogate
    # (U+DC80..U+DCFF): where the stray bytes are, at C speed, with no second parser.
    escaped = data.decode("utf-8", errors="surrogateescape")
    stray_bytes = len(data) - len(escaped.encode("utf-8", errors="ignore"))
    ascii_bytes = len(data) - len(data.translate(None, _ASCII))
    utf8_chars = len(escaped) - ascii_bytes - stray_bytes  # non-ASCII, validly encoded
    # A Latin-1 capital followed by a sign can form valid UTF-8 by chance ("É" + no-break
    # space): a few such pairs among many stray bytes mean a legacy file, not a mixed one.
    if utf8_chars and not (utf8_chars * 10 <= stray_bytes and _reads_as_cp1252(data)):
        return _decode_mixed(escaped)
    return _decode_legacy(data)


def _reads_as_cp1252(data: bytes) -> bool:
    try:
        return _reads_as_western(data, data.decode("cp1252"))
    except UnicodeDecodeError:
        return False


def _decode_as(data: bytes, encoding: str, *, with_bom: bool) -> str:
    name = encoding.removesuffix("-sig").upper()
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        how = "starts with a" if with_bom else "looks like"
        raise LoadError(f"text {how} {name} mark but is not valid {name} ({exc.reason})") from exc
    if len(_CONTROL.findall(text[:65536])) > len(text[:65536]) // 100:
        raise LoadError("binary file, not text")
    return text


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 of mostly Latin-script text: every other byte is zero, on one side only."""
    sample = data[:65536]
    if len(sample) < 4 or len(data) % 2:
        return None
    even, odd = sample[0::2], sample[1::2]
    zero_even, zero_odd = even.count(0) / len(even), odd.count(0) / len(odd)
    if zero_odd > 0.3 and zero_even < 0.02:
        return "utf-16-le"
    if zero_even > 0.3 and zero_odd < 0.02:
        return "utf-16-be"
    return None


def _decode_mixed(escaped: str) -> str:
    """Mostly UTF-8 with some bytes that are not (`escaped`: decoded with surrogateescape):
    each short stray piece read as cp1252 if it is a Western letter or sign there (a Latin-1
    "ï" pasted into UTF-8 text), else refused."""
    return _STRAY_RUNS.sub(
        lambda run: _stray_piece(bytes(ord(char) - 0xDC00 for char in run.group())), escaped
    )


def _stray_piece(raw: bytes) -> str:
    try:
        text = raw.decode("cp1252")
    except UnicodeDecodeError:
        text = ""
    if not text or len(raw) > 3 or not set(text) <= _WESTERN_LETTERS | _WESTERN_MARKS:
        raise LoadError(
            "mixed encodings: mostly UTF-8, with bytes in another encoding that cannot be "
            "told apart (save the file as UTF-8)"
        )
    return text


def _decode_legacy(data: bytes) -> str:
    """Not UTF-8 at all: cp1252 (which reads Latin-1 alike) or else Latin-9 (ISO-8859-15: "€"
    and "œ" where Latin-1 has "¤" and "½") when the text reads as Western European text in
    it, else a confident guess of charset-normalizer, else refused."""
    for encoding in ("cp1252", "iso-8859-15"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:  # bytes cp1252 leaves undefined: some other code page
            continue
        if _reads_as_western(data, text):
            return text
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None or best.encoding is None or best.chaos > 0.2:
        raise LoadError("text is not UTF-8 and its encoding could not be recognised")
    return str(best)


def _reads_as_western(data: bytes, text: str) -> bool:
    """Whether `text` (`data` decoded) looks like Western European writing: only Latin letters and
    common signs beyond ASCII, accented letters a minority of letters and not in long runs
    (Cyrillic or Greek code pages read as cp1252 give words made only of them), and no sign
    glued inside a word."""
    high = {char for char in set(text) if char > "\x7f"}
    if not high <= _WESTERN_LETTERS | _WESTERN_MARKS:
        return False
    accented = sum(text.count(char) for char in high & _WESTERN_LETTERS)
    ascii_letters = len(data) - len(data.translate(None, _ASCII_LETTERS))
    # The share of accented letters says little in a few words ("où", "¿qué"): judged from 20.
    if accented + ascii_letters >= 20 and accented > 0.3 * (accented + ascii_letters):
        return False
    return not _ACCENTED_RUN.search(text) and not _SIGN_INSIDE_WORD.search(text)
