# ruff: noqa: E501  (benchmark output lines read better unwrapped)
"""Library backends at scale: the embedded folder (SQLite + FAISS + BM25) against PostgreSQL
(pgvector HNSW + BM25 in SQL), both through the library protocol.

    .venv/bin/python bench/scale.py [--sizes 10000,100000] [--backends embedded,postgres]
                                    [--vector-type vector|halfvec] [--url URL] [--queries 50]
                                    [--bulk-from SIZE] [--json]

Prints figures only; nothing here asserts on time. Other programs share the 2 cores: the load
average before and after is printed with the figures.

For each backend (each in its own process, so the client memory figure is its own), a fresh
library grows through the sizes: generated news articles (bench/_corpus.py) are written as
files and go through `library.ingest` (the real pipeline: reading, metadata, chunking,
batches, commits) until the library holds about each size in chunks. Then, at each size:

- ingest throughput: chunks per second of the ingest that grew it to this size;
- search p50/p95 of `search_with_vector` (dense + keyword + fusion + reading the chunks back),
  the query embedding timed apart (it is the same for both backends);
- recall@10 of the dense list against exact search over the same stored vectors (the
  embedded library uses FAISS HNSW from 50k vectors; PostgreSQL always its HNSW index);
- memory of the client process (peak RSS), and size on disk (library folder, or the tables
  and indexes in the database).

`--bulk-from SIZE` (PostgreSQL): the sizes from SIZE on are grown as a newsroom's first bulk
load would be, not as a normal ingest: the HNSW index is dropped, the same `library.ingest`
runs (so each row costs only the table, GIN and b-tree writes), then the index is built once
with hnsw.py's own `CREATE INDEX` (same WITH parameters; `--maintenance-work-mem`, 4GB by
default, so the graph of 1M vectors is built in memory, and `--parallel-workers`), then
`ANALYZE`; the ingest, the index build and ANALYZE are timed apart (`bulk_load` in the JSON).

Vectors: embedding 100k chunks for real takes most of an hour on 2 busy cores, so, as
bench/search.py does, 6,000 generated chunks are embedded for real (cached) and each chunk's
vector is drawn from a Gaussian with their mean and covariance (seeded by the chunk's text),
then normalised: the same anisotropic spectrum as real embeddings, which approximate search
depends on. Ingest throughput therefore leaves out embedding (unchanged between backends and
measured by bench/ingest.py). Query vectors are real embeddings of generated questions.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import bench_cache_dir, embedded_corpus, machine, peak_rss_mb  # repo on sys.path
from _corpus import NewsText

DIM = 384
N_FIT = 6000
ARTICLES_FOR_ESTIMATE = 200


class FittedEmbedder:
    """Vectors drawn from a Gaussian fitted on real embeddings, seeded by each text: the same
    text always gets the same vector, and a whole batch costs one matrix product."""

    name = "bench/fitted-gaussian"
    dim = DIM

    def __init__(self, mean: np.ndarray, factor: np.ndarray) -> None:
        self.mean, self.factor = mean, factor

    def embed(self, texts: list[str]) -> np.ndarray:
        z = (
            np.stack(
                [
                    np.random.default_rng(
                        int.from_bytes(
                            hashlib.blake2b(t.encode(), digest_size=8).digest(), "little"
                        )
                    ).standard_normal(DIM)
                    for t in texts
                ]
            ).astype(np.float32)
            if texts
            else np.zeros((0, DIM), np.float32)
        )
        v = z @ self.factor.T + self.mean
        return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


def stats_ms(samples_s: list[float]) -> dict:
    a = np.asarray(samples_s) * 1000
    return {
        "p50_ms": round(float(np.percentile(a, 50)), 2),
        "p95_ms": round(float(np.percentile(a, 95)), 2),
    }


def peak_rss_of_this_process_mb() -> float:
    """VmHWM: unlike getrusage's ru_maxrss, not inherited from the parent across exec."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return peak_rss_mb()


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


# -- the parent: shared inputs, one worker process per backend --------------------------------
def prepare_inputs(args, work: Path) -> dict:
    """Fit the Gaussian, embed the queries (timed), write the article files of every stage."""
    from models.embedder import AutoEmbedder
    from retrieval.library import _chunk

    fast = AutoEmbedder(bench_cache_dir().parent)
    gen = NewsText(args.seed + 7)
    fit_texts = [gen.chunk(100) for _ in range(args.fit)]
    real, _, cached = embedded_corpus(fit_texts, fast, "search-chunks")
    cov = np.cov(real, rowvar=False)
    w, v = np.linalg.eigh(cov)
    factor = (v * np.sqrt(np.clip(w, 0, None))).astype(np.float32)
    qgen = NewsText(args.seed)
    queries = [qgen.query() for _ in range(args.queries)]
    fast.embed(["warm-up"])
    lat, qvecs = [], []
    for q in queries:
        t0 = time.perf_counter()
        qvecs.append(fast.embed([q])[0])
        lat.append(time.perf_counter() - t0)
    np.savez(work / "inputs.npz", mean=real.mean(axis=0), factor=factor, qvecs=np.stack(qvecs))
    (work / "queries.json").write_text(json.dumps(queries))
    # Articles per stage: chunks per article estimated on a sample chunked for real.
    agen = NewsText(args.seed + 11)
    sample = [agen.article() for _ in range(ARTICLES_FOR_ESTIMATE)]
    per_article = float(np.mean([len(_chunk(t)[1]) for t in sample]))
    stages, written, total = [], 0, 0
    t0 = time.perf_counter()
    for size in args.sizes:
        n = max(0, round(size / per_article) - written)
        folder = work / "articles" / f"to-{size}"
        folder.mkdir(parents=True)
        for i in range(n):
            (folder / f"a{written + i:07d}.txt").write_text(agen.article(), encoding="utf-8")
        written += n
        total += n
        stages.append({"size": size, "folder": str(folder), "files": n})
    return {
        "embedder_backend": fast.backend,
        "fit_vectors": len(real),
        "fit_cached": cached,
        "query_embedding": stats_ms(lat),
        "chunks_per_article": round(per_article, 2),
        "files_written": total,
        "files_write_s": round(time.perf_counter() - t0, 1),
        "stages": stages,
    }


def run_worker(args, backend: str, work: Path) -> dict:
    out = work / f"result-{backend}.json"
    cmd = [
        sys.executable,
        __file__,
        "--worker",
        backend,
        "--work",
        str(work),
        "--vector-type",
        args.vector_type,
    ]
    if args.url:
        cmd += ["--url", args.url]
    if args.bulk_from:
        cmd += ["--bulk-from", str(args.bulk_from)]
        cmd += ["--maintenance-work-mem", args.maintenance_work_mem]
        cmd += ["--parallel-workers", str(args.parallel_workers)]
    if args.keyword_baseline:
        cmd += ["--keyword-baseline"]
    subprocess.run(cmd, check=True)
    return json.loads(out.read_text())


# -- a worker: one backend through every size --------------------------------------------------
def open_backend(backend: str, work: Path, args, embedder):
    from retrieval.backend import open_library_at

    if backend == "embedded":
        return open_library_at(work / "embedded", embedder=embedder), None
    from retrieval.postgres import server

    if args.url:
        url = args.url
        stop = None
    else:
        info = server.start(work / "postgres")
        url, stop = info.url, (lambda: server.stop(work / "postgres"))
    if args.vector_type != "vector":
        url += f"?vector={args.vector_type}"
    return open_library_at(url, embedder=embedder, local_folder=work / "pg-local"), stop


def exact_top(backend: str, library, qvec: np.ndarray, k: int, cache: dict) -> list[int]:
    if backend == "embedded":
        if "matrix" not in cache:
            cache["ids"], cache["matrix"] = library.store.all_vectors(DIM)
        scores = cache["matrix"] @ qvec
        return cache["ids"][np.argsort(-scores)[:k]].tolist()
    from retrieval.postgres.schema import CHUNKS_TABLE

    with library.store.reading() as db, db.transaction():
        db.execute("SET LOCAL enable_indexscan = off")
        db.execute("SET LOCAL enable_bitmapscan = off")
        rows = db.execute(
            f"SELECT id FROM {CHUNKS_TABLE} ORDER BY embedding <=> %s::{library.store.vector_type} LIMIT %s",
            (qvec, k),
        ).fetchall()
    return [r[0] for r in rows]


def approx_top(backend: str, library, qvec: np.ndarray, k: int) -> list[int]:
    if backend == "embedded":
        ids, _ = library._dense_index().search(qvec, k)
        return [int(i) for i in ids]
    hits = library.search_with_vector("", qvec, k=k, candidates=50)  # no words: the dense list
    return [h.chunk.id for h in hits]


def drop_hnsw(library) -> None:
    """Bulk load (PostgreSQL): the HNSW index dropped before the ingest, built once after."""
    from retrieval.postgres import hnsw

    with library.store.transaction() as db:
        db.execute(f"DROP INDEX IF EXISTS {hnsw.INDEX}")


def build_hnsw(library, args) -> dict:
    """CREATE INDEX with hnsw.py's statement (same WITH parameters), in memory, then ANALYZE
    (the keyword ranking reads the planner's statistics), each timed."""
    from retrieval.postgres import hnsw
    from retrieval.postgres.schema import CHUNKS_TABLE

    settings = {
        "maintenance_work_mem": args.maintenance_work_mem,
        "max_parallel_maintenance_workers": str(args.parallel_workers),
    }
    notices: list[str] = []  # pgvector says so if the graph outgrows maintenance_work_mem
    with library.store.transaction() as db:

        def keep(diagnostic) -> None:
            notices.append(diagnostic.message_primary)

        db.add_notice_handler(keep)
        for key, value in settings.items():
            db.execute("SELECT set_config(%s, %s, true)", (key, value))
        t0 = time.perf_counter()
        db.execute(hnsw.create_index(library.store.vector_type))
        index_s = time.perf_counter() - t0
        db.remove_notice_handler(keep)
    t0 = time.perf_counter()
    with library.store.transaction() as db:
        db.execute(f"ANALYZE {CHUNKS_TABLE}")
    analyze_s = time.perf_counter() - t0
    return {
        "how": "library.ingest with the HNSW index dropped, then CREATE INDEX once (hnsw.create_index)",
        "settings": settings,
        "index_build_s": round(index_s, 1),
        "analyze_s": round(analyze_s, 1),
        "notices": notices,
    }


def keyword_timings(library, queries: list[str], args) -> dict:
    """PostgreSQL: the keyword half alone (the depth a search asks for), p50/p95; with
    --keyword-baseline also the ranking it replaced (bench/_pg_keyword_baseline.py) on the
    same rows and questions, in the same run, and how many of the top 10 the two share."""
    import _pg_keyword_baseline as baseline

    depth = 50  # search_with_vector's default candidates
    result: dict = {}
    if args.keyword_baseline:
        result["keyword_baseline_column_s"] = round(baseline.add_column(library), 1)
    ways = {"keyword_bm25": library._keyword_ids}
    if args.keyword_baseline:
        ways["keyword_baseline_ts_rank"] = baseline.keyword_ids
    top: dict = {name: [] for name in ways}
    for name, rank in ways.items():
        with library.store.reading() as db:
            for q in queries[:5]:  # warm caches
                rank(db, q, depth)
            lat = []
            for q in queries:
                t0 = time.perf_counter()
                top[name].append(rank(db, q, depth)[:10])
                lat.append(time.perf_counter() - t0)
        result[name] = stats_ms(lat)
    if args.keyword_baseline:
        shared = [len(set(a) & set(b)) for a, b in zip(*top.values(), strict=True)]
        result["keyword_top10_shared"] = round(float(np.mean(shared)), 2)
    return result


def worker(args) -> None:
    work = Path(args.work)
    inputs = np.load(work / "inputs.npz")
    queries = json.loads((work / "queries.json").read_text())
    meta = json.loads((work / "inputs.json").read_text())
    embedder = FittedEmbedder(inputs["mean"], inputs["factor"])
    qvecs = inputs["qvecs"]
    library, stop = open_backend(args.worker, work, args, embedder)
    results = []
    try:
        for stage in meta["stages"]:
            before = library.store.count_chunks() if hasattr(library.store, "count_chunks") else 0
            bulk = args.worker == "postgres" and args.bulk_from and stage["size"] >= args.bulk_from
            if bulk:
                drop_hnsw(library)
            t0 = time.perf_counter()
            report = library.ingest([Path(stage["folder"])])
            ingest_s = time.perf_counter() - t0
            build = build_hnsw(library, args) if bulk else {}
            chunks = library.store.count_chunks()
            for q, v in zip(queries[:5], qvecs[:5], strict=True):  # warm caches and indexes
                library.search_with_vector(q, v, k=8)
            lat = []
            for q, v in zip(queries, qvecs, strict=True):
                t0 = time.perf_counter()
                library.search_with_vector(q, v, k=8)
                lat.append(time.perf_counter() - t0)
            dense_lat = []  # no query words: the dense half alone (+ reading the hits back)
            for v in qvecs:
                t0 = time.perf_counter()
                library.search_with_vector("", v, k=8)
                dense_lat.append(time.perf_counter() - t0)
            cache: dict = {}
            recall = np.mean(
                [
                    len(
                        set(approx_top(args.worker, library, v, 10))
                        & set(exact_top(args.worker, library, v, 10, cache))
                    )
                    / 10
                    for v in qvecs
                ]
            )
            del cache
            keyword = keyword_timings(library, queries, args) if args.worker == "postgres" else {}
            parts: dict = {}
            if args.worker == "embedded":
                disk = folder_bytes(work / "embedded")
            else:
                disk = library.database_bytes()
                with library.store.reading() as db:
                    rows = db.execute(
                        "SELECT c.relname, pg_relation_size(c.oid) FROM pg_class c "
                        "WHERE c.relname LIKE 'dossier\\_%%'"
                    ).fetchall()
                parts = {name: round(size / 2**20, 1) for name, size in rows if size}
            results.append(
                {
                    "size": stage["size"],
                    "chunks": chunks,
                    "files": stage["files"],
                    "failed": len(report.failed),
                    "ingest_s": round(ingest_s, 1),
                    "ingest_chunks_per_s": round((chunks - before) / ingest_s, 1),
                    **({"bulk_load": build} if bulk else {}),
                    "search": stats_ms(lat),
                    "search_dense_only": stats_ms(dense_lat),
                    "recall_at_10": round(float(recall), 4),
                    **keyword,
                    "client_peak_rss_mb": round(peak_rss_of_this_process_mb(), 1),
                    "disk_mb": round(disk / 2**20, 1),
                    "relations_mb": parts,
                }
            )
            print(json.dumps({"backend": args.worker, **results[-1]}), file=sys.stderr, flush=True)
    finally:
        library.close()
        if stop:
            stop()
    (work / f"result-{args.worker}.json").write_text(json.dumps(results))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--sizes",
        default="10000,100000",
        help="comma-separated chunk counts (e.g. 10000,100000,1000000)",
    )
    ap.add_argument("--backends", default="embedded,postgres")
    ap.add_argument(
        "--vector-type",
        choices=["vector", "halfvec"],
        default="vector",
        help="PostgreSQL vector column",
    )
    ap.add_argument(
        "--url",
        help="an existing PostgreSQL library URL with an EMPTY database (default: a server started in a temporary folder)",
    )
    ap.add_argument(
        "--bulk-from",
        type=int,
        help="PostgreSQL: grow to each size of at least this many chunks as a first bulk load "
        "would (HNSW index dropped, the same ingest, the index built once; timed apart)",
    )
    ap.add_argument("--maintenance-work-mem", default="4GB", help="for the index build")
    ap.add_argument("--parallel-workers", type=int, default=1, help="for the index build")
    ap.add_argument(
        "--keyword-baseline",
        action="store_true",
        help="PostgreSQL: also time the keyword ranking used before BM25 (ts_rank over "
        "PostgreSQL's English stems) on the same rows",
    )
    ap.add_argument("--queries", type=int, default=50)
    ap.add_argument("--fit", type=int, default=N_FIT)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--work", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args)
        return
    args.sizes = sorted({int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()})
    load_before = os.getloadavg()
    work = Path(tempfile.mkdtemp(prefix="dossier-scale-"))
    try:
        inputs = prepare_inputs(args, work)
        (work / "inputs.json").write_text(json.dumps(inputs))
        backends = {b: run_worker(args, b, work) for b in args.backends.split(",") if b}
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result = {
        "machine": machine(load_before),
        "vectors": "Gaussian fitted on real embeddings (see docstring)",
        "vector_type": args.vector_type,
        **{k: v for k, v in inputs.items() if k != "stages"},
        "backends": backends,
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(
        f"query embedding ({inputs['embedder_backend']}, batch of 1): p50 {inputs['query_embedding']['p50_ms']} ms, p95 {inputs['query_embedding']['p95_ms']} ms"
    )
    print(
        f"{'backend':9} {'chunks':>8} {'ingest ch/s':>11} {'search p50':>10} {'p95':>8} {'recall@10':>9} {'client MB':>9} {'disk MB':>8}"
    )
    for name, rows in backends.items():
        for r in rows:
            print(
                f"{name:9} {r['chunks']:>8} {r['ingest_chunks_per_s']:>11} {r['search']['p50_ms']:>10} {r['search']['p95_ms']:>8} {r['recall_at_10']:>9} {r['client_peak_rss_mb']:>9} {r['disk_mb']:>8}"
            )
            if "bulk_load" in r:
                b = r["bulk_load"]
                print(
                    f"  bulk load, not the normal ingest: ingest without the HNSW index {r['ingest_s']} s, then CREATE INDEX {b['index_build_s']} s, ANALYZE {b['analyze_s']} s ({b['settings']})"
                )
    print(
        f"load average before {result['machine']['loadavg_before']}, after {result['machine']['loadavg_after']}"
    )


if __name__ == "__main__":
    main()
