# ruff: noqa: E501  (benchmark output lines and sentence templates read better unwrapped)
"""Ingest throughput: the old path (sentence-transformers on torch) and the new one (the default
embedder: OpenVINO, length-sorted batches, parsing overlapped with embedding) on the same
corpus in the same run, split by stage, plus the quality check of the new vectors.

    .venv/bin/python bench/ingest.py [--n 150] [--threads T] [--questions FILE] [--json]

Prints figures only; nothing here asserts on time.

Each path is ONE end-to-end `Library.ingest` on a fresh temporary library over the same files,
with the pipeline functions (load_text, sentence_spans, extract_metadata, chunk_spans) and the
embedder wrapped in timers. In the new path parsing runs in a second thread, so stage times
overlap and do not add up to the wall time; "embed" is the time the embedder was busy.

Quality (the new vectors against the torch ones):
  - mean / min cosine between the two vectors of every chunk of the corpus;
  - fact-hit@k on the dev question set (default /work/shared/eval/seed_qa_dev.jsonl) over the
    seed articles: a question hits when every key-fact group has an alternative in the top-k
    passages; dense-only and hybrid, for both backends, plus top-k agreement;
  - generated paraphrase pairs: one sentence of a chunk reworded (synonyms, reordering) as the
    query, hit@1 / hit@5 of its chunk among all chunks, dense only, for both backends.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from _common import (  # also: repo on sys.path
    DEV_QUESTIONS,
    REPO_ROOT,
    bench_cache_dir,
    machine,
    peak_rss_mb,
)
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


def timed_ingest(library_cls, library_module, folder: Path, articles: Path, embedder) -> dict:
    """One end-to-end ingest with stage timers; returns figures and the library (open)."""
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
        library = library_cls(folder, embedder=timed)
        cpu0 = os.times()
        t0 = time.perf_counter()
        report = library.ingest([articles])
        seconds = time.perf_counter() - t0
        cpu1 = os.times()
    finally:
        restore()
    cpu_s = (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)
    cores = len(os.sched_getaffinity(0))
    stage["embed"] = timed.seconds
    chunks = report.chunks_added
    return {
        "library": library,
        "seconds": seconds,
        "chunks": chunks,
        "files_added": len(report.added),
        "files_failed": len(report.failed),
        "chunks_per_s": chunks / seconds if seconds else 0.0,
        "embed_chunks_per_s": timed.texts / timed.seconds if timed.seconds else 0.0,
        "embed_calls": timed.calls,
        # How much of the machine this process got: other programs share the cores. The
        # "uncontended" rate is chunks per CPU-second of this process times the cores, an
        # estimate of the rate on an otherwise idle machine (assumes the work scales to all
        # cores, which it does when nothing else runs: both backends use every core).
        "cpu_seconds": cpu_s,
        "cpu_share": cpu_s / (seconds * cores) if seconds else 0.0,
        "uncontended_chunks_per_s_estimate": chunks / (cpu_s / cores) if cpu_s else 0.0,
        "stages": {k: stage[k] for k in ("parse", "chunk", "embed")},
    }


SYNONYMS = {
    "said": "stated",
    "says": "states",
    "warned": "cautioned",
    "approved": "passed",
    "officials": "authorities",
    "Officials": "Authorities",
    "residents": "locals",
    "Critics": "Opponents",
    "researcher": "scientist",
    "percent": "per cent",
    "cost": "amount to",
    "likely": "probable",
    "commented": "remarked",
    "described": "reported",
    "rose": "increased",
    "concern": "worry",
}


def paraphrase(sentence: str, rng) -> str:
    words = [SYNONYMS.get(w, w) for w in sentence.rstrip(".").split()]
    if "that" in words:  # "X said that Y" -> "Y, X said"
        at = words.index("that")
        words = words[at + 1 :] + [","] + words[:at]
    elif len(words) > 6 and rng.random() < 0.5:
        cut = rng.randrange(2, len(words) - 2)
        words = words[cut:] + words[:cut]
    return " ".join(words).replace(" ,", ",")


def fact_hits(library, embedder, questions: list, ks: list[int]) -> dict:
    """Share of answerable questions whose key facts are all in the top-k passages."""
    out = {f"dense@{k}": 0 for k in ks} | {f"hybrid@{k}": 0 for k in ks}
    tops = []
    answerable = [q for q in questions if q.answerable and q.key_facts]
    depth = max(50, *ks)
    for q in answerable:
        vector = embedder.embed([q.question])[0]
        dense_ids, _ = library._dense_index().search(vector, depth)
        hits = library.search_with_vector(q.question, vector, max(ks))
        hybrid = [h.chunk.id for h in hits]
        tops.append(dense_ids[: max(ks)].tolist())
        for kind, ranked in (("dense", dense_ids.tolist()), ("hybrid", hybrid)):
            for k in ks:
                chunks = library.store.chunks_by_ids(ranked[:k])
                text = " ".join(c.text for c in chunks.values()).lower()
                if all(any(alt.lower() in text for alt in group) for group in q.key_facts):
                    out[f"{kind}@{k}"] += 1
    return {"n": len(answerable), **out, "tops": tops}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=150, help="number of synthetic articles (default 150)")
    ap.add_argument("--threads", type=int, default=None, help="embedding threads (default: cores)")
    ap.add_argument(
        "--questions",
        default=str(DEV_QUESTIONS),
        help="dev question set for fact-hit@k on the seeds",
    )
    ap.add_argument("--paraphrases", type=int, default=300, help="generated paraphrase pairs")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    args = ap.parse_args()

    import random

    import numpy as np
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)

    import retrieval.library as library_module
    from models.embedder import EMBEDDER_NAME, AutoEmbedder, SentenceTransformerEmbedder
    from retrieval.library import EMBED_BATCH_CHUNKS, Library

    load_before = os.getloadavg()
    t_start = time.perf_counter()
    old = SentenceTransformerEmbedder(threads=args.threads)
    new = AutoEmbedder(bench_cache_dir().parent, threads=args.threads)
    warm = NewsText(args.seed + 1)
    load_s = {}

    with tempfile.TemporaryDirectory(prefix="dossier-bench-ingest-") as tmp:
        tmp = Path(tmp)
        paths, n_bytes = NewsText(args.seed).write_articles(tmp / "articles", args.n)
        runs = {}
        load_at = {}
        # The old path first, before OpenVINO's thread pool exists: two pools on the same
        # cores slow each other down, which would flatter the new path.
        for label, embedder in (("old", old), ("new", new)):
            t0 = time.perf_counter()
            embedder.embed(["warm-up sentence for the embedder"])  # load (new: export once)
            load_s[label] = time.perf_counter() - t0
            embedder.embed([warm.chunk(110) for _ in range(16)])
            time.sleep(1.0)
            load_at[label] = os.getloadavg()[0]
            runs[label] = timed_ingest(
                Library, library_module, tmp / f"lib-{label}", tmp / "articles", embedder
            )

        # -- quality: cosine of the two vectors of every chunk ------------------------------
        def chunk_keys(library, ids) -> dict:
            """chunk id -> (source id, ordinal): the same chunk in both libraries."""
            chunks = library.store.chunks_by_ids(ids.tolist())
            return {cid: (chunk.source_id, chunk.ordinal) for cid, chunk in chunks.items()}

        def vectors_by_key(library):
            ids, vectors = library.store.all_vectors(library.embedder.dim)
            keys = chunk_keys(library, ids)
            return {keys[int(c)]: v for c, v in zip(ids, vectors, strict=True)}

        lib_new = runs["new"]["library"]
        new_vecs = vectors_by_key(lib_new)
        old_vecs = vectors_by_key(runs["old"]["library"])
        common = sorted(set(new_vecs) & set(old_vecs))
        cos = np.array([float(new_vecs[k] @ old_vecs[k]) for k in common])
        chunk_ids, chunk_texts = lib_new.store.all_chunk_texts()
        mean_chars = sum(map(len, chunk_texts)) / max(1, len(chunk_texts))

        # -- quality: generated paraphrase pairs --------------------------------------------
        rng = random.Random(args.seed)
        picks = rng.sample(range(len(chunk_texts)), min(args.paraphrases, len(chunk_texts)))
        from retrieval.sentences import sentence_spans

        pairs = []
        for row in picks:
            text = chunk_texts[row]
            spans = [text[a:b] for a, b in sentence_spans(text) if b - a > 40]
            if spans:
                pairs.append((paraphrase(rng.choice(spans), rng), row))
        para = {}
        key_row = {k: i for i, k in enumerate(common)}
        chunk_key = chunk_keys(lib_new, chunk_ids)
        for label, embedder in (("new", new), ("old", old)):
            matrix = np.vstack([old_vecs[k] if label == "old" else new_vecs[k] for k in common])
            queries = embedder.embed([q for q, _ in pairs])
            h1 = h5 = 0
            for (_, row), qv in zip(pairs, queries, strict=True):
                target = key_row[chunk_key[int(chunk_ids[row])]]
                order = np.argsort(-(matrix @ qv))[:5]
                h1 += int(order[0] == target)
                h5 += int(target in order)
            para[label] = {"hit@1": h1 / len(pairs), "hit@5": h5 / len(pairs)}
        for run in runs.values():
            run["library"].close()
            del run["library"]

        # -- quality: fact-hit@k on the dev questions over the seeds ------------------------
        facts = None
        qpath = Path(args.questions)
        if qpath.exists():
            from dossier.evaluate import load_questions

            questions = load_questions(qpath)
            facts = {}
            for label, embedder in (("new", new), ("old", old)):
                library = Library(tmp / f"seeds-{label}", embedder=embedder)
                library.ingest([REPO_ROOT / "seeds"])
                facts[label] = fact_hits(library, embedder, questions, [1, 3, 5, 8])
                library.close()
            agree = [
                len(set(a) & set(b)) / max(1, len(a))
                for a, b in zip(facts["new"].pop("tops"), facts["old"].pop("tops"), strict=True)
            ]
            facts["top8_dense_overlap"] = float(np.mean(agree)) if agree else None

    ratio = runs["new"]["chunks_per_s"] / runs["old"]["chunks_per_s"]
    result = {
        "machine": machine(
            load_before,
            torch_threads=torch.get_num_threads(),
            torch_version=torch.__version__,
            loadavg_1min_at_start_of_run=load_at,
        ),
        "embedder": EMBEDDER_NAME,
        "new_backend": new.backend,
        "new_fallback_reason": new.fallback_reason,
        "model_load_s": load_s,
        "ingest_commit_batch_chunks": EMBED_BATCH_CHUNKS,
        "files": len(paths),
        "mb_text": n_bytes / 1e6,
        "mean_chunk_chars": mean_chars,
        "runs": runs,
        "ratio_new_vs_old_chunks_per_s": ratio,
        "quality": {
            "chunks_compared": len(common),
            "cosine_mean": float(cos.mean()) if len(cos) else None,
            "cosine_min": float(cos.min()) if len(cos) else None,
            "paraphrase_pairs": len(pairs),
            "paraphrase": para,
            "fact_hit": facts,
        },
        "peak_rss_mb": peak_rss_mb(),
        "total_wall_s": time.perf_counter() - t_start,
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print_table(result)


def print_table(r: dict) -> None:
    m = r["machine"]
    print("Dossier ingest benchmark: old path (torch) vs new path (default embedder), same corpus")
    print(
        f"  machine        : {m['cpu_count']} cores ({m['affinity_cpus']} usable), torch "
        f"{m['torch_version']} with {m['torch_threads']} threads, Python {m['python']}"
    )
    print(
        f"  load average   : {m['loadavg_before'][0]:.2f} before, new run started at "
        f"{m['loadavg_1min_at_start_of_run']['new']:.2f}, old at "
        f"{m['loadavg_1min_at_start_of_run']['old']:.2f}, {m['loadavg_after'][0]:.2f} after "
        "(1-min; other processes share these cores)"
    )
    print(
        f"  embedder       : {r['embedder']}; new backend {r['new_backend']}"
        + (f" (fell back: {r['new_fallback_reason']})" if r["new_fallback_reason"] else "")
        + f"; load new {r['model_load_s']['new']:.1f} s, old {r['model_load_s']['old']:.1f} s"
    )
    print(
        f"  corpus         : {r['files']} files, {r['mb_text']:.2f} MB, chunks of "
        f"{r['mean_chunk_chars']:.0f} characters on average"
    )
    print()
    print(
        f"  {'path':<5}{'chunks':>8}{'seconds':>10}{'chunks/s':>10}{'embed/s':>10}"
        f"{'parse s':>9}{'chunk s':>9}{'embed s':>9}{'CPU share':>11}{'idle est.':>11}"
    )
    for label in ("old", "new"):
        x = r["runs"][label]
        st = x["stages"]
        print(
            f"  {label:<5}{x['chunks']:>8}{x['seconds']:>10.2f}{x['chunks_per_s']:>10.1f}"
            f"{x['embed_chunks_per_s']:>10.1f}{st['parse']:>9.2f}{st['chunk']:>9.2f}{st['embed']:>9.2f}"
            f"{x['cpu_share'] * 100:>10.0f}%{x['uncontended_chunks_per_s_estimate']:>11.1f}"
        )
    print(f"  ratio new / old chunks/s: {r['ratio_new_vs_old_chunks_per_s']:.2f}x")
    print(
        "  (CPU share = this process's CPU time / (wall x cores); idle est. = chunks per "
        "CPU-second x cores, the rate if no other program used the cores)"
    )
    q = r["quality"]
    print()
    print(
        f"  quality: cosine(new, old) over {q['chunks_compared']} chunks: mean "
        f"{q['cosine_mean']:.6f}, min {q['cosine_min']:.6f}"
    )
    p = q["paraphrase"]
    print(
        f"  paraphrase pairs ({q['paraphrase_pairs']}), dense hit@1 / hit@5: new "
        f"{p['new']['hit@1']:.3f} / {p['new']['hit@5']:.3f}, old {p['old']['hit@1']:.3f} / "
        f"{p['old']['hit@5']:.3f}"
    )
    f = q["fact_hit"]
    if f:
        for label in ("new", "old"):
            x = f[label]
            cells = ", ".join(
                f"{k} {x[k]}/{x['n']}" for k in x if k not in ("n",) and not k.startswith("_")
            )
            print(f"  fact-hit@k on the dev questions ({label}): {cells}")
        print(f"  top-8 dense overlap new vs old: {f['top8_dense_overlap']:.3f}")
    print()
    print(f"  peak RSS {r['peak_rss_mb']:.0f} MB; whole benchmark {r['total_wall_s']:.1f} s wall")


if __name__ == "__main__":
    main()
