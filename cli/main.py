"""The `dossier` command line: everything the GUI does, with --json for scripts."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from dossier.settings import DEFAULT_K

from . import answers, briefing, dossiers, history, notes, watch
from .common import (
    EXIT_ERROR,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_SOME_FAILED,
    EXIT_USAGE,
    Parser,
    fail,
    json_only_stdout,
    open_cli_library,
    positive_count,
    print_file_problems,
    print_json,
    progress_bar,
    question_text,
    report_error,
    runtime_of,
    silence_broken_pipe,
    step_bar,
    terminal_safe,
    user_error_message,
)

__all__ = [
    "EXIT_ERROR",
    "EXIT_INTERNAL",
    "EXIT_OK",
    "EXIT_SOME_FAILED",
    "EXIT_USAGE",
    "build_parser",
    "main",
]


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="dossier", description=__doc__)
    parser.add_argument(
        "--data-dir", help="library folder (default: $DOSSIER_DATA_DIR or the user data folder)"
    )
    parser.add_argument(
        "--dossier",
        metavar="NAME",
        help="the dossier to work on (default: $DOSSIER_DOSSIER, else the current one; "
        "see `dossier dossiers`)",
    )
    parser.add_argument(
        "--library",
        metavar="URL",
        help="a shared library in PostgreSQL, postgresql://user@host:port/db "
        "(default: $DOSSIER_LIBRARY_URL, else the library folder of the data folder)",
    )
    parser.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a model server that is not on this machine (openai:URL models)",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    # The file types from the document loaders' registry; imported here, not at the top, as
    # the rest of the core is: only building the parser needs it.
    from dossier.library import supported_suffixes

    p = sub.add_parser(
        "ingest", help=f"add files or folders ({' '.join(supported_suffixes())}) to the library"
    )
    p.add_argument("paths", nargs="+", type=Path)
    p.add_argument(
        "--summarize",
        action="store_true",
        help="then summarise the new and changed sources (cached: the briefing is quicker)",
    )
    p.add_argument("--model", help="with --summarize: catalog name or path to a .gguf file")
    p.add_argument(
        "--no-warm",
        action="store_true",
        help="do not embed the new sentences ahead of questions (the first questions on them "
        "then embed them, slower)",
    )
    p.add_argument(
        "--json",
        action="store_true",
        help='print the ingest report as JSON (with --summarize, the ids under "summarized")',
    )

    p = sub.add_parser("sources", help="list the sources in the library")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("search", help="hybrid (vector + keyword) search over the library")
    p.add_argument("query", type=question_text)
    p.add_argument("--k", type=positive_count, help=f"number of passages (default {DEFAULT_K})")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("remove", help="delete a source and its vectors")
    p.literal_dashes = True  # `dossier remove -abc` removes the source "-abc"
    p.add_argument("source_id")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("reindex", help="re-chunk and re-embed every stored source")
    p.add_argument("--json", action="store_true")
    answers.add_parsers(sub)
    history.add_parsers(sub)
    briefing.add_parsers(sub)
    dossiers.add_parsers(sub)
    notes.add_parsers(sub)
    watch.add_parsers(sub)

    p = sub.add_parser(
        "check", help="compare the library's database, vector index and manifest; --repair fixes"
    )
    p.add_argument("--repair", action="store_true", help="rebuild the index and manifest")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("gui", help="open the desktop app")
    p.add_argument("--model", help="catalog name (default, fast, tiny) or path to a .gguf file")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)  # a usage error exits 2 here
    try:
        with json_only_stdout(getattr(args, "json", False)):
            return COMMANDS[args.command](args)
    except KeyboardInterrupt:
        fail("interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return silence_broken_pipe()
    except Exception as exc:  # every failure becomes one line and an exit code, never a traceback
        return report_error(exc)


def cmd_ingest(args) -> int:
    library = open_cli_library(args, quiet=args.json)
    update, close = progress_bar(not args.json)
    try:
        report = library.ingest(args.paths, progress=update)
    finally:
        close()
    if not args.no_warm:  # before the report's lines, which stay the last on stderr
        _warm_ingested(args, library, [*report.added, *report.replaced])
    if not args.json:
        print_file_problems(report)
        print(
            f"{len(report.added)} added, {len(report.replaced)} replaced, "
            f"{len(report.unchanged)} unchanged, {len(report.failed)} failed, "
            f"{len(report.skipped)} skipped; {report.chunks_added} chunks indexed"
        )
    summarized, summary_error = None, None
    if args.summarize:
        try:
            summarized = _summarize_ingested(args, library, report)
        except Exception as exc:  # the ingest is committed: report it, and why summaries are not
            summary_error = user_error_message(exc)
            if summary_error is None:
                raise
            print(f"error: summaries not made: {summary_error}", file=sys.stderr)
    if args.json:
        document = report.model_dump(mode="json")
        if summarized is not None:
            document["summarized"] = summarized
        if summary_error is not None:
            document["summarize_error"] = summary_error
        print_json(document)
    if summary_error is not None:
        return EXIT_ERROR
    return EXIT_OK if report.ok else EXIT_SOME_FAILED


def _warm_ingested(args, library, source_ids: list[str]) -> None:
    """Embed the new sources' sentences into the sentence cache now, with a progress bar, so
    the first questions on them show their passages without running the embedder."""
    from dossier.warmup import warm_sentences

    if not source_ids:
        return
    # Only a bar (stderr keeps one `error:`/`skipped:`/`warning:` line per file after it).
    update, close = step_bar(not args.json, "sentence")
    try:
        warm_sentences(
            library,
            source_ids=source_ids,
            progress=None if update is None else lambda done, total: update(done, total, "warm"),
        )
    finally:
        close()


def _summarize_ingested(args, library, report) -> list[str]:
    """`ingest --summarize`: summarise (and cache) the added and replaced sources that have no
    summary for this model yet, with a progress bar; the ids summarised."""
    from dossier.prepare import briefing_needs_preparing, prepare_briefing, summarize_missing

    from .answers import _llm

    ids = [*report.added, *report.replaced]
    if not ids:
        return []
    llm = _llm(args)
    update, close = step_bar(not args.json, "source")
    try:
        made = summarize_missing(library, llm, source_ids=ids, progress=update)
    finally:
        close()
    if not args.json:
        print(f"{len(made)} summarised")
    # Then the overview and differences, so `dossier brief` runs no model (nothing is made
    # while a summary of another source is still missing).
    if briefing_needs_preparing(library, llm):
        if not args.json:
            print("preparing the briefing's overview…", file=sys.stderr)
        if prepare_briefing(library, llm) and not args.json:
            print("briefing overview prepared")
    return made


def cmd_sources(args) -> int:
    sources = open_cli_library(args, quiet=args.json).sources()
    if args.json:
        print_json([s.model_dump(mode="json") for s in sources])
        return EXIT_OK
    for s in sources:
        title = terminal_safe(s.meta.title or "(untitled)")
        outlet = f" — {terminal_safe(s.meta.outlet)}" if s.meta.outlet else ""
        print(f"{terminal_safe(s.id)}\t{s.n_chunks:>4} chunks\t{title}{outlet}")
    print(f"{len(sources)} sources")
    return EXIT_OK


def cmd_search(args) -> int:
    library = open_cli_library(args, quiet=args.json)
    hits = library.search(args.query, k=runtime_of(args).settings.k)
    if args.json:
        print_json(
            {
                "query": args.query,
                "k": runtime_of(args).settings.k,
                "hits": [
                    {
                        "rank": rank,
                        "source_id": h.chunk.source_id,
                        "chunk_id": h.chunk.id,
                        "start": h.chunk.start,
                        "end": h.chunk.end,
                        "text": h.chunk.text,
                        "score": h.score,
                        "dense_rank": h.dense_rank,
                        "bm25_rank": h.bm25_rank,
                    }
                    for rank, h in enumerate(hits, start=1)
                ],
            }
        )
        return EXIT_OK
    for rank, h in enumerate(hits, start=1):
        text = " ".join(h.chunk.text.split())
        where = f"{terminal_safe(h.chunk.source_id)} {h.chunk.start}-{h.chunk.end}"
        print(f"[{rank}] {where} (score {h.score:.4f})")
        print(f"    {terminal_safe(text[:300])}{'…' if len(text) > 300 else ''}")
    return EXIT_OK


def cmd_remove(args) -> int:
    removed = open_cli_library(args, quiet=args.json).remove(args.source_id)
    if args.json:
        print_json({"source_id": args.source_id, "removed": removed})
    elif removed:
        print(f"removed {terminal_safe(args.source_id)}")
    else:
        fail(f"no source with id {args.source_id!r} (see `dossier sources`)")
    return EXIT_OK if removed else EXIT_SOME_FAILED


def cmd_reindex(args) -> int:
    runtime = runtime_of(args)
    runtime.on_lock_wait = fail
    update, close = progress_bar(not args.json)
    try:
        report = runtime.reindex(progress=update)
    finally:
        close()
    if args.json:
        print_json(report)
    else:
        print_file_problems(report)
        print(f"reindexed {len(report.replaced)} sources; {report.chunks_added} chunks")
    return EXIT_OK if report.ok else EXIT_SOME_FAILED


def cmd_check(args) -> int:
    report = runtime_of(args).check(repair=args.repair)
    if args.json:
        print_json(report)
        return EXIT_OK if report.ok else EXIT_SOME_FAILED
    print(f"library: {terminal_safe(report.folder)}")
    counts = f"; {report.sources} sources, {report.chunks} passages" if report.sources else ""
    print(f"database: {report.database}{counts}")
    if report.database == "ok":  # the rest is compared with the database, so only then
        print(f"manifest: {report.manifest}")
        vectors = f"; {report.index_vectors} vectors" if report.index_vectors is not None else ""
        print(f"vector index: {report.index}{vectors}")
    for problem in report.problems:
        print(f"problem: {terminal_safe(problem)}")
    for done in report.repaired:
        print(f"repaired: {terminal_safe(done)}")
    if report.recoverable_paths:
        print(f"{len(report.recoverable_paths)} original files of readable sources still exist;")
        print("ingest them into a new library to recover them:")
        for path in report.recoverable_paths:
            print(f"    {terminal_safe(path)}")
    if report.ok:
        print("ok")
    elif not args.repair and report.database == "ok":
        print("run `dossier check --repair` to rebuild what is derived")
    return EXIT_OK if report.ok else EXIT_SOME_FAILED


def cmd_gui(args) -> int:
    # Qt is imported here only: the core never depends on the desktop package.
    from desktop.app import main as gui_main

    argv = []
    if args.data_dir:
        argv += ["--data-dir", args.data_dir]
    if args.dossier:
        argv += ["--dossier", args.dossier]
    if args.model:
        argv += ["--model", args.model]
    if args.library:
        argv += ["--library", args.library]
    return gui_main(argv)


COMMANDS = {
    "gui": cmd_gui,
    "ingest": cmd_ingest,
    "sources": cmd_sources,
    "search": cmd_search,
    "remove": cmd_remove,
    "reindex": cmd_reindex,
    "check": cmd_check,
    **answers.COMMANDS,
    **history.COMMANDS,
    **briefing.COMMANDS,
    **dossiers.COMMANDS,
    **notes.COMMANDS,
    **watch.COMMANDS,
}

if __name__ == "__main__":
    sys.exit(main())
