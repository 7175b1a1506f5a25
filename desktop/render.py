"""Answers as rich text for the chat transcript. Every piece of text is escaped.

Source text and model output are data: `html.escape` runs on everything that goes into the
markup, so a `<script>` or `<b>` in an article or an answer shows as those characters.
Links use private schemes the chat view handles itself: `cite:<turn>:<n>[:<sentence>]` opens
a cited passage (and the sentence's evidence in it), `passage:<turn>:<n>` one of the nearest
passages of a refusal, `reading:<turn>:<n>` one of the passages shown while the model writes,
`pin:<turn>` pins that answer to the notes.
"""

from __future__ import annotations

import re
from datetime import datetime
from html import escape

UNSUPPORTED_TIP = "Not supported by the cited sources"
READING_HEADING = "Reading these passages…"
READING_SHOWN = 3  # the best this many passages are shown while the model writes
READING_SENTENCES = 2
READING_CHARS = 280
# The end of a sentence: a full stop (quote or bracket after it) before a capital or a digit.
_SENTENCE_END = re.compile(r"[.!?][\"'”’)]?(?=\s+[\"'“‘(]?[A-Z0-9])")


def question_html(text: str) -> str:
    return f'<p style="margin-top:14px; margin-bottom:4px;"><b>You:</b> {escape(text)}</p>'


def streaming_html() -> str:
    """The header the streamed text is appended after (as plain text, by the view)."""
    return '<p style="margin-top:0px;"><b>Dossier:</b> </p>'


def reading_html(
    passages,
    turn: int,
    titles: dict[str, str] | None = None,
    outlets: dict[str, str] | None = None,
) -> str:
    """The best passages found, shown under the question while the model writes: source,
    the passage's first sentences, and a link that opens the source at the passage."""
    titles, outlets = titles or {}, outlets or {}
    items = []
    for p in passages[:READING_SHOWN]:
        title = titles.get(p.source_id, p.source_id)
        outlet = outlets.get(p.source_id, "")
        source = f"{escape(title)}" + (f" <i>({escape(outlet)})</i>" if outlet else "")
        items.append(
            f'<li style="font-size:small;"><a href="reading:{turn}:{p.n}">[{p.n}] {source}</a>'
            f"<br>{escape(shorten(p.text))}</li>"
        )
    return (
        f'<p style="margin-bottom:2px; color:#444;"><i>{READING_HEADING}</i></p>'
        f'<ul style="margin-top:0px;">{"".join(items)}</ul>'
    )


def shorten(text: str, sentences: int = READING_SENTENCES, chars: int = READING_CHARS) -> str:
    """The first `sentences` sentences of `text` on one line, cut at a word within `chars`."""
    flat = " ".join(text.split())
    ends = [m.end() for m in _SENTENCE_END.finditer(flat)]
    short = flat[: ends[sentences - 1]] if len(ends) >= sentences else flat
    if len(short) > chars:
        short = short[:chars].rsplit(" ", 1)[0].rstrip(",;:") + "…"
    elif len(short) < len(flat):
        short += " …"
    return short


def answer_html(answer, turn: int, titles: dict[str, str] | None = None) -> str:
    """The checked answer: clickable [n] markers, unsupported sentences marked, sources listed."""
    titles = titles or {}
    if answer.cancelled:
        body = escape(answer.answer or "")
        return f'<p><b>Dossier:</b> {body} <span style="color:#a15c00;">(stopped)</span></p>'
    if answer.refused:
        return refusal_html(answer, turn, titles)
    parts = []
    for i, s in enumerate(answer.sentences):
        body, end = (s.text[:-1], s.text[-1]) if s.text[-1:] in ".!?" else (s.text, "")
        marks = "".join(
            f'<a href="cite:{turn}:{n}:{i}" style="text-decoration:none;"><sup>[{n}]</sup></a>'
            for n in s.citations
        )
        sentence = f"{escape(body)}{marks}{escape(end)}"
        if not s.supported:
            sentence = (
                f'<span style="background-color:#fde2e1; color:#7a1c1c;" title="{UNSUPPORTED_TIP}">'
                f"⚠ {sentence}</span>"
            )
        parts.append(sentence)
    html = [f"<p><b>Dossier:</b> {' '.join(parts)}</p>"]
    if any(not s.supported for s in answer.sentences):
        html.append(
            '<p style="color:#7a1c1c; font-size:small;">⚠ marks sentences the sources '
            "do not support.</p>"
        )
    if answer.citations:
        html.append('<p style="font-size:small; color:#444;">Sources: ')
        items = []
        for c in answer.citations:
            title = titles.get(c.source_id, c.source_id)
            items.append(f'<a href="cite:{turn}:{c.n}">[{c.n}]</a> {escape(title)}')
        html.append(" · ".join(items) + "</p>")
    if any(s.supported for s in answer.sentences):
        html.append(pin_html(turn))
    return "".join(html)


PIN_LABEL = "Pin to notes"


def pin_html(turn: int) -> str:
    """The link that pins the answer of `turn` (its supported sentences) to the notes."""
    return (
        f'<p style="font-size:small; margin-top:0px;"><a href="pin:{turn}" '
        f'style="text-decoration:none;">{PIN_LABEL}</a></p>'
    )


def refusal_html(answer, turn: int, titles: dict[str, str]) -> str:
    html = [f'<p><b>Dossier:</b> <span style="color:#7a4b00;">{escape(answer.answer)}</span></p>']
    if answer.passages:
        html.append('<p style="font-size:small; color:#444;">Nearest passages:</p><ul>')
        for p in answer.passages:
            snippet = " ".join(p.text.split())
            snippet = snippet[:220] + ("…" if len(snippet) > 220 else "")
            title = titles.get(p.source_id, p.source_id)
            html.append(
                f'<li style="font-size:small;"><a href="passage:{turn}:{p.n}">'
                f"{escape(title)}</a>: {escape(snippet)}</li>"
            )
        html.append("</ul>")
    return "".join(html)


def answer_plain(answer, titles: dict[str, str] | None = None) -> str:
    """The answer for the clipboard: text with [n] markers, then the cited passages."""
    titles = titles or {}
    lines = [answer.answer]
    for c in answer.citations:
        snippet = " ".join(c.text.split())
        lines.append(f"[{c.n}] {titles.get(c.source_id, c.source_id)}: {snippet}")
    return "\n".join(lines)


def local_time(stamp: str) -> str:
    """A saved ISO 8601 time in the local time zone, to the minute."""
    try:
        return datetime.fromisoformat(stamp).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return stamp
