"""What the CLI commands share: exit codes, JSON printing, progress bars, opening the library."""

from __future__ import annotations

import json
import sys

from pydantic import BaseModel

EXIT_OK = 0
EXIT_SOME_FAILED = 1  # ingest: some files could not be ingested; the rest went in
EXIT_USAGE = 2
EXIT_ERROR = 3  # the command could not run at all (e.g. a library built differently)


def print_json(value) -> None:
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json")
    json.dump(value, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def progress_bar(enabled: bool):
    """A tqdm bar on stderr fed by IngestProgress events, or a no-op."""
    if not enabled:
        return None, lambda: None
    from tqdm import tqdm

    bar = tqdm(total=0, unit="file", file=sys.stderr, dynamic_ncols=True, leave=False)

    def update(event) -> None:
        bar.total = event.files_total
        bar.n = event.files_done
        bar.set_postfix_str(f"{event.chunks_done} chunks", refresh=False)
        bar.refresh()

    return update, bar.close


def step_bar(enabled: bool, unit: str):
    """A tqdm bar on stderr fed by (done, total, label) progress calls, or a no-op."""
    if not enabled:
        return None, lambda: None
    from tqdm import tqdm

    bar = tqdm(total=0, unit=unit, file=sys.stderr, dynamic_ncols=True, leave=False)

    def update(done: int, total: int, label: str) -> None:
        bar.total = total
        bar.n = done
        bar.set_description_str(label[:40], refresh=False)
        bar.refresh()

    return update, bar.close


def open_cli_library(args, *, quiet: bool = False):
    from .library import open_library

    update, close = progress_bar(not quiet and sys.stderr.isatty())
    try:
        return open_library(args.data_dir, progress=update)
    finally:
        close()
