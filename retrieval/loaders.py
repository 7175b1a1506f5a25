"""Turn a file on disk into plain article text, or a one-line reason why not."""

from __future__ import annotations

import io
from pathlib import Path

SUPPORTED_SUFFIXES = {".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx"}
MAX_FILE_BYTES = 50 * 1024 * 1024  # raw file; PDFs and DOCX carry images
MAX_TEXT_CHARS = 20 * 1024 * 1024  # extracted text: "huge" per the product's limits


class LoadError(Exception):
    """A file cannot be ingested; the message is the reason shown to the user."""


def iter_input_files(paths: list[Path]) -> tuple[list[Path], list[tuple[Path, str]]]:
    """Expand folders recursively; return supported files and (path, reason) for the rest."""
    files: list[Path] = []
    skipped: list[tuple[Path, str]] = []
    for path in paths:
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                if child.name.startswith("."):
                    continue
                if child.suffix.lower() in SUPPORTED_SUFFIXES:
                    files.append(child)
        elif path.is_file():
            if path.suffix.lower() in SUPPORTED_SUFFIXES:
                files.append(path)
            else:
                skipped.append((path, f"unsupported file type '{path.suffix or '(none)'}'"))
        else:
            skipped.append((path, "no such file or folder"))
    return files, skipped


def load_text(path: Path, data: bytes | None = None) -> str:
    """Extracted text of a supported file (its bytes, if already read); raises LoadError."""
    size = len(data) if data is not None else path.stat().st_size
    if size == 0:
        raise LoadError("file is empty")
    if size > MAX_FILE_BYTES:
        raise LoadError(
            f"file is too large ({size / 1e6:.0f} MB; limit {MAX_FILE_BYTES / 1e6:.0f} MB)"
        )
    if data is None:
        data = path.read_bytes()
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        text = _pdf_text(data)
    elif suffix == ".docx":
        text = _docx_text(data)
    else:
        raw = _decode(data)
        text = _html_text(raw) if suffix in {".html", ".htm"} else raw
    text = _normalise(text)
    if len(text) > MAX_TEXT_CHARS:
        raise LoadError(f"text is too large ({len(text) / 1e6:.0f} M characters; limit 20 M)")
    if not text.strip():
        raise LoadError("no text found in file")
    return text


def _decode(data: bytes) -> str:
    if b"\x00" in data[:8192]:
        raise LoadError("binary file, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    # Not UTF-8: accept only a confident guess of another encoding, else say so.
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None or best.encoding is None or best.chaos > 0.2:
        raise LoadError("text is not UTF-8 and its encoding could not be recognised")
    return str(best)


def _html_text(html: str) -> str:
    import trafilatura

    text = trafilatura.extract(
        html, include_comments=False, include_tables=False, favor_recall=True, with_metadata=False
    )
    title = _html_title(html)
    if not text:
        raise LoadError("HTML page has no readable article text (only scripts or markup)")
    if title and not text.startswith(title):
        text = f"{title}\n\n{text}"
    return text


def _html_title(html: str) -> str | None:
    import trafilatura

    meta = trafilatura.extract_metadata(html)
    return meta.title.strip() if meta is not None and meta.title else None


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


def _docx_text(data: bytes) -> str:
    import zipfile

    import docx

    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise LoadError(f"DOCX cannot be read ({type(exc).__name__}: {exc})") from exc
    except Exception as exc:  # python-docx raises its own PackageNotFoundError and lxml errors
        raise LoadError(f"DOCX cannot be read ({type(exc).__name__}: {exc})") from exc
    return "\n\n".join(p.text for p in document.paragraphs)


def _normalise(text: str) -> str:
    # One newline convention so character offsets are stable across platforms.
    return text.replace("\r\n", "\n").replace("\r", "\n")
