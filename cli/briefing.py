"""CLI commands for summaries and the briefing: summarize, brief."""

from __future__ import annotations

import sys
from pathlib import Path

from .common import (
    EXIT_ERROR,
    EXIT_OK,
    EXIT_USAGE,
    fail,
    open_cli_library,
    print_json,
    step_bar,
    terminal_safe,
)


def add_parsers(sub) -> None:
    p = sub.add_parser("summarize", help="key points of each source, checked against its text")
    p.literal_dashes = True  # `dossier summarize -abc` summarises the source "-abc"
    p.add_argument("source_ids", nargs="*", help="sources to summarise (default: all)")
    p.add_argument("--model", help="catalog name (default, fast, tiny) or path to a .gguf file")
    p.add_argument("--refresh", action="store_true", help="ignore cached summaries")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("brief", help="export a briefing of the whole library in one go")
    p.add_argument("--out", type=Path, help="FILE.md, .html, .pdf or .docx")
    p.add_argument("--model", help="catalog name (default, fast, tiny) or path to a .gguf file")
    p.add_argument(
        "--json",
        action="store_true",
        help="print the briefing's structure as JSON (with --out, the file written under "
        '"export": path, format, bytes, pages; what is new since the previous export under '
        '"new_since_last_briefing")',
    )


def cmd_summarize(args) -> int:
    from dossier.summaries import SourceNotFound, summarize

    from .answers import _llm

    library = open_cli_library(args, quiet=args.json)
    known = [s.id for s in library.sources()]
    ids = args.source_ids or known
    unknown = [i for i in ids if i not in known]
    if unknown:
        fail(f"no source with id {', '.join(unknown)} (see `dossier sources`)")
        return EXIT_USAGE
    llm = _llm(args)
    update, close = step_bar(not args.json, "source")
    summaries = []
    try:
        for i, source_id in enumerate(ids):
            if update:
                update(i, len(ids), source_id)
            summaries.append(summarize(source_id, library=library, llm=llm, refresh=args.refresh))
        if update:
            update(len(ids), len(ids), "done")
    except SourceNotFound as exc:  # removed by another process meanwhile
        fail(exc.args[0] if exc.args else exc)  # KeyError's str() would add quotes
        return EXIT_ERROR
    finally:
        close()
    if args.json:
        print_json([s.model_dump(mode="json") for s in summaries])
        return EXIT_OK
    for s in summaries:
        _print_summary(s)
    return EXIT_OK


def _print_summary(s) -> None:
    from dossier.source_guide import names_every_speaker

    cached = " (cached)" if s.cached else ""
    print(f"{terminal_safe(s.source_id)} — {terminal_safe(s.title or '(untitled)')}{cached}")
    if s.guide and s.guide.sentences:
        print(f"  {terminal_safe(s.guide.text)}")
    for point in s.points:
        where = ", ".join(f"{e.start}-{e.end}" for e in point.evidence)
        mark = "-" if point.supported else "!"
        note = f"  [{where}]" if where else "  (not supported by the text; not a fact)"
        print(f"  {mark} {terminal_safe(point.text)}{note}")
    if s.quoted and not names_every_speaker(s.guide, s.quoted):
        print(f"  quoted: {terminal_safe(', '.join(s.quoted))}")
    if s.angle:
        print(f"  framing (model's reading): {terminal_safe(s.angle)}")
    print()


def cmd_brief(args) -> int:
    from dossier.briefing import brief
    from dossier.briefing_history import with_new_since
    from dossier.export import FORMATS, write_briefing
    from dossier.notes import with_notes

    from .answers import _llm
    from .common import runtime_of

    if args.out is None and not args.json:
        fail("give --out FILE.md|.html|.pdf|.docx or --json")
        return EXIT_USAGE
    if args.out is not None and args.out.suffix.lower() not in FORMATS:
        fail(f"cannot export to {args.out.name}: use {', '.join(FORMATS)}")
        return EXIT_USAGE
    library = open_cli_library(args, quiet=args.json)
    # Read before the slow part: notes that cannot be read fail the command at once, not after
    # minutes of model work whose briefing would then be lost.
    pinned = _pinned_notes(args)
    llm = _llm(args)
    update, close = step_bar(not args.json, "step")
    try:
        briefing = brief(library=library, llm=llm, progress=update)
    finally:
        close()
    briefing = with_notes(briefing, pinned, library)  # the "Notes" section, in the user's order
    history = runtime_of(args).briefing_history()
    briefing = with_new_since(briefing, history)  # "New since the last briefing"
    written = write_briefing(briefing, args.out) if args.out is not None else None
    if written is not None:  # only a file written is an export the next one compares with
        try:
            history.record(briefing, written.path, written.format)
        except OSError as exc:  # the file is written: say why the next one cannot compare
            print(f"warning: the export was not recorded in {history.path}: {exc}",
                  file=sys.stderr)  # fmt: skip
    if args.json:
        data = briefing.model_dump(mode="json")
        if written is not None:
            data["export"] = written.to_json()
        print_json(data)
    elif written is not None:
        pages = (
            f", {written.pages} page{'s' if written.pages != 1 else ''}" if written.pages else ""
        )
        print(f"wrote {terminal_safe(written.path)} ({written.size:,} bytes{pages})")
        new = briefing.new_since_last_briefing
        if new is not None:
            print(
                f"{len(new.sources)} source(s) new or changed since the briefing of "
                f"{new.previous_export_at}"
            )
    return EXIT_OK


def _pinned_notes(args) -> list:
    """The dossier's notes, in the user's order, as `dossier notes` lists them."""
    from .common import runtime_of

    with runtime_of(args).notes() as store:
        return store.notes()


COMMANDS = {"summarize": cmd_summarize, "brief": cmd_brief}
