"""The one place that builds what the front ends need from the user's settings.

The CLI, the desktop app and the benchmarks each make one `Runtime` from `Settings` and take
the embedder, the library and the model from it; core functions (`ask`, `summarize`,
`brief`, ...) receive them as arguments and never choose defaults themselves. Settings are
resolved here once: an explicit value (a CLI flag, the window's preferences) wins, then the
environment (`$DOSSIER_DATA_DIR`, `$DOSSIER_DOSSIER`, `$DOSSIER_MODEL`, `$DOSSIER_THREADS`,
`$DOSSIER_LIBRARY_URL`), then the defaults. The dossier (one story: its library, conversations
and notes, see `dossier.dossiers`) is looked up in the data folder when first needed; the model
cache is shared by every dossier of the data folder. With a library URL the sources and index
are in that database, and the dossier keeps its own conversations, notes and caches.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from models.backends import BackendOptions
from models.embedder import AutoEmbedder, Embedder
from models.llm import LLM
from models.resolve import ModelStatus, list_models
from models.vector_cache import FILE_NAME as VECTOR_CACHE_FILE
from models.vector_cache import CachingEmbedder
from retrieval.backend import LibraryBackend, is_library_url
from retrieval.check import CheckReport, check_library
from retrieval.errors import LibraryError
from retrieval.library import IngestProgressFn, rebuild
from retrieval.schema import IngestReport

from . import models as app_models
from .briefing_history import BriefingHistory
from .conversations import ConversationStore
from .dossiers import DossierInfo, Dossiers
from .library import open_library
from .notes import NoteStore
from .settings import DEFAULT_K, DOSSIER_ENV, cache_dir, data_dir
from .watch import WatchSetting, watch_setting

THREADS_ENV = "DOSSIER_THREADS"
LIBRARY_URL_ENV = "DOSSIER_LIBRARY_URL"


class Settings(BaseModel):
    """Everything a front end chooses; each field already resolved."""

    model_config = ConfigDict(frozen=True)

    data_dir: Path
    dossier: str | None = None  # name of the dossier to open; None: the current one
    model: str = app_models.DEFAULT_MODEL  # catalog name, .gguf path or openai:URL#MODEL
    threads: int | None = None  # None: the physical cores
    k: int = DEFAULT_K
    allow_remote: bool = False  # a model server that is not on this machine
    # A shared library in a database (postgresql://user@host:port/db); None: the data folder's.
    library_url: str | None = None

    @classmethod
    def resolve(
        cls,
        *,
        data: str | os.PathLike | None = None,
        dossier: str | None = None,
        model: str | os.PathLike | None = None,
        threads: int | None = None,
        k: int | None = None,
        allow_remote: bool = False,
        library: str | None = None,
    ) -> Settings:
        env_threads = os.environ.get(THREADS_ENV)
        library_url = library or os.environ.get(LIBRARY_URL_ENV) or None
        if library_url is not None and not is_library_url(library_url):
            raise LibraryError(
                f"The library {library_url!r} is not a library URL "
                "(postgresql://user@host:port/database); a library folder is chosen with "
                "--data-dir."
            )
        return cls(
            data_dir=data_dir(data),
            dossier=dossier or os.environ.get(DOSSIER_ENV) or None,
            model=app_models.model_choice(str(model) if model else None),
            threads=threads or (int(env_threads) if env_threads else None),
            k=k or DEFAULT_K,
            allow_remote=allow_remote,
            library_url=library_url,
        )

    @property
    def cache_dir(self) -> Path:
        return cache_dir(self.data_dir)


# One embedder per cache folder in a process: its weights load once, whoever asks.
_embedders: dict[Path, AutoEmbedder] = {}
_embedders_lock = threading.Lock()


def shared_embedder(cache: Path) -> AutoEmbedder:
    with _embedders_lock:
        if cache not in _embedders:
            _embedders[cache] = AutoEmbedder(cache)
        return _embedders[cache]


# One sentence-vector cache per (cache file, embedder) in a process: the GUI's worker threads
# and every dossier of the data folder share it (rows are keyed by text, so sharing is right).
_sentence_caches: dict[tuple[Path, int], tuple[Embedder, CachingEmbedder]] = {}


def shared_sentence_cache(cache: Path, embedder: Embedder) -> CachingEmbedder:
    with _embedders_lock:
        key = (cache / VECTOR_CACHE_FILE, id(embedder))
        if key not in _sentence_caches:  # the embedder is kept with it, so its id stays its own
            _sentence_caches[key] = (embedder, CachingEmbedder(embedder, key[0]))
        return _sentence_caches[key][1]


class Runtime:
    """Builds the embedder, library and model of `settings`, each once and only when asked.

    Tests and benchmarks pass their own `embedder` (a fake, or one under measurement).
    """

    def __init__(self, settings: Settings, *, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self._embedder = embedder
        self._library: LibraryBackend | None = None
        self._dossier: DossierInfo | None = None
        self._lock = threading.Lock()
        # Told when a write waits for another process writing the same library.
        self.on_lock_wait: Callable[[str], None] | None = None

    @property
    def embedder(self) -> Embedder:
        """The embedder, its exported model cached under this data folder."""
        if self._embedder is None:
            self._embedder = shared_embedder(self.settings.cache_dir)
        return self._embedder

    @property
    def sentence_embedder(self) -> CachingEmbedder:
        """The embedder with its sentence vectors kept in `<cache>/sentence-vectors.sqlite`:
        what questions embed sentences with (the library carries it), warmed after an ingest."""
        return shared_sentence_cache(self.settings.cache_dir, self.embedder)

    def dossiers(self) -> Dossiers:
        """The dossiers of the data folder (create, rename, delete, list, choose)."""
        return Dossiers(self.settings.data_dir)

    @property
    def dossier(self) -> DossierInfo:
        """The dossier of the settings (looked up once): the one named, else the current one;
        an unknown name raises `DossierError`."""
        if self._dossier is None:
            self._dossier = self.dossiers().resolve(self.settings.dossier)
        return self._dossier

    @property
    def dossier_dir(self) -> Path:
        """The dossier's own folder: its per-story stores (conversations, notes) live here."""
        return self.dossier.folder

    @property
    def library_dir(self) -> Path:
        return self.dossier.library_dir

    def library(
        self, *, progress: IngestProgressFn | None = None, seed: bool = True
    ) -> LibraryBackend:
        """The dossier's library, or the library at the settings' URL (opened once). Only a
        dossier made to hold the seeds (the Demo of a first run) gets them, on its very first
        opening."""
        with self._lock:
            if self._library is None:
                self._library = open_library(
                    self.library_dir,
                    embedder=self.embedder,
                    seed=seed and self.dossier.seed,
                    progress=progress,
                    url=self.settings.library_url,
                    sentence_embedder=self.sentence_embedder,
                )
                self._library.on_lock_wait = self.on_lock_wait
            return self._library

    def reindex(self, progress: IngestProgressFn | None = None) -> IngestReport:
        """Re-chunk and re-embed every stored source with this embedder (closes the library)."""
        self._require_folder("reindex")
        self.close()
        return rebuild(
            self.library_dir,
            embedder=self.embedder,
            progress=progress,
            on_lock_wait=self.on_lock_wait,
        )

    def check(self, *, repair: bool = False) -> CheckReport:
        """Compare the library's database, vector index and manifest; repair what is derived."""
        self._require_folder("check")
        self.close()
        return check_library(self.library_dir, embedder=self.embedder, repair=repair)

    def _require_folder(self, command: str) -> None:
        if self.settings.library_url:
            raise LibraryError(
                f"`{command}` works on a library folder; this library is a database "
                f"({self.settings.library_url.split('@')[-1]}): the server keeps its indexes "
                "consistent itself."
            )

    def conversations(self) -> ConversationStore:
        """The dossier's saved conversations, a new store the caller closes."""
        return ConversationStore(self.dossier_dir)

    def notes(self) -> NoteStore:
        """The dossier's pinned notes, a new store the caller closes."""
        return NoteStore(self.dossier_dir)

    def briefing_history(self) -> BriefingHistory:
        """The dossier's briefing exports, for "New since the last briefing"."""
        return BriefingHistory(self.dossier_dir)

    def watch_setting(self) -> WatchSetting:
        """The folder attached to the dossier's library (`dossier watch`, the window)."""
        return watch_setting(self.library_dir)

    def models(self) -> list[ModelStatus]:
        """The catalog's models, installed or not, as this data folder's cache sees them."""
        return list_models(self.settings.cache_dir)

    def llm(self) -> LLM:
        """The model of the settings, shared in the process so its weights load once."""
        options = BackendOptions(
            cache_dir=self.settings.cache_dir,
            n_threads=self.settings.threads,
            allow_remote=self.settings.allow_remote,
        )
        return app_models.shared_llm(self.settings.model, options)

    def close(self) -> None:
        with self._lock:
            if self._library is not None:
                self._library.close()
                self._library = None
