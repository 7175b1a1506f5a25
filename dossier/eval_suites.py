"""Several evaluation suites in one run: what a suite is, its library, results files, tables.

A suite is a question file, evaluated either on the library the caller gives (the user's
`--data-dir`) or on its own corpus folder, ingested into a data folder of its own under the
eval's work folder (no seeds; the library's incremental ingest makes a second run over an
unchanged corpus cheap). Suites are named on the command line in one of these forms:

- `QUESTIONS.jsonl`: the caller's library;
- `QUESTIONS.jsonl:CORPUS_DIR`: its own corpus;
- `DIR`: every `NAME.jsonl` in DIR beside a folder `DIR/NAME/` is a suite with that corpus
  (the layout `rgb_dev/build.py` writes, so its output folder is named as it is);
- `SUITES.json`: a manifest, `{"suites": [{"name", "questions", "corpus", "conflict"}]}` or one
  such object alone; paths relative to the manifest, only `questions` required.

A suite named `conflict` (or marked `"conflict": true`) is scored for conflicting sources.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

from pydantic import BaseModel, ConfigDict, ValidationError

from models.embedder import Embedder
from retrieval.library import Library
from retrieval.schema import IngestReport

from .evaluate import EvalMetrics, EvalRecord, QuestionScores, aggregate
from .library import open_library
from .settings import library_dir

CONFLICT_SUITE_NAME = "conflict"  # rgb_dev/build.py's name for its conflicting-sources suite


class SuiteError(ValueError):
    """A suite argument that names nothing usable; the message names the path."""


class SuiteSpec(BaseModel):
    name: str
    questions: Path
    corpus: Path | None = None  # None: the caller's library
    conflict: bool = False


class _ManifestEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt key must not be silently ignored

    name: str | None = None
    questions: str
    corpus: str | None = None
    conflict: bool | None = None


class _Manifest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    suites: list[_ManifestEntry]


# --- naming suites -----------------------------------------------------------------------


def parse_suites(arguments: Iterable[str]) -> list[SuiteSpec]:
    """The suites the command line names, in order, each name made unique ("qa", "qa-2")."""
    specs = [spec for argument in arguments for spec in parse_suite(argument)]
    seen: dict[str, int] = {}
    for spec in specs:
        count = seen[spec.name] = seen.get(spec.name, 0) + 1
        if count > 1:
            spec.name = f"{spec.name}-{count}"
    return specs


def parse_suite(argument: str) -> list[SuiteSpec]:
    questions, sep, corpus = argument.rpartition(":")
    # Only a colon after a .jsonl name splits: "C:\\qa.jsonl" stays one path.
    if sep and questions.lower().endswith(".jsonl"):
        return [_spec(Path(questions), Path(corpus))]
    path = Path(argument)
    if path.is_dir():
        return _folder_suites(path)
    if path.suffix.lower() == ".json":
        return _manifest_suites(path)
    return [_spec(path, None)]


def _spec(
    questions: Path, corpus: Path | None, name: str | None = None, conflict: bool | None = None
) -> SuiteSpec:
    if not questions.is_file():
        raise SuiteError(f"{questions}: no such question file")
    if corpus is not None and not corpus.is_dir():
        raise SuiteError(f"{corpus}: no such corpus folder")
    name = name or questions.stem
    if conflict is None:
        conflict = name == CONFLICT_SUITE_NAME
    return SuiteSpec(name=name, questions=questions, corpus=corpus, conflict=conflict)


def _folder_suites(folder: Path) -> list[SuiteSpec]:
    files = sorted(folder.glob("*.jsonl"))
    lonely = [f for f in files if not (folder / f.stem).is_dir()]
    if lonely:
        raise SuiteError(f"{lonely[0]}: no corpus folder {folder / lonely[0].stem} beside it")
    if not files:
        raise SuiteError(f"{folder}: no NAME.jsonl beside a NAME/ corpus folder")
    return [_spec(f, folder / f.stem) for f in files]


def _manifest_suites(path: Path) -> list[SuiteSpec]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and "suites" not in data:
            data = {"suites": [data]}
        manifest = _Manifest.model_validate(data)
    except (ValueError, ValidationError) as exc:  # JSONDecodeError and UnicodeError included
        raise SuiteError(f"{path} is not a suite manifest: {_first_error(exc)}") from None
    base = path.parent
    return [
        _spec(
            base / e.questions,
            base / e.corpus if e.corpus is not None else None,
            e.name,
            e.conflict,
        )
        for e in manifest.suites
    ]


def _first_error(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        return f"{where}: {first['msg']}" if where else first["msg"]
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


# --- a suite's own library ---------------------------------------------------------------


def suite_data_dir(spec: SuiteSpec, work_dir: Path) -> Path:
    """The suite's data folder: named after the suite and its corpus's path, so two corpora
    never share a library and the same corpus finds its library again on the next run."""
    assert spec.corpus is not None
    slug = re.sub(r"[^A-Za-z0-9._-]", "_", spec.name)[:40] or "suite"
    digest = hashlib.sha256(str(spec.corpus.resolve()).encode()).hexdigest()[:8]
    return work_dir / f"{slug}-{digest}"


def open_suite_library(
    spec: SuiteSpec,
    work_dir: Path,
    *,
    embedder: Embedder,
    sentence_embedder: Embedder | None = None,
) -> tuple[Library, IngestReport]:
    """The library of exactly the suite's corpus as it is now (the caller closes it);
    `sentence_embedder` as in `open_library`."""
    # A scratch data folder per suite, its library in `library/` as a plain folder: suites
    # are not the user's dossiers.
    folder = library_dir(suite_data_dir(spec, work_dir))
    library = open_library(
        folder, embedder=embedder, seed=False, sentence_embedder=sentence_embedder
    )
    try:
        report = library.ingest([spec.corpus])
        # A file removed from (or no longer readable in) the corpus must not stay a source.
        current = {*report.added, *report.replaced, *report.unchanged}
        for source in library.sources():
            if source.id not in current:
                library.remove(source.id)
    except BaseException:
        library.close()
        raise
    return library, report


# --- results -----------------------------------------------------------------------------


class SuiteSummary(BaseModel):
    name: str
    questions_file: str
    corpus: str | None
    data_dir: str | None
    conflict: bool
    metrics: EvalMetrics
    baseline: EvalMetrics | None = None  # the same suite in the --baseline run
    delta: dict[str, float | None] | None = None  # metrics - baseline, per numeric figure


class EvalSummary(EvalMetrics):
    """The whole run: the overall figures (all suites' questions pooled) at the top level, so
    a single-file run reads as it always did; then one entry per suite."""

    suites: list[SuiteSummary]
    baseline: EvalMetrics | None = None
    delta: dict[str, float | None] | None = None


def result_line(suite: str, record: EvalRecord, scores: QuestionScores) -> str:
    """One `--out` line: the answer's own JSON fields with the suite, id, conversation, eval
    wall time and scores beside them (the answer object has none of those keys)."""
    row = {
        "suite": suite,
        "id": record.id,
        **record.answer.model_dump(mode="json"),
        "history": [t.model_dump(mode="json") for t in record.history],
        "wall_s": record.wall_s,
        "scores": scores.model_dump(mode="json"),
    }
    return json.dumps(row, ensure_ascii=False) + "\n"


def summary_path(out: Path) -> Path:
    """Where the summary of an `--out` file goes: `results.jsonl` -> `results.summary.json`."""
    return out.with_name(f"{out.stem}.summary.json")


def write_result(out: TextIO, suite: str, record: EvalRecord, scores: QuestionScores) -> None:
    out.write(result_line(suite, record, scores))
    out.flush()  # a long run stopped half way keeps every question answered so far


def load_baseline(path: Path) -> dict[str, list[QuestionScores]]:
    """Per-question scores of an earlier run's `--out` file, by suite."""
    by_suite: dict[str, list[QuestionScores]] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            row = json.loads(line)
            if not isinstance(row, dict) or "scores" not in row or "suite" not in row:
                raise SuiteError(
                    f"{path}: line {number} has no suite and scores "
                    "(a results file from before suites: run it again with --out)"
                )
            scores = QuestionScores.model_validate(row["scores"])
            by_suite.setdefault(str(row["suite"]), []).append(scores)
    except (ValueError, ValidationError) as exc:
        if isinstance(exc, SuiteError):
            raise
        raise SuiteError(f"{path} is not a results file: {_first_error(exc)}") from None
    if not by_suite:
        raise SuiteError(f"{path}: no results in it")
    return by_suite


def delta(current: EvalMetrics, before: EvalMetrics) -> dict[str, float | None]:
    now, then = current.model_dump(), before.model_dump()
    return {
        key: None if now[key] is None or then[key] is None else round(now[key] - then[key], 4)
        for key in now
        if isinstance(now[key], int | float | None)
    }


def summarize(
    suites: list[tuple[SuiteSpec, str | None, list[QuestionScores]]],
    baseline: dict[str, list[QuestionScores]] | None = None,
) -> EvalSummary:
    """Per-suite and overall metrics; against a baseline, each suite is compared with the
    suite of the same name, and the overall figures with the pooled baseline of those suites."""
    entries, pooled, pooled_before = [], [], []
    for spec, data_dir, scores in suites:
        metrics = aggregate(scores)
        pooled += scores
        entry = SuiteSummary(
            name=spec.name,
            questions_file=str(spec.questions),
            corpus=str(spec.corpus) if spec.corpus is not None else None,
            data_dir=data_dir,
            conflict=spec.conflict,
            metrics=metrics,
        )
        if baseline and spec.name in baseline:
            pooled_before += baseline[spec.name]
            entry.baseline = aggregate(baseline[spec.name])
            entry.delta = delta(metrics, entry.baseline)
        entries.append(entry)
    overall = aggregate(pooled)
    summary = EvalSummary(**overall.model_dump(), suites=entries)
    if pooled_before:
        summary.baseline = aggregate(pooled_before)
        summary.delta = delta(overall, summary.baseline)
    return summary


# --- tables ------------------------------------------------------------------------------

# (label, metric, count beside it, how to show it). Rows whose metric is None are left out:
# a suite without unanswerable questions has no refusal figure, only a conflict suite has
# the both-values one.
_ROWS = [
    ("passages hold the answer (fact-hit)", "retrieval_fact_hit", None, "rate"),
    ("key-fact recall", "key_fact_recall", None, "rate"),
    ("a gold source cited", "gold_source_cited_rate", None, "rate"),
    ("citation precision (source level)", "citation_precision", None, "rate"),
    ("unanswerable refused", "refusal_accuracy", "unanswerable_refused", "rate"),
    ("answerable refused (false refusals)", "false_refusal_rate", "false_refusals", "rate"),
    ("both values named, each cited", "both_values_cited_rate", None, "rate"),
    ("unsupported sentences shown", "unsupported_sentence_rate", None, "rate"),
    ("time to first token p50 (s)", "ttft_p50_s", None, "seconds"),
    ("time to first token p95 (s)", "ttft_p95_s", None, "seconds"),
    ("time to checked answer p50 (s)", "checked_p50_s", None, "seconds"),
    ("eval wall time p50 (s)", "wall_p50_s", None, "seconds"),
    ("tokens per second", "tokens_per_s", None, "seconds"),  # two decimals, like seconds
]
# The compact table: one row per suite plus the overall row.
_COLUMNS = [
    ("fact-hit", "retrieval_fact_hit", "rate"),
    ("recall", "key_fact_recall", "rate"),
    ("gold-cited", "gold_source_cited_rate", "rate"),
    ("precision", "citation_precision", "rate"),
    ("unans-refused", "refusal_accuracy", "rate"),
    ("false-ref", "false_refusals", "count"),
    ("both-cited", "both_values_cited_rate", "rate"),
    ("ttft-p50", "ttft_p50_s", "seconds"),
    ("checked-p50", "checked_p50_s", "seconds"),
]


def render(summary: EvalSummary) -> list[str]:
    """Plain-text tables: each suite's, the overall one, then one row per suite + overall."""
    lines: list[str] = []
    for suite in summary.suites:
        where = suite.corpus or "the --data-dir library"
        title = f"{suite.name}: {suite.questions_file} on {where}"
        lines += [*_table(title, suite.metrics, suite.delta), ""]
    if len(summary.suites) > 1:
        lines += [*_table("overall (all questions pooled)", summary, summary.delta), ""]
    lines += _compact(summary)
    return lines


def _table(title: str, m: EvalMetrics, change: dict | None) -> list[str]:
    noun = "question" if m.questions == 1 else "questions"
    counts = f"{m.questions} {noun}: {m.answerable} answerable, {m.unanswerable} not"
    lines = [f"== {title}", f"   {counts}"]
    if change is not None:
        lines.append(f"   {'':38} {'value':>12}  change vs baseline")
    values = m.model_dump()
    for label, key, count, kind in _ROWS:
        if values[key] is None:
            continue
        shown = _number(values[key], kind)
        if count is not None:
            whole = m.unanswerable if count == "unanswerable_refused" else m.answerable
            shown = f"{values[count]}/{whole} {shown}"
        row = f"   {label:38} {shown:>12}"
        if change is not None:
            row += f"  {_change(change.get(count or key), kind if count is None else 'count')}"
        lines.append(row)
        if key == "false_refusal_rate":
            lines += _losses(m)
    return lines


def _losses(m: EvalMetrics) -> list[str]:
    """Where answerable questions were lost: why each false refusal refused, and the answers
    shown without any key fact."""
    lines = []
    if m.false_refusal_reasons:
        why = ", ".join(f"{reason} {n}" for reason, n in m.false_refusal_reasons.items())
        lines.append(f"     why: {why}")
    if m.answerable:
        label = "answered without a key fact"
        lines.append(f"   {label:38} {f'{m.answered_without_fact}/{m.answerable}':>12}")
    return lines


def _compact(summary: EvalSummary) -> list[str]:
    width = max([len(s.name) for s in summary.suites] + [7])

    def row(name: str, n: str, cells: list[str]) -> str:
        padded = (f"{c:>{max(len(h), 6)}}" for c, (h, _, _) in zip(cells, _COLUMNS, strict=True))
        return f"{name:{width}} {n:>4}  " + "  ".join(padded)

    lines = [row("suite", "n", [h for h, _, _ in _COLUMNS])]
    for s in [*summary.suites, None]:
        name, m = (s.name, s.metrics) if s is not None else ("overall", summary)
        values = m.model_dump()
        lines.append(row(name, str(m.questions), [_number(values[k], t) for _, k, t in _COLUMNS]))
    if summary.delta is not None:
        changes = [_change(summary.delta.get(k), t) for _, k, t in _COLUMNS]
        lines.append(row("change", "", changes))
    return lines


def _number(value, kind: str) -> str:
    if value is None:
        return "-"
    if isinstance(value, int):
        return str(value)
    return f"{value:.2f}" if kind == "seconds" else f"{value:.3f}"


def _change(value, kind: str) -> str:
    if value is None:
        return "-"
    if value == 0:
        return "0"
    if kind == "count":
        return f"{int(value):+d}"
    return f"{value:+.2f}" if kind == "seconds" else f"{value:+.3f}"
