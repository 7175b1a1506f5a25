"""Candidate (answer sentence, passage) pairs for the entailment fixture, from eval result files.

Each record's `draft` is split into sentences as the answer check splits it; every sentence
(but "The sources do not say.") is paired with each passage it cites and with the one or two
lowest-numbered shown passages it does not cite, the harder negatives (or positives) of the
same story (--others N for more). With --first-drafts, the sentences of `first_draft` are
paired with the lowest shown passages too, as uncited pairs: its markers may refer to other
passages, so they are ignored. Identical (claim, passage) pairs are kept once. The candidates
are then labelled by reading into tests/data/entailment_pairs.jsonl.

Only records of the suites named by --suite are read: the RGB benchmark records (noise,
reject, conflict) carry a non-commercial licence and must never be copied into the repository.

    .venv/bin/python scripts/entailment_pairs.py /work/eval-work/j1.jsonl \\
        /work/eval-work/own1.jsonl [--first-drafts] [--out /tmp/pairs_candidates.jsonl]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dossier.citations import parse_citations, split_answer  # noqa: E402

SUITES = ("seed_qa_dev", "newsroom_half")
FORBIDDEN_SUITES = ("noise", "reject", "conflict")
NO_ANSWER = "the sources do not say."
OTHER_PASSAGES = 2


def records(paths: Iterable[Path], suites: Iterable[str]) -> Iterator[dict]:
    wanted = set(suites) - set(FORBIDDEN_SUITES)
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError:  # a line still being written by a running eval
                continue
            if record.get("suite") in wanted:
                yield record


def claims(text: str) -> Iterator[tuple[str, list[int]]]:
    """The answer's sentences without markers, with the passage numbers each cites."""
    for sentence in split_answer(text or ""):
        claim, cited = parse_citations(sentence)
        if claim and claim.strip().lower() != NO_ANSWER:
            yield claim, cited


def candidates(
    record: dict, first_drafts: bool = False, others: int = OTHER_PASSAGES
) -> Iterator[dict]:
    passages = sorted(record.get("passages") or [], key=lambda p: p["n"])
    by_n = {p["n"]: p for p in passages}
    origin = f"{record['suite']}/{record['id']}"

    def pair(claim: str, passage: dict, cited: bool, draft: str) -> dict:
        return {
            "origin": origin,
            "question": record["question"],
            "claim": claim,
            "source_id": passage["source_id"],
            "passage": passage["text"],
            "cited": cited,
            "draft": draft,
        }

    for claim, cited in claims(record.get("draft", "")):
        for n in cited:
            if n in by_n:
                yield pair(claim, by_n[n], True, "draft")
        for passage in [p for p in passages if p["n"] not in cited][:others]:
            yield pair(claim, passage, False, "draft")
    if first_drafts:
        for claim, _ in claims(record.get("first_draft", "")):
            for passage in passages[:others]:
                yield pair(claim, passage, False, "first_draft")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="+", type=Path, help="eval result files (JSON lines)")
    parser.add_argument("--suite", action="append", default=None, help="suites to read")
    parser.add_argument("--first-drafts", action="store_true", help="pair first drafts too")
    parser.add_argument(
        "--others", type=int, default=OTHER_PASSAGES, help="uncited passages per sentence"
    )
    parser.add_argument("--out", type=Path, default=Path("/tmp/pairs_candidates.jsonl"))
    args = parser.parse_args(argv)

    seen: set[tuple[str, str]] = set()
    rows: list[dict] = []
    for record in records(args.results, args.suite or SUITES):
        for row in candidates(record, args.first_drafts, args.others):
            key = (row["claim"], row["passage"])
            if key in seen:
                continue
            seen.add(key)
            rows.append({"id": f"c{len(rows) + 1:04d}", **row})
    with args.out.open("w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    cited = sum(row["cited"] for row in rows)
    print(f"{len(rows)} candidates ({cited} cited) -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
