"""How long the dossier registry takes: listing, resolving the current dossier, an upgrade.

    .venv/bin/python bench/dossiers.py [--dossiers N]

Every CLI command resolves its dossier (one source count), `dossier dossiers` and the window's
switcher list them all (one read-only SQLite count per dossier), and the first start after an
upgrade renames the single library into a dossier. The libraries are built with the fake
embedder (the figures are file and SQLite work, no model), in a temporary folder.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from _common import machine  # also: repo on sys.path

from dossier.dossiers import Dossiers
from dossier.library import open_library
from tests.conftest import FakeEmbedder
from tests.dossier.legacy_library import make_legacy_data_folder

REPEATS = 20


def timed_ms(fn, repeats: int = REPEATS) -> tuple[float, float]:
    """(best, median) milliseconds of `fn()` over `repeats` runs."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return min(times), statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dossiers", type=int, default=50)
    args = parser.parse_args()
    load = os.getloadavg()
    embedder = FakeEmbedder()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        registry = Dossiers(data)
        for i in range(args.dossiers):
            info = registry.create(f"Story {i}")
            # One in five with the seeds, the rest with empty libraries.
            open_library(info.library_dir, embedder=embedder, seed=i % 5 == 0).close()
        best, median = timed_ms(lambda: Dossiers(data).list())
        print(f"list {args.dossiers + 1} dossiers: best {best:.1f} ms, median {median:.1f} ms")
        best, median = timed_ms(lambda: Dossiers(data).current())
        print(f"resolve the current dossier: best {best:.1f} ms, median {median:.1f} ms")
        upgrades = []
        for i in range(5):
            legacy = Path(tmp) / f"legacy-{i}"
            make_legacy_data_folder(legacy, embedder)
            start = time.perf_counter()
            Dossiers(legacy).list()
            upgrades.append((time.perf_counter() - start) * 1000)
        print(
            "upgrade of a seeded single library (rename, conversations moved): "
            f"median {statistics.median(upgrades):.1f} ms"
        )
    print(machine(load))


if __name__ == "__main__":
    main()
