"""Set-up every benchmark shares: import path, offline model loading, memory figure."""

from __future__ import annotations

import os
import platform
import resource
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

# The development question set (JSON lines; read with dossier.evaluate.load_questions).
DEV_QUESTIONS = REPO_ROOT.parent / "shared" / "eval" / "seed_qa_dev.jsonl"

# Never touch the network: the model is loaded from its installed package folder.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def machine(load_before: tuple[float, ...], **versions) -> dict:
    """What every benchmark reports about the machine: cores, versions, load before and now
    (other programs share these cores)."""
    return {
        "cpu_count": os.cpu_count(),
        "affinity_cpus": len(os.sched_getaffinity(0)),
        **versions,
        "python": platform.python_version(),
        "loadavg_before": [round(x, 2) for x in load_before],
        "loadavg_after": [round(x, 2) for x in os.getloadavg()],
    }


def bench_cache_dir() -> Path:
    """Derived benchmark data (embedded corpora) lives in the data cache folder, rebuildable."""
    from dossier.settings import cache_dir, data_dir

    folder = cache_dir(data_dir()) / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def embedded_corpus(texts: list[str], embedder, name: str, *, batch: int = 512):
    """Vectors of `texts` from the real embedder, cached under `name` with a hash of the texts
    (100k chunks take minutes to embed on 2 cores; the cache makes reruns quick)."""
    import hashlib

    import numpy as np

    digest = hashlib.sha256("\x00".join(texts).encode()).hexdigest()[:16]
    path = bench_cache_dir() / f"{name}-{len(texts)}-{digest}.npy"
    if path.exists():
        return np.load(path), path, True
    out = np.zeros((len(texts), embedder.dim), dtype=np.float32)
    for at in range(0, len(texts), batch):
        out[at : at + batch] = embedder.embed(texts[at : at + batch])
        print(
            f"\r  embedding the corpus once: {min(at + batch, len(texts))}/{len(texts)}",
            end="",
            file=sys.stderr,
        )
    print(file=sys.stderr)
    tmp = path.with_suffix(".tmp.npy")
    np.save(tmp, out)
    os.replace(tmp, path)
    return out, path, False
