"""CLI commands that use the language model: ask, chat, models, eval."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

from dossier.settings import DEFAULT_K

from .common import (
    EXIT_ERROR,
    EXIT_OK,
    fail,
    open_cli_library,
    positive_count,
    print_json,
    question_text,
    runtime_of,
    terminal_safe,
)


def add_parsers(sub) -> None:
    p = sub.add_parser("ask", help="answer a question from the sources, with citations")
    p.add_argument("question", type=question_text)
    p.add_argument("--model", help="catalog name (default, fast, tiny) or path to a .gguf file")
    p.add_argument("--k", type=positive_count, help=f"passages to retrieve (default {DEFAULT_K})")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of streaming")

    p = sub.add_parser("chat", help="ask questions with follow-ups in the terminal")
    p.add_argument("--model")
    p.add_argument("--k", type=positive_count, help=f"passages to retrieve (default {DEFAULT_K})")

    p = sub.add_parser("models", help="list the language models: installed, assembled, default")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("eval", help="run a question file (JSONL) and print answer metrics")
    p.add_argument("file", type=Path)
    p.add_argument("--model")
    p.add_argument("--k", type=positive_count, help=f"passages to retrieve (default {DEFAULT_K})")
    p.add_argument("--out", type=Path, help="write one JSON record per question here")
    p.add_argument("--json", action="store_true")


def _llm(args):
    """The language model; a ModelError (not installed, not GGUF, ...) is reported by main."""

    return runtime_of(args).llm()


def _passage_line(p) -> str:
    """One line per passage: source id, offsets and the start of its text, all escaped."""
    text = " ".join(p.text.split())[:160]
    return f"  [{p.n}] {terminal_safe(p.source_id)} {p.start}-{p.end}: {terminal_safe(text)}"


def _print_token(piece: str) -> None:
    # Model output may copy control characters from a source; line breaks are its own.
    print(terminal_safe(piece, keep_newlines=True), end="", flush=True)


def _print_answer_tail(answer) -> None:
    if answer.refused:
        print("\n(refused: the sources do not answer this; nearest passages:)")
        for p in answer.passages:
            print(_passage_line(p))
        return
    unsupported = [s.text for s in answer.sentences if not s.supported]
    if unsupported:
        print("\n(not supported by the sources, shown for transparency:)")
        for text in unsupported:
            print(f"  ! {terminal_safe(text)}")
    print("\nSources:")
    for c in answer.citations:
        print(_passage_line(c))
    t = answer.timings
    print(f"\n(ttft {t.ttft_s or 0:.1f} s, {t.tokens_per_s:.1f} tokens/s, total {t.total_s:.1f} s)")


def cmd_ask(args) -> int:
    from dossier.ask import ask

    library = open_cli_library(args, quiet=args.json)
    llm = _llm(args)
    cancel = threading.Event()
    on_token = None if args.json else _print_token
    try:
        answer = ask(
            args.question,
            library=library,
            llm=llm,
            k=runtime_of(args).settings.k,
            on_token=on_token,
            cancel=cancel,
        )
    except KeyboardInterrupt:
        cancel.set()
        raise
    if args.json:
        print_json(answer)
    else:
        print()
        _print_answer_tail(answer)
    return EXIT_OK


def _read_question() -> str | None:
    """The next chat question, stripped; None to quit (Ctrl-D or an empty line)."""
    while True:
        try:
            line = input("\n> ")
        except EOFError:
            return None
        if not line:
            return None
        if line.strip():
            return line.strip()
        # Only spaces: most likely a slip, so neither a search nor the end of the conversation.
        print("(the question is only spaces: type one, or an empty line to quit)", file=sys.stderr)


def cmd_chat(args) -> int:
    from dossier.ask import ask
    from dossier.schema import Turn

    library = open_cli_library(args)
    llm = _llm(args)
    history: list[Turn] = []
    print("Ask about your sources. Empty line or Ctrl-D to quit; 'new' starts a new conversation.")
    while (question := _read_question()) is not None:
        if question.lower() == "new":
            history.clear()
            continue
        cancel = threading.Event()
        try:
            answer = ask(
                question,
                history=history,
                library=library,
                llm=llm,
                k=runtime_of(args).settings.k,
                on_token=_print_token,
                cancel=cancel,
            )
        except KeyboardInterrupt:
            cancel.set()
            print("\n(stopped)")
            continue
        print()
        _print_answer_tail(answer)
        history.append(Turn(question=question, answer=answer.answer))
    return EXIT_OK


def cmd_models(args) -> int:
    runtime = runtime_of(args)
    statuses = runtime.models()
    chosen = runtime.settings.model
    if args.json:
        print_json({"default": chosen, "models": [s.model_dump(mode="json") for s in statuses]})
        return EXIT_OK
    for s in statuses:
        data = s.model_dump()
        mark = "*" if chosen in (data.get("role"), data.get("id")) else " "
        state = "installed" if data.get("installed") else "not installed"
        model_id, path = terminal_safe(data.get("id")), terminal_safe(data.get("path") or "")
        print(f"{mark} {model_id}\t{data.get('role') or ''}\t{state}\t{path}")
    return EXIT_OK


def _load_questions(path: Path):
    """The question file's records, or None after saying why it cannot be read as one."""
    from pydantic import ValidationError

    from dossier.evaluate import load_questions

    try:
        return load_questions(path)
    except ValidationError as exc:  # not JSON, or a record without the expected fields
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        problem = f"{where}: {first['msg']}" if where else first["msg"]
    except UnicodeDecodeError:
        problem = "not UTF-8 text"
    fail(f"{path} is not a question file (one JSON object per line): {problem}")
    return None


def cmd_eval(args) -> int:
    from dossier.ask import ask
    from dossier.evaluate import run, score, write_records

    questions = _load_questions(args.file)
    if questions is None:
        return EXIT_ERROR
    library = open_cli_library(args, quiet=True)
    llm = _llm(args)
    records = []
    for record in run(
        questions, lambda q: ask(q, library=library, llm=llm, k=runtime_of(args).settings.k)
    ):
        records.append(record)
        if not args.json:
            a = record.answer
            state = "refused" if a.refused else f"{len(a.citations)} citations"
            print(
                f"{terminal_safe(record.id)}: {state}; ttft {a.timings.ttft_s or 0:.2f} s",
                file=sys.stderr,
            )
    if args.out:
        write_records(records, args.out)
    metrics = score(questions, records)
    if args.json:
        print_json(metrics)
    else:
        for key, value in metrics.model_dump().items():
            print(f"{key:28} {value}")
    return EXIT_OK


COMMANDS = {"ask": cmd_ask, "chat": cmd_chat, "models": cmd_models, "eval": cmd_eval}
