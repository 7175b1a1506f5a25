"""PDF: the text layer of every page (a scanned PDF has none, and is refused as such)."""

from __future__ import annotations

import io

from .base import LoadError


class PdfLoader:
    suffixes = (".pdf",)

    def extract(self, data: bytes) -> str:
        return _pdf_text(data)


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise LoadError(f"PDF cannot be read ({type(exc).__name__}: {exc})") from exc
    text = "\n\n".join(p.strip() for p in pages if p.strip())
    if not text:
        raise LoadError("PDF has no text layer (scanned image?)")
    return text
