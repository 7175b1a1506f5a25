"""Precision and recall of the briefing's "Differences between sources" on a labelled set.

    .venv/bin/python bench/differences.py [--model NAME | --no-model] [--fake-embedder]
                                          [--no-seeds] [--json]

The set is tests/data/differences/: short invented articles (STORY_OUTLET.txt: headline line,
outlet line, then the text) and labels.jsonl, one labelled pair per line — two sources, a
piece of each statement, and whether the two statements really differ (a different figure,
time or key word for the same thing) or are a planted non-difference (the same figure in
other units, overlapping approximate figures, synonyms, figures of different things).

Every source of every story goes through `dossier.differences.find_differences`, as the
briefing calls it (sentence embeddings from the real embedder, the model as judge). A found
pairwise difference (figures, accounts, speakers) is a true positive when it matches a real
label, and a false positive otherwise (a planted non-difference or anything unlabelled).
Recall = real labels found / real labels. Then the seeds' differences are listed for a human.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

from _common import REPO_ROOT, machine, peak_rss_mb  # also: repo on sys.path

from dossier.differences import find_differences
from dossier.schema import Difference, SourceSpan
from retrieval.sentences import sentence_spans

SET = REPO_ROOT / "tests" / "data" / "differences"
SEEDS = REPO_ROOT / "seeds"
PAIRWISE = {"number", "stance", "speaker"}


def load_story_sentences(folder: Path) -> dict[str, tuple[list[SourceSpan], dict[str, str]]]:
    """story -> (sentences of its sources, source id -> outlet), headline and outlet lines out."""
    stories: dict[str, tuple[list[SourceSpan], dict[str, str]]] = {}
    for path in sorted(folder.glob("*.txt")):
        story = path.stem.rsplit("_", 1)[0]
        text = path.read_text(encoding="utf-8")
        lines = text.split("\n", 2)
        body_at = len(lines[0]) + len(lines[1]) + 2
        spans, outlets = stories.setdefault(story, ([], {}))
        outlets[path.stem] = lines[1].strip()
        spans += [
            SourceSpan(source_id=path.stem, start=a, end=b, text=text[a:b])
            for a, b in sentence_spans(text)
            if a >= body_at
        ]
    return stories


def seed_sentences(folder: Path) -> list[SourceSpan]:
    spans = []
    for path in sorted(folder.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        spans += [
            SourceSpan(source_id=path.stem[:3], start=a, end=b, text=text[a:b])
            for a, b in sentence_spans(text)
            if len(text[a:b].split()) >= 6  # headlines, bylines and credits out
        ]
    return spans


def matches(d: Difference, label: dict) -> bool:
    if len(d.sides) != 2:
        return False
    x, y = d.sides[0].statement, d.sides[1].statement

    def fits(s: SourceSpan, source: str, words: str) -> bool:
        return s.source_id == source and words in s.text

    a, b = (label["a"], label["a_text"]), (label["b"], label["b_text"])
    return (fits(x, *a) and fits(y, *b)) or (fits(x, *b) and fits(y, *a))


def score(found: list[Difference], labels: list[dict]) -> dict:
    pairwise = [d for d in found if d.kind in PAIRWISE]
    real = [lab for lab in labels if lab["real"]]
    hits = [d for d in pairwise if any(matches(d, lab) for lab in real)]
    recalled = [lab for lab in real if any(matches(d, lab) for d in pairwise)]
    planted = [lab for lab in labels if not lab["real"] and any(matches(d, lab) for d in pairwise)]
    return {
        "found": len(pairwise),
        "true_positives": len(hits),
        "precision": len(hits) / len(pairwise) if pairwise else 1.0,
        "recall": len(recalled) / len(real) if real else 1.0,
        "missed": [
            f"{lab['a']} / {lab['b']}: {lab['note']}" for lab in real if lab not in recalled
        ],
        "planted_non_differences_reported": [
            f"{lab['a']} / {lab['b']}: {lab['note']}" for lab in planted
        ],  # fmt: skip
        "false_positives": [describe(d) for d in pairwise if d not in hits],
    }


def describe(d: Difference) -> str:
    sides = " vs ".join(f"{s.statement.source_id}: {s.value or s.statement.text}" for s in d.sides)
    return f"[{d.kind}] {d.topic} :: {sides}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="catalog name or .gguf path (default: the bundled one)")
    parser.add_argument("--no-model", action="store_true", help="figures and times only")
    parser.add_argument("--fake-embedder", action="store_true", help="bag-of-words vectors")
    parser.add_argument("--no-seeds", action="store_true", help="skip the seeds' list")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    load_before = os.getloadavg()
    from dossier.runtime import Runtime, Settings

    runtime = Runtime(Settings.resolve(model=args.model))
    if args.fake_embedder:
        from tests.conftest import FakeEmbedder

        embedder = FakeEmbedder()
    else:
        embedder = runtime.embedder
    llm = None if args.no_model else runtime.llm()
    labels = [json.loads(line) for line in (SET / "labels.jsonl").read_text().splitlines() if line]
    started = time.perf_counter()
    found: list[Difference] = []
    for _story, (spans, _outlets) in load_story_sentences(SET).items():
        vectors = embedder.embed([s.text for s in spans])
        found += find_differences(spans, vectors, [], llm=llm)
    result = score(found, labels)
    result["seconds"] = round(time.perf_counter() - started, 1)
    result["pairs"] = len(labels)
    result["real_pairs"] = sum(lab["real"] for lab in labels)
    if not args.no_seeds:
        spans = seed_sentences(SEEDS)
        vectors = embedder.embed([s.text for s in spans])
        seeds = find_differences(spans, vectors, [], llm=llm)
        result["seed_differences"] = [describe(d) for d in seeds if d.kind in PAIRWISE]
    result["model"] = getattr(llm, "model_id", None)
    result["embedder"] = embedder.name
    result["peak_rss_mb"] = round(peak_rss_mb())
    result["machine"] = machine(load_before)
    runtime.close()
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"labelled set: {result['pairs']} pairs, {result['real_pairs']} real differences")
    print(f"model: {result['model']}; embedder: {result['embedder']}; {result['seconds']} s")
    print(f"found {result['found']} pairwise differences, {result['true_positives']} real")
    print(f"precision {result['precision']:.3f}   recall {result['recall']:.3f}")
    for name in ("missed", "planted_non_differences_reported", "false_positives"):
        print(f"{name}:")
        for line in result[name]:
            print(f"  - {line}")
    if "seed_differences" in result:
        print("seed differences (for a human to judge):")
        for line in result["seed_differences"]:
            print(f"  - {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
