# ruff: noqa: E501  (benchmark output lines and sentence templates read better unwrapped)
"""Search latency at growing index sizes, split by step, plus a brute-force numpy baseline.

    .venv/bin/python bench/search.py [--sizes 1000,10000,100000] [--queries 50] [--repeat 3]
                                     [--threads T] [--json]

Prints figures only; nothing here asserts on time.

Library-free setup, built directly from the primitives `Library.search_with_vector` uses:
generated chunk texts (~100 words of news-like sentences each) in a `Bm25Index`, and random
unit vectors (384-d float32) in a `DenseIndex` (FAISS flat inner product, ids 0..n-1). Query
vectors come from the real embedder (the dense search cost does not depend on what the vectors
mean). Not included: reading the hit chunks back from SQLite, which `Library.search` also does.

Steps timed per query (p50/p95 in ms):
  (a) query embedding alone, real embedder, batch of one query
  (b) dense search alone (FAISS, depth = max(candidates, k) like Library), with FAISS's own
      OpenMP thread count (as the app runs it), and (b') the same with one OpenMP thread
  (c) BM25 alone (tokenise query + score + top-k)
  (d) fusion: rank maps + rrf_fuse + cut to k, as in Library.search_with_vector
  (e) total: (a)+(b)+(c)+(d) end to end, timed as one span
Steps b-d, b' and the baseline each run in their own loop (see the comment in main) so one
library's spinning worker threads do not inflate another's figure; (e) runs them as the app does.
Baseline measured in the same run: brute-force `matrix @ q` + argpartition top-k
(`retrieval.search.top_k_dense`) over the same vectors, as a ratio to the FAISS search.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import time

import numpy as np
from _common import peak_rss_mb  # also puts the repo on sys.path, models offline
from _corpus import NewsText

DIM = 384
PAUSE_S = 0.3  # between timed loops, so spinning worker threads of the previous step go idle


def current_rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6 * (1e6 / 2**20)


def _blas_info() -> list[dict]:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return []
    return [d for d in threadpool_info() if d.get("user_api") == "blas"]


def stats(samples_s: list[float]) -> dict:
    a = np.asarray(samples_s) * 1000.0
    return {
        "p50_ms": float(np.percentile(a, 50)),
        "p95_ms": float(np.percentile(a, 95)),
        "mean_ms": float(a.mean()),
        "n": int(a.size),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--sizes",
        default="1000,10000,100000",
        help="comma-separated chunk counts (default 1000,10000,100000)",
    )
    ap.add_argument(
        "--queries", type=int, default=50, help="number of generated queries (default 50)"
    )
    ap.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="passes over the queries for the index-only steps b-d and the baseline (default 3)",
    )
    ap.add_argument("--k", type=int, default=8)
    ap.add_argument(
        "--candidates", type=int, default=50, help="depth of each list before fusion (Library: 50)"
    )
    ap.add_argument(
        "--words", type=int, default=100, help="words per generated chunk (default 100)"
    )
    ap.add_argument(
        "--threads", type=int, default=None, help="torch.set_num_threads (default: torch's own)"
    )
    ap.add_argument(
        "--faiss-threads",
        type=int,
        default=None,
        help="faiss.omp_set_num_threads for (b) (default: FAISS's own, as in the app)",
    )
    ap.add_argument(
        "--blas-threads",
        type=int,
        default=None,
        help="numpy BLAS threads for the brute-force baseline, via threadpoolctl (default: unchanged)",
    )
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    args = ap.parse_args()
    sizes = sorted({int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()})

    import faiss
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    if args.faiss_threads:
        faiss.omp_set_num_threads(args.faiss_threads)
    if args.blas_threads:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=args.blas_threads, user_api="blas")
    faiss_threads = faiss.omp_get_max_threads()

    from models.embedder import EMBEDDER_NAME, SentenceTransformerEmbedder

    load_before = os.getloadavg()
    t_start = time.perf_counter()
    embedder = SentenceTransformerEmbedder(threads=args.threads)
    t0 = time.perf_counter()
    embedder.embed(["warm-up"])
    model_load_s = time.perf_counter() - t0

    gen = NewsText(args.seed)
    queries = [gen.query() for _ in range(args.queries)]
    warm_queries = [gen.query() for _ in range(5)]
    depth = max(args.candidates, args.k)

    # -- (a) query embedding alone -------------------------------------------------------
    for q in warm_queries:
        embedder.embed([q])
    embed_lat, qvecs = [], []
    for q in queries:
        t0 = time.perf_counter()
        v = embedder.embed([q])[0]
        embed_lat.append(time.perf_counter() - t0)
        qvecs.append(v)
    embed_stats = stats(embed_lat)

    # -- shared corpus: texts and random unit vectors, prefixes are used for each size ------
    n_max = sizes[-1]
    t0 = time.perf_counter()
    texts = [gen.chunk(args.words) for _ in range(n_max)]
    texts_gen_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    rng = np.random.default_rng(args.seed)
    matrix = rng.standard_normal((n_max, DIM), dtype=np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    vectors_gen_s = time.perf_counter() - t0
    mean_words = float(np.mean([t.count(" ") + 1 for t in texts[:2000]]))

    results = []
    for n in sizes:
        results.append(
            measure_size(
                n,
                texts=texts,
                matrix=matrix,
                queries=queries,
                qvecs=qvecs,
                warm_queries=warm_queries,
                embedder=embedder,
                args=args,
                depth=depth,
                faiss_threads=faiss_threads,
            )
        )
        gc.collect()  # the indexes of this size are garbage now

    result = {
        "machine": {
            "cpu_count": os.cpu_count(),
            "affinity_cpus": len(os.sched_getaffinity(0)),
            "torch_threads": torch.get_num_threads(),
            "faiss_omp_threads": faiss_threads,
            "blas": [(d.get("internal_api"), d.get("num_threads")) for d in _blas_info()],
            "torch_version": torch.__version__,
            "faiss_version": faiss.__version__,
            "numpy_version": np.__version__,
            "python": platform.python_version(),
            "loadavg_before": [round(x, 2) for x in load_before],
            "loadavg_after": [round(x, 2) for x in os.getloadavg()],
        },
        "embedder": EMBEDDER_NAME,
        "model_load_s": model_load_s,
        "queries": len(queries),
        "repeat": args.repeat,
        "k": args.k,
        "depth": depth,
        "mean_words_per_chunk": mean_words,
        "texts_generation_s": texts_gen_s,
        "vectors_generation_s": vectors_gen_s,
        "query_embedding": embed_stats,
        "sizes": results,
        "peak_rss_mb": peak_rss_mb(),
        "total_wall_s": time.perf_counter() - t_start,
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print_table(result)


def measure_size(
    n, *, texts, matrix, queries, qvecs, warm_queries, embedder, args, depth, faiss_threads
) -> dict:
    """Build both indexes over the first n chunks and time every step; returns the figures."""
    import faiss

    import retrieval.search as search_module
    from retrieval.dense import DenseIndex
    from retrieval.search import Bm25Index, rrf_fuse, top_k_dense

    gc.collect()
    ids = np.arange(n, dtype=np.int64)
    sub = matrix[:n]  # a view: no copy for the brute-force baseline

    t0 = time.perf_counter()
    dense = DenseIndex(DIM)
    dense.add(ids, sub)
    faiss_build_s = time.perf_counter() - t0

    search_module._lemma.cache_clear()  # cold lemma cache: each size's build pays in full
    t0 = time.perf_counter()
    bm25 = Bm25Index(texts[:n])
    bm25_build_s = time.perf_counter() - t0
    bm25_ids = ids

    def fuse(dense_ids, rows):
        keyword_ids = bm25_ids[rows]
        dense_rank = {int(c): r for r, c in enumerate(dense_ids, start=1)}
        bm25_rank = {int(c): r for r, c in enumerate(keyword_ids, start=1)}
        fused = rrf_fuse([dense_ids.tolist(), keyword_ids.tolist()])[: args.k]
        return fused, dense_rank, bm25_rank

    # Each step runs in its own loop over all queries, with a short pause between loops.
    # Interleaving them per query would measure thread-pool interference instead: after a
    # call, OpenBLAS (numpy) and OpenMP (FAISS, torch) workers keep spinning on the other
    # core, and a 2-thread FAISS search then waits for a descheduled worker.
    def timed_loop(fn, items):
        for item in items[:5]:
            fn(item)  # warm-up
        out, samples = [], []
        for _ in range(args.repeat):
            out = []
            for item in items:
                t0 = time.perf_counter()
                out.append(fn(item))
                samples.append(time.perf_counter() - t0)
        time.sleep(PAUSE_S)
        return out, samples

    lat = {}
    time.sleep(PAUSE_S)
    dense_out, lat["dense"] = timed_loop(lambda v: dense.search(v, depth)[0], qvecs)
    bm25_out, lat["bm25"] = timed_loop(lambda q: bm25.top_k(q, depth)[0], queries)
    _, lat["fusion"] = timed_loop(
        lambda pair: fuse(*pair), list(zip(dense_out, bm25_out, strict=True))
    )
    brute_out, lat["brute"] = timed_loop(lambda v: top_k_dense(sub, v, depth)[0], qvecs)
    agree = sum(
        set(a.tolist()) == set(b.tolist()) for a, b in zip(dense_out, brute_out, strict=True)
    )

    # (b') the same dense searches with FAISS on one OpenMP thread.
    faiss.omp_set_num_threads(1)
    _, lat["dense_1thread"] = timed_loop(lambda v: dense.search(v, depth)[0], qvecs)
    faiss.omp_set_num_threads(faiss_threads)

    # (e) total, embedding included, one pass: this is the app's real pattern (torch, then
    # FAISS, then BM25 in one thread of control), so interference is part of the figure.
    for q in warm_queries:
        embedder.embed([q])
    total_lat = []
    for q in queries:
        t0 = time.perf_counter()
        v = embedder.embed([q])[0]
        d_ids, _ = dense.search(v, depth)
        rows, _ = bm25.top_k(q, depth)
        fuse(d_ids, rows)
        total_lat.append(time.perf_counter() - t0)
    lat["total"] = total_lat
    time.sleep(PAUSE_S)

    s = {name: stats(v) for name, v in lat.items()}
    return {
        "chunks": n,
        "faiss_build_s": faiss_build_s,
        "bm25_build_s": bm25_build_s,
        "bm25_vocab": len(bm25._retriever.vocab_dict)
        if hasattr(bm25._retriever, "vocab_dict")
        else None,
        "latency": s,
        "brute_vs_faiss_p50": s["brute"]["p50_ms"] / s["dense"]["p50_ms"],
        "brute_vs_faiss_p95": s["brute"]["p95_ms"] / s["dense"]["p95_ms"],
        "brute_vs_faiss_1thread_p50": s["brute"]["p50_ms"] / s["dense_1thread"]["p50_ms"],
        "faiss_brute_same_topk": agree / len(queries),
        "rss_mb_after": current_rss_mb(),
        "peak_rss_mb_so_far": peak_rss_mb(),
    }


def print_table(r: dict) -> None:
    m = r["machine"]
    print("Dossier search benchmark")
    print(
        f"  machine        : {m['cpu_count']} cores ({m['affinity_cpus']} usable), torch "
        f"{m['torch_version']} with {m['torch_threads']} threads, FAISS {m['faiss_version']} "
        f"({m['faiss_omp_threads']} OpenMP threads), numpy {m['numpy_version']}, Python {m['python']}"
    )
    print(
        f"  BLAS libraries : {', '.join(f'{a} ({t} threads)' for a, t in m['blas']) or 'unknown'}"
    )
    print(
        f"  load average   : {m['loadavg_before'][0]:.2f} before, {m['loadavg_after'][0]:.2f} after "
        "(1-min; other processes share these cores)"
    )
    print(f"  embedder       : {r['embedder']}, model load {r['model_load_s']:.1f} s")
    print(
        f"  setup          : {r['queries']} queries x {r['repeat']} passes (steps b-d, baseline), "
        f"k={r['k']}, list depth {r['depth']}, ~{r['mean_words_per_chunk']:.0f} words/chunk, "
        f"random unit {DIM}-d float32 vectors"
    )
    print(
        f"                   corpus generation {r['texts_generation_s']:.1f} s texts, "
        f"{r['vectors_generation_s']:.1f} s vectors"
    )
    e = r["query_embedding"]
    print()
    print(
        f"  (a) query embedding alone: p50 {e['p50_ms']:.1f} ms, p95 {e['p95_ms']:.1f} ms "
        f"(mean {e['mean_ms']:.1f}, n={e['n']})"
    )
    print()
    header = (
        f"  {'chunks':>8} | {'FAISS build':>11} {'BM25 build':>10} | "
        f"{'(b) dense':>15} {'dense@1 thread':>15} {'(c) BM25':>15} {'(d) fusion':>13} {'(e) total':>15} | "
        f"{'brute numpy':>15} {'brute/FAISS':>14} | {'RSS now':>8} {'peak':>8}"
    )
    print(header)
    print(
        f"  {'':>8} | {'s':>11} {'s':>10} | {'p50 / p95 ms':>15} {'p50 / p95 ms':>15} {'p50 / p95 ms':>15} "
        f"{'p50 / p95 ms':>13} {'p50 / p95 ms':>15} | {'p50 / p95 ms':>15} {'p50 (p95)':>14} | "
        f"{'MB':>8} {'MB':>8}"
    )
    print("  " + "-" * (len(header) - 2))

    def pp(s):
        return f"{s['p50_ms']:.2f} / {s['p95_ms']:.2f}"

    for z in r["sizes"]:
        lat = z["latency"]
        ratio = f"{z['brute_vs_faiss_p50']:.2f}x ({z['brute_vs_faiss_p95']:.2f}x)"
        print(
            f"  {z['chunks']:>8} | {z['faiss_build_s']:>11.3f} {z['bm25_build_s']:>10.2f} | "
            f"{pp(lat['dense']):>15} {pp(lat['dense_1thread']):>15} {pp(lat['bm25']):>15} {pp(lat['fusion']):>13} {pp(lat['total']):>15} | "
            f"{pp(lat['brute']):>15} {ratio:>14} | "
            f"{z['rss_mb_after']:>8.0f} {z['peak_rss_mb_so_far']:>8.0f}"
        )
    print()
    print(
        "  baseline measured in the same run: brute/FAISS = brute-force numpy (matrix @ q + "
        "argpartition) latency / FAISS latency; >1 means FAISS is faster"
    )
    one = ", ".join(f"{z['chunks']}: {z['brute_vs_faiss_1thread_p50']:.2f}x" for z in r["sizes"])
    print(f"  brute/FAISS against FAISS on 1 OpenMP thread (p50): {one}")
    agree = ", ".join(f"{z['chunks']}: {z['faiss_brute_same_topk'] * 100:.0f}%" for z in r["sizes"])
    print(f"  FAISS and brute force returned the same top-{r['depth']} set for: {agree} of queries")
    vocab = ", ".join(f"{z['chunks']}: {z['bm25_vocab']}" for z in r["sizes"] if z["bm25_vocab"])
    if vocab:
        print(f"  BM25 vocabulary (stems): {vocab}")
    print(
        "  (e) total = embed + dense + BM25 + fusion in one span; excludes reading chunks from SQLite."
    )
    print(
        f"  peak RSS (ru_maxrss, whole process) {r['peak_rss_mb']:.0f} MB; "
        f"whole benchmark {r['total_wall_s']:.1f} s wall"
    )


if __name__ == "__main__":
    main()
