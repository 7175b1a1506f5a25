"""Markdown: the text a reader sees (markup stripped), its front matter and first heading as
metadata.

The stored text is what the source viewer shows and what citations point into, so it is the
rendered words, not the markup: no `# ` before a heading, no `**` around bold words, a link's
text without its address.
"""

from __future__ import annotations

import re

from dateutil import parser as dateparser

from ..schema import SourceMeta
from .base import Document
from .text import decode_text


class MarkdownLoader:
    suffixes = (".md", ".markdown")

    def extract(self, data: bytes) -> Document:
        return markdown_document(decode_text(data))


# Front matter keys -> SourceMeta fields (Jekyll, Hugo, Pandoc and Obsidian spellings).
_FRONT_MATTER_KEYS = {
    "title": "title",
    "headline": "title",
    "author": "byline",
    "authors": "byline",
    "byline": "byline",
    "by": "byline",
    "date": "published",
    "published": "published",
    "pubdate": "published",
    "published_at": "published",
    "publishdate": "published",
    "outlet": "outlet",
    "source": "outlet",
    "site": "outlet",
    "site_name": "outlet",
    "publisher": "outlet",
    "publication": "outlet",
    "place": "place",
    "location": "place",
    "dateline": "place",
}
_FRONT_MATTER = re.compile(
    r"\A\ufeff?---[ \t]*\n(?P<body>.*?\n)?(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S
)
_KEY_VALUE = re.compile(r"^(?P<key>[A-Za-z_][\w-]*)\s*:\s*(?P<value>.*?)\s*$")
_LIST_ITEM = re.compile(r"^\s+-\s+(?P<value>.+?)\s*$")
_MAX_FIELD = 300

_FENCE = re.compile(r"^\s{0,3}(?:```|~~~)")
_ATX_HEADING = re.compile(r"^\s{0,3}(#{1,6})[ \t]+(?P<text>.*?)(?:[ \t]+#+)?[ \t]*$")
_SETEXT_UNDERLINE = re.compile(r"^\s{0,3}(?:=+|-+)[ \t]*$")
_RULE = re.compile(r"^\s{0,3}(?:(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,})$")
_QUOTE = re.compile(r"^\s{0,3}(?:>[ \t]?)+")
_BULLET = re.compile(r"^(\s*)[*+][ \t]+")
_LINK_DEFINITION = re.compile(r"^\s{0,3}\[[^\]]+\]:\s+\S+.*$")
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\[[^\]]*\])")
_AUTOLINK = re.compile(r"<((?:https?|mailto):[^>\s]+)>")
_CODE = re.compile(r"`([^`\n]+)`")
_STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_EMPHASIS_STAR = re.compile(r"(?<![\w*])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![\w*])")
_EMPHASIS_UNDERSCORE = re.compile(r"(?<![\w_])_(?=[^\s_])(.+?)(?<=[^\s_])_(?![\w_])")
_STRIKE = re.compile(r"~~(?=\S)(.+?)(?<=\S)~~")
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!>~|])")


def markdown_document(source: str) -> Document:
    """The text of a Markdown file, with its front matter and first `# ` heading as metadata."""
    source = source.replace("\r\n", "\n").replace("\r", "\n")
    meta = SourceMeta()
    front = _FRONT_MATTER.match(source)
    if front:
        meta = _front_matter_meta(front.group("body") or "")
        source = source[front.end() :]
    text, heading = strip_markdown(source)
    if not meta.title and heading:
        meta.title = heading
    return Document(text, meta)


def strip_markdown(source: str) -> tuple[str, str | None]:
    """(the text without Markdown markup, the first level-1 heading's text or None)."""
    lines = _COMMENT.sub("", source).split("\n")
    out: list[str] = []
    heading: str | None = None
    in_code = False
    for line in lines:
        if _FENCE.match(line):
            in_code = not in_code
            continue
        if in_code:
            out.append(line)
            continue
        if _LINK_DEFINITION.match(line) or _RULE.match(line):
            out.append("")
            continue
        if _SETEXT_UNDERLINE.match(line) and out and out[-1].strip():
            if heading is None and line.strip().startswith("="):
                heading = out[-1].strip()
            continue
        atx = _ATX_HEADING.match(line)
        if atx:
            line = _inline(atx.group("text"))
            if heading is None and len(atx.group(1)) == 1:
                heading = line.strip()
            out.append(line)
            continue
        line = _BULLET.sub(r"\1- ", _QUOTE.sub("", line))
        out.append(_inline(line))
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip("\n")
    return text, (heading or None)


def _inline(line: str) -> str:
    line = _IMAGE.sub(r"\1", line)
    line = _LINK.sub(r"\1", line)
    line = _AUTOLINK.sub(r"\1", line)
    line = _CODE.sub(r"\1", line)
    for _ in range(2):  # ***both*** is strong around emphasis
        line = _STRONG.sub(r"\2", line)
        line = _EMPHASIS_STAR.sub(r"\1", line)
        line = _EMPHASIS_UNDERSCORE.sub(r"\1", line)
    line = _STRIKE.sub(r"\1", line)
    return _ESCAPE.sub(r"\1", line)


def _front_matter_meta(body: str) -> SourceMeta:
    """SourceMeta from the simple `key: value` YAML of front matter (lists joined by ", ")."""
    values: dict[str, list[str]] = {}
    key: str | None = None
    for line in body.split("\n"):
        item = _LIST_ITEM.match(line)
        if item and key:
            values.setdefault(key, []).append(_unquote(item.group("value")))
            continue
        pair = _KEY_VALUE.match(line)
        if not pair:
            key = None
            continue
        key = pair.group("key").lower()
        value = pair.group("value")
        if value.startswith("[") and value.endswith("]"):
            items = [_unquote(v) for v in value[1:-1].split(",")]
        else:
            items = [_unquote(value)] if value else []
        values.setdefault(key, []).extend(items)
    fields: dict[str, str] = {}
    for name, items in values.items():
        field = _FRONT_MATTER_KEYS.get(name)
        text = ", ".join(i for i in items if i)[:_MAX_FIELD].strip()
        if not field or not text or field in fields:
            continue
        if field == "published":
            parsed = _iso_date(text)
            if parsed is None:
                continue
            text = parsed
        elif field == "title":
            text = _inline(text)
        fields[field] = text
    return SourceMeta(**fields)


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        value = value[1:-1]
    return value.strip()


def _iso_date(raw: str) -> str | None:
    try:
        return dateparser.parse(raw).date().isoformat()
    except (ValueError, OverflowError, TypeError):
        return None
