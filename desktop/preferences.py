"""The user's choices for the app, kept in QSettings: model, threads, passages, data folder,
shared library URL."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QSettings

from dossier.settings import DEFAULT_K


@dataclass
class Preferences:
    model: str = ""  # catalog name or .gguf path; "" = $DOSSIER_MODEL or the catalog default
    threads: int = 0  # 0 = physical cores ($DOSSIER_THREADS if set)
    k: int = DEFAULT_K  # passages retrieved per question
    data_dir: str = ""  # "" = $DOSSIER_DATA_DIR or the platform's user data folder
    background_summaries: bool = True  # summarise new sources on an idle worker
    # A shared library (postgresql://user@host:port/db); "" = $DOSSIER_LIBRARY_URL, else the
    # dossier's library in the data folder.
    library_url: str = ""
    # The dossier to open ("" = the data folder's current one). Not kept in QSettings: the
    # data folder remembers the last dossier chosen (dossier.dossiers), for the CLI too.
    dossier: str = ""

    @classmethod
    def load(cls, settings: QSettings) -> Preferences:
        prefs = cls()
        prefs.model = str(settings.value("model", prefs.model) or "")
        prefs.threads = int(settings.value("threads", prefs.threads) or 0)
        prefs.k = int(settings.value("k", prefs.k) or prefs.k)
        prefs.data_dir = str(settings.value("data_dir", prefs.data_dir) or "")
        prefs.library_url = str(settings.value("library_url", prefs.library_url) or "")
        background = settings.value("background_summaries", prefs.background_summaries)
        prefs.background_summaries = str(background).lower() not in ("false", "0")
        return prefs

    def save(self, settings: QSettings) -> None:
        for key in ("model", "threads", "k", "data_dir", "library_url", "background_summaries"):
            settings.setValue(key, getattr(self, key))
        settings.sync()
