"""How soon a watched folder hands a file over, and that a file being written is not.

    .venv/bin/python bench/watch.py [--files 10] [--burst 200] [--json]

Prints figures only; nothing here asserts on time. A real watchdog observer on a temporary
folder (`dossier.watch.FolderWatcher`, default options: quiet for 1 s, looked at every 0.2 s);
nothing is ingested, so the figures are the watcher's own:

- single files written one after another: the delay from closing a file to its hand-over;
- a slow copy (64 KiB every 0.2 s for about 3 s): whether it was handed over before it was
  complete, and the delay after its last write;
- a burst of small files written at once: the number of batches and the time until the last
  one was handed over.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path

import _common  # noqa: F401  (import path)
from _common import machine

from dossier.watch import FolderWatcher, WatchBatch

TEXT = "A paragraph of a generated article, long enough to be a file of its own.\n" * 40


class Clock:
    """When each path was handed over (monotonic), and the size it had then."""

    def __init__(self) -> None:
        self.seen: dict[Path, tuple[float, int]] = {}
        self.batches = 0
        self.done = threading.Condition()

    def __call__(self, batch: WatchBatch) -> None:
        now = time.monotonic()
        with self.done:
            self.batches += 1
            for path in batch.paths:
                self.seen.setdefault(path, (now, path.stat().st_size))
            self.done.notify_all()

    def wait(self, paths: list[Path], timeout: float = 60) -> bool:
        with self.done:
            return self.done.wait_for(lambda: all(p in self.seen for p in paths), timeout)


def single_files(folder: Path, clock: Clock, n: int) -> dict:
    delays = []
    for i in range(n):
        path = folder / f"single-{i:03d}.txt"
        path.write_text(TEXT)
        closed = time.monotonic()
        clock.wait([path])
        delays.append(clock.seen[path][0] - closed)
    return {
        "files": n,
        "delay_p50_s": round(statistics.median(delays), 3),
        "delay_max_s": round(max(delays), 3),
    }


def slow_copy(folder: Path, clock: Clock) -> dict:
    path = folder / "slow-copy.txt"
    block = ("x" * 1023 + "\n") * 64  # 64 KiB
    early = False
    with path.open("w") as out:
        for _ in range(15):
            out.write(block)
            out.flush()
            early = early or path in clock.seen
            time.sleep(0.2)
    last_write = time.monotonic()
    final = path.stat().st_size
    clock.wait([path])
    seen_at, size = clock.seen[path]
    return {
        "handed_over_while_writing": early,
        "size_when_handed_over": size,
        "final_size": final,
        "delay_after_last_write_s": round(seen_at - last_write, 3),
    }


def burst(folder: Path, clock: Clock, n: int) -> dict:
    before = clock.batches
    sub = folder / "burst"
    sub.mkdir()
    start = time.monotonic()
    paths = []
    for i in range(n):
        path = sub / f"burst-{i:04d}.txt"
        path.write_text(TEXT)
        paths.append(path)
    written = time.monotonic()
    clock.wait(paths)
    last = max(clock.seen[p][0] for p in paths)
    return {
        "files": n,
        "write_s": round(written - start, 3),
        "batches": clock.batches - before,
        "all_handed_over_after_s": round(last - written, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10)
    parser.add_argument("--burst", type=int, default=200)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    load = os.getloadavg()
    import watchdog.version

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp).resolve()
        clock = Clock()
        watcher = FolderWatcher(folder, clock)
        watcher.start(catch_up=False)
        watcher.started.wait()
        try:
            result = {
                "single": single_files(folder, clock, args.files),
                "slow_copy": slow_copy(folder, clock),
                "burst": burst(folder, clock, args.burst),
                "machine": machine(load, watchdog=watchdog.version.VERSION_STRING),
            }
        finally:
            watcher.stop()
    if args.json:
        print(json.dumps(result, indent=2))
        return
    s, c, b = result["single"], result["slow_copy"], result["burst"]
    print(
        f"single files: {s['files']}, closed -> handed over p50 {s['delay_p50_s']} s, "
        f"max {s['delay_max_s']} s"
    )
    print(
        f"slow copy: handed over while writing: {c['handed_over_while_writing']}; size then "
        f"{c['size_when_handed_over']} of {c['final_size']}; "
        f"{c['delay_after_last_write_s']} s after the last write"
    )
    print(
        f"burst: {b['files']} files written in {b['write_s']} s, {b['batches']} batch(es), all "
        f"handed over {b['all_handed_over_after_s']} s after the last write"
    )
    print(
        f"load average before/after: {result['machine']['loadavg_before']} / "
        f"{result['machine']['loadavg_after']}"
    )


if __name__ == "__main__":
    main()
