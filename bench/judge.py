"""The answer check on labelled pairs: precision and recall of each way of deciding support.

`tests/data/entailment_pairs.jsonl` holds (answer sentence, passage, entailed?) pairs taken
from eval runs of the seed and own suites and labelled by reading. Each pair is checked as
`ask` checks it: the sentence citing its passage, through `check_answer`, with

- `overlap`: the word-overlap and MiniLM-similarity rule used before the judge (the baseline);
- `judge`: the cheap filters (quotes, numbers, names) and then the model's YES/NO judgment;
- `model alone` (with --model-alone): the model's judgment on the whole passage, no filters,
  no choice of sentences.

"Positive" is "supported": precision is the share of pairs shown as supported that are, recall
the share of entailed pairs shown as supported.

    python bench/judge.py [--model default|fast|PATH] [--every N] [--model-alone] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

from _common import REPO_ROOT, machine  # also puts the repo on sys.path, models offline

from dossier.answer_check import check_answer
from dossier.judge import ModelJudge
from dossier.runtime import Runtime, Settings
from dossier.schema import Passage

PAIRS = REPO_ROOT / "tests" / "data" / "entailment_pairs.jsonl"
SOURCE_FOLDERS = (REPO_ROOT / "seeds", REPO_ROOT / "bench" / "data" / "suite" / "newsroom")


def source_text(source_id: str) -> str:
    for folder in SOURCE_FOLDERS:
        path = folder / f"{source_id}.txt"
        if path.exists():
            return path.read_text(encoding="utf-8")
    raise FileNotFoundError(f"no source {source_id} in {', '.join(map(str, SOURCE_FOLDERS))}")


def scores(labels: list[bool], verdicts: list[bool], ids: list[str]) -> dict:
    tp = sum(g and v for g, v in zip(labels, verdicts, strict=True))
    fp = sum(v and not g for g, v in zip(labels, verdicts, strict=True))
    fn = sum(g and not v for g, v in zip(labels, verdicts, strict=True))
    return {
        "precision": round(tp / (tp + fp), 3) if tp + fp else None,
        "recall": round(tp / (tp + fn), 3) if tp + fn else None,
        "shown_supported": tp + fp,
        "false_supported": fp,
        "missed": fn,
        "false_supported_ids": [
            i for i, g, v in zip(ids, labels, verdicts, strict=True) if v and not g
        ],
        "missed_ids": [i for i, g, v in zip(ids, labels, verdicts, strict=True) if g and not v],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--every", type=int, default=1, help="every Nth pair only (a sample)")
    parser.add_argument(
        "--model-alone", action="store_true", help="also the model's judgment with no filters"
    )
    args = parser.parse_args()
    load_before = os.getloadavg()
    pairs = [json.loads(line) for line in PAIRS.read_text(encoding="utf-8").splitlines() if line]
    pairs = pairs[:: args.every]
    runtime = Runtime(Settings.resolve(model=args.model))
    llm = runtime.llm()
    llm.load()
    judge = ModelJudge(llm)
    labels = [bool(p["label"]) for p in pairs]
    verdicts: dict[str, list[bool]] = {"overlap": [], "judge": []}
    if args.model_alone:
        verdicts["model alone"] = []
    seconds: dict[str, float] = dict.fromkeys(verdicts, 0.0)
    for done, pair in enumerate(pairs, start=1):
        if done % 25 == 0:
            print(f"  {done}/{len(pairs)} pairs", flush=True)
        text = source_text(pair["source_id"])
        start = text.index(pair["passage"])
        passage = Passage(
            n=1,
            source_id=pair["source_id"],
            start=start,
            end=start + len(pair["passage"]),
            text=pair["passage"],
        )
        claim = pair["claim"].rstrip(".") + " [1]."
        for name in verdicts:
            started = time.perf_counter()
            if name == "model alone":
                verdict = judge.entails(pair["passage"], pair["claim"])
            else:
                sentences, _ = check_answer(
                    claim,
                    [passage],
                    runtime.embedder,
                    judge if name == "judge" else None,
                    {pair["source_id"]: text},
                )
                verdict = bool(sentences) and sentences[0].supported
            seconds[name] += time.perf_counter() - started
            verdicts[name].append(verdict)
    report = {
        "pairs": len(pairs),
        "entailed": sum(labels),
        "not_entailed": len(labels) - sum(labels),
        "model": llm.model_id,
        "checkers": {
            name: {
                **scores(labels, v, [p["id"] for p in pairs]),
                "seconds_per_pair": round(seconds[name] / len(pairs), 3),
            }
            for name, v in verdicts.items()
        },
        "machine": machine(load_before),
    }
    print(f"{len(pairs)} labelled pairs ({sum(labels)} entailed), model {llm.model_id}")
    header = ("checker", "precision", "recall", "false+", "missed", "s/pair")
    print(f"{header[0]:<12} " + " ".join(f"{h:>9}" for h in header[1:]))
    for name, row in report["checkers"].items():
        print(
            f"{name:<12} {row['precision']!s:>9} {row['recall']!s:>9} {row['false_supported']:>9}"
            f" {row['missed']:>9} {row['seconds_per_pair']:>9}"
        )
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
