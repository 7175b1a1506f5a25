"""Write a briefing as Markdown, HTML, PDF or DOCX; the file extension picks the format.

All four render one layout (`layout.document`): the same sections, the same numbered notes
quoting the passage behind every claim. Source text is escaped in every format that could
otherwise run or render it as markup.
"""

from __future__ import annotations

import html
import os
import re
import sys
from pathlib import Path

from retrieval.store import atomic_write_bytes

from .layout import Document, Para, document
from .schema import Briefing

FORMATS = (".md", ".html", ".pdf", ".docx")


def export_briefing(briefing: Briefing, path: str | os.PathLike) -> Path:
    """Write `briefing` to `path` in the format its extension names; returns the path."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(
            f"Cannot export to {path.name!r}: use one of {', '.join(FORMATS)} as the extension."
        )
    doc = document(briefing)
    if suffix == ".md":
        atomic_write_bytes(path, to_markdown(doc).encode("utf-8"))
    elif suffix == ".html":
        atomic_write_bytes(path, to_html(doc).encode("utf-8"))
    elif suffix == ".pdf":
        atomic_write_bytes(path, to_pdf_bytes(doc))
    else:
        atomic_write_bytes(path, to_docx_bytes(doc))
    return path


# -- Markdown ---------------------------------------------------------------------------------
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|])")


def md_escape(text: str) -> str:
    """Backslash-escape what Markdown would read as markup (raw HTML included)."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def to_markdown(doc: Document) -> str:
    out = [f"# {md_escape(doc.title)}", "", f"_{md_escape(doc.subtitle)}_", ""]
    for section in doc.sections:
        out += [f"{'#' * (section.level + 1)} {md_escape(section.heading)}", ""]
        previous = None
        for para in section.paras:
            if previous == "bullet" and para.style != "bullet":
                out.append("")  # a list ends with a blank line, or the next line joins it
            out.append(_md_para(para))
            previous = para.style
        out.append("")
    out += ["## Notes", ""]
    for note in doc.notes:
        out.append(f"[^{note.n}]: {md_escape(note.label)}: “{md_escape(note.text)}”")
    return "\n".join(out).rstrip() + "\n"


def _md_para(para: Para) -> str:
    text = md_escape(para.text)
    if para.strong:
        text = f"**{text}**"
    refs = "".join(f"[^{n}]" for n in para.notes)
    if para.style == "mono":
        return f"`{' '.join(para.text.split())}`\n"
    prefix = "- " if para.style == "bullet" else "> " if para.style == "quote" else ""
    line = f"{prefix}{text}{refs}"
    return line if para.style == "bullet" else line + "\n"


# -- HTML -------------------------------------------------------------------------------------
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
    parts.append("<h2>Notes</h2>")
    parts.append('<ol class="notes">')
    for note in doc.notes:
        parts.append(
            f'<li id="note-{note.n}" value="{note.n}">{e(note.label)}: <q>{e(note.text)}</q></li>'
        )
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


# -- PDF (Qt's own PDF writer, no browser) ----------------------------------------------------
def to_pdf_bytes(doc: Document) -> bytes:
    """Render the HTML layout with QTextDocument onto a QPdfWriter (A4, 20 mm margins)."""
    # Qt is imported here only: the core stays importable without it, and only a PDF needs it.
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMarginsF
    from PySide6.QtGui import (
        QFont,
        QGuiApplication,
        QPageLayout,
        QPageSize,
        QPdfWriter,
        QTextDocument,
    )

    if QGuiApplication.instance() is None:
        _ensure_platform()
        _keep.append(QGuiApplication(sys.argv[:1] or ["dossier"]))
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buffer)
    writer.setTitle(doc.title)
    writer.setCreator("Dossier")
    writer.setPageLayout(
        QPageLayout(
            QPageSize(QPageSize.PageSizeId.A4),
            QPageLayout.Orientation.Portrait,
            QMarginsF(20, 20, 20, 20),
            QPageLayout.Unit.Millimeter,
        )
    )
    writer.setResolution(300)
    text = QTextDocument()
    font = QFont(text.defaultFont())
    # Ligatures turn "ff" into one glyph, and then "Differences" or a sha256 cannot be
    # searched for or copied out of the PDF.
    for tag in ("liga", "clig", "dlig"):
        font.setFeature(QFont.Tag(tag), 0)
    text.setDefaultFont(font)
    text.setHtml(to_html(doc, for_qt=True))
    text.print_(writer)
    del writer  # finishes the PDF into the buffer
    buffer.close()
    return bytes(data.data())


_keep: list = []  # the QGuiApplication made for CLI exports lives as long as the process


def _ensure_platform() -> None:
    """Headless machines (no display) render with Qt's offscreen platform."""
    headless = sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    )
    if headless:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


# -- DOCX -------------------------------------------------------------------------------------
def to_docx_bytes(doc: Document) -> bytes:
    import io

    from docx import Document as DocxDocument
    from docx.shared import Pt

    out = DocxDocument()
    out.core_properties.title = doc.title
    out.add_heading(doc.title, level=0)
    out.add_paragraph(doc.subtitle).italic = True
    for section in doc.sections:
        out.add_heading(section.heading, level=min(section.level, 3))
        for para in section.paras:
            style = {"bullet": "List Bullet", "quote": "Quote"}.get(para.style)
            p = out.add_paragraph(style=style) if style else out.add_paragraph()
            run = p.add_run(_xml_safe(para.text))
            run.bold = para.strong
            if para.style in ("small", "mono"):
                run.font.size = Pt(9)
            if para.style == "mono":
                run.font.name = "Courier New"
            if para.notes:
                ref = p.add_run(",".join(str(n) for n in para.notes))
                ref.font.superscript = True
    out.add_heading("Notes", level=1)
    for note in doc.notes:
        p = out.add_paragraph()
        p.add_run(f"{note.n}. ").bold = True
        p.add_run(_xml_safe(f"{note.label}: “{note.text}”")).font.size = Pt(9)
    buffer = io.BytesIO()
    out.save(buffer)
    return buffer.getvalue()


_XML_BAD = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _xml_safe(text: str) -> str:
    """Control characters are not allowed in DOCX XML; a source may contain them."""
    return _XML_BAD.sub(" ", text)
