"""`dossier notes`: the pinned notes — list, add (a passage or your own words), pin an answer
of a saved conversation or a point of a cached summary, edit, move, delete. The briefing has
them in a "Notes" section."""

from __future__ import annotations

import argparse

from .common import (
    EXIT_OK,
    EXIT_SOME_FAILED,
    EXIT_USAGE,
    fail,
    number_from_1,
    open_cli_library,
    print_json,
    runtime_of,
    terminal_safe,
)
from .history import conversation_number


def note_number(value: str) -> int:
    """argparse type for a note id or a position: a whole number from 1."""
    return number_from_1(value, "a whole number from 1")


def cite_span(value: str) -> tuple[str, int, int]:
    """argparse type for --cite SOURCE:START-END (a source id may itself hold a colon)."""
    source_id, _, offsets = value.rpartition(":")
    start, _, end = offsets.partition("-")
    try:
        a, b = int(start), int(end)
    except ValueError:
        a = b = -1
    if not source_id or a < 0 or b <= a:
        raise argparse.ArgumentTypeError(
            f"must be SOURCE:START-END with START < END (offsets as `dossier search` prints "
            f"them), not {value}"
        )
    return source_id, a, b


def add_parsers(sub) -> None:
    p = sub.add_parser(
        "notes",
        help="pinned notes: list; add, pin-answer, pin-point, edit, move, delete",
        description="Notes are answers, source passages and summary points you pin; the "
        'briefing lists them in a "Notes" section in your order. An edited note is marked as '
        "your words; a citation is kept only where its passage still holds the sentence.",
    )
    p.add_argument("--json", action="store_true")
    actions = p.add_subparsers(dest="notes_action", metavar="ACTION")

    a = actions.add_parser(
        "add", help="pin a passage (--cite alone) or your own words (--text) citing passages"
    )
    a.add_argument("--text", help="the note in your words (default: the cited passage)")
    a.add_argument(
        "--cite",
        type=cite_span,
        action="append",
        default=[],
        metavar="SOURCE:START-END",
        help="a passage of a source, by character offsets (repeatable)",
    )
    a.add_argument("--json", action="store_true", default=argparse.SUPPRESS)

    a = actions.add_parser("pin-answer", help="pin an answer of a saved conversation")
    a.add_argument("conversation_id", type=conversation_number, metavar="CONVERSATION")
    a.add_argument("--turn", type=note_number, help="the turn to pin (default: the last)")
    a.add_argument("--json", action="store_true", default=argparse.SUPPRESS)

    a = actions.add_parser(
        "pin-point", help="pin a point of a source's summary (as `dossier summarize` lists them)"
    )
    a.literal_dashes = True  # a source id may start with "-"
    a.add_argument("source_id", metavar="SOURCE")
    a.add_argument("point", type=note_number, metavar="N", help="the point's number, from 1")
    a.add_argument("--model", help="the model whose cached summary to use (default: as set)")
    a.add_argument("--json", action="store_true", default=argparse.SUPPRESS)

    a = actions.add_parser("edit", help="replace a note's text with your words")
    a.add_argument("note_id", type=note_number, metavar="ID")
    a.add_argument("text")
    a.add_argument("--json", action="store_true", default=argparse.SUPPRESS)

    a = actions.add_parser("move", help="put a note at a position of the list (1 is first)")
    a.add_argument("note_id", type=note_number, metavar="ID")
    a.add_argument("position", type=note_number, metavar="POS")
    a.add_argument("--json", action="store_true", default=argparse.SUPPRESS)

    a = actions.add_parser("delete", help="delete a note")
    a.add_argument("note_id", type=note_number, metavar="ID")
    a.add_argument("--json", action="store_true", default=argparse.SUPPRESS)


def cmd_notes(args) -> int:
    from dossier.notes import NoteInvalid, NoteNotFound

    action = args.notes_action or "list"
    with runtime_of(args).notes() as store:
        try:
            return _ACTIONS[action](args, store)
        except NoteNotFound as exc:
            fail(f"{exc} (see `dossier notes`)")
            return EXIT_SOME_FAILED
        except NoteInvalid as exc:
            fail(exc)
            return EXIT_USAGE


def _checked(args, notes):
    """The notes with their citations checked against the library (removed, changed)."""
    if not any(n.citations for n in notes):
        return notes
    from dossier.notes import check_sources

    library = open_cli_library(args, quiet=args.json)
    return check_sources(notes, library.source_text)


def _list(args, store) -> int:
    notes = _checked(args, store.notes())
    if args.json:
        print_json([n.model_dump(mode="json") for n in notes])
        return EXIT_OK
    for note in notes:
        print_note(note)
    print(f"{len(notes)} note{'s' if len(notes) != 1 else ''}")
    return EXIT_OK


_KINDS = {"answer": "answer", "passage": "passage", "summary_point": "summary point",
          "text": "your note"}  # fmt: skip


_STATUS = {"present": "", "removed": " (source removed)",
           "changed": " (source changed since pinned)"}  # fmt: skip


def print_note(note) -> None:
    words = " (your words)" if note.user_edited and note.kind != "text" else ""
    origin = f": {terminal_safe(note.origin)}" if note.origin else ""
    print(f"{note.position}. [id {note.id}] {_KINDS[note.kind]}{words}{origin}")
    print(f"   {terminal_safe(note.text)}")
    for c in note.citations:
        status = _STATUS[c.source_status]
        text = " ".join(c.text.split())[:120]
        print(f"   [{c.n}] {terminal_safe(c.source_id)} {c.start}-{c.end}{status}: "
              f"{terminal_safe(text)}")  # fmt: skip
    print()


def _print_added(args, note, dropped: int = 0) -> int:
    if args.json:
        print_json(note)
    else:
        print_note(note)
        if dropped:
            print(f"{dropped} cited passage(s) not kept: they do not hold any sentence of the note")
    return EXIT_OK


def _add(args, store) -> int:
    from dossier.notes import passage_note, text_note
    from dossier.schema import SourceSpan

    if not args.cite and not args.text:
        fail("give --cite SOURCE:START-END (a passage), --text TEXT (your words), or both")
        return EXIT_USAGE
    spans = []
    if args.cite:
        library = open_cli_library(args, quiet=args.json)
        for source_id, start, end in args.cite:
            text = library.source_text(source_id)
            if text is None:
                fail(f"no source with id {source_id} (see `dossier sources`)")
                return EXIT_USAGE
            if end > len(text):
                fail(f"{source_id} has {len(text)} characters: {start}-{end} is past its end")
                return EXIT_USAGE
            spans.append(
                SourceSpan(source_id=source_id, start=start, end=end, text=text[start:end])
            )
    if args.text is None and len(spans) == 1:
        return _print_added(args, store.add(passage_note(spans[0])))
    if args.text is None:
        fail("several passages need --text: the note in your words")
        return EXIT_USAGE
    draft = text_note(args.text, spans)
    return _print_added(args, store.add(draft), len(spans) - len(draft.citations))


def _pin_answer(args, store) -> int:
    from dossier.notes import answer_note

    with runtime_of(args).conversations() as conversations:
        conversation = conversations.conversation(args.conversation_id)
    if conversation is None or not conversation.turns:
        fail(f"no saved conversation {args.conversation_id} with an answer (see `dossier history`)")
        return EXIT_SOME_FAILED
    turns = {t.n: t for t in conversation.turns}
    turn = turns.get(args.turn) if args.turn else conversation.turns[-1]
    if turn is None:
        fail(f"conversation {args.conversation_id} has no turn {args.turn}")
        return EXIT_SOME_FAILED
    note = store.add(answer_note(turn.answer, conversation_id=conversation.id))
    return _print_added(args, note)


def _pin_point(args, store) -> int:
    from dossier.notes import summary_point_note
    from dossier.summaries import SourceNotFound, cached_summary

    from .answers import _llm

    library = open_cli_library(args, quiet=args.json)
    try:  # the model is named, not loaded: only its id keys the cache
        summary = cached_summary(args.source_id, library=library, llm=_llm(args))
    except SourceNotFound:
        fail(f"no source with id {args.source_id} (see `dossier sources`)")
        return EXIT_USAGE
    if summary is None:
        fail(
            f"{args.source_id} has no summary from this model yet: run `dossier summarize "
            f"{args.source_id}` first"
        )
        return EXIT_SOME_FAILED
    if args.point > len(summary.points):
        fail(f"the summary of {args.source_id} has {len(summary.points)} points")
        return EXIT_USAGE
    point = summary.points[args.point - 1]
    return _print_added(args, store.add(summary_point_note(summary.source_id, point)))


def _edit(args, store) -> int:
    note = store.edit(args.note_id, args.text)
    return _print_added(args, note)


def _move(args, store) -> int:
    notes = store.move(args.note_id, args.position)
    if args.json:
        print_json([n.model_dump(mode="json") for n in notes])
    else:
        for n in notes:
            print(f"{n.position}. [id {n.id}] {terminal_safe(n.text[:80])}")
    return EXIT_OK


def _delete(args, store) -> int:
    deleted = store.delete(args.note_id)
    if args.json:
        print_json({"id": args.note_id, "deleted": deleted})
    elif deleted:
        print(f"deleted note {args.note_id}")
    if not deleted:
        fail(f"no note {args.note_id} (see `dossier notes`)")
    return EXIT_OK if deleted else EXIT_SOME_FAILED


_ACTIONS = {
    "list": _list,
    "add": _add,
    "pin-answer": _pin_answer,
    "pin-point": _pin_point,
    "edit": _edit,
    "move": _move,
    "delete": _delete,
}

COMMANDS = {"notes": cmd_notes}
