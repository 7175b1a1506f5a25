"""The notes: pin an answer, a selected passage or a summary point; list them in the user's
order, edit one in your words, move it, delete it; a citation opens the source at its passage.

Uses `dossier.notes` (NoteStore and the pin functions). The store of the data folder is opened
on a worker whenever the saved conversations are (at launch, after another data folder is
chosen): notes live beside them. Writes are one quick SQLite transaction, on the GUI thread, as
deleting a conversation is.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import QObject, QTimer, QUrl, Signal
from PySide6.QtWidgets import QInputDialog, QMessageBox
from shiboken6 import isValid

from ..engine import Engine, runtime_of
from ..views.notes_panel import NotesPanel
from ..workers import adopt

KIND_LABELS = {
    "answer": "Answer",
    "passage": "Passage",
    "summary_point": "Summary point",
    "text": "Your note",
}
UNCITED_TIP = "No cited passage holds these words"
LIST_CHARS = 400  # a long note is cut in the list; the tooltip and the editor have all of it


def moved_note(old: list[int], new: list[int]) -> tuple[int, int] | None:
    """(note id, 1-based position) of the one note whose move turns `old` into `new`; None if
    the orders are the same or differ by more than one move."""
    if old == new or sorted(old) != sorted(new):
        return None
    for place, note_id in enumerate(new):
        candidate = [n for n in old if n != note_id]
        candidate.insert(place, note_id)
        if candidate == new:
            return note_id, place + 1
    return None


def real_notes(prefs):
    """The pinned notes of the preferences' data folder (a `NoteStore`)."""
    return runtime_of(prefs).notes()


class NotesController(QObject):
    open_passage = Signal(str, int, int, object)  # source id, start, end, focus (None)
    pinned = Signal(object)  # the Note just pinned
    changed = Signal()  # the list was read again
    status = Signal(str)  # what a pin did, for the window's status bar

    def __init__(self, view: NotesPanel, engine: Engine, store_factory=real_notes) -> None:
        super().__init__(view)
        self.view = view
        self.engine = engine
        self.store_factory = store_factory
        self.store = None
        # The latest opening asked for: a store opened for the dossier put away since (the
        # user switched twice quickly) is closed, not used (a pin would go to that dossier).
        self._ticket = object()
        self.notes: list = []  # dossier.schema.Note, in order, citations checked
        self.unavailable = ""
        view.list.itemSelectionChanged.connect(self._selected)
        view.edit_button.clicked.connect(self.edit_selected)
        view.up_button.clicked.connect(lambda: self.move_selected(-1))
        view.down_button.clicked.connect(lambda: self.move_selected(1))
        view.delete_button.clicked.connect(self.delete_selected)
        # After the drop has finished: the list is rebuilt from the store, not during Qt's move.
        view.dragged.connect(lambda: QTimer.singleShot(0, self.save_dragged_order))
        view.list.itemDoubleClicked.connect(lambda _item: self.edit_selected())
        view.citations.anchorClicked.connect(self.link_clicked)
        # Opened with the conversations (same folder), whatever became of them.
        engine.conversations_state.connect(lambda _state: self.open_store())
        engine.library_changed.connect(self.refresh)  # a removed source shows as removed

    # -- the store ----------------------------------------------------------------------
    def open_store(self) -> None:
        prefs, factory = self.engine.prefs, self.store_factory
        ticket = self._ticket = object()
        self.engine.runner.start(
            lambda job: factory(prefs),
            name="notes",
            on_done=lambda store: self._opened(store, ticket),
            on_failed=lambda why: self._failed(why, ticket),
        )

    def _opened(self, store, ticket=None) -> None:
        # closed if another dossier was chosen meanwhile, or the window closed
        stale = (ticket is not None and ticket is not self._ticket) or not isValid(self.view)
        self.store, taken = adopt(self.store, store, stale=stale)
        if not taken:
            return
        self.unavailable = ""
        self.refresh()

    def _failed(self, why: str, ticket=None) -> None:
        if ticket is not None and ticket is not self._ticket:
            return
        self.unavailable = why
        self.view.status.setText(f"Notes are not available: {why}")

    def close(self) -> None:
        self._ticket = object()  # a store still opening is closed when it arrives
        if self.store is not None:
            self.store.close()
            self.store = None

    def all_notes(self) -> list:
        """Every note in order, read now (thread-safe: the briefing's worker calls it)."""
        return self.store.notes() if self.store is not None else []

    # -- the list -----------------------------------------------------------------------
    def refresh(self) -> None:
        from dossier.notes import NotesError, check_sources

        if self.store is None:
            return
        try:
            notes = self.store.notes()
        except NotesError as exc:
            self.view.status.setText(f"Could not read the notes: {exc}")
            return
        library = self.engine.library
        self.notes = check_sources(notes, library.source_text) if library is not None else notes
        keep = self.view.selected_id()
        self.view.set_items([self._item(n) for n in self.notes], keep)
        self._selected()
        self.changed.emit()

    def _item(self, note) -> tuple[int, str, str]:
        kind = KIND_LABELS[note.kind]
        if note.user_edited and note.kind != "text":
            kind += " — your words"
        origin = f": {note.origin}" if note.kind == "answer" else ""
        text = note.text if len(note.text) <= LIST_CHARS else note.text[:LIST_CHARS] + "…"
        cited = len(note.citations)
        removed = sum(c.source_status == "removed" for c in note.citations)
        tail = f"{cited} citation{'s' if cited != 1 else ''}"
        if removed:
            tail += f", {removed} from a removed source"
        label = f"{note.position}. {text}\n{kind}{origin} · {tail}"
        return note.id, label, note.text

    def _note(self, note_id):
        return next((n for n in self.notes if n.id == note_id), None)

    def _selected(self) -> None:
        note = self._note(self.view.selected_id())
        for button in self.view.buttons:
            button.setEnabled(note is not None)
        if note is not None:
            self.view.up_button.setEnabled(note.position > 1)
            self.view.down_button.setEnabled(note.position < len(self.notes))
        titles = {s.id: s.meta.title or s.id for s in self.engine.sources}
        self.view.citations.setHtml(citations_html(note, titles) if note is not None else "")

    # -- pinning ------------------------------------------------------------------------
    def _add(self, make) -> object | None:
        from dossier.notes import NotesError

        if self.store is None:
            self._say(self.unavailable or "The notes are still opening.")
            return None
        try:
            draft = make()
            same = next(
                (n for n in self.all_notes() if (n.kind, n.text, n.origin)
                 == (draft.kind, draft.text, draft.origin)),
                None,
            )  # fmt: skip
            if same is not None:  # a second click on the same thing
                self.view.select(same.id)
                self._say(f"Already in the notes (note {same.position}).")
                return None
            note = self.store.add(draft)
        except NotesError as exc:
            self._say(f"Not pinned: {exc}")
            return None
        self.refresh()
        self.view.select(note.id)
        self._say(f"Pinned to the notes (note {note.position} of {len(self.notes)}).")
        self.pinned.emit(note)
        return note

    def _say(self, text: str) -> None:
        self.view.status.setText(text)
        self.status.emit(text)

    def pin_answer(self, answer, conversation_id=None):
        from dossier.notes import answer_note

        return self._add(lambda: answer_note(answer, conversation_id))

    def pin_passage(self, source_id: str, start: int, end: int, text: str):
        from dossier.notes import passage_note
        from dossier.schema import SourceSpan

        span = SourceSpan(source_id=source_id, start=start, end=end, text=text)
        return self._add(lambda: passage_note(span))

    def pin_point(self, source_id: str, point):
        from dossier.notes import summary_point_note

        return self._add(lambda: summary_point_note(source_id, point))

    # -- editing ------------------------------------------------------------------------
    def ask_text(self, text: str) -> str | None:
        """The note's new text from the user, None if cancelled (tests replace this)."""
        new, ok = QInputDialog.getMultiLineText(
            self.view,
            "Edit note",
            "The note in your words (a citation stays only where its passage still holds the "
            "sentence):",
            text,
        )
        return new if ok else None

    def confirm(self, question: str) -> bool:
        """A yes/no box (tests replace this method)."""
        answer = QMessageBox.question(self.view, "Dossier", question)
        return answer == QMessageBox.StandardButton.Yes

    def _write(self, action, done: str) -> None:
        from dossier.notes import NotesError

        try:
            action()
        except NotesError as exc:
            self.view.status.setText(f"Could not change the note: {exc}")
            return
        self.refresh()
        self.view.status.setText(done)

    def edit_selected(self) -> None:
        note = self._note(self.view.selected_id())
        if note is None or self.store is None:
            return
        text = self.ask_text(note.text)
        if text is None or text == note.text:
            return
        store = self.store
        kept = []
        self._write(lambda: kept.append(store.edit(note.id, text)), "Note edited: your words.")
        if kept:
            dropped = len(note.citations) - len(kept[0].citations)
            if dropped > 0:
                self.view.status.setText(
                    f"Note edited: your words. {dropped} citation(s) no longer hold and were "
                    "dropped."
                )

    def move_selected(self, step: int) -> None:
        note = self._note(self.view.selected_id())
        if note is None or self.store is None:
            return
        store = self.store
        self._write(lambda: store.move(note.id, note.position + step), "Note moved.")

    def save_dragged_order(self) -> None:
        """Save the order the user dragged the notes into (the store call of the buttons)."""
        moved = moved_note([n.id for n in self.notes], self.view.ids())
        if moved is None or self.store is None:
            self.refresh()  # nothing to save (or not one move): show the stored order again
            return
        note_id, position = moved
        store = self.store
        self._write(lambda: store.move(note_id, position), "Note moved.")
        self.view.select(note_id)

    def delete_selected(self) -> None:
        note = self._note(self.view.selected_id())
        if note is None or self.store is None:
            return
        short = note.text if len(note.text) <= 80 else note.text[:80] + "…"
        if not self.confirm(f"Delete the note “{short}”?"):
            return
        store = self.store
        self._write(lambda: store.delete(note.id), "Note deleted.")

    # -- citations ----------------------------------------------------------------------
    def link_clicked(self, url: QUrl) -> None:
        """`note:<id>:<n>` opens that citation's passage in the source viewer."""
        try:
            note_id, n = (int(x) for x in url.path().split(":"))
        except ValueError:
            return
        note = self._note(note_id)
        citation = next((c for c in note.citations if c.n == n), None) if note else None
        if citation is None:
            return
        if citation.source_status == "removed":
            self.view.status.setText(
                f"The source {citation.source_id} was removed from the library; the note keeps "
                "the words it cited."
            )
            return
        self.open_passage.emit(citation.source_id, citation.start, citation.end, None)


_STATUS = {"removed": " (source removed)", "changed": " (source changed since pinned)"}


def citations_html(note, titles: dict[str, str] | None = None) -> str:
    """The note's text and its citations as links (everything escaped)."""
    sentences = []
    for sentence in note.sentences:
        marks = "".join(
            f'<a href="note:{note.id}:{n}" style="text-decoration:none;"><sup>[{n}]</sup></a>'
            for n in sentence.citations
        )
        body = escape(sentence.text) + marks
        if not sentence.citations:  # the user's words that no cited passage holds
            body = f'<span style="color:#7a4b00;" title="{UNCITED_TIP}">{body}</span>'
        sentences.append(body)
    parts = [f"<p>{' '.join(sentences) or escape(note.text)}</p>"]
    if not note.citations:
        parts.append(f'<p style="color:#7a4b00;">{UNCITED_TIP}.</p>')
    for c in note.citations:
        quote = " ".join(c.text.split())
        quote = quote[:300] + ("…" if len(quote) > 300 else "")
        title = (titles or {}).get(c.source_id, c.source_id)
        status = _STATUS.get(c.source_status, "")
        parts.append(
            f'<p style="font-size:small;"><a href="note:{note.id}:{c.n}">[{c.n}] '
            f"{escape(title)}</a>{escape(status)}: “{escape(quote)}”</p>"
        )
    return "".join(parts)
