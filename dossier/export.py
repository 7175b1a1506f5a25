"""Write a briefing as Markdown, HTML, PDF or DOCX; the file extension picks the format.

All formats render one layout (`layout.document`): the same sections, the same numbered notes
quoting the passage behind every claim. Source text is escaped in every format that could
otherwise run or render it as markup.

Export formats are a plug-in point: an `Exporter` names its suffix and renders the layout to
bytes; `export_briefing` picks one by the file's suffix from the registry below. Adding a
format is one module in `dossier/exporters/` with an exporter class, imported and passed to
`register(...)` below. An exporter whose format has pages (PDF) also counts them
(`count_pages(data)`), and `write_briefing` reports the count.

Files are written atomically (a temporary file renamed over the target) with the permissions any
program of the user gets: 0o666 less the umask, or the mode of the file being replaced.
"""

from __future__ import annotations

import os
import stat
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from retrieval.atomic import atomic_write_bytes

from .exporters.docx import DocxExporter, to_docx_bytes
from .exporters.html import HtmlExporter, to_html
from .exporters.markdown import MarkdownExporter, md_escape, to_markdown
from .exporters.pdf import PdfExporter, to_pdf_bytes
from .layout import Document, document
from .schema import Briefing

__all__ = [
    "EXPORTERS",
    "FORMATS",
    "ExportResult",
    "Exporter",
    "export_briefing",
    "md_escape",
    "register",
    "to_docx_bytes",
    "to_html",
    "to_markdown",
    "to_pdf_bytes",
    "write_briefing",
]


class Exporter(Protocol):
    """Renders the briefing's layout as the bytes of one file format."""

    suffix: str  # the file name ending it writes, lower case with the dot (".md")

    def render(self, doc: Document) -> bytes: ...

    # Optional: `count_pages(data: bytes) -> int | None`, for formats that have pages.


@dataclass(frozen=True)
class ExportResult:
    """What `write_briefing` wrote."""

    path: Path
    format: str  # the exporter's suffix, ".pdf"
    size: int  # bytes
    pages: int | None  # the page count, for formats with pages (PDF); None otherwise

    def to_json(self) -> dict:
        return {"path": str(self.path), "format": self.format, "bytes": self.size,
                "pages": self.pages}  # fmt: skip


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
    return write_briefing(briefing, path).path


def write_briefing(briefing: Briefing, path: str | os.PathLike) -> ExportResult:
    """Write `briefing` to `path` in the format its extension names; returns what was written,
    with the page count of a paged format."""
    path = Path(path)
    exporter = EXPORTERS.get(path.suffix.lower())
    if exporter is None:
        raise ValueError(
            f"Cannot export to {path.name!r}: use one of {', '.join(EXPORTERS)} as the extension."
        )
    data = exporter.render(document(briefing))
    count_pages = getattr(exporter, "count_pages", None)
    pages = count_pages(data) if count_pages is not None else None
    write_user_file(path, data)
    return ExportResult(path=path, format=exporter.suffix, size=len(data), pages=pages)


def write_user_file(path: Path, data: bytes) -> None:
    """Write `data` to `path` atomically, with the permissions the user's files normally get
    (a replaced file keeps its own mode), not the 0600 of a temporary file."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        mode = 0o666 & ~current_umask()
    atomic_write_bytes(path, data, mode=mode)


def current_umask() -> int:
    """The process's umask, read without changing it where the system allows (Linux)."""
    if sys.platform.startswith("linux"):
        try:
            with open("/proc/self/status", encoding="ascii") as status:
                for line in status:
                    if line.startswith("Umask:"):
                        return int(line.split()[1], 8)
        except (OSError, ValueError, IndexError):
            pass
    mask = os.umask(0o022)  # the only portable way to read it is to set it, then restore it
    os.umask(mask)
    return mask
