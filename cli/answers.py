"""CLI commands that use the language model: ask, chat, models, eval."""

from __future__ import annotations

import contextlib
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
    print_answer_checks,
    print_file_problems,
    print_json,
    question_text,
    runtime_of,
    terminal_safe,
)
from .history import TurnSaver, interrupted_answer


def add_parsers(sub) -> None:
    p = sub.add_parser("ask", help="answer a question from the sources, with citations")
    p.add_argument("question", type=question_text)
    p.add_argument("--model", help="catalog name (default, fast, tiny) or path to a .gguf file")
    p.add_argument("--k", type=positive_count, help=f"passages to retrieve (default {DEFAULT_K})")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of streaming")
    p.add_argument(
        "--no-save", action="store_true", help="do not save the answer in `dossier history`"
    )

    p = sub.add_parser("chat", help="ask questions with follow-ups in the terminal")
    p.add_argument("--model")
    p.add_argument("--k", type=positive_count, help=f"passages to retrieve (default {DEFAULT_K})")
    p.add_argument(
        "--no-save", action="store_true", help="do not save the answers in `dossier history`"
    )

    p = sub.add_parser("models", help="list the language models: installed, assembled, default")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser(
        "eval",
        help="run question suites and print answer metrics: one table per suite plus overall",
        description="A SUITE is QUESTIONS.jsonl (on the --data-dir library), "
        "QUESTIONS.jsonl:CORPUS_DIR (on its own library of that folder), a folder of NAME.jsonl "
        "files each beside a NAME/ corpus folder, or a SUITES.json manifest.",
    )
    p.add_argument("suites", nargs="+", metavar="SUITE")
    p.add_argument("--model")
    p.add_argument("--k", type=positive_count, help=f"passages to retrieve (default {DEFAULT_K})")
    p.add_argument(
        "--out", type=Path, help="write one JSON record per question here (+ .summary.json)"
    )
    p.add_argument("--baseline", type=Path, help="an earlier --out file: show the change")
    p.add_argument(
        "--work-dir",
        type=Path,
        help="where suites with a corpus get their libraries (default: <data dir>/eval)",
    )
    p.add_argument("--json", action="store_true")


def _llm(args):
    """The language model; a ModelError (not installed, not GGUF, ...) is reported by main."""

    return runtime_of(args).llm()


def _print_token(piece: str) -> None:
    # Model output may copy control characters from a source; line breaks are its own.
    print(terminal_safe(piece, keep_newlines=True), end="", flush=True)


READING_SHOWN = 3  # passages listed while the model writes
READING_WORDS = 12


def _reading_printer(library):
    """An `on_passages` for the terminal: the best passages found, listed on stderr (stdout
    stays the answer) before the model's text streams: `Reading: [1] <title> — <first words>…`.
    """
    titles: dict[str, str] = {}

    def show(passages) -> None:
        if not titles:  # read once, when first needed
            titles.update({s.id: s.meta.title or s.id for s in library.sources()})
        for i, p in enumerate(passages[:READING_SHOWN]):
            words = p.text.split()
            start = " ".join(words[:READING_WORDS]) + ("…" if len(words) > READING_WORDS else "")
            title = terminal_safe(titles.get(p.source_id, p.source_id))
            label = "Reading:" if i == 0 else " " * len("Reading:")
            print(f"{label} [{p.n}] {title} — {terminal_safe(start)}", file=sys.stderr)
        print(file=sys.stderr, flush=True)

    return show


def _print_answer_tail(answer) -> None:
    print_answer_checks(answer, gap="\n")
    if answer.refused:
        return
    t = answer.timings
    print(f"\n(ttft {t.ttft_s or 0:.1f} s, {t.tokens_per_s:.1f} tokens/s, total {t.total_s:.1f} s)")


def cmd_ask(args) -> int:
    from dossier.ask import AskEvents, AskOptions, ask

    library = open_cli_library(args, quiet=args.json)
    llm = _llm(args)
    cancel = threading.Event()
    saver = TurnSaver(args, enabled=not args.no_save)  # a one-turn conversation
    streamed = []

    def on_token(piece: str) -> None:
        streamed.append(piece)
        if not args.json:
            _print_token(piece)

    try:
        try:
            answer = ask(
                args.question,
                library=library,
                llm=llm,
                options=AskOptions(k=runtime_of(args).settings.k),
                events=AskEvents(
                    on_token=on_token,
                    on_passages=None if args.json else _reading_printer(library),
                    cancel=cancel,
                ),
            )
        except KeyboardInterrupt:
            cancel.set()
            if streamed:  # saved as interrupted, as far as it came
                saver.save(args.question, interrupted_answer(args.question, "".join(streamed), llm))
            raise
        conversation_id = saver.save(args.question, answer)
    finally:
        saver.close()
    if args.json:
        print_json(answer)
    else:
        print()
        _print_answer_tail(answer)
        if conversation_id is not None:
            print(f"(saved: `dossier history {conversation_id}` shows it again)")
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
    from dossier.ask import AskEvents, AskOptions, ask
    from dossier.schema import Turn

    library = open_cli_library(args)
    llm = _llm(args)
    history: list[Turn] = []
    show_reading = _reading_printer(library)
    saver = TurnSaver(args, enabled=not args.no_save)
    print("Ask about your sources. Empty line or Ctrl-D to quit; 'new' starts a new conversation.")
    if saver.enabled:
        print("Answers are saved as they complete: `dossier history` lists the conversations.")
    try:
        while (question := _read_question()) is not None:
            if question.lower() == "new":
                history.clear()
                saver.new_conversation()
                continue
            cancel = threading.Event()
            streamed = []

            def on_token(piece: str, streamed=streamed) -> None:
                streamed.append(piece)
                _print_token(piece)

            try:
                answer = ask(
                    question,
                    history=history,
                    library=library,
                    llm=llm,
                    options=AskOptions(k=runtime_of(args).settings.k),
                    events=AskEvents(on_token=on_token, on_passages=show_reading, cancel=cancel),
                )
            except KeyboardInterrupt:
                cancel.set()
                print("\n(stopped)")
                if streamed:  # saved as interrupted; not used as context for follow-ups
                    saver.save(question, interrupted_answer(question, "".join(streamed), llm))
                continue
            saver.save(question, answer)
            print()
            _print_answer_tail(answer)
            if not answer.cancelled:
                history.append(Turn(question=question, answer=answer.answer))
    finally:
        saver.close()
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


def _eval_inputs(args):
    """(suites with their questions, baseline scores or None), or None after saying why not.

    Everything named is read before any question is asked: a typo in the last suite must not
    surface after an hour of answers."""
    from dossier.eval_suites import SuiteError, load_baseline, parse_suites

    try:
        specs = parse_suites(args.suites)
        baseline = load_baseline(args.baseline) if args.baseline else None
    except SuiteError as exc:
        fail(exc)
        return None
    suites = []
    for spec in specs:
        questions = _load_questions(spec.questions)
        if questions is None:
            return None
        suites.append((spec, questions))
    return suites, baseline


def _suite_library(args, spec):
    """(library, its data folder or None, close) for one suite."""
    from dossier.eval_suites import open_suite_library

    if spec.corpus is None:
        return open_cli_library(args, quiet=True), None, lambda: None
    runtime = runtime_of(args)
    work = args.work_dir or runtime.settings.data_dir / "eval"
    library, report = open_suite_library(
        spec, work, embedder=runtime.embedder, sentence_embedder=runtime.sentence_embedder
    )
    print_file_problems(report)
    print(
        f"{terminal_safe(spec.name)}: {len(library.sources())} sources from "
        f"{terminal_safe(spec.corpus)} ({len(report.added)} added, {len(report.replaced)} "
        f"replaced, {len(report.unchanged)} unchanged, {len(report.failed)} failed) in "
        f"{terminal_safe(library.folder)}",
        file=sys.stderr,
    )
    return library, str(library.folder.parent), library.close


def _run_suite(args, llm, spec, questions, out) -> tuple[str | None, list]:
    """Ask every question of one suite; (its data folder, per-question scores)."""
    from dossier.ask import AskEvents, AskOptions, ask
    from dossier.eval_suites import write_result
    from dossier.evaluate import run, score_question

    library, data_dir, close = _suite_library(args, spec)
    k = runtime_of(args).settings.k
    scores = []
    try:
        answers = run(
            questions,
            lambda q, history, shown: ask(
                q,
                history=history,
                library=library,
                llm=llm,
                options=AskOptions(k=k),
                events=AskEvents(on_passages=shown),
            ),
        )
        for q, record in zip(questions, answers, strict=True):  # in order: ids may repeat
            scored = score_question(q, record, conflict=spec.conflict)
            scores.append(scored)
            if out is not None:
                write_result(out, spec.name, record, scored)
            a = record.answer
            state = (
                f"refused ({a.refusal_reason})" if a.refused else f"{len(a.citations)} citations"
            )
            print(
                f"{terminal_safe(spec.name)}/{terminal_safe(record.id)}: {state}; "
                f"ttft {a.timings.ttft_s or 0:.2f} s, wall {record.wall_s or 0:.2f} s",
                file=sys.stderr,
            )
    finally:
        close()
    return data_dir, scores


def cmd_eval(args) -> int:
    from dossier.eval_suites import render, summarize, summary_path

    inputs = _eval_inputs(args)
    if inputs is None:
        return EXIT_ERROR
    suites, baseline = inputs
    llm = _llm(args)
    results = []
    with contextlib.ExitStack() as stack:
        out = None
        if args.out:
            out = stack.enter_context(args.out.open("w", encoding="utf-8"))
        for spec, questions in suites:
            data_dir, scores = _run_suite(args, llm, spec, questions, out)
            results.append((spec, data_dir, scores))
    summary = summarize(results, baseline)
    if args.out:
        summary_path(args.out).write_text(
            summary.model_dump_json(indent=2) + "\n", encoding="utf-8"
        )
    if args.json:
        print_json(summary)
    else:
        for line in render(summary):
            print(terminal_safe(line))
    return EXIT_OK


COMMANDS = {"ask": cmd_ask, "chat": cmd_chat, "models": cmd_models, "eval": cmd_eval}
