"""DOCX: the paragraphs' text, after checking what the zip would unpack to."""

from __future__ import annotations

import io

from .base import LoadError, size_text

# A DOCX is a zip: a real article is a few dozen parts and a few MB unpacked (images included,
# which do not compress). A zip bomb declares gigabytes; python-docx would unpack it all.
MAX_DOCX_PARTS = 2_000
MAX_DOCX_UNPACKED_BYTES = 200_000_000


class DocxLoader:
    suffixes = (".docx",)

    def extract(self, data: bytes) -> str:
        return _docx_text(data)


def _docx_text(data: bytes) -> str:
    import zipfile

    import docx

    _check_docx_zip(data)
    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise LoadError(f"DOCX cannot be read ({type(exc).__name__}: {exc})") from exc
    except Exception as exc:  # python-docx raises its own PackageNotFoundError and lxml errors
        raise LoadError(f"DOCX cannot be read ({type(exc).__name__}: {exc})") from exc
    return "\n\n".join(p.text for p in document.paragraphs)


def _check_docx_zip(data: bytes) -> None:
    """Refuse a DOCX whose zip would unpack into too many parts or too many bytes, from its
    directory alone, before anything is unpacked. The sizes it declares bind: Python's zipfile
    stops a member at its declared size (and fails its CRC), so a lying entry cannot expand
    further when python-docx reads it."""
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise LoadError(f"DOCX cannot be read ({type(exc).__name__}: {exc})") from exc
    if len(members) > MAX_DOCX_PARTS:
        raise LoadError(
            f"DOCX has {len(members):,} parts (limit {MAX_DOCX_PARTS:,}); refused unread "
            "(a zip bomb?)"
        )
    unpacked = sum(member.file_size for member in members)
    if unpacked > MAX_DOCX_UNPACKED_BYTES:
        raise LoadError(
            f"DOCX would unpack to {size_text(unpacked)} from {size_text(len(data))} "
            f"(limit {size_text(MAX_DOCX_UNPACKED_BYTES)}); refused unread (a zip bomb?)"
        )
