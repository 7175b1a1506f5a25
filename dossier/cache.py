"""Cached summaries, keyed by (source content hash, model, prompt hash), in the library folder,
and the briefing's prepared parts (overview, differences, title), keyed by a hash of what they
depend on (see dossier.briefing.prepared_key).

A separate SQLite file beside the library's own: dropping it loses nothing but time, and the
retrieval store's schema stays about sources and chunks.
"""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path

from .schema import PreparedBriefing, SourceSummary

CACHE_FILE = "summaries.sqlite"
PREPARED_KEPT = 8  # prepared briefings kept (the newest); older source sets are not exported


class SummaryCache:
    def __init__(self, folder: Path) -> None:
        self.path = Path(folder) / CACHE_FILE
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False)
        with self._db:
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS summaries ("
                " content_hash TEXT NOT NULL, model TEXT NOT NULL, prompt_hash TEXT NOT NULL,"
                " summary TEXT NOT NULL, created_at TEXT NOT NULL,"
                " PRIMARY KEY (content_hash, model, prompt_hash))"
            )
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS prepared ("
                " key TEXT PRIMARY KEY, parts TEXT NOT NULL, created_at TEXT NOT NULL)"
            )

    def get(self, content_hash: str, model: str, prompt_hash: str) -> SourceSummary | None:
        with self._lock:
            row = self._db.execute(
                "SELECT summary FROM summaries WHERE content_hash=? AND model=? AND prompt_hash=?",
                (content_hash, model, prompt_hash),
            ).fetchone()
        if row is None:
            return None
        try:
            return SourceSummary.model_validate_json(row[0])
        except ValueError:
            return None  # written by an older Dossier: summarise again

    def put(self, model: str, summary: SourceSummary) -> None:
        with self._lock, self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO summaries VALUES (?, ?, ?, ?, ?)",
                (
                    summary.content_hash,
                    model,
                    summary.prompt_hash,
                    summary.model_dump_json(),
                    datetime.now(UTC).isoformat(timespec="seconds"),
                ),
            )

    def get_prepared(self, key: str) -> PreparedBriefing | None:
        with self._lock:
            row = self._db.execute("SELECT parts FROM prepared WHERE key=?", (key,)).fetchone()
        if row is None:
            return None
        try:
            return PreparedBriefing.model_validate_json(row[0])
        except ValueError:
            return None  # written by an older Dossier: prepare again

    def put_prepared(self, parts: PreparedBriefing) -> None:
        now = datetime.now(UTC).isoformat(timespec="microseconds")
        with self._lock, self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO prepared VALUES (?, ?, ?)",
                (parts.key, parts.model_dump_json(), now),
            )
            self._db.execute(
                "DELETE FROM prepared WHERE key NOT IN"
                " (SELECT key FROM prepared ORDER BY created_at DESC LIMIT ?)",
                (PREPARED_KEPT,),
            )

    def clear_prepared(self) -> None:
        """Forget every prepared briefing (the benchmark's "summaries cached only" case)."""
        with self._lock, self._db:
            self._db.execute("DELETE FROM prepared")

    def close(self) -> None:
        self._db.close()
