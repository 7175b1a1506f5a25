"""From *Export briefing* to a written PDF of the seed library, per stage: cold, with summaries
cached, and with everything prepared in the background.

    .venv/bin/python bench/briefing.py [--data-dir DIR] [--model NAME] [--modes LIST]
                                       [--sources N] [--json]

One run on a fresh data folder (the seeds are ingested first, not counted; the model is loaded
before any clock starts, its load time reported apart). Each mode times one export, from the
call to `brief()` to the PDF written by `write_briefing`:

- "cold": nothing prepared (no summary cached): the export summarises every source itself;
- "cached": every summary cached, the overview and differences not (they are dropped from the
  cache first), as after `dossier summarize` with no overview prepared;
- "prepared": summaries AND overview prepared as the idle worker does after an ingest
  (`dossier.prepare.summarize_missing` then `prepare_briefing`, timed apart as
  "background_prepare_s"): the export should run no model ("model_calls": 0).

Each mode starts with the model's prompt cache empty (the weights are loaded again, off the
clock), as a first export after a restart would.

A stage is the time between two progress labels of `dossier.briefing.brief`, the labels the
window and `dossier brief` show, then "Writing the PDF". Prints figures only; nothing here
asserts on time.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import OrderedDict
from pathlib import Path

from _common import machine, peak_rss_mb  # also: repo on sys.path

from dossier.briefing import brief
from dossier.cache import SummaryCache
from dossier.export import write_briefing
from dossier.prepare import prepare_briefing, summarize_missing
from dossier.runtime import Runtime, Settings

MODES = ("cold", "cached", "prepared")
# Where the model's time goes (its own figures), under "model calls during the export".
MODEL_ROWS = {
    "writing_calls": "writing calls (points, guides, overview)",
    "prompt_tokens_evaluated": "prompt tokens evaluated",
    "prompt_tokens_cached": "prompt tokens reused from the cache",
    "tokens_generated": "tokens generated",
    "writing_s": "seconds in writing calls",
    "reading_s": "  of which to first tokens (reading prompts)",
    "judgments": "judgments (one scored token each)",
    "judging_s": "seconds in judgments",
}


def _stage(label: str) -> str:
    # Per-source labels ("Summarising <title>") are one stage: summaries; so are the overviews
    # of several stories ("Writing the overview of story 2 of 3: <title>").
    if label.startswith("Writing the overview"):
        return "Writing the overview"
    return "summaries" if label.startswith("Summarising") else label


class CountingLLM:
    """The model with a count of its calls and what they cost: a prepared export should make
    none. Writing calls (`stream`) keep their completions, whose own timings tell prompt
    tokens evaluated and tokens generated; judgments (one scored token each) are timed."""

    def __init__(self, llm) -> None:
        self._llm = llm
        self.calls = 0
        self.completions: list = []
        self.judgments = 0
        self.judging_s = 0.0
        if hasattr(llm, "choice_probabilities"):  # a judge checks for the method itself
            self.choice_probabilities = self._choice_probabilities

    def stream(self, *args, **kwargs):
        self.calls += 1
        completion = self._llm.stream(*args, **kwargs)
        self.completions.append(completion)
        return completion

    def _choice_probabilities(self, *args, **kwargs):
        self.calls += 1
        self.judgments += 1
        started = time.perf_counter()
        try:
            return self._llm.choice_probabilities(*args, **kwargs)
        finally:
            self.judging_s += time.perf_counter() - started

    def figures(self) -> dict:
        """What the calls so far cost, from the model's own timings."""
        timings = [c.timings for c in self.completions if c.timings is not None]
        return {
            "writing_calls": len(self.completions),
            "prompt_tokens_evaluated": sum(t.evaluated_prompt_tokens for t in timings),
            "prompt_tokens_cached": sum(t.cached_prompt_tokens for t in timings),
            "tokens_generated": sum(t.completion_tokens for t in timings),
            "writing_s": round(sum(t.total_s for t in timings), 2),
            # the time to a call's first token is its prompt's evaluation (and one step)
            "reading_s": round(sum(t.ttft_s or 0.0 for t in timings), 2),
            "judgments": self.judgments,
            "judging_s": round(self.judging_s, 2),
        }

    def __getattr__(self, name):
        return getattr(self._llm, name)


def timed_export(library, llm, out: Path) -> tuple[OrderedDict, float]:
    """(stage → seconds, wall seconds) of one export: the briefing, then the PDF written."""
    stages: OrderedDict[str, float] = OrderedDict()
    current = {"label": None, "since": time.perf_counter()}

    def progress(step: int, total: int, label: str) -> None:
        now = time.perf_counter()
        if current["label"] is not None:
            name = _stage(current["label"])
            stages[name] = stages.get(name, 0.0) + now - current["since"]
        current["label"], current["since"] = label, now

    started = time.perf_counter()
    briefing = brief(library=library, llm=llm, progress=progress)
    written_at = time.perf_counter()
    write_briefing(briefing, out)
    ended = time.perf_counter()
    stages["Writing the PDF"] = ended - written_at
    return stages, ended - started


def drop_prepared(library) -> None:
    cache = SummaryCache(library.folder)
    try:
        cache.clear_prepared()
    finally:
        cache.close()


def forget_prompts(llm: CountingLLM) -> None:
    """Start a mode with the model's prompt cache empty, as after a restart: otherwise the
    "cached" export found the cold export's overview prompt already evaluated."""
    model = llm._llm
    if hasattr(model, "load"):
        model.close()
        model.load()


def run_mode(mode: str, library, llm: CountingLLM, out: Path) -> dict:
    """One export in `mode` (the modes run in the order of MODES on the same library)."""
    prepare_s = None
    if mode == "cached":
        summarize_missing(library, llm)  # a no-op after "cold"
        drop_prepared(library)
    elif mode == "prepared":
        drop_prepared(library)
        t0 = time.perf_counter()
        summarize_missing(library, llm)
        prepare_briefing(library, llm)
        prepare_s = time.perf_counter() - t0
    forget_prompts(llm)
    calls = llm.calls
    before = llm.figures()
    print(f"timing the {mode} export…", file=sys.stderr, flush=True)
    stages, wall = timed_export(library, llm, out)
    result = {
        "stages": {k: round(v, 2) for k, v in stages.items()},
        "total_s": round(wall, 2),
        "model_calls": llm.calls - calls,
        "model": {k: round(v - before[k], 2) for k, v in llm.figures().items()},
        "pdf_bytes": out.stat().st_size,
    }
    if prepare_s is not None:
        result["background_prepare_s"] = round(prepare_s, 1)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, help="a fresh folder (default: a temporary one)")
    parser.add_argument("--model", help="catalog name or .gguf path (default: the bundled one)")
    parser.add_argument(
        "--modes", default=",".join(MODES), help=f"comma-separated, of {', '.join(MODES)}"
    )
    parser.add_argument(
        "--sources",
        type=int,
        help="keep only the first N seeds (a quick check of the code path, e.g. with the tiny "
        "model on a busy machine); default: all five",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    modes = [m for m in MODES if m in args.modes.split(",")]
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="dossier-bench-brief-") as tmp:
        data = args.data_dir or Path(tmp) / "data"
        runtime = Runtime(Settings.resolve(data=data, model=args.model))
        t0 = time.perf_counter()
        library = runtime.library()
        ingest_s = time.perf_counter() - t0
        for source in library.sources()[args.sources :] if args.sources else []:
            library.remove(source.id)
        t0 = time.perf_counter()
        model = runtime.llm()
        if hasattr(model, "load"):  # in-process weights: load them before the clock starts
            model.load()
        load_s = time.perf_counter() - t0
        llm = CountingLLM(model)
        results = {m: run_mode(m, library, llm, Path(tmp) / f"briefing-{m}.pdf") for m in modes}
        sources = len(library.sources())
        model_id = model.model_id
        runtime.close()
    result = {
        "sources": sources,
        "model": model_id,
        "ingest_s": round(ingest_s, 1),
        "model_load_s": round(load_s, 1),
        **results,
        "peak_rss_mb": round(peak_rss_mb()),
        "machine": machine(load_before),
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(
        f"seed briefing to PDF: {sources} sources, model {model_id}; ingest {ingest_s:.1f} s, "
        f"model load {load_s:.1f} s"
    )
    print(f"{'stage':<44}" + "".join(f"{m + ' s':>11}" for m in modes))
    names = list(dict.fromkeys(n for m in modes for n in results[m]["stages"]))
    for name in names:
        times = [results[m]["stages"].get(name) for m in modes]
        row = "".join(f"{t:>11.2f}" if t is not None else f"{'-':>11}" for t in times)
        print(f"{name:<44}{row}")
    print(f"{'total (Export briefing -> PDF written)':<44}"
          + "".join(f"{results[m]['total_s']:>11.2f}" for m in modes))  # fmt: skip
    print(f"{'model calls during the export':<44}"
          + "".join(f"{results[m]['model_calls']:>11}" for m in modes))  # fmt: skip
    for key, name in MODEL_ROWS.items():
        print(f"{'  ' + name:<44}"
              + "".join(f"{results[m]['model'][key]:>11}" for m in modes))  # fmt: skip
    if "prepared" in results:
        before = results["prepared"]["background_prepare_s"]
        print(f"background preparation before 'prepared' (not in its total): {before} s")
    print(f"load average before {result['machine']['loadavg_before']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
