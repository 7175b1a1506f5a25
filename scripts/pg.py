"""`make pg` / `make pg-stop`: a local PostgreSQL server (with pgvector) for a shared library.

    python scripts/pg.py start [--data-dir DIR] [--port N]   # prints the library URL
    python scripts/pg.py stop  [--data-dir DIR]

The server's files live in `<data dir>/postgres`; it listens on 127.0.0.1 only and keeps
running after this script returns (until `stop`, or the machine restarts). Use the printed URL
with `dossier --library URL ...` or `export DOSSIER_LIBRARY_URL=URL`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dossier.settings import data_dir  # noqa: E402
from retrieval.postgres import server  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["start", "stop", "status"])
    parser.add_argument("--data-dir", help="default: $DOSSIER_DATA_DIR or the user data folder")
    parser.add_argument("--port", type=int, help="default: a free port, kept while it runs")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    folder = data_dir(args.data_dir) / "postgres"
    if args.action == "stop":
        stopped = server.stop(folder)
        result = {"folder": str(folder), "stopped": stopped}
        text = f"stopped the server in {folder}" if stopped else f"no server running in {folder}"
    else:
        info = server.start(folder, args.port) if args.action == "start" else server.running(folder)
        result = {"folder": str(folder), "url": info.url if info else None}
        text = info.url if info else f"no server running in {folder}"
    print(json.dumps(result) if args.json else text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
