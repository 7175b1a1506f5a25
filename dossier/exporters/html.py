"""HTML: one self-contained page (inline style, nothing loaded or run)."""

from __future__ import annotations

import html

from ..layout import Document, Para, is_quoted


class HtmlExporter:
    suffix = ".html"

    def render(self, doc: Document) -> bytes:
        return to_html(doc).encode("utf-8")


_CSS = """
body { font-family: Georgia, 'Times New Roman', serif; max-width: 46em; margin: 2em auto;
       padding: 0 1em; line-height: 1.45; color: #1d1d1d; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { margin-top: 1.6em; border-bottom: 1px solid #ccc; }
h3 { margin-bottom: 0.3em; } .subtitle { color: #666; } .small { color: #555; font-size: 0.9em; }
blockquote { margin: 0.4em 0 0.4em 1em; padding-left: 0.8em; border-left: 3px solid #bbb; }
sup a { text-decoration: none; } ol.notes { font-size: 0.9em; color: #333; }
"""


def to_html(doc: Document, *, for_qt: bool = False) -> str:
    """Self-contained HTML; everything from a source or the model is escaped."""
    e = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        # Nothing in the page may load or run: no scripts, no remote content.
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'\">",
        f"<title>{e(doc.title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{e(doc.title)}</h1>",
        f'<p class="subtitle">{e(doc.subtitle)}</p>',
    ]
    for section in doc.sections:
        level = min(section.level + 1, 4)
        parts.append(f"<h{level}>{e(section.heading)}</h{level}>")
        bullets_open = False
        for para in section.paras:
            if para.style == "bullet" and not bullets_open:
                parts.append("<ul>")
                bullets_open = True
            elif para.style != "bullet" and bullets_open:
                parts.append("</ul>")
                bullets_open = False
            parts.append(_html_para(para))
        if bullets_open:
            parts.append("</ul>")
    parts.append("<h2>References</h2>")
    parts.append('<ol class="notes">')
    for note in doc.notes:
        # <q> adds the quotation marks; a passage that has its own gets no second pair.
        text = e(note.text) if is_quoted(note.text) else f"<q>{e(note.text)}</q>"
        parts.append(f'<li id="note-{note.n}" value="{note.n}">{e(note.label)}: {text}</li>')
    parts.append("</ol></body></html>")
    text = "\n".join(parts)
    if for_qt:
        # Qt's rich-text engine knows neither <q> nor CSP; keep the words, drop the rest.
        text = text.replace("<q>", "“").replace("</q>", "”")
    return text


def _html_para(para: Para) -> str:
    e = html.escape
    body = e(para.text)
    if para.strong:
        body = f"<strong>{body}</strong>"
    links = ",".join(f'<a href="#note-{n}">{n}</a>' for n in para.notes)
    refs = f"<sup>{links}</sup>" if links else ""
    if para.style == "bullet":
        return f"<li>{body}{refs}</li>"
    if para.style == "quote":
        return f"<blockquote>{body}{refs}</blockquote>"
    if para.style == "mono":
        return f'<p class="small"><code>{body}</code></p>'
    css = ' class="small"' if para.style == "small" else ""
    return f"<p{css}>{body}{refs}</p>"
