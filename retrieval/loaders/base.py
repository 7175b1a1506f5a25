"""What every loader module shares: the error, the limits, the `Loader` protocol and its registry.

Kept apart from the package's `__init__` so the format modules and `inputs` can import it
without importing the package that imports them (no import cycle).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from ..schema import SourceMeta

# Decimal units throughout, so the limits and the messages agree ("50 MB" is 50,000,000 bytes).
MAX_FILE_BYTES = 50_000_000  # raw file; PDFs and DOCX carry images
MAX_TEXT_CHARS = 20_000_000  # extracted text: "huge" per the product's limits


class LoadError(Exception):
    """A file cannot be ingested; the message is the reason shown to the user."""


@dataclass
class Document:
    """A loaded file: its article text and what the document itself states about it (an HTML
    page's meta tags, Markdown front matter). The text's own clues are read later, by
    `retrieval.metadata.extract_metadata`, and fill only what the document leaves open."""

    text: str
    meta: SourceMeta = field(default_factory=SourceMeta)


class Loader(Protocol):
    """Turns the bytes of one kind of file into article text.

    `extract` gets the whole file (already read within MAX_FILE_BYTES, never empty) and
    returns its text — or a `Document`, when the format states metadata of its own — or
    raises LoadError with the reason shown to the user. Newlines, the text-size limit and
    "no text found" are handled once by `load_document`, not here.
    """

    suffixes: tuple[str, ...]  # the file name endings it reads, lower case with the dot

    def extract(self, data: bytes) -> str | Document: ...


# Suffix -> loader, in registration order: the order file dialogs and help text list them.
LOADERS: dict[str, Loader] = {}


def register(loader: Loader) -> None:
    """Make `loader` read the files ending in its suffixes (replacing any earlier one)."""
    for suffix in loader.suffixes:
        if not suffix.startswith(".") or suffix != suffix.lower():
            # Lookups lower-case the file's suffix, so ".PDF" or "pdf" would never match.
            raise ValueError(f"a loader suffix is lower case with its dot, not {suffix!r}")
        LOADERS[suffix] = loader


def supported_suffixes() -> tuple[str, ...]:
    """The file name endings ingest reads, in registration order (".txt", ".md", ...)."""
    return tuple(LOADERS)


def size_text(n: int) -> str:
    """A byte count for people: '50 MB', '2.1 GB', '717 kB' (decimal units)."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{n} bytes"


def count_text(n: int) -> str:
    """A character count for people: '20 M', '21.5 M', '950 k'."""
    for unit, scale in (("M", 1e6), ("k", 1e3)):
        if n >= scale:
            return f"{n / scale:.1f}".removesuffix(".0") + f" {unit}"
    return str(n)
