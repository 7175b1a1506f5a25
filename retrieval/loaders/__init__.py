"""Turn a file on disk into plain article text, or a one-line reason why not.

Document loaders are a plug-in point: a `Loader` (base.py) names the suffixes it reads and
turns a file's bytes into text; `load_text` picks one by the file's suffix from the registry
below, and `iter_input_files` takes only the files some loader reads. Adding a format is one
module with a loader class, imported and passed to `register(...)` below.

Everything here treats the file as hostile: sizes are checked before reading (and the read is
bounded, since a file may grow or misreport its size), a DOCX is checked for what it would
expand to before it is unpacked, special files are never opened for reading, links are
followed only by the rule in `iter_input_files`, and text hidden in HTML is dropped.
"""

from __future__ import annotations

from pathlib import Path

from .base import (
    LOADERS,
    MAX_FILE_BYTES,
    MAX_TEXT_CHARS,
    Document,
    Loader,
    LoadError,
    count_text,
    register,
    size_text,
    supported_suffixes,
)
from .docx import MAX_DOCX_PARTS, MAX_DOCX_UNPACKED_BYTES, DocxLoader
from .html import HTML_MAX_DEPTH, HtmlLoader
from .inputs import iter_input_files, read_limited
from .markdown import MarkdownLoader
from .pdf import PdfLoader
from .text import TextLoader, decode_text

__all__ = [
    "HTML_MAX_DEPTH",
    "Document",
    "LOADERS",
    "MAX_DOCX_PARTS",
    "MAX_DOCX_UNPACKED_BYTES",
    "MAX_FILE_BYTES",
    "MAX_TEXT_CHARS",
    "LoadError",
    "Loader",
    "count_text",
    "decode_text",
    "iter_input_files",
    "load_document",
    "load_text",
    "read_limited",
    "register",
    "size_text",
    "supported_suffixes",
]

# The order here is the order file dialogs and the CLI help list the suffixes in.
register(TextLoader())  # .txt
register(MarkdownLoader())  # .md .markdown
register(HtmlLoader())  # .html .htm
register(PdfLoader())  # .pdf
register(DocxLoader())  # .docx


def load_text(path: Path, data: bytes | None = None) -> str:
    """Extracted text of a supported file (its bytes, if already read); raises LoadError."""
    return load_document(path, data).text


def load_document(path: Path, data: bytes | None = None) -> Document:
    """Text and document metadata of a supported file (its bytes, if already read); raises
    LoadError."""
    suffix = path.suffix.lower()
    loader = LOADERS.get(suffix)
    if loader is None:  # the same reason `iter_input_files` gives, before anything is read
        raise LoadError(f"unsupported file type '{suffix or '(none)'}'")
    if data is None:
        data, _ = read_limited(path)
    if not data:
        raise LoadError("file is empty")
    if len(data) > MAX_FILE_BYTES:
        raise LoadError(
            f"file is too large ({size_text(len(data))}; limit {size_text(MAX_FILE_BYTES)})"
        )
    loaded = loader.extract(data)
    document = loaded if isinstance(loaded, Document) else Document(loaded)
    text = _normalise(document.text)
    if len(text) > MAX_TEXT_CHARS:
        raise LoadError(
            f"text is too large ({count_text(len(text))} characters; "
            f"limit {count_text(MAX_TEXT_CHARS)} characters)"
        )
    if not text.strip():
        raise LoadError("no text found in file")
    return Document(text, document.meta)


def _normalise(text: str) -> str:
    # One newline convention so character offsets are stable across platforms.
    return text.replace("\r\n", "\n").replace("\r", "\n")
