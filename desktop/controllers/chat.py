"""Questions and answers: streams the answer in, renders citations, keeps the conversation.

Every answer is saved in the data folder's conversations as soon as it completes (a stopped one
as interrupted), by the worker that made it; a saved conversation is restored with the same
rendering, so its citations open the source as a live answer's do.

Evidence first: as soon as the core has chosen the passages (before the model is asked), the
best of them are shown under the question, "Reading these passages…", each with a link that
opens the source at that passage; the model's text streams in below them. The block is
replaced by the checked answer when it is done, and by the refusal (which lists its own nearest
passages) when the sources do not answer. A follow-up is rewritten by the model to stand alone
first, so its passages appear only after that.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QUrl, Signal
from PySide6.QtGui import QGuiApplication

from .. import render
from ..engine import Engine
from ..views.chat_panel import ChatPanel

GENERIC_STARTERS = [
    "What happened, according to the sources?",
    "Who is quoted, and what did they say?",
    "Where do the sources disagree?",
]

TRANSCRIPT_STYLE = "<style>p { margin-bottom: 6px; } a { color: #1a5fb4; }</style>"


class ChatController(QObject):
    """`open_passage(source_id, start, end)` is emitted when a citation is clicked."""

    open_passage = Signal(str, int, int, object)  # source id, start, end, (start, end) | None
    answered = Signal(object)  # the Answer, once checked (or cancelled)
    saved = Signal(int)  # a turn was saved in this conversation
    conversation_changed = Signal(object)  # the conversation now shown: its id, None for a new one
    # True as a question's job starts (background work yields to it), False once it ended
    busy_changed = Signal(bool)
    pin_requested = Signal(object, object)  # "Pin to notes" on an answer: Answer, conversation id

    def __init__(self, view: ChatPanel, engine: Engine) -> None:
        super().__init__(view)
        self.view = view
        self.engine = engine
        self.history = []  # dossier.schema.Turn, for follow-up questions
        self.questions: list[str] = []  # the question of each finished turn
        self.answers: list = []  # Answer per finished turn, indexed by turn number
        self.conversation_id: int | None = None  # the saved conversation shown; None: not yet
        self.save_error = ""  # why the last answer could not be saved, if it could not
        self._session = 0  # changes when another conversation is shown: late answers go there
        self._titles: dict[str, str] = {}
        self._outlets: dict[str, str] = {}
        self.question_pending = ""  # the question being answered
        self.reading: list = []  # passages shown while the model writes (dossier.schema.Passage)
        self.job = None
        self.streamed = ""  # text of the answer being streamed
        view.ask_button.clicked.connect(self.ask_current)
        view.question.returnPressed.connect(self.ask_current)
        view.stop_button.clicked.connect(self.stop)
        view.copy_button.clicked.connect(self.copy_answer)
        view.new_button.clicked.connect(self.new_conversation)
        view.starter_clicked.connect(self.ask)
        view.transcript.anchorClicked.connect(self.link_clicked)
        engine.library_changed.connect(self._library_changed)
        view.set_starters([])

    @property
    def busy(self) -> bool:
        return self.job is not None

    # -- asking -------------------------------------------------------------------------
    def ask_current(self) -> None:
        if self.ask(self.view.question.text()):
            self.view.question.clear()

    def ask(self, question: str) -> bool:
        question = question.strip()
        if not question or self.busy:
            return False
        if self.engine.library is None:
            self.view.status.setText("The library is still opening; ask again in a moment.")
            return False
        history = list(self.history)  # the worker's own copy
        library, k = self.engine.library, self.engine.prefs.k
        store, conversation_id = self.engine.conversations, self.conversation_id
        session = self._session
        self.streamed = ""
        self.question_pending, self.reading = question, []
        self.view.set_transcript(self._page(self._pending()))
        self.view.set_starters([])
        self.view.set_busy(True)
        self.view.status.setText(
            "Loading the model…" if self.engine.llm is None else "Reading the sources…"
        )

        def work(job):
            from dossier.ask import (
                AskEvents,
                AskOptions,
                ask,
            )  # imported off the GUI thread, like everything slow

            llm = self.engine.wait_llm(job.cancel)
            if llm is None:
                return None
            answer = ask(
                question,
                history=history,
                library=library,
                llm=llm,
                options=AskOptions(k=k),
                events=AskEvents(
                    on_token=job.token,
                    on_passages=job.progress,  # queued to the GUI thread, before any token
                    cancel=job.cancel,
                ),
            )
            # Saved here, on the worker, as soon as the answer is complete (or stopped).
            return answer, save_turn(store, conversation_id, question, answer)

        self.busy_changed.emit(True)
        self.job = self.engine.runner.start(
            work,
            name="ask",
            on_token=lambda piece: self._token(session, piece),
            on_progress=lambda passages: self._passages(session, passages),
            on_done=lambda result: self._done(question, session, result),
            on_failed=lambda why: self._failed(session, why),
        )
        return True

    def _pending(self) -> str:
        """The turn being answered: the question, the passages being read, the streamed text's
        header (the text itself is appended as plain text)."""
        reading = ""
        if self.reading:
            turn = len(self.answers)
            reading = render.reading_html(self.reading, turn, self._titles, self._outlets)
        return render.question_html(self.question_pending) + reading + render.streaming_html()

    def _passages(self, session: int, passages) -> None:
        """The passages the model is about to read: shown at once, under the question."""
        if session != self._session or not self.busy or not passages:
            return
        self.reading = list(passages)
        self.view.set_transcript(self._page(self._pending()))
        if self.streamed:  # not the case today (passages come first), but keep the text
            self.view.append_plain(self.streamed)
        else:
            shown = min(len(passages), render.READING_SHOWN)
            self.view.status.setText(
                f"Found {len(passages)} passages; showing the best {shown} while the model "
                "writes…  (Esc to stop)"
            )

    def _token(self, session: int, piece: str) -> None:
        if session != self._session:  # another conversation is shown now
            return
        if not self.streamed:
            self.view.status.setText("Answering…  (Esc to stop)")
        self.streamed += piece
        self.view.append_plain(piece)

    def _done(self, question: str, session: int, result) -> None:
        self.job = None
        self.view.set_busy(False)
        self.busy_changed.emit(False)
        current = session == self._session
        if current:
            self.reading = []
        if result is None:  # stopped while the model was still loading
            if current:
                self.view.set_transcript(self._page())
                self.view.status.setText("Stopped.")
            return
        answer, (conversation_id, self.save_error) = result
        if not current:  # the user went to another conversation: it was saved in its own
            if conversation_id is not None and not self.save_error:
                self.saved.emit(conversation_id)
            self.answered.emit(answer)
            return
        self.questions.append(question)
        self.answers.append(answer)
        if not answer.cancelled:
            from dossier.schema import Turn

            self.history.append(Turn(question=question, answer=answer.answer))
        self.conversation_id = conversation_id
        self.view.set_transcript(self._page())
        self.view.copy_button.setEnabled(True)
        t = answer.timings
        if answer.cancelled:
            self.view.status.setText("Stopped.")
        elif answer.refused:
            self.view.status.setText("The sources do not answer this; nearest passages shown.")
        else:
            differ = " · the sources differ" if answer.sources_differ else ""
            # both figures count from the question: condensing a follow-up is included
            self.view.status.setText(
                f"{len(answer.citations)} sources cited{differ} · first words after "
                f"{t.ttft_s or 0:.1f} s · checked after {t.total_s:.1f} s"
            )
        if self.save_error:
            self.view.status.setText(f"{self.view.status.text()} · not saved: {self.save_error}")
        elif conversation_id is not None:
            self.saved.emit(conversation_id)
        self.answered.emit(answer)

    def _failed(self, session: int, why: str) -> None:
        self.job = None
        self.view.set_busy(False)
        self.busy_changed.emit(False)
        if session != self._session:
            return
        self.reading = []
        self.view.set_transcript(self._page())
        self.view.status.setText(f"Could not answer: {why}")

    def stop(self) -> None:
        if self.job is not None:
            self.job.cancel.set()
            self.view.status.setText("Stopping…")

    # -- transcript ---------------------------------------------------------------------
    def _page(self, pending: str = "") -> str:
        turns = "".join(
            render.question_html(question) + render.answer_html(answer, turn, self._titles)
            for turn, (question, answer) in enumerate(
                zip(self.questions, self.answers, strict=True)
            )
        )
        return TRANSCRIPT_STYLE + turns + pending

    def link_clicked(self, url: QUrl) -> None:
        """`cite:<turn>:<n>`, `passage:<turn>:<n>` and `reading:<turn>:<n>` (a passage shown
        while the model writes) open that passage in the source viewer; `pin:<turn>` asks to
        pin that answer to the notes."""
        try:
            kind = url.scheme()
            numbers = [int(x) for x in url.path().split(":")]
            if kind == "pin":
                self.pin_requested.emit(self.answers[numbers[0]], self.conversation_id)
                return
            turn, n = numbers[:2]
            if kind == "reading":
                self._open_reading(turn, n)
                return
            answer = self.answers[turn]
            sentence = answer.sentences[numbers[2]] if len(numbers) > 2 else None
        except (ValueError, IndexError):
            return
        focus = None
        if sentence is not None:
            focus = next(((e.start, e.end) for e in sentence.evidence if e.n == n), None)
        items = answer.citations if kind == "cite" else answer.passages
        for item in items:
            if item.n == n:
                self.open_passage.emit(item.source_id, item.start, item.end, focus)
                return

    def _open_reading(self, turn: int, n: int) -> None:
        if turn != len(self.answers):  # a block of a turn that has been answered since
            return
        for p in self.reading:
            if p.n == n:
                self.open_passage.emit(p.source_id, p.start, p.end, None)
                return

    def copy_answer(self) -> None:
        if self.answers:
            text = render.answer_plain(self.answers[-1], self._titles)
            QGuiApplication.clipboard().setText(text)
            self.view.status.setText("Answer copied.")

    def _clear(self) -> None:
        """Forget the conversation shown; an answer still running is stopped (and saved, as
        interrupted, in the conversation it belongs to)."""
        self.stop()
        self._session += 1
        self.history.clear()
        self.questions.clear()
        self.answers.clear()
        self.conversation_id = None
        self.streamed = ""
        self.reading = []

    def new_conversation(self) -> None:
        self._clear()
        self.view.set_transcript("")
        self.view.copy_button.setEnabled(False)
        self.view.status.setText("")
        self._update_starters()
        self.view.question.setFocus()
        self.conversation_changed.emit(None)

    def open_conversation(self, conversation_id: int) -> bool:
        """Show a saved conversation as it was answered; the next question follows it up.

        One conversation's turns are read on the GUI thread: a quick read of one SQLite file.
        """
        from dossier.conversations import ConversationsError
        from dossier.schema import Turn

        store = self.engine.conversations
        if store is None:
            return False
        if conversation_id == self.conversation_id and not self.busy:
            return True
        try:
            conversation = store.conversation(conversation_id)
        except ConversationsError as exc:
            self.view.status.setText(f"Could not open the conversation: {exc}")
            return False
        if conversation is None:
            self.view.status.setText("That conversation was deleted.")
            return False
        self._clear()
        for turn in conversation.turns:
            self.questions.append(turn.question)
            self.answers.append(turn.answer)
            if not turn.interrupted:
                self.history.append(Turn(question=turn.question, answer=turn.answer.answer))
        self.conversation_id = conversation_id
        self.view.set_transcript(self._page())
        self.view.set_starters([])
        self.view.copy_button.setEnabled(bool(self.answers))
        turns = f"{len(conversation.turns)} turn{'s' if len(conversation.turns) != 1 else ''}"
        self.view.status.setText(
            f"Saved conversation: {turns}, last answer {render.local_time(conversation.updated_at)}"
            " · a new question follows it up"
        )
        self.conversation_changed.emit(conversation_id)
        return True

    def _library_changed(self) -> None:
        sources = self.engine.sources
        self._titles = {s.id: s.meta.title or s.id for s in sources}
        self._outlets = {s.id: s.meta.outlet for s in sources if s.meta.outlet}
        if self.answers and not self.busy:  # restored before the library was read: titles now
            self.view.set_transcript(self._page())
        self._update_starters()

    def _update_starters(self) -> None:
        sources = self.engine.sources
        if self.answers or self.busy or not sources:
            self.view.set_starters([])
            return
        self.view.set_starters(starter_questions(sources))


def save_turn(store, conversation_id: int | None, question: str, answer) -> tuple[int | None, str]:
    """Save a finished answer (on the worker thread): (its conversation's id, "") or, when it
    could not be saved, (the id it would have gone to, why not). A conversation deleted
    meanwhile by another process is started again, so the answer is not lost."""
    if store is None:
        return conversation_id, "the saved conversations could not be opened"
    from dossier.conversations import ConversationNotFound, ConversationsError

    try:
        if conversation_id is not None:
            try:
                store.add_turn(conversation_id, question, answer)
                return conversation_id, ""
            except ConversationNotFound:
                pass
        conversation_id = store.start(question)
        store.add_turn(conversation_id, question, answer)
        return conversation_id, ""
    except ConversationsError as exc:
        return conversation_id, str(exc)


def starter_questions(sources) -> list[str]:
    """A few questions that work on any library, and one about the first outlet named."""
    questions = list(GENERIC_STARTERS)
    outlets = [s.meta.outlet for s in sources if s.meta.outlet]
    if outlets:
        questions.append(f"How does {outlets[0]} frame the story?")
    return questions
