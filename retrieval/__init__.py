"""Documents -> metadata -> chunks with offsets -> embeddings -> FAISS + BM25 on disk -> search."""

from .library import IngestProgress, Library
from .schema import Chunk, FileError, Hit, IngestReport, Source, SourceMeta

__all__ = [
    "Chunk",
    "FileError",
    "Hit",
    "IngestProgress",
    "IngestReport",
    "Library",
    "Source",
    "SourceMeta",
]
