"""Where Dossier keeps its data, and the user's settings."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "Dossier"
DATA_DIR_ENV = "DOSSIER_DATA_DIR"
DOSSIER_ENV = "DOSSIER_DOSSIER"  # the dossier to open when none is named (else the last used)
DEFAULT_K = 12  # chunks retrieved per question (and search results), unless the user chooses
SEEDS_DIR = Path(__file__).resolve().parent.parent / "seeds"


def data_dir(override: str | os.PathLike | None = None) -> Path:
    """`--data-dir`, else $DOSSIER_DATA_DIR, else the platform's user data folder."""
    if override:
        return Path(override).expanduser()
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def library_dir(base: Path) -> Path:
    """`<base>/library`: the single library of versions before dossiers (upgraded into the
    first dossier, see dossier.dossiers), and the library of an evaluation suite's folder."""
    return base / "library"


def cache_dir(base: Path) -> Path:
    """Assembled model files and other derived data that can be rebuilt."""
    return base / "cache"
