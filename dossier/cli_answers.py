"""CLI commands that use the language model: ask, chat, models, eval."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

from .cli_common import EXIT_ERROR, EXIT_OK, open_cli_library, print_json


def add_parsers(sub) -> None:
    p = sub.add_parser("ask", help="answer a question from the sources, with citations")
    p.add_argument("question")
    p.add_argument("--model", help="catalog name (default, fast, tiny) or path to a .gguf file")
    p.add_argument("--k", type=int, default=8, help="passages to retrieve (default 8)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of streaming")

    p = sub.add_parser("chat", help="ask questions with follow-ups in the terminal")
    p.add_argument("--model")
    p.add_argument("--k", type=int, default=8)

    p = sub.add_parser("models", help="list the language models: installed, assembled, default")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("eval", help="run a question file (JSONL) and print answer metrics")
    p.add_argument("file", type=Path)
    p.add_argument("--model")
    p.add_argument("--k", type=int, default=8)
    p.add_argument("--out", type=Path, help="write one JSON record per question here")
    p.add_argument("--json", action="store_true")


def _llm(args):
    from models.resolve import ModelError

    from .models import default_llm

    try:
        return default_llm(args.model, args.data_dir)
    except ModelError as exc:
        print(f"dossier: {exc}", file=sys.stderr)
        raise SystemExit(EXIT_ERROR) from exc


def _print_answer_tail(answer) -> None:
    if answer.refused:
        print("\n(refused: the sources do not answer this; nearest passages:)")
        for p in answer.passages:
            print(f"  [{p.n}] {p.source_id} {p.start}-{p.end}: {' '.join(p.text.split())[:160]}")
        return
    unsupported = [s.text for s in answer.sentences if not s.supported]
    if unsupported:
        print("\n(not supported by the sources, shown for transparency:)")
        for text in unsupported:
            print(f"  ! {text}")
    print("\nSources:")
    for c in answer.citations:
        print(f"  [{c.n}] {c.source_id} {c.start}-{c.end}: {' '.join(c.text.split())[:160]}")
    t = answer.timings
    print(f"\n(ttft {t.ttft_s or 0:.1f} s, {t.tokens_per_s:.1f} tokens/s, total {t.total_s:.1f} s)")


def cmd_ask(args) -> int:
    from .ask import ask

    library = open_cli_library(args, quiet=args.json)
    llm = _llm(args)
    cancel = threading.Event()
    on_token = None if args.json else (lambda piece: print(piece, end="", flush=True))
    try:
        answer = ask(
            args.question, library=library, llm=llm, k=args.k, on_token=on_token, cancel=cancel
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


def cmd_chat(args) -> int:
    from .ask import ask
    from .schema import Turn

    library = open_cli_library(args)
    llm = _llm(args)
    history: list[Turn] = []
    print("Ask about your sources. Empty line or Ctrl-D to quit; 'new' starts a new conversation.")
    while True:
        try:
            question = input("\n> ").strip()
        except EOFError:
            break
        if not question:
            break
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
                k=args.k,
                on_token=lambda piece: print(piece, end="", flush=True),
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
    from models.resolve import list_models

    from .models import model_choice
    from .settings import cache_dir, data_dir

    statuses = list_models(cache_dir(data_dir(args.data_dir)))
    chosen = model_choice()
    if args.json:
        print_json({"default": chosen, "models": [s.model_dump(mode="json") for s in statuses]})
        return EXIT_OK
    for s in statuses:
        data = s.model_dump()
        mark = "*" if chosen in (data.get("role"), data.get("id")) else " "
        state = "installed" if data.get("installed") else "not installed"
        print(
            f"{mark} {data.get('id')}\t{data.get('role') or ''}\t{state}\t{data.get('path') or ''}"
        )
    return EXIT_OK


def cmd_eval(args) -> int:
    from .ask import ask
    from .evaluate import load_questions, run, score, write_records

    questions = load_questions(args.file)
    library = open_cli_library(args, quiet=True)
    llm = _llm(args)
    records = []
    for record in run(questions, lambda q: ask(q, library=library, llm=llm, k=args.k)):
        records.append(record)
        if not args.json:
            a = record.answer
            state = "refused" if a.refused else f"{len(a.citations)} citations"
            print(f"{record.id}: {state}; ttft {a.timings.ttft_s or 0:.2f} s", file=sys.stderr)
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
