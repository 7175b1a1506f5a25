"""Do the two library backends retrieve the same passages? The questions of a suite, searched
(hybrid: dense + keyword, fused) in an embedded library and in a PostgreSQL one holding the
same files, with the real embedder; passages compared by (source, start, end).

    python bench/backend_agreement.py QUESTIONS.jsonl --data-dir D --url postgresql://... [--k 12]

Both libraries must already hold the same corpus (`dossier --data-dir D ingest seeds/` and
`dossier --library URL ingest seeds/`). Prints one line per question: how many of the top k
are shared, whether the first passage is the same, and the passages only one backend found,
each with the rank its dense (d) and keyword (w) half gave it. Only ids and offsets are
printed, never the questions' text.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def key(hit) -> tuple[str, int, int]:
    return (hit.chunk.source_id, hit.chunk.start, hit.chunk.end)


def label(hit) -> str:
    source, start, _ = key(hit)
    return f"{source[:3]}@{start} d{hit.dense_rank or '-'} w{hit.bm25_rank or '-'}"


def compare(question: str, libraries: list, k: int) -> dict:
    embedded, postgres = (lib.search(question, k=k) for lib in libraries)
    keys = [{key(h) for h in embedded}, {key(h) for h in postgres}]
    dense = [{key(h): h.dense_rank for h in hits} for hits in (embedded, postgres)]
    return {
        # the dense halves agree (same vectors, exact or near-exact search) where both show it
        "dense_ranks_equal": all(dense[1][p] == r for p, r in dense[0].items() if p in dense[1]),
        "shared": len(keys[0] & keys[1]),
        "same_first": bool(embedded and postgres and key(embedded[0]) == key(postgres[0])),
        "only_embedded": [label(h) for h in embedded if key(h) not in keys[1]],
        "only_postgres": [label(h) for h in postgres if key(h) not in keys[0]],
    }


def main() -> int:
    from dossier.runtime import Runtime, Settings

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("questions", type=Path)
    ap.add_argument("--data-dir", required=True, help="the data folder of the embedded library")
    ap.add_argument("--url", required=True, help="the PostgreSQL library URL")
    ap.add_argument("--k", type=int, default=12, help="passages compared (eval's default 12)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    embedded = Runtime(Settings.resolve(data=args.data_dir))
    postgres = Runtime(
        Settings.resolve(data=args.data_dir, library=args.url), embedder=embedded.embedder
    )
    libraries = [embedded.library(seed=False), postgres.library(seed=False)]
    rows = []
    for line in args.questions.read_text(encoding="utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            rows.append({"id": item["id"], **compare(item["question"], libraries, args.k)})
    for runtime in (embedded, postgres):
        runtime.close()
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    for r in rows:
        first = "same" if r["same_first"] else "DIFFERS"
        print(
            f"{r['id']}: {r['shared']}/{args.k} shared, first {first}"
            f"; only embedded: {', '.join(r['only_embedded']) or '-'}"
            f"; only PostgreSQL: {', '.join(r['only_postgres']) or '-'}"
        )
    shared = sum(r["shared"] for r in rows) / len(rows)
    same = sum(r["same_first"] for r in rows)
    dense_equal = sum(r["dense_ranks_equal"] for r in rows)
    print(
        f"mean shared {shared:.2f}/{args.k}; first passage the same for {same}/{len(rows)}; "
        f"dense ranks of the shared passages equal for {dense_equal}/{len(rows)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
