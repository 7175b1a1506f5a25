"""`dossier history`: saved conversations (list, one with its citations, search, delete), and
the saving of `ask` and `chat` turns."""

from __future__ import annotations

from datetime import datetime

from .common import (
    EXIT_OK,
    EXIT_SOME_FAILED,
    fail,
    number_from_1,
    print_answer_checks,
    print_json,
    question_text,
    runtime_of,
    terminal_safe,
)


def conversation_number(value: str) -> int:
    """argparse type for a conversation id: a whole number from 1."""
    return number_from_1(value, "a conversation number (see `dossier history`)")


def add_parsers(sub) -> None:
    p = sub.add_parser(
        "history",
        help="saved conversations: list them, show one (ID), --search, --delete",
        description="Every answer of `dossier ask`, `dossier chat` and the desktop app is saved "
        "as it completes (a stopped one as interrupted).",
    )
    group = p.add_mutually_exclusive_group()
    group.add_argument(
        "conversation_id",
        nargs="?",
        type=conversation_number,
        metavar="ID",
        help="show this conversation's questions and answers with their citations",
    )
    group.add_argument(
        "--search",
        type=question_text,
        metavar="TEXT",
        help="turns whose question or answer holds every word of TEXT",
    )
    group.add_argument(
        "--delete", type=conversation_number, metavar="ID", help="delete this conversation"
    )
    p.add_argument("--json", action="store_true")


def when(stamp: str) -> str:
    """A stored UTC time in the local time zone, to the minute."""
    try:
        return datetime.fromisoformat(stamp).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return stamp


def cmd_history(args) -> int:
    with runtime_of(args).conversations() as store:
        if args.delete is not None:
            return _delete(args, store)
        if args.search is not None:
            return _search(args, store)
        if args.conversation_id is not None:
            return _show(args, store)
        return _list(args, store)


def _list(args, store) -> int:
    conversations = store.conversations()
    if args.json:
        print_json([c.model_dump(mode="json") for c in conversations])
        return EXIT_OK
    for c in conversations:
        turns = f"{c.n_turns} turn{'s' if c.n_turns != 1 else ''}"
        print(f"{c.id}\t{when(c.updated_at)}\t{turns:>9}\t{terminal_safe(c.title)}")
    print(f"{len(conversations)} saved conversations")
    return EXIT_OK


def _show(args, store) -> int:
    conversation = store.conversation(args.conversation_id)
    if conversation is None:
        if args.json:
            print_json({"id": args.conversation_id, "found": False})
        fail(f"no saved conversation {args.conversation_id} (see `dossier history`)")
        return EXIT_SOME_FAILED
    if args.json:
        print_json(conversation)
        return EXIT_OK
    print(
        f"Conversation {conversation.id}: {terminal_safe(conversation.title)}\n"
        f"({conversation.n_turns} turns; started {when(conversation.created_at)}, "
        f"last answer {when(conversation.updated_at)})"
    )
    for turn in conversation.turns:
        print_turn(turn)
    return EXIT_OK


def print_turn(turn) -> None:
    answer = turn.answer
    print(f"\n[{turn.n}] > {terminal_safe(turn.question)}")
    if turn.standalone_question != turn.question:
        print(f"    (read as: {terminal_safe(turn.standalone_question)})")
    print(terminal_safe(answer.answer, keep_newlines=True))
    if turn.interrupted:
        print("(interrupted: stopped before the answer was complete and checked)")
        return
    print_answer_checks(answer)


def _search(args, store) -> int:
    matches = store.search(args.search)
    if args.json:
        print_json({"query": args.search, "matches": [m.model_dump(mode="json") for m in matches]})
        return EXIT_OK
    for m in matches:
        print(f"{m.conversation_id}:{m.n}\t{terminal_safe(m.question)}")
        print(f"    {terminal_safe(m.snippet)}")
    print(f"{len(matches)} matching turns")
    return EXIT_OK


def _delete(args, store) -> int:
    deleted = store.delete(args.delete)
    if args.json:
        print_json({"id": args.delete, "deleted": deleted})
    elif deleted:
        print(f"deleted conversation {args.delete}")
    if not deleted:
        fail(f"no saved conversation {args.delete} (see `dossier history`)")
    return EXIT_OK if deleted else EXIT_SOME_FAILED


class TurnSaver:
    """Saves the turns of one terminal conversation as they complete.

    Saving never fails the command: a conversations file that cannot be written is said on
    stderr once per turn, and the answer stays on screen.
    """

    def __init__(self, args, *, enabled: bool = True) -> None:
        self.args = args
        self.enabled = enabled
        self.conversation_id: int | None = None
        self._store = None

    def new_conversation(self) -> None:
        self.conversation_id = None

    def save(self, question: str, answer) -> int | None:
        """Save the turn; the conversation's id, or None when not saved."""
        if not self.enabled:
            return None
        from dossier.conversations import ConversationNotFound, ConversationsError

        try:
            if self._store is None:
                self._store = runtime_of(self.args).conversations()
            if self.conversation_id is not None:
                try:
                    self._store.add_turn(self.conversation_id, question, answer)
                    return self.conversation_id
                except ConversationNotFound:  # deleted meanwhile (`history --delete`)
                    self.conversation_id = None
            conversation_id = self._store.start(question)
            self._store.add_turn(conversation_id, question, answer)
            self.conversation_id = conversation_id
            return conversation_id
        except (ConversationsError, OSError) as exc:
            fail(f"the answer was not saved: {exc}")
            return None

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None


def interrupted_answer(question: str, streamed: str, llm):
    """The Answer of a turn stopped by Ctrl-C mid-stream: the text as far as it came."""
    from dossier.schema import Answer, ModelInfo

    return Answer(
        question=question,
        standalone_question=question,
        answer=streamed.strip(),
        draft=streamed,
        refused=False,
        model=ModelInfo(
            id=str(getattr(llm, "model_id", "") or ""),
            sha256=str(getattr(llm, "sha256", "") or ""),
        ),
        prompt_hash="",
        cancelled=True,
    )


COMMANDS = {"history": cmd_history}
