"""How the core reports progress of multi-step work (summaries, briefings, comparisons).

`StepProgressFn(done, total, label)`: `done` of `total` steps finished, `label` naming the one
under way. Ingest reports richer events (`retrieval.library.IngestProgressFn`).
"""

from __future__ import annotations

from collections.abc import Callable

StepProgressFn = Callable[[int, int, str], None]
