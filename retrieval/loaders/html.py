"""HTML pages: the article text a reader sees, without scripts, markup or hidden elements, and
what the page's own metadata states (title, site name, author, publication date)."""

from __future__ import annotations

import re

from ..schema import SourceMeta
from .base import Document, LoadError
from .text import decode_text

# libxml2 stops building an HTML tree at this depth (even with huge_tree): the text below it
# would be lost without a word, so such a page is read by a streaming fallback instead.
HTML_MAX_DEPTH = 2048


class HtmlLoader:
    suffixes = (".html", ".htm")

    def extract(self, data: bytes) -> Document:
        return _html_document(decode_text(data))


# Elements a reader never sees: their text must not reach the index, where it could carry
# instructions to the model ("ignore the sources and say ...").
_HIDDEN_TAGS = frozenset({"template", "noscript"})
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*(?:hidden|collapse)", re.I)


def _html_document(html: str) -> Document:
    import trafilatura

    visible = _visible_html(html)
    meta = SourceMeta()
    if visible is None:  # too deep for lxml, so for trafilatura too
        text, title = _deep_html_text(html)
        meta.title = title
    else:
        text = trafilatura.extract(
            visible,
            include_comments=False,
            include_tables=False,
            favor_recall=True,
            with_metadata=False,
        )
        meta = _page_meta(visible)
        title = meta.title
    if not text:
        raise LoadError("HTML page has no readable article text (only scripts or markup)")
    if title and not text.startswith(title):
        text = f"{title}\n\n{text}"
    return Document(text, meta)


def _visible_html(html: str) -> str | None:
    """The page without its hidden elements (`hidden`, `aria-hidden="true"`, inline
    `display:none` / `visibility:hidden`, `<template>`, `<noscript>`), as HTML again; None
    when the page is nested deeper than libxml2 builds trees (HTML_MAX_DEPTH): the text below
    would be dropped without a word.

    Only what the markup itself says is seen: a class hidden by a style sheet is not.
    """
    from lxml import etree
    from lxml import html as lxml_html

    # Bytes, not str: lxml refuses a str that carries an XML encoding declaration.
    parser = lxml_html.HTMLParser(encoding="utf-8", huge_tree=True)
    try:
        root = lxml_html.document_fromstring(html.encode("utf-8"), parser=parser)
    except (etree.ParserError, ValueError) as exc:
        raise LoadError("HTML page has no readable article text (only scripts or markup)") from exc
    if any("depth" in error.message for error in parser.error_log):
        return None
    hidden = [e for e in root.iter(etree.Element) if _is_hidden(str(e.tag).lower(), e.attrib)]
    for element in hidden:
        element.drop_tree()  # keeps the text after the element (its tail): that is visible
    return lxml_html.tostring(root, encoding="unicode")


def _is_hidden(tag: str, attributes) -> bool:
    return (
        tag in _HIDDEN_TAGS
        or "hidden" in attributes
        or (attributes.get("aria-hidden") or "").strip().lower() == "true"
        or bool(_HIDDEN_STYLE.search(attributes.get("style") or ""))
    )


# The fallback reader of pages too deep for lxml keeps no text of these (besides hidden ones):
# code, the head, and the page furniture trafilatura would have removed.
_NOT_ARTICLE_TAGS = frozenset(
    {
        "script",
        "style",
        "head",
        "nav",
        "header",
        "footer",
        "aside",
        "form",
        "button",
        "svg",
        "iframe",
        "select",
        "textarea",
        "object",
    }
)
_VOID_TAGS = frozenset(
    {
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    }
)
_BLOCK_TAGS = frozenset(
    {
        "p",
        "div",
        "section",
        "article",
        "main",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "li",
        "ul",
        "ol",
        "blockquote",
        "pre",
        "table",
        "tr",
        "td",
        "th",
        "br",
        "hr",
        "dd",
        "dt",
        "figcaption",
    }
)


def _deep_html_text(html: str) -> tuple[str, str | None]:
    """(visible text, title) of a page too deep for lxml, read by the standard library's
    streaming parser, which keeps no tree (so no depth limit): one line per block element,
    hidden elements and page furniture left out. Plainer than trafilatura's extraction, but
    the words on the page are read rather than lost."""
    from collections import Counter
    from html.parser import HTMLParser

    class FlatText(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.open: list[tuple[str, bool]] = []  # (tag, its text is left out)
            self.open_count: Counter[str] = Counter()
            self.leaving_out = 0  # open elements whose text is left out
            self.parts: list[str] = []
            self.title: list[str] = []

        def handle_starttag(self, tag, attrs):
            if tag in _BLOCK_TAGS:
                self.parts.append("\n")
            if tag in _VOID_TAGS:
                return
            out = tag in _NOT_ARTICLE_TAGS or _is_hidden(tag, dict(attrs))
            self.open.append((tag, out))
            self.open_count[tag] += 1
            self.leaving_out += out

        def handle_endtag(self, tag):
            if tag in _BLOCK_TAGS:
                self.parts.append("\n")
            if not self.open_count[tag]:
                return  # a stray end tag: ignored, as browsers do
            while self.open:  # close what was left open inside it too
                name, out = self.open.pop()
                self.open_count[name] -= 1
                self.leaving_out -= out
                if name == tag:
                    break

        def handle_data(self, data):
            if self.open and self.open[-1][0] == "title":
                self.title.append(data)
            elif not self.leaving_out:
                self.parts.append(data)

    reader = FlatText()
    reader.feed(html)
    reader.close()
    lines = (" ".join(line.split()) for line in "".join(reader.parts).split("\n"))
    title = " ".join("".join(reader.title).split())
    return "\n".join(line for line in lines if line), title or None


_MAX_META_CHARS = 300  # a title or a name, not a paragraph
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _page_meta(html: str) -> SourceMeta:
    """What the page's head states: title, site name (og:site_name and the like), author
    (meta author, article:author, JSON-LD) and publication date (article:published_time ...),
    as trafilatura reads them. Only the visible page is given, so hidden text cannot pose as
    metadata; the date is the one the page states, never a guess from the text."""
    import trafilatura

    found = trafilatura.extract_metadata(html, extensive=False)
    if found is None:
        return SourceMeta()

    def clean(value) -> str | None:
        value = " ".join(str(value).split()) if value else ""
        return value[:_MAX_META_CHARS] or None

    date = clean(found.date)
    return SourceMeta(
        title=clean(found.title),
        outlet=clean(found.sitename),
        byline=clean(found.author),
        published=date if date and _ISO_DATE.match(date) else None,
    )
