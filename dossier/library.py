"""Opening the user's library: data folder, embedder, and the seed articles on first run."""

from __future__ import annotations

from pathlib import Path

from models.embedder import Embedder
from retrieval import loaders
from retrieval.backend import LibraryBackend, open_library_at
from retrieval.errors import LibraryError
from retrieval.library import IngestProgressFn, Library, rebuild
from retrieval.schema import IngestReport

from .settings import SEEDS_DIR

SEEDED_KEY = "seeded"


def open_library(
    folder: str | Path,
    *,
    embedder: Embedder,
    seed: bool = True,
    progress: IngestProgressFn | None = None,
    url: str | None = None,
    sentence_embedder: Embedder | None = None,
) -> LibraryBackend:
    """The library in `folder` (a dossier's library folder: `Runtime.library_dir`), or at a
    library URL (its local caches stay in `folder`); with `seed`, the seed articles go in on
    its very first opening. `sentence_embedder` (the vector cache the construction point
    builds) is what passage selection and the citation check embed sentences with."""
    folder = Path(folder)
    library = open_library_at(url or folder, embedder=embedder, local_folder=folder)
    if sentence_embedder is not None:
        library.sentence_embedder = sentence_embedder
    first_opening = not library.store.read_only and not library.store.get_flag(SEEDED_KEY)
    if seed and SEEDS_DIR.is_dir() and first_opening:
        if library.is_empty():
            library.ingest([SEEDS_DIR], progress=progress)
        # Seed once: a user who removes the seeds does not get them back.
        library.store.set_flag(SEEDED_KEY)
    return library


def reindex(
    library: LibraryBackend, progress: IngestProgressFn | None = None
) -> tuple[IngestReport, Library]:
    """Re-chunk and re-embed every source of `library` with its embedder; the rebuilt library
    is returned, opened (the caller closes the old one once nothing uses it)."""
    if not isinstance(library, Library):
        raise LibraryError(
            "Re-indexing works on a library folder; this library is a database, whose server "
            "keeps its indexes consistent itself."
        )
    report = rebuild(
        library.folder,
        embedder=library.embedder,
        progress=progress,
        on_lock_wait=library.on_lock_wait,
    )
    reopened = Library(library.folder, embedder=library.embedder, index=library.index_name)
    reopened.on_lock_wait = library.on_lock_wait
    reopened.sentence_embedder = library.sentence_embedder
    return report, reopened


def supported_suffixes() -> tuple[str, ...]:
    """The file name endings ingest reads (".txt", ".pdf", ...), in the order to list them.

    The document loaders' registry, passed through the core: the front ends' file dialogs and
    help text show exactly what ingest accepts, and may import only `dossier`."""
    return loaders.supported_suffixes()
