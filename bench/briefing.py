"""Where a briefing of the seed library spends its time, per stage, cold and with summaries cached.

    .venv/bin/python bench/briefing.py [--data-dir DIR] [--model NAME] [--json]

One run on a fresh data folder (the seeds are ingested first, not counted): the first
`brief()` summarises every source ("cold": no summary cached, the model loaded before the
clock starts, its load time reported apart); the second `brief()` on the same library finds
the summaries in the cache ("cached"). A stage is the time between two progress labels of
`dossier.briefing.brief`, the same labels the window and `dossier brief` show. The ratio
cached / cold is the same run's baseline. Prints figures only; nothing here asserts on time.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from collections import OrderedDict
from pathlib import Path

from _common import machine, peak_rss_mb  # also: repo on sys.path

from dossier.briefing import brief
from dossier.runtime import Runtime, Settings


def _stage(label: str) -> str:
    # Per-source labels ("Summarising <title>") are one stage: summaries.
    return "summaries" if label.startswith("Summarising") else label


def timed_brief(library, llm) -> tuple[OrderedDict, float]:
    """(stage → seconds, wall seconds) of one briefing."""
    stages: OrderedDict[str, float] = OrderedDict()
    current = {"label": None, "since": time.perf_counter()}

    def progress(step: int, total: int, label: str) -> None:
        now = time.perf_counter()
        if current["label"] is not None:
            name = _stage(current["label"])
            stages[name] = stages.get(name, 0.0) + now - current["since"]
        current["label"], current["since"] = label, now

    started = time.perf_counter()
    brief(library=library, llm=llm, progress=progress)
    return stages, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, help="a fresh folder (default: a temporary one)")
    parser.add_argument("--model", help="catalog name or .gguf path (default: the bundled one)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="dossier-bench-brief-") as tmp:
        data = args.data_dir or Path(tmp)
        runtime = Runtime(Settings.resolve(data=data, model=args.model))
        t0 = time.perf_counter()
        library = runtime.library()
        ingest_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        llm = runtime.llm()
        if hasattr(llm, "load"):  # in-process weights: load them before the clock starts
            llm.load()
        load_s = time.perf_counter() - t0
        cold, cold_wall = timed_brief(library, llm)
        cached, cached_wall = timed_brief(library, llm)
        sources = len(library.sources())
        runtime.close()
    result = {
        "sources": sources,
        "ingest_s": round(ingest_s, 1),
        "model_load_s": round(load_s, 1),
        "cold": {k: round(v, 1) for k, v in cold.items()},
        "cold_total_s": round(cold_wall, 1),
        "cached": {k: round(v, 1) for k, v in cached.items()},
        "cached_total_s": round(cached_wall, 1),
        "cached_over_cold": round(cached_wall / cold_wall, 3) if cold_wall else None,
        "peak_rss_mb": round(peak_rss_mb()),
        "machine": machine(load_before),
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"seed briefing: {sources} sources; ingest {ingest_s:.1f} s, model load {load_s:.1f} s")
    print(f"{'stage':<32} {'cold s':>8} {'cached s':>9}")
    for name in list(dict.fromkeys([*cold, *cached])):
        print(f"{name:<32} {cold.get(name, 0.0):>8.1f} {cached.get(name, 0.0):>9.1f}")
    print(f"{'total':<32} {cold_wall:>8.1f} {cached_wall:>9.1f}")
    load = result["machine"]["loadavg_before"]
    print(f"cached / cold: {result['cached_over_cold']}; load average before {load}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
