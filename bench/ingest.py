# ruff: noqa: E501  (benchmark output lines and sentence templates read better unwrapped)
"""Ingest throughput with the real embedder, split by stage, plus an unbatched-embedding baseline.

    .venv/bin/python bench/ingest.py [--n 300] [--threads T] [--baseline-chunks 200] [--json]

Prints figures only; nothing here asserts on time.

How the stage split is measured: ONE end-to-end `Library.ingest` run on a fresh temporary
library, with the pipeline functions that `retrieval.library` calls (load_text,
sentence_spans, extract_metadata, chunk_spans) and the embedder wrapped in timers for the
duration of that run. So parse, chunk and embed are measured inside the real run over the same
files, and "store/index" is the remainder: ingest wall time minus those three. The remainder
is SHA-256 hashing, duplicate lookups, SQLite inserts (text + vector blobs), pydantic objects
and the generation bump. The timer overhead is a few perf_counter calls per file (negligible).

Note: on a fresh library `ingest` does not build the FAISS index or BM25 (both are built
lazily by the first search). Those builds are timed separately after ingest and reported as
"first-search index build", outside the ingest total.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from _common import peak_rss_mb  # also puts the repo on sys.path, models offline
from _corpus import NewsText


class TimedEmbedder:
    """Delegates to the real embedder and accumulates wall time and calls."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self.seconds = 0.0
        self.calls = 0
        self.texts = 0

    def embed(self, texts):
        t0 = time.perf_counter()
        out = self.inner.embed(texts)
        self.seconds += time.perf_counter() - t0
        self.calls += 1
        self.texts += len(texts)
        return out


def instrument(module, names_to_stage: dict[str, str], totals: dict[str, float]):
    """Replace module-level functions with timing wrappers; returns a restore callable."""
    originals = {name: getattr(module, name) for name in names_to_stage}

    def make(fn, stage):
        def wrapped(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                totals[stage] += time.perf_counter() - t0

        return wrapped

    for name, stage in names_to_stage.items():
        setattr(module, name, make(originals[name], stage))

    def restore():
        for name, fn in originals.items():
            setattr(module, name, fn)

    return restore


def write_corpus(folder: Path, n: int, seed: int) -> tuple[list[Path], int]:
    gen = NewsText(seed)
    folder.mkdir(parents=True, exist_ok=True)
    paths, total = [], 0
    for i in range(n):
        data = gen.article().encode("utf-8")
        path = folder / f"article-{i:05d}.txt"
        path.write_bytes(data)
        paths.append(path)
        total += len(data)
    return paths, total


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=300, help="number of synthetic articles (default 300)")
    ap.add_argument(
        "--threads", type=int, default=None, help="torch.set_num_threads (default: torch's own)"
    )
    ap.add_argument(
        "--baseline-chunks",
        type=int,
        default=200,
        help="chunks embedded one at a time for the unbatched baseline (default 200)",
    )
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    args = ap.parse_args()

    import torch

    if args.threads:
        torch.set_num_threads(args.threads)

    import retrieval.library as library_module
    from models.embedder import EMBEDDER_NAME, SentenceTransformerEmbedder
    from retrieval.library import EMBED_BATCH_CHUNKS, Library

    load_before = os.getloadavg()
    t_start = time.perf_counter()
    embedder = SentenceTransformerEmbedder(threads=args.threads)
    t0 = time.perf_counter()
    embedder.embed(["warm-up sentence for the embedder"])  # loads the weights
    model_load_s = time.perf_counter() - t0
    warm = NewsText(args.seed + 1)
    embedder.embed([warm.chunk(110) for _ in range(16)])  # warm-up at chunk length, batched
    for _ in range(3):
        embedder.embed([warm.chunk(110)])  # and unbatched

    with tempfile.TemporaryDirectory(prefix="dossier-bench-ingest-") as tmp:
        tmp = Path(tmp)
        t0 = time.perf_counter()
        paths, n_bytes = write_corpus(tmp / "articles", args.n, args.seed)
        gen_s = time.perf_counter() - t0

        # -- the measured end-to-end ingest, stage timers inside ----------------------------
        stage = defaultdict(float)
        restore = instrument(
            library_module,
            {
                "load_text": "parse",
                "sentence_spans": "chunk",
                "extract_metadata": "chunk",
                "chunk_spans": "chunk",
            },
            stage,
        )
        timed = TimedEmbedder(embedder)
        try:
            library = Library(tmp / "library", embedder=timed)
            t0 = time.perf_counter()
            report = library.ingest([tmp / "articles"])
            ingest_s = time.perf_counter() - t0
        finally:
            restore()
        stage["embed"] = timed.seconds
        stage["store/index"] = ingest_s - stage["parse"] - stage["chunk"] - stage["embed"]
        chunks = report.chunks_added

        # -- lazy index builds the first search pays (not part of ingest) ------------------
        t0 = time.perf_counter()
        dense = library._dense_index()
        faiss_build_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        library._bm25_index()
        bm25_build_s = time.perf_counter() - t0

        # -- baseline: the same chunk texts embedded one at a time -------------------------
        _, all_texts = library.store.all_chunk_texts()
        subset = list(all_texts[: args.baseline_chunks])
        t0 = time.perf_counter()
        for text in subset:
            embedder.embed([text])
        unbatched_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        embedder.embed(subset)
        batched_subset_s = time.perf_counter() - t0
        dense_size = dense.size
        library.close()

    total_wall_s = time.perf_counter() - t_start
    mb = n_bytes / 1e6
    stages = {
        name: {"seconds": stage[name], "share": stage[name] / ingest_s if ingest_s else 0.0}
        for name in ("parse", "chunk", "embed", "store/index")
    }
    unbatched_cps = len(subset) / unbatched_s if unbatched_s else 0.0
    batched_subset_cps = len(subset) / batched_subset_s if batched_subset_s else 0.0
    result = {
        "machine": {
            "cpu_count": os.cpu_count(),
            "affinity_cpus": len(os.sched_getaffinity(0)),
            "torch_threads": torch.get_num_threads(),
            "torch_version": torch.__version__,
            "python": platform.python_version(),
            "loadavg_before": [round(x, 2) for x in load_before],
            "loadavg_after": [round(x, 2) for x in os.getloadavg()],
        },
        "embedder": EMBEDDER_NAME,
        "embedder_batch_size": embedder._batch_size,
        "ingest_commit_batch_chunks": EMBED_BATCH_CHUNKS,
        "model_load_s": model_load_s,
        "corpus_generation_s": gen_s,
        "files": len(paths),
        "files_added": len(report.added),
        "files_failed": len(report.failed),
        "mb_text": mb,
        "chunks": chunks,
        "mean_chunk_chars": sum(len(t) for t in all_texts) / max(1, len(all_texts)),
        "ingest_seconds": ingest_s,
        "chunks_per_s": chunks / ingest_s if ingest_s else 0.0,
        "mb_per_s": mb / ingest_s if ingest_s else 0.0,
        "files_per_s": len(paths) / ingest_s if ingest_s else 0.0,
        "embed_calls": timed.calls,
        "embed_chunks_per_s_in_ingest": timed.texts / timed.seconds if timed.seconds else 0.0,
        "stages": stages,
        "first_search_build": {
            "faiss_s": faiss_build_s,
            "faiss_vectors": dense_size,
            "bm25_s": bm25_build_s,
        },
        "baseline": {
            "chunks": len(subset),
            "unbatched_s": unbatched_s,
            "unbatched_chunks_per_s": unbatched_cps,
            "batched_same_chunks_s": batched_subset_s,
            "batched_same_chunks_per_s": batched_subset_cps,
            "ratio_batched_vs_unbatched": batched_subset_cps / unbatched_cps
            if unbatched_cps
            else None,
            "ratio_ingest_embed_vs_unbatched": (timed.texts / timed.seconds) / unbatched_cps
            if unbatched_cps and timed.seconds
            else None,
        },
        "peak_rss_mb": peak_rss_mb(),
        "total_wall_s": total_wall_s,
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print_table(result)


def print_table(r: dict) -> None:
    m = r["machine"]
    print("Dossier ingest benchmark")
    print(
        f"  machine        : {m['cpu_count']} cores ({m['affinity_cpus']} usable), torch "
        f"{m['torch_version']} with {m['torch_threads']} threads, Python {m['python']}"
    )
    print(
        f"  load average   : {m['loadavg_before'][0]:.2f} before, {m['loadavg_after'][0]:.2f} after "
        "(1-min; other processes share these cores)"
    )
    print(
        f"  embedder       : {r['embedder']} (encode batch {r['embedder_batch_size']}, "
        f"ingest commits ~{r['ingest_commit_batch_chunks']} chunks per embed call), "
        f"model load {r['model_load_s']:.1f} s"
    )
    print()
    print(f"  files          : {r['files']} ({r['files_added']} added, {r['files_failed']} failed)")
    print(f"  text           : {r['mb_text']:.2f} MB")
    print(f"  chunks         : {r['chunks']} (mean {r['mean_chunk_chars']:.0f} chars)")
    print(
        f"  ingest (e2e)   : {r['ingest_seconds']:.2f} s  =  {r['chunks_per_s']:.1f} chunks/s, "
        f"{r['mb_per_s']:.4f} MB/s, {r['files_per_s']:.2f} files/s"
    )
    print()
    print(f"  {'stage':<14}{'seconds':>10}{'share':>9}")
    print(f"  {'-' * 33}")
    for name, s in r["stages"].items():
        print(f"  {name:<14}{s['seconds']:>10.3f}{s['share'] * 100:>8.1f}%")
    print(f"  {'total':<14}{r['ingest_seconds']:>10.3f}{100:>8.1f}%")
    print(
        "  (parse/chunk/embed timed inside the single ingest run; store/index = remainder:"
        " hashing + SQLite + bookkeeping)"
    )
    print()
    fb = r["first_search_build"]
    print(
        f"  first-search index build (lazy, not in ingest): FAISS {fb['faiss_s']:.3f} s "
        f"for {fb['faiss_vectors']} vectors, BM25 {fb['bm25_s']:.3f} s"
    )
    print()
    b = r["baseline"]
    print(f"  baseline measured in the same run (first {b['chunks']} chunks of this corpus):")
    print(
        f"    unbatched (batch size 1) : {b['unbatched_s']:.2f} s = {b['unbatched_chunks_per_s']:.1f} chunks/s"
    )
    print(
        f"    batched, same chunks     : {b['batched_same_chunks_s']:.2f} s = {b['batched_same_chunks_per_s']:.1f} chunks/s"
    )
    print(f"    ratio batched vs unbatched chunks/s : {b['ratio_batched_vs_unbatched']:.2f}x")
    print(
        f"    (embed rate inside ingest {r['embed_chunks_per_s_in_ingest']:.1f} chunks/s = "
        f"{b['ratio_ingest_embed_vs_unbatched']:.2f}x unbatched)"
    )
    print()
    print(f"  peak RSS {r['peak_rss_mb']:.0f} MB; whole benchmark {r['total_wall_s']:.1f} s wall")


if __name__ == "__main__":
    main()
