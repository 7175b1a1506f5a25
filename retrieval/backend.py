"""What the application calls on a library, and the registry that opens one from a location.

Two backends implement it: the embedded library folder (`retrieval.library.Library`: SQLite,
FAISS, BM25) and a PostgreSQL database (`retrieval.postgres.library.PgLibrary`: pgvector,
full-text search), chosen by the location: a folder, or a library URL such as
`postgresql://user@host:port/db`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from models.embedder import Embedder

from .library import IngestProgressFn
from .schema import Chunk, Hit, IngestReport, Source


@runtime_checkable
class LibraryStore(Protocol):
    """The store calls the application makes (first-run seeding, the briefing's manifest)."""

    read_only: bool

    def get_flag(self, key: str) -> bool: ...
    def set_flag(self, key: str) -> None: ...
    def read_manifest(self) -> dict: ...


@runtime_checkable
class LibraryBackend(Protocol):
    """A library: sources, their chunks, hybrid search, ingest and removal."""

    embedder: Embedder
    # Embeds sentences (passage selection, citation checks): `embedder`, or a cache in front of
    # it that the construction point sets (`dossier.runtime`); chunks never go through it.
    sentence_embedder: Embedder
    folder: Path  # a local folder for what stays on this machine (summary cache)
    store: LibraryStore
    on_lock_wait: Callable[[str], None] | None
    # What the user should know about this library since it opened (an index built with other
    # parameters and left as it was, say): front ends show them.
    notices: list[str]

    def sources(self) -> list[Source]: ...
    def is_empty(self) -> bool: ...
    def source_text(self, source_id: str) -> str | None: ...
    def chunks_of(self, source_id: str) -> list[Chunk]: ...
    def search(self, query: str, k: int = 8, *, candidates: int = 50) -> list[Hit]: ...
    def search_with_vector(
        self, query: str, query_vector: np.ndarray, k: int = 8, *, candidates: int = 50
    ) -> list[Hit]: ...
    def ingest(
        self,
        paths: list[Path],
        *,
        progress: IngestProgressFn | None = None,
        cancel: threading.Event | None = None,
    ) -> IngestReport: ...
    def remove(self, source_id: str) -> bool: ...
    def close(self) -> None: ...


def _open_postgres(url: str, embedder: Embedder, folder: Path) -> LibraryBackend:
    from .postgres.library import PgLibrary  # psycopg only for those who use a server

    return PgLibrary(url, embedder=embedder, folder=folder)


# URL scheme -> opener(url, embedder, local folder); anything else is a library folder.
OPENERS: dict[str, Callable[[str, Embedder, Path], LibraryBackend]] = {
    "postgresql": _open_postgres,
    "postgres": _open_postgres,
}


def is_library_url(location: str | Path | None) -> bool:
    return (
        isinstance(location, str) and location.split("://", 1)[0] in OPENERS and ("://" in location)
    )


def open_library_at(
    location: str | Path, *, embedder: Embedder, local_folder: Path | None = None
) -> LibraryBackend:
    """The library at a folder or a library URL. `local_folder` keeps a URL library's local
    caches (by default the folder itself for an embedded library)."""
    if is_library_url(location):
        scheme = str(location).split("://", 1)[0]
        if local_folder is None:
            raise ValueError("a library URL needs a local folder for its caches")
        return OPENERS[scheme](str(location), embedder, Path(local_folder))
    from .library import Library

    return Library(Path(location), embedder=embedder)
