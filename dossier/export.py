"""Write a briefing as Markdown, HTML, PDF or DOCX; the file extension picks the format.

All formats render one layout (`layout.document`): the same sections, the same numbered notes
quoting the passage behind every claim. Source text is escaped in every format that could
otherwise run or render it as markup.

Export formats are a plug-in point: an `Exporter` names its suffix and renders the layout to
bytes; `export_briefing` picks one by the file's suffix from the registry below. Adding a
format is one module in `dossier/exporters/` with an exporter class, imported and passed to
`register(...)` below.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol

from retrieval.store import atomic_write_bytes

from .exporters.docx import DocxExporter, to_docx_bytes
from .exporters.html import HtmlExporter, to_html
from .exporters.markdown import MarkdownExporter, md_escape, to_markdown
from .exporters.pdf import PdfExporter, to_pdf_bytes
from .layout import Document, document
from .schema import Briefing

__all__ = [
    "EXPORTERS",
    "FORMATS",
    "Exporter",
    "export_briefing",
    "md_escape",
    "register",
    "to_docx_bytes",
    "to_html",
    "to_markdown",
    "to_pdf_bytes",
]


class Exporter(Protocol):
    """Renders the briefing's layout as the bytes of one file format."""

    suffix: str  # the file name ending it writes, lower case with the dot (".md")

    def render(self, doc: Document) -> bytes: ...


# Suffix -> exporter, in registration order: the order save dialogs offer them in (the first
# is the default).
EXPORTERS: dict[str, Exporter] = {}


def register(exporter: Exporter) -> None:
    """Make `exporter` write the files ending in its suffix (replacing any earlier one)."""
    suffix = exporter.suffix
    if not suffix.startswith(".") or suffix != suffix.lower():
        # Lookups lower-case the file's suffix, so ".PDF" or "pdf" would never match.
        raise ValueError(f"an exporter suffix is lower case with its dot, not {suffix!r}")
    EXPORTERS[suffix] = exporter


register(MarkdownExporter())  # .md
register(HtmlExporter())  # .html
register(PdfExporter())  # .pdf (imports Qt when called, not before)
register(DocxExporter())  # .docx

# The formats registered above, for save dialogs and the CLI's messages.
FORMATS = tuple(EXPORTERS)


def export_briefing(briefing: Briefing, path: str | os.PathLike) -> Path:
    """Write `briefing` to `path` in the format its extension names; returns the path."""
    path = Path(path)
    exporter = EXPORTERS.get(path.suffix.lower())
    if exporter is None:
        raise ValueError(
            f"Cannot export to {path.name!r}: use one of {', '.join(EXPORTERS)} as the extension."
        )
    atomic_write_bytes(path, exporter.render(document(briefing)))
    return path
