"""Evidence: do the passages shown to the model hold the answer? No model call, seconds a suite.

For every answerable question of each suite (standalone ones: a follow-up's query depends on
condensing, which needs the model), the fraction of key-fact groups found in
- `hits`: the fused top-k chunks retrieval returns (what selection chooses from), and
- `shown@B`: the passages `select_passages` picks within a budget of B prompt tokens,
with the mean prompt tokens those passages take. The current budget is the baseline column;
larger budgets show what more tokens would buy.

    python bench/evidence.py [--budgets 300,450,600] SUITE [SUITE ...]

SUITE is what `dossier eval` takes (`QUESTIONS.jsonl:CORPUS_DIR`, or a folder of suites).
Suite libraries are kept under the data folder's eval work folder, as `dossier eval` keeps them.
"""

from __future__ import annotations

import argparse
import statistics
import time

from _common import machine  # also puts the repo on sys.path, models offline

from dossier.ask import PASSAGE_BUDGET_TOKENS
from dossier.eval_suites import open_suite_library, parse_suites
from dossier.evaluate import found, load_questions
from dossier.passages import select_passages
from dossier.runtime import Runtime, Settings


def _hit(groups: list[list[str]], text: str) -> float:
    return sum(found(g, text) for g in groups) / len(groups)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("suites", nargs="+")
    parser.add_argument("--budgets", default=f"{PASSAGE_BUDGET_TOKENS},450,600")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument(
        "--misses", action="store_true", help="name the questions missing a key fact at each budget"
    )
    args = parser.parse_args()
    budgets = [int(b) for b in args.budgets.split(",")]
    import os

    load = os.getloadavg()
    runtime = Runtime(Settings.resolve(data=args.data_dir))
    llm = runtime.llm()
    work = runtime.settings.data_dir / "eval"
    header = ["suite", "n", "hits"] + [f"shown@{b}" for b in budgets]
    header += [f"tokens@{b}" for b in budgets] + ["s/question"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for spec in parse_suites(args.suites):
        questions = [q for q in load_questions(spec.questions) if q.answerable and not q.history]
        if not questions:
            continue  # a suite of unanswerable questions has no evidence to find
        library, _ = open_suite_library(spec, work, embedder=runtime.embedder)
        hits_hit, shown = [], {b: [] for b in budgets}
        missed: dict[int, list[str]] = {b: [] for b in budgets}
        tokens = {b: [] for b in budgets}
        started = time.perf_counter()
        try:
            for q in questions:
                groups = q.key_facts or [[]]
                vector = library.embedder.embed([q.question])[0]
                hits = library.search_with_vector(q.question, vector, k=runtime.settings.k)
                texts = {h.chunk.source_id: library.source_text(h.chunk.source_id) for h in hits}
                hits_hit.append(_hit(groups, "\n".join(h.chunk.text for h in hits)))
                for b in budgets:
                    passages = select_passages(
                        q.question,
                        vector,
                        hits,
                        texts,
                        library.embedder,
                        budget_tokens=b,
                        count_tokens_many=llm.count_tokens_many,
                    )
                    shown[b].append(_hit(groups, "\n".join(p.text for p in passages)))
                    if shown[b][-1] < 1:
                        missed[b].append(q.id)
                    tokens[b].append(sum(llm.count_tokens_many([p.text for p in passages])))
        finally:
            library.close()
        per_q = (time.perf_counter() - started) / max(1, len(questions))
        row = [spec.name, str(len(questions)), f"{statistics.mean(hits_hit):.3f}"]
        row += [f"{statistics.mean(shown[b]):.3f}" for b in budgets]
        row += [f"{statistics.mean(tokens[b]):.0f}" for b in budgets]
        row += [f"{per_q:.2f}"]
        print("| " + " | ".join(row) + " |", flush=True)
        if args.misses:
            for b in budgets:
                print(f"  missed@{b}: {' '.join(missed[b]) or '-'}", flush=True)
    print(f"\nmachine: {machine(load)}")


if __name__ == "__main__":
    main()
