"""The dossier's briefing exports, and what is new since the last one.

Every export of a briefing is recorded in the dossier's folder (`briefings.json`: when, the
file and format, each source's id and content hash). The next briefing compares its sources
with the previous export's: a source that was not in it, or whose text changed since, is
listed in the "New since the last briefing" section with its checked key points. The first
briefing of a dossier has no such section.

The file is small JSON rewritten atomically (a temporary file renamed over it): a crash leaves
the previous history. A damaged file is read as no history (the next briefing is a first one).
"""

from __future__ import annotations

import json
import os
import threading
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from retrieval.atomic import atomic_write_bytes

from .schema import Briefing, NewSinceLast, NewSource

HISTORY_FILE = "briefings.json"
KEPT_EXPORTS = 100  # older records say nothing the newest does not


class ExportRecord(BaseModel):
    """One briefing export of the dossier."""

    exported_at: str
    path: str
    format: str
    sources: dict[str, str] = Field(description="source id -> content hash, as exported")


class BriefingHistory:
    """The exports of one dossier folder (thread-safe within a process)."""

    def __init__(self, folder: str | os.PathLike) -> None:
        self.folder = Path(folder)
        self.path = self.folder / HISTORY_FILE
        self._lock = threading.Lock()

    def exports(self) -> list[ExportRecord]:
        """Every recorded export, oldest first; [] when none (or the file is unreadable)."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return [ExportRecord.model_validate(item) for item in data.get("exports", [])]
        except (OSError, ValueError, AttributeError, ValidationError):
            return []

    def last(self) -> ExportRecord | None:
        exports = self.exports()
        return exports[-1] if exports else None

    def record(self, briefing: Briefing, path: str | os.PathLike, fmt: str) -> ExportRecord:
        """Add the export of `briefing` to `path` (format `fmt`, ".pdf") to the history."""
        entry = ExportRecord(
            exported_at=datetime.now(UTC).isoformat(timespec="seconds"),
            path=str(path),
            format=fmt,
            sources={s.id: s.content_hash for s in briefing.sources},
        )
        with self._lock:
            exports = [*self.exports(), entry][-KEPT_EXPORTS:]
            document = {"exports": [e.model_dump(mode="json") for e in exports]}
            atomic_write_bytes(
                self.path, json.dumps(document, indent=1, ensure_ascii=False).encode()
            )
        return entry


def new_since(briefing: Briefing, previous: ExportRecord | None) -> NewSinceLast | None:
    """The sources of `briefing` added or changed since the `previous` export, with their key
    points (supported ones, as in the summaries section); None for a first briefing."""
    if previous is None:
        return None
    summaries = {s.source_id: s for s in briefing.summaries}
    found = []
    for source in briefing.sources:
        before = previous.sources.get(source.id)
        if before == source.content_hash:
            continue
        summary = summaries.get(source.id)
        found.append(
            NewSource(
                source_id=source.id,
                title=source.meta.title or (summary.title if summary else None),
                status="added" if before is None else "changed",
                points=[p for p in summary.points if p.supported] if summary else [],
            )
        )
    return NewSinceLast(
        previous_export_at=previous.exported_at, previous_path=previous.path, sources=found
    )


def with_new_since(briefing: Briefing, history: BriefingHistory) -> Briefing:
    """The briefing with its "New since the last briefing" section from `history`."""
    section = new_since(briefing, history.last())
    return briefing.model_copy(update={"new_since_last_briefing": section})
