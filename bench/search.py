# ruff: noqa: E501  (benchmark output lines and sentence templates read better unwrapped)
"""Search latency at growing index sizes, split by step, with the exact index as baseline.

    .venv/bin/python bench/search.py [--sizes 1000,10000,100000] [--queries 50] [--repeat 3]
                                     [--vectors gaussian|random] [--json]

Prints figures only; nothing here asserts on time.

Library-free setup, built directly from the primitives `Library.search_with_vector` uses:
generated chunk texts (~100 words of news-like sentences each) in a `Bm25Index`, and vectors in
a `DenseIndex` built as the library builds it (`DenseIndex.build`: exact flat below
`HNSW_THRESHOLD`, HNSW from there on). Query vectors come from the real embedder.

Vectors: real embeddings of 100k chunks take most of an hour on 2 busy cores, so by default
(`--vectors gaussian`) 6,000 generated chunks are embedded for real (cached in
`<data dir>/cache/bench/`) and the n vectors are drawn from a Gaussian with their mean and
covariance, then normalised: the same anisotropic spectrum (low intrinsic dimension) as real
embeddings, which is what approximate search depends on. `--vectors random` draws isotropic
unit vectors, the adversarial worst case for any approximate index (reported for honesty:
HNSW recall collapses there). The recall of HNSW on the 6,000 *real* vectors is also reported.

Steps timed per query (p50/p95 in ms):
  (a) query embedding alone, fast backend (AutoEmbedder) and torch (baseline), batch of one
  (b) dense search alone with the index the library would use at this size
  (b0) exact flat search over the same vectors (baseline), and recall@10 of (b) against it
  (c) BM25 alone (tokenise query + score + top-k)
  (d) fusion: `fuse_ranked` (rank maps + rrf_fuse + cut to k), as Library.search_with_vector
  (e) total: (a)+(b)+(c)+(d) end to end, timed as one span
Not included: reading the hit chunks back from SQLite, which `Library.search` also does.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import time

import numpy as np
from _common import (  # also: repo on sys.path, offline
    bench_cache_dir,
    embedded_corpus,
    machine,
    peak_rss_mb,
)
from _corpus import NewsText

DIM = 384
PAUSE_S = 0.3  # between timed loops, so spinning worker threads of the previous step go idle


def current_rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


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


N_FIT = 6000  # real embeddings the Gaussian vectors are fitted on


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="1000,10000,100000", help="comma-separated chunk counts")
    ap.add_argument("--queries", type=int, default=50, help="generated queries (default 50)")
    ap.add_argument(
        "--repeat", type=int, default=3, help="passes over the queries for steps b-d (default 3)"
    )
    ap.add_argument("--k", type=int, default=8)
    ap.add_argument("--candidates", type=int, default=50, help="list depth (Library: 50)")
    ap.add_argument("--words", type=int, default=100, help="words per generated chunk")
    ap.add_argument("--vectors", choices=["gaussian", "random"], default="gaussian")
    ap.add_argument("--fit", type=int, default=N_FIT, help="real embeddings to fit the Gaussian")
    ap.add_argument(
        "--hnsw-threshold", type=int, default=None, help="override HNSW_THRESHOLD (for trying)"
    )
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    args = ap.parse_args()
    sizes = sorted({int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()})

    import faiss

    from models.embedder import EMBEDDER_NAME, AutoEmbedder, SentenceTransformerEmbedder
    from retrieval import dense as dense_module

    if args.hnsw_threshold:
        dense_module.HNSW_THRESHOLD = args.hnsw_threshold

    load_before = os.getloadavg()
    t_start = time.perf_counter()
    fast = AutoEmbedder(bench_cache_dir().parent)
    torch_embedder = SentenceTransformerEmbedder()
    torch_embedder.embed(["warm-up"])

    gen = NewsText(args.seed)
    queries = [gen.query() for _ in range(args.queries)]
    warm_queries = [gen.query() for _ in range(5)]
    depth = max(args.candidates, args.k)

    # -- (a) query embedding alone: fast backend, then torch as the in-run baseline ---------
    def embed_loop(embedder):
        for q in warm_queries:
            embedder.embed([q])
        lat, vecs = [], []
        for q in queries:
            t0 = time.perf_counter()
            vecs.append(embedder.embed([q])[0])
            lat.append(time.perf_counter() - t0)
        time.sleep(PAUSE_S)
        return stats(lat), vecs

    # torch first, before OpenVINO's thread pool exists: the two pools on the same 2 cores
    # slow each other down (measured: torch queries 30x slower after OpenVINO had run).
    torch_embed_stats, _ = embed_loop(torch_embedder)
    t0 = time.perf_counter()
    fast.embed(["warm-up"])
    model_load_s = time.perf_counter() - t0
    embed_stats, qvecs = embed_loop(fast)

    # -- shared corpus: texts, and vectors (see the module docstring) ------------------------
    n_max = sizes[-1]
    texts_gen = NewsText(args.seed + 7)
    t0 = time.perf_counter()
    texts = [texts_gen.chunk(args.words) for _ in range(n_max)]
    texts_gen_s = time.perf_counter() - t0
    # The same generator and seed: the fit corpus is the first `fit` of these texts.
    fit_texts = texts[: args.fit] + [texts_gen.chunk(args.words) for _ in range(args.fit - n_max)]
    t0 = time.perf_counter()
    real, cache_path, was_cached = embedded_corpus(fit_texts, fast, "search-chunks")
    real_embed_s = time.perf_counter() - t0
    rng = np.random.default_rng(args.seed)
    t0 = time.perf_counter()
    if args.vectors == "gaussian":
        mean = real.mean(axis=0)
        cov = np.cov(real, rowvar=False)
        matrix = rng.multivariate_normal(mean, cov, size=n_max, method="eigh").astype(np.float32)
    else:
        matrix = rng.standard_normal((n_max, DIM), dtype=np.float32)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    vectors_gen_s = time.perf_counter() - t0
    mean_words = float(np.mean([t.count(" ") + 1 for t in texts[:2000]]))

    # HNSW on the real vectors themselves (forced: they are below the threshold).
    real_ids = np.arange(len(real), dtype=np.int64)
    hnsw_real = dense_module.DenseIndex.build(DIM, real_ids, real, threshold=1)
    exact_real = dense_module.DenseIndex.build(DIM, real_ids, real, threshold=10**12)
    real_recall = recall_at(hnsw_real, exact_real, qvecs, 10)
    del hnsw_real, exact_real

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
                embedder=fast,
                args=args,
                depth=depth,
            )
        )
        gc.collect()

    result = {
        "machine": machine(
            load_before, faiss_version=faiss.__version__, numpy_version=np.__version__
        ),
        "embedder": EMBEDDER_NAME,
        "embedder_backend": fast.backend,
        "model_load_s": model_load_s,
        "queries": len(queries),
        "repeat": args.repeat,
        "k": args.k,
        "depth": depth,
        "vectors": args.vectors,
        "hnsw": {
            "threshold": dense_module.HNSW_THRESHOLD,
            "M": dense_module.HNSW_M,
            "ef_construction": dense_module.HNSW_EF_CONSTRUCTION,
            "ef_search": dense_module.HNSW_EF_SEARCH,
            "recall10_on_real_vectors": real_recall,
            "real_vectors": len(real),
        },
        "fit_corpus": {"path": str(cache_path), "cached": was_cached, "seconds": real_embed_s},
        "mean_words_per_chunk": mean_words,
        "texts_generation_s": texts_gen_s,
        "vectors_generation_s": vectors_gen_s,
        "query_embedding": embed_stats,
        "query_embedding_torch": torch_embed_stats,
        "sizes": results,
        "peak_rss_mb": peak_rss_mb(),
        "total_wall_s": time.perf_counter() - t_start,
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print_table(result)


def recall_at(index, exact, qvecs, k: int) -> float:
    hits = 0
    for v in qvecs:
        want = set(exact.search(v, k)[0].tolist())
        hits += len(want & set(index.search(v, k)[0].tolist()))
    return hits / (k * len(qvecs))


def measure_size(n, *, texts, matrix, queries, qvecs, warm_queries, embedder, args, depth) -> dict:
    """Build both indexes over the first n chunks and time every step; returns the figures."""
    import retrieval.search as search_module
    from retrieval.dense import DenseIndex
    from retrieval.search import Bm25Index, fuse_ranked

    gc.collect()
    ids = np.arange(n, dtype=np.int64)
    sub = matrix[:n]

    t0 = time.perf_counter()
    dense = DenseIndex.build(DIM, ids, sub)  # the kind the library picks for this size
    dense_build_s = time.perf_counter() - t0
    exact = DenseIndex.build(DIM, ids, sub, threshold=10**12)

    search_module._lemma.cache_clear()  # cold lemma cache: each size's build pays in full
    t0 = time.perf_counter()
    bm25 = Bm25Index(texts[:n])
    bm25_build_s = time.perf_counter() - t0

    def fuse(dense_ids, rows):
        return fuse_ranked(dense_ids, ids[rows], args.k)

    # Each step in its own loop over all queries, with a pause between loops, so one library's
    # spinning worker threads do not inflate another's figure.
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
    _, lat["exact"] = timed_loop(lambda v: exact.search(v, depth)[0], qvecs)
    bm25_out, lat["bm25"] = timed_loop(lambda q: bm25.top_k(q, depth)[0], queries)
    _, lat["fusion"] = timed_loop(
        lambda pair: fuse(*pair), list(zip(dense_out, bm25_out, strict=True))
    )
    recall10 = recall_at(dense, exact, qvecs, 10)
    recall_depth = recall_at(dense, exact, qvecs, depth)

    # (e) total, embedding included, one pass, as the app runs it.
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
        "index_kind": dense.kind,
        "dense_build_s": dense_build_s,
        "bm25_build_s": bm25_build_s,
        "latency": s,
        "recall10_vs_exact": recall10,
        f"recall{depth}_vs_exact": recall_depth,
        "exact_vs_index_p50": s["exact"]["p50_ms"] / s["dense"]["p50_ms"],
        "rss_mb_after": current_rss_mb(),
        "peak_rss_mb_so_far": peak_rss_mb(),
    }


def print_table(r: dict) -> None:
    m = r["machine"]
    print("Dossier search benchmark")
    print(
        f"  machine        : {m['cpu_count']} cores ({m['affinity_cpus']} usable), FAISS "
        f"{m['faiss_version']}, numpy {m['numpy_version']}, Python {m['python']}"
    )
    print(
        f"  load average   : {m['loadavg_before'][0]:.2f} before, {m['loadavg_after'][0]:.2f} after "
        "(1-min; other processes share these cores)"
    )
    print(
        f"  embedder       : {r['embedder']} on {r['embedder_backend']}, "
        f"load {r['model_load_s']:.1f} s"
    )
    h = r["hnsw"]
    print(
        f"  index          : exact flat below {h['threshold']} vectors, HNSW from there "
        f"(M={h['M']}, efConstruction={h['ef_construction']}, efSearch={h['ef_search']})"
    )
    print(
        f"  vectors        : {r['vectors']} ({'Gaussian fitted on ' + str(h['real_vectors']) + ' real embeddings' if r['vectors'] == 'gaussian' else 'isotropic random unit vectors'}), "
        f"{r['queries']} real query embeddings x {r['repeat']} passes, k={r['k']}, depth {r['depth']}"
    )
    print(
        f"  HNSW recall@10 on the {h['real_vectors']} real chunk embeddings themselves: "
        f"{h['recall10_on_real_vectors']:.3f}"
    )
    e, et = r["query_embedding"], r["query_embedding_torch"]
    print()
    print(
        f"  (a) query embedding alone: {r['embedder_backend']} p50 {e['p50_ms']:.1f} ms, "
        f"p95 {e['p95_ms']:.1f} ms; torch (baseline) p50 {et['p50_ms']:.1f} ms, "
        f"p95 {et['p95_ms']:.1f} ms; ratio {et['p50_ms'] / e['p50_ms']:.2f}x"
    )
    print()
    header = (
        f"  {'chunks':>8} {'index':>7} | {'build s':>8} {'BM25 s':>7} | {'(b) dense':>13} "
        f"{'(b0) exact':>13} {'recall@10':>9} | {'(c) BM25':>13} {'(d) fusion':>11} "
        f"{'(e) total':>13} | {'RSS now':>8} {'peak':>7}"
    )
    print(header)
    print(
        f"  {'':>8} {'':>7} | {'':>8} {'':>7} | {'p50/p95 ms':>13} {'p50/p95 ms':>13} {'vs exact':>9} | "
        f"{'p50/p95 ms':>13} {'p50/p95 ms':>11} {'p50/p95 ms':>13} | {'MB':>8} {'MB':>7}"
    )
    print("  " + "-" * (len(header) - 2))

    def pp(s):
        return f"{s['p50_ms']:.2f}/{s['p95_ms']:.2f}"

    for z in r["sizes"]:
        lat = z["latency"]
        print(
            f"  {z['chunks']:>8} {z['index_kind']:>7} | {z['dense_build_s']:>8.2f} "
            f"{z['bm25_build_s']:>7.2f} | {pp(lat['dense']):>13} {pp(lat['exact']):>13} "
            f"{z['recall10_vs_exact']:>9.3f} | {pp(lat['bm25']):>13} {pp(lat['fusion']):>11} "
            f"{pp(lat['total']):>13} | {z['rss_mb_after']:>8.0f} {z['peak_rss_mb_so_far']:>7.0f}"
        )
    print()
    print("  (e) total = query embedding + dense + BM25 + fusion in one span; no SQLite read.")
    print(
        f"  peak RSS (ru_maxrss, whole process) {r['peak_rss_mb']:.0f} MB; "
        f"whole benchmark {r['total_wall_s']:.1f} s wall"
    )


if __name__ == "__main__":
    main()
