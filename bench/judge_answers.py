"""The does-it-answer judgment on labelled pairs: precision and recall, against asking YES/NO.

`tests/data/answers_pairs.jsonl` holds (question, checked answer, gives what is asked?) pairs:
the supported sentences of answers from eval runs of the seed and own suites, labelled by
reading. "Gives what is asked" is the judgment's own question: the kind of detail asked for
(a date, a figure, a name, what someone said) about the subject the question names; whether
the answer is true is the entailment check's business, not this one's.

Three ways of asking the model are compared on the same pairs:
- `yes/no`: the model's probability of YES to "does the answer give what the question
  asks?", at 0.5 and at each threshold;
- `phrase`: the model copies the phrase of the answer that gives what is asked, or says NONE;
  the answer answers when the phrase has a word or number the question lacks
  (`ModelJudge.answer_phrase`, `dossier.judge.gives_more_than`: `ModelJudge.answering_phrase`,
  the gate of a second look);
- `both` (the app's, `ModelJudge.answers`): such a phrase, and then YES at 0.5 asked of the
  sentences of the answer that hold it (`dossier.judge.holding_sentences`), with the phrase
  named after them (`ModelJudge.phrase_answer_probability`);
- `both, unnamed`: the same without the phrase named (`ModelJudge.answer_probability` on the
  holding sentences), the app's way before.

"Positive" is "answers": precision is the share of pairs judged to answer that do, recall the
share of answering pairs judged so.

    python bench/judge_answers.py [--model default|fast|PATH] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

from _common import REPO_ROOT, machine  # also puts the repo on sys.path, models offline
from judge import THRESHOLDS, at_threshold, scores

from dossier.judge import ModelJudge, gives_more_than, holding_sentences
from dossier.runtime import Runtime, Settings

PAIRS = REPO_ROOT / "tests" / "data" / "answers_pairs.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    load_before = os.getloadavg()
    pairs = [json.loads(line) for line in PAIRS.read_text(encoding="utf-8").splitlines() if line]
    runtime = Runtime(Settings.resolve(model=args.model))
    llm = runtime.llm()
    llm.load()
    labels = [bool(p["label"]) for p in pairs]
    ids = [p["id"] for p in pairs]

    judge = ModelJudge(llm)
    started = time.perf_counter()
    phrases = [judge.answer_phrase(p["question"], p["answer"]) for p in pairs]
    phrase_s = (time.perf_counter() - started) / len(pairs)
    verdicts = [
        phrase is not None and gives_more_than(phrase, p["question"])
        for phrase, p in zip(phrases, pairs, strict=True)
    ]
    started = time.perf_counter()
    yes = [judge.answer_probability(p["question"], p["answer"]) for p in pairs]
    yes_no_s = (time.perf_counter() - started) / len(pairs)
    # The app asks YES/NO only after a phrase, and of the sentences holding it.
    held = [
        holding_sentences(p["answer"], phrase) if verdict else None
        for p, phrase, verdict in zip(pairs, phrases, verdicts, strict=True)
    ]
    # The judge asks each (question, text) once: where the phrase's sentences are the whole
    # answer, the probability above is reused.
    yes_held = [
        None if text is None else judge.answer_probability(p["question"], text)
        for p, text in zip(pairs, held, strict=True)
    ]
    yes_named = [
        None if text is None else judge.phrase_answer_probability(p["question"], text, phrase)
        for p, text, phrase in zip(pairs, held, phrases, strict=True)
    ]
    both = [y is not None and y >= 0.5 for y in yes_named]
    unnamed = [y is not None and y >= 0.5 for y in yes_held]

    report = {
        "pairs": len(pairs),
        "answering": sum(labels),
        "model": llm.model_id,
        "both": scores(labels, both, ids),
        "both_unnamed": scores(labels, unnamed, ids),
        "phrase": {**scores(labels, verdicts, ids), "seconds_per_pair": round(phrase_s, 3)},
        "yes_no": {
            str(t): scores(labels, at_threshold(yes, t), ids) for t in (0.5, *THRESHOLDS[1:])
        },
        "yes_no_seconds_per_pair": round(yes_no_s, 3),
        "phrases": dict(zip(ids, phrases, strict=True)),
        "yes_probabilities": dict(zip(ids, yes, strict=True)),
        "yes_probabilities_held": dict(zip(ids, yes_held, strict=True)),
        "yes_probabilities_named": dict(zip(ids, yes_named, strict=True)),
        "machine": machine(load_before),
    }
    print(f"{len(pairs)} labelled pairs ({sum(labels)} answer), model {llm.model_id}")
    print(f"{'judgment':<16} {'precision':>9} {'recall':>9} {'false+':>9} {'missed':>9}")
    rows = [("both (the app)", report["both"]), ("both, unnamed", report["both_unnamed"])]
    rows += [("phrase", report["phrase"])]
    rows += [(f"yes/no at {t}", row) for t, row in report["yes_no"].items()]
    for name, row in rows:
        print(
            f"{name:<16} {row['precision']!s:>9} {row['recall']!s:>9}"
            f" {row['false_supported']:>9} {row['missed']:>9}"
        )
    print(f"s a pair: phrase {phrase_s:.2f}, yes/no {yes_no_s:.2f}; machine: {report['machine']}")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
