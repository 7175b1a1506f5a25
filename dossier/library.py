"""Opening the user's library: data folder, embedder, and the seed articles on first run."""

from __future__ import annotations

from pathlib import Path

from models.embedder import Embedder
from retrieval.library import Library, ProgressFn

from .settings import SEEDS_DIR, data_dir, library_dir

SEEDED_KEY = "seeded"


def open_library(
    data: str | Path | None = None,
    *,
    embedder: Embedder | None = None,
    seed: bool = True,
    progress: ProgressFn | None = None,
) -> Library:
    """The library in the data folder; on its very first opening, the seed articles go in."""
    library = Library(library_dir(data_dir(data)), embedder=embedder)
    first_opening = not library.store.read_only and not library.store.get_flag(SEEDED_KEY)
    if seed and SEEDS_DIR.is_dir() and first_opening:
        if library.is_empty():
            library.ingest([SEEDS_DIR], progress=progress)
        # Seed once: a user who removes the seeds does not get them back.
        library.store.set_flag(SEEDED_KEY)
    return library
