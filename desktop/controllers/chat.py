"""Questions and answers: streams the answer in, renders citations, keeps the conversation."""

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

    def __init__(self, view: ChatPanel, engine: Engine) -> None:
        super().__init__(view)
        self.view = view
        self.engine = engine
        self.history = []  # dossier.schema.Turn, for follow-up questions
        self.answers: list = []  # Answer per finished turn, indexed by turn number
        self._html: list[str] = []  # rendered finished turns
        self._titles: dict[str, str] = {}
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
        turn = len(self.answers)
        self.streamed = ""
        pending = render.question_html(question) + render.streaming_html()
        self.view.set_transcript(self._page(pending))
        self.view.set_starters([])
        self.view.set_busy(True)
        self.view.status.setText(
            "Loading the model…" if self.engine.llm is None else "Reading the sources…"
        )

        def work(job):
            from dossier.ask import ask  # imported off the GUI thread, like everything slow

            llm = self.engine.wait_llm(job.cancel)
            if llm is None:
                return None
            return ask(
                question,
                history=history,
                library=library,
                llm=llm,
                k=k,
                on_token=job.token,
                cancel=job.cancel,
            )

        self.job = self.engine.runner.start(
            work,
            name="ask",
            on_token=self._token,
            on_done=lambda answer: self._done(question, turn, answer),
            on_failed=self._failed,
        )
        return True

    def _token(self, piece: str) -> None:
        if not self.streamed:
            self.view.status.setText("Answering…  (Esc to stop)")
        self.streamed += piece
        self.view.append_plain(piece)

    def _done(self, question: str, turn: int, answer) -> None:
        self.job = None
        self.view.set_busy(False)
        if answer is None:  # stopped while the model was still loading
            self.view.set_transcript(self._page())
            self.view.status.setText("Stopped.")
            return
        self.answers.append(answer)
        self._html.append(
            render.question_html(question) + render.answer_html(answer, turn, self._titles)
        )
        if not answer.cancelled:
            from dossier.schema import Turn

            self.history.append(Turn(question=question, answer=answer.answer))
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
        self.answered.emit(answer)

    def _failed(self, why: str) -> None:
        self.job = None
        self.view.set_busy(False)
        self.view.set_transcript(self._page())
        self.view.status.setText(f"Could not answer: {why}")

    def stop(self) -> None:
        if self.job is not None:
            self.job.cancel.set()
            self.view.status.setText("Stopping…")

    # -- transcript ---------------------------------------------------------------------
    def _page(self, pending: str = "") -> str:
        return TRANSCRIPT_STYLE + "".join(self._html) + pending

    def link_clicked(self, url: QUrl) -> None:
        """`cite:<turn>:<n>` and `passage:<turn>:<n>` open that passage in the source viewer."""
        try:
            kind = url.scheme()
            numbers = [int(x) for x in url.path().split(":")]
            turn, n = numbers[:2]
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

    def copy_answer(self) -> None:
        if self.answers:
            text = render.answer_plain(self.answers[-1], self._titles)
            QGuiApplication.clipboard().setText(text)
            self.view.status.setText("Answer copied.")

    def new_conversation(self) -> None:
        self.stop()
        self.history.clear()
        self.answers.clear()
        self._html.clear()
        self.view.set_transcript("")
        self.view.copy_button.setEnabled(False)
        self.view.status.setText("")
        self._update_starters()
        self.view.question.setFocus()

    def _library_changed(self) -> None:
        sources = self.engine.sources
        self._titles = {s.id: s.meta.title or s.id for s in sources}
        self._update_starters()

    def _update_starters(self) -> None:
        sources = self.engine.sources
        if self.answers or self.busy or not sources:
            self.view.set_starters([])
            return
        self.view.set_starters(starter_questions(sources))


def starter_questions(sources) -> list[str]:
    """A few questions that work on any library, and one about the first outlet named."""
    questions = list(GENERIC_STARTERS)
    outlets = [s.meta.outlet for s in sources if s.meta.outlet]
    if outlets:
        questions.append(f"How does {outlets[0]} frame the story?")
    return questions
