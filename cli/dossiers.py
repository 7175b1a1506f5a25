"""`dossier dossiers`, `new`, `rename`, `delete`, `use`: one dossier per story.

The global `--dossier NAME` (before the command) picks the dossier any command works on;
without it, the current one (`dossier use NAME`, or the window's last choice)."""

from __future__ import annotations

import shlex
import sys

from .common import EXIT_OK, EXIT_USAGE, fail, print_json, runtime_of, terminal_safe


def add_parsers(sub) -> None:
    p = sub.add_parser(
        "dossiers", help="list the dossiers: sources, last change, * for the current one"
    )
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("new", help="create an empty dossier (one story: its own library)")
    p.add_argument("name")
    p.add_argument("--use", action="store_true", help="and make it the current dossier")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("rename", help="rename a dossier (its folder stays where it is)")
    p.add_argument("old")
    p.add_argument("new")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser(
        "delete", help="delete a dossier with its library and conversations (not the last one)"
    )
    p.add_argument("name")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("use", help="make a dossier the current one (opened when none is named)")
    p.add_argument("name")
    p.add_argument("--json", action="store_true")


def _document(info) -> dict:
    return {
        "name": info.name,
        "slug": info.slug,
        "folder": str(info.folder),
        "sources": info.sources,
        "last_change": info.last_change.isoformat() if info.last_change else None,
        "created": info.created.isoformat(),
        "current": info.current,
    }


def _when(stamp) -> str:
    return stamp.astimezone().strftime("%Y-%m-%d %H:%M") if stamp else "never"


def _line(info) -> str:
    from dossier.dossiers import plural

    mark = "*" if info.current else " "
    sources = "? sources" if info.sources is None else plural(info.sources, "source")
    return f"{mark} {terminal_safe(info.name)}\t{sources}\tchanged {_when(info.last_change)}"


def _registry(args):
    return runtime_of(args).dossiers()


def cmd_dossiers(args) -> int:
    dossiers = _registry(args).list()
    if args.json:
        print_json([_document(d) for d in dossiers])
        return EXIT_OK
    for d in dossiers:
        print(_line(d))
    print(f"{len(dossiers)} dossiers; * current (`dossier use NAME` to change)")
    return EXIT_OK


def cmd_new(args) -> int:
    registry = _registry(args)
    info = registry.create(args.name)
    if args.use:
        info = registry.use(info.slug)
    if args.json:
        print_json(_document(info))
    else:
        print(f"created {terminal_safe(info.name)} in {terminal_safe(info.folder)}")
        if not args.use:
            name = terminal_safe(shlex.quote(info.name))
            print(f"`dossier use {name}` makes it the current dossier")
    return EXIT_OK


def cmd_rename(args) -> int:
    info = _registry(args).rename(args.old, args.new)
    if args.json:
        print_json(_document(info))
    else:
        print(f"renamed {terminal_safe(args.old)} to {terminal_safe(info.name)}")
    return EXIT_OK


def _confirmed(info) -> bool:
    """Asked on a terminal; anything else must pass --yes (a script cannot answer)."""
    if not sys.stdin.isatty() or not sys.stderr.isatty():
        fail("deleting a dossier needs --yes when no one can be asked")
        return False
    sources = "?" if info.sources is None else info.sources
    print(
        f"Delete the dossier {terminal_safe(info.name)} with its {sources} sources, "
        "conversations and notes? [y/N] ",
        end="",
        file=sys.stderr,
        flush=True,
    )
    return sys.stdin.readline().strip().lower() in ("y", "yes")


def cmd_delete(args) -> int:
    registry = _registry(args)
    info = registry.get(args.name)
    if not args.yes and not _confirmed(info):
        return EXIT_USAGE
    deleted = registry.delete(info.slug)
    if args.json:
        print_json({**_document(deleted), "deleted": True})
    else:
        print(f"deleted {terminal_safe(deleted.name)}")
    return EXIT_OK


def cmd_use(args) -> int:
    info = _registry(args).use(args.name)
    if args.json:
        print_json(_document(info))
    else:
        print(f"now using {terminal_safe(info.name)}")
    return EXIT_OK


COMMANDS = {
    "dossiers": cmd_dossiers,
    "new": cmd_new,
    "rename": cmd_rename,
    "delete": cmd_delete,
    "use": cmd_use,
}
