"""Install-time preparation: export the embedder for the fast path once, inside the install.

`make setup` runs `python -m models.prepare`, so the first launch on any data folder finds the
OpenVINO IR (and its int8 form where the CPU has int8 dot products) ready instead of spending
about a minute on the export and calibration. Without it the app still works: the export then
happens on first use, into the data folder's cache.
"""

from __future__ import annotations

import sys
import time

from .openvino_embedder import (
    PREPARED_DIR,
    PREPARED_DIR_ENV,
    FastPathUnavailable,
    OpenVinoEmbedder,
)


def main() -> int:
    started = time.perf_counter()
    if PREPARED_DIR is None:
        print(f"${PREPARED_DIR_ENV} is empty: nothing to prepare", file=sys.stderr)
        return 0
    embedder = OpenVinoEmbedder(PREPARED_DIR, prepared_dir=PREPARED_DIR)
    try:
        embedder.load()
    except FastPathUnavailable as exc:
        print(f"embedder not prepared: {exc} (it will be prepared on first use)", file=sys.stderr)
        return 0  # not an install failure: the torch path or a first-use export still works
    note = f" ({embedder.int8_reason})" if embedder.int8_reason else ""
    print(
        f"embedder prepared: {embedder.backend}{note} in {PREPARED_DIR} "
        f"({time.perf_counter() - started:.0f} s)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
