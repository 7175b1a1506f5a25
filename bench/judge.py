"""The answer check on labelled pairs: precision and recall of each way of deciding support.

`tests/data/entailment_pairs.jsonl` holds (answer sentence, passage, entailed?) pairs taken
from eval runs of the seed and own suites and labelled by reading. Each pair is checked as
`ask` checks it: the sentence citing its passage, through `check_answer`, with

- `overlap`: the word-overlap and MiniLM-similarity rule used before the judge (the baseline);
- `judge`: the cheap filters (quotes, numbers, names) and then the model's YES/NO judgment;
- `model alone` (with --model-alone): the model's judgment on the whole passage, no filters,
  no choice of sentences.

With --sweep, the judge's probability of YES is kept for every pair and the table is also
given for a range of thresholds, with a two-fold cross-validation: the threshold is chosen
on the even pairs (the best F1) and scored on the odd ones, and the other way round, so the
figure reported is on pairs the threshold was not chosen on.

"Positive" is "supported": precision is the share of pairs shown as supported that are, recall
the share of entailed pairs shown as supported.

    python bench/judge.py [--model default|fast|PATH] [--every N] [--model-alone] [--sweep]
                          [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

from _common import REPO_ROOT, machine  # also puts the repo on sys.path, models offline

from dossier.answer_check import check_answer
from dossier.judge import ENTAILMENT_THRESHOLD, ModelJudge
from dossier.runtime import Runtime, Settings
from dossier.schema import Passage

PAIRS = REPO_ROOT / "tests" / "data" / "entailment_pairs.jsonl"
THRESHOLDS = tuple(round(0.5 + 0.025 * i, 3) for i in range(19))  # 0.5 to 0.95


class RecordingJudge(ModelJudge):
    """The model judge with no threshold of its own: every judgment it is asked passes, and
    the highest probability of YES it gave since `reset` is kept, so a pair's verdict at any
    threshold is "the judge was asked, and that probability reaches the threshold"."""

    def __init__(self, llm) -> None:
        super().__init__(llm, threshold=0.0)
        self.highest: float | None = None

    def reset(self) -> None:
        self.highest = None

    def entailment_probability(self, evidence: str, claim: str) -> float:
        p = super().entailment_probability(evidence, claim)
        self.highest = p if self.highest is None else max(self.highest, p)
        return p


SOURCE_FOLDERS = (
    REPO_ROOT / "seeds",
    REPO_ROOT / "bench" / "data" / "suite" / "newsroom",
    REPO_ROOT / "bench" / "data" / "heldout2" / "heldout2",
)


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


def at_threshold(probabilities: list[float | None], threshold: float) -> list[bool]:
    return [p is not None and p >= threshold for p in probabilities]


def f1(row: dict) -> float:
    p, r = row["precision"] or 0.0, row["recall"] or 0.0
    return 2 * p * r / (p + r) if p + r else 0.0


def choose_threshold(labels: list[bool], probabilities: list[float | None]) -> float:
    """The threshold with the best F1 on these pairs (ties: the lower, which keeps recall).

    Precision and recall weigh the same: a claim wrongly shown as supported misleads, and a
    sentence wrongly rejected can turn a right answer into "the sources do not say"."""
    ids = [""] * len(labels)
    rows = [(t, scores(labels, at_threshold(probabilities, t), ids)) for t in THRESHOLDS]
    return max(rows, key=lambda r: (f1(r[1]), -r[0]))[0]


def sweep(labels: list[bool], probabilities: list[float | None], ids: list[str]) -> dict:
    table = {str(t): scores(labels, at_threshold(probabilities, t), ids) for t in THRESHOLDS}
    folds = []
    for chosen_on in (0, 1):
        train = [i for i in range(len(labels)) if i % 2 == chosen_on]
        test = [i for i in range(len(labels)) if i % 2 != chosen_on]
        threshold = choose_threshold([labels[i] for i in train], [probabilities[i] for i in train])
        held_out = scores(
            [labels[i] for i in test],
            at_threshold([probabilities[i] for i in test], threshold),
            [ids[i] for i in test],
        )
        folds.append({"threshold": threshold, "held_out": held_out})
    return {"thresholds": table, "cross_validated": folds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--every", type=int, default=1, help="every Nth pair only (a sample)")
    parser.add_argument(
        "--model-alone", action="store_true", help="also the model's judgment with no filters"
    )
    parser.add_argument(
        "--sweep", action="store_true", help="the judge's figures at a range of thresholds"
    )
    args = parser.parse_args()
    load_before = os.getloadavg()
    pairs = [json.loads(line) for line in PAIRS.read_text(encoding="utf-8").splitlines() if line]
    pairs = pairs[:: args.every]
    runtime = Runtime(Settings.resolve(model=args.model))
    llm = runtime.llm()
    llm.load()
    judge = RecordingJudge(llm) if args.sweep else ModelJudge(llm)
    probabilities: list[float | None] = []
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
            if name == "judge" and args.sweep:
                judge.reset()
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
            if name == "judge" and args.sweep:
                probabilities.append(judge.highest if verdict else None)
                verdict = verdict and judge.highest >= ENTAILMENT_THRESHOLD
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
        "threshold": ENTAILMENT_THRESHOLD,
        "machine": machine(load_before),
    }
    if args.sweep:
        ids = [p["id"] for p in pairs]
        report["sweep"] = sweep(labels, probabilities, ids)
        report["probabilities"] = dict(zip(ids, probabilities, strict=True))
    print(f"{len(pairs)} labelled pairs ({sum(labels)} entailed), model {llm.model_id}")
    header = ("checker", "precision", "recall", "false+", "missed", "s/pair")
    print(f"{header[0]:<12} " + " ".join(f"{h:>9}" for h in header[1:]))
    for name, row in report["checkers"].items():
        print(
            f"{name:<12} {row['precision']!s:>9} {row['recall']!s:>9} {row['false_supported']:>9}"
            f" {row['missed']:>9} {row['seconds_per_pair']:>9}"
        )
    if args.sweep:
        print(f"\njudge at each threshold (the app uses {ENTAILMENT_THRESHOLD})")
        print(f"{'threshold':<12} {'precision':>9} {'recall':>9} {'false+':>9} {'missed':>9}")
        for t, row in report["sweep"]["thresholds"].items():
            print(
                f"{t:<12} {row['precision']!s:>9} {row['recall']!s:>9}"
                f" {row['false_supported']:>9} {row['missed']:>9}"
            )
        for fold in report["sweep"]["cross_validated"]:
            row = fold["held_out"]
            print(
                f"chosen {fold['threshold']} on half the pairs; on the other half: precision"
                f" {row['precision']} recall {row['recall']}"
            )
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
