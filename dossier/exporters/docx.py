"""DOCX, written by python-docx."""

from __future__ import annotations

import re

from ..layout import Document, quoted


class DocxExporter:
    suffix = ".docx"

    def render(self, doc: Document) -> bytes:
        return to_docx_bytes(doc)


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
    out.add_heading("References", level=1)
    for note in doc.notes:
        p = out.add_paragraph()
        p.add_run(f"{note.n}. ").bold = True
        p.add_run(_xml_safe(f"{note.label}: {quoted(note.text)}")).font.size = Pt(9)
    buffer = io.BytesIO()
    out.save(buffer)
    return buffer.getvalue()


_XML_BAD = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _xml_safe(text: str) -> str:
    """Control characters are not allowed in DOCX XML; a source may contain them."""
    return _XML_BAD.sub(" ", text)
