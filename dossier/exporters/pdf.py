"""PDF, written by Qt's own PDF writer (no browser) from the HTML layout."""

from __future__ import annotations

import os
import sys

from ..layout import Document
from .html import to_html


class PdfExporter:
    suffix = ".pdf"

    def render(self, doc: Document) -> bytes:
        return to_pdf_bytes(doc)

    def count_pages(self, data: bytes) -> int:
        return pdf_page_count(data)


def pdf_page_count(data: bytes) -> int:
    """The number of pages of a PDF."""
    import io

    import pypdf

    return len(pypdf.PdfReader(io.BytesIO(data)).pages)


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
