"""How alike sources of one story are, and sources of different stories: the figures behind
`dossier.stories.STORY_SIMILARITY`.

    .venv/bin/python bench/stories.py [--fake-embedder | --topic-embedder] [--chunks]

Ingests the seeds (one story) and the test articles of other stories (`tests/data/stories/`,
`tests/data/differences/`; a story is the file name before `_`) into a temporary library with
the bundled embedder, makes each source's vector as the briefing does (the mean of its content
sentences' vectors; `--chunks`: of its stored chunk vectors), and prints the cosine of every
pair within a story and between stories, then the groups `group_sources` finds.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import REPO_ROOT

from dossier.stories import group_sources, similarities, source_vectors, story_similarity
from dossier.summaries import content_sentences

SETS = [REPO_ROOT / "seeds", REPO_ROOT / "tests/data/stories", REPO_ROOT / "tests/data/differences"]


def story_of(path: str) -> str:
    p = Path(path)
    return "seeds" if p.parent.name == "seeds" else f"{p.parent.name}/{p.stem.split('_')[0]}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fake-embedder", action="store_true", help="the tests' bag of words")
    parser.add_argument("--topic-embedder", action="store_true", help="tests: content words")
    parser.add_argument("--chunks", action="store_true", help="mean of chunk vectors instead")
    parser.add_argument(
        "--cache", type=Path, help="the app's embedder (OpenVINO when it runs) with this cache"
    )
    args = parser.parse_args()
    if args.fake_embedder:
        from tests.conftest import FakeEmbedder

        embedder = FakeEmbedder()
    elif args.topic_embedder:
        from tests.fakes import TopicEmbedder

        embedder = TopicEmbedder()
    elif args.cache:
        from models.embedder import AutoEmbedder

        embedder = AutoEmbedder(args.cache)
    else:
        from models.embedder import SentenceTransformerEmbedder

        embedder = SentenceTransformerEmbedder()
    from retrieval.library import Library

    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        library = Library(Path(tmp) / "lib", embedder=embedder)
        library.ingest([p for p in SETS if p.exists()])
        sources = library.sources()
        owners, texts = [], []
        for s in sources:
            text = library.source_text(s.id) or ""
            chunks = library.chunks_of(s.id)
            if args.chunks:
                pieces = [c.text for c in chunks]
            else:
                ranges = [(c.start, c.end) for c in chunks]
                pieces = [text[a:b] for a, b in content_sentences(text, ranges)]
            owners += [s.id] * len(pieces)
            texts += pieces
        vectors = source_vectors([s.id for s in sources], owners, embedder.embed(texts))
        library.close()
    stories = [story_of(s.path) for s in sources]
    sim = similarities(vectors)
    within, between = [], []
    for i, j in itertools.combinations(range(len(sources)), 2):
        (within if stories[i] == stories[j] else between).append((sim[i, j], i, j))
    backend = getattr(embedder, "backend", "")
    kind = "chunks" if args.chunks else "sentences"
    print(f"embedder: {embedder.name} {backend}; vectors: {kind}; "
          f"{len(sources)} sources, {len(set(stories))} stories; "
          f"{time.perf_counter() - started:.1f} s")  # fmt: skip
    for name, pairs in (("within a story", within), ("between stories", between)):
        values = [v for v, _, _ in pairs]
        print(f"{name:16} pairs {len(values):4}  min {min(values):.3f}  "
              f"median {statistics.median(values):.3f}  max {max(values):.3f}")  # fmt: skip
    low = min(within)
    high = max(between)
    print(f"least alike pair of one story: {low[0]:.3f} {stories[low[1]]} "
          f"({Path(sources[low[1]].path).name} / {Path(sources[low[2]].path).name})")  # fmt: skip
    print(f"most alike pair of two stories: {high[0]:.3f} {stories[high[1]]} vs "
          f"{stories[high[2]]}")  # fmt: skip
    for name in sorted(set(stories)):
        rows = [i for i, s in enumerate(stories) if s == name]
        inner = [sim[i, j] for i, j in itertools.combinations(rows, 2)]
        print(f"  {name:26} {len(rows)} sources, within min "
              f"{min(inner) if inner else float('nan'):.3f}")  # fmt: skip
    threshold = story_similarity(embedder)
    groups = group_sources(vectors, threshold)
    print(f"groups at the threshold of this embedder, {threshold}: {len(groups)}")
    exact = sum(1 for g in groups if len({stories[i] for i in g}) == 1
                and len(g) == stories.count(stories[g[0]]))  # fmt: skip
    print(f"groups that are exactly one story: {exact} of {len(set(stories))} stories")
    for g in groups:
        print("  ", sorted({stories[i] for i in g}), len(g))
    for t in np.arange(0.2, 0.8, 0.05):
        found = group_sources(vectors, float(t))
        ok = sum(1 for g in found if len({stories[i] for i in g}) == 1
                 and len(g) == stories.count(stories[g[0]]))  # fmt: skip
        print(f"  threshold {t:.2f}: {len(found)} groups, {ok} exact")


if __name__ == "__main__":
    main()
