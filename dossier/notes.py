"""Notes: answers, source passages and summary points the user pins, in the user's order.

One SQLite file per dossier (`notes.sqlite` in the dossier's folder, beside
`conversations.sqlite`). A note keeps its text split in
sentences, each with the citations that back it (source id, offsets and the passage's words as
they read when pinned), so a note still quotes its evidence if the source is later removed.

Editing a note makes its text the user's words (`user_edited`), and a citation is kept only
where it still holds (`reattach`): a sentence left word for word as it was keeps the citations
it had (they were checked when the answer was made); a new or changed sentence keeps a
citation of the note only when the cited passage passes the answer checker's model-free tests
for that sentence — every quotation verbatim, every number and amount present, every name
found, and at least half of its content words in the passage (`verify.LEXICAL_STRONG`). No
model is asked, so an edit is instant and the same text always keeps the same citations.
A citation that backs no sentence any more is dropped.

Writes are transactions (WAL journal), as for the conversations.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel, Field

from retrieval.sentences import sentence_spans

from .citations import money_in, names_found, numbers_in, quotations, quote_is_verbatim
from .conversations import now
from .schema import (
    Answer,
    Briefing,
    Note,
    NoteCitation,
    NoteKind,
    NoteSentence,
    SourceSpan,
    SummaryPoint,
)
from .sqlite_tx import StoreWords, immediate_transaction, open_store, store_errors
from .verify import LEXICAL_STRONG, lexical_support

NOTES_FILE = "notes.sqlite"
SCHEMA_VERSION = 1
MAX_NOTE_CHARS = 20_000  # a note is a few sentences; a whole article pasted in is a mistake

_SCHEMA = """
CREATE TABLE IF NOT EXISTS notes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    position INTEGER NOT NULL,
    kind TEXT NOT NULL,
    text TEXT NOT NULL,
    sentences_json TEXT NOT NULL,
    citations_json TEXT NOT NULL,
    user_edited INTEGER NOT NULL,
    origin TEXT NOT NULL,
    conversation_id INTEGER,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS notes_by_position ON notes (position);
"""
_COLUMNS = (
    "id, position, kind, text, sentences_json, citations_json, user_edited, origin, "
    "conversation_id, created_at, updated_at"
)


class NotesError(Exception):
    """The notes cannot be used (damaged, read-only, disk full, locked) or a note is invalid."""


class NoteInvalid(NotesError, ValueError):
    """What was asked cannot be a note (empty text, a refused answer, an unsupported point)."""


class NoteNotFound(NotesError, KeyError):
    def __str__(self) -> str:  # KeyError would show the message quoted
        return str(self.args[0]) if self.args else "no such note"


class NoteDraft(BaseModel):
    """A note before it is stored: what a pin action makes."""

    kind: NoteKind
    text: str
    sentences: list[NoteSentence] = Field(default_factory=list)
    citations: list[NoteCitation] = Field(default_factory=list)
    user_edited: bool = False
    origin: str = ""
    conversation_id: int | None = None


# -- making notes ------------------------------------------------------------------------


def answer_note(answer: Answer, conversation_id: int | None = None) -> NoteDraft:
    """The answer's supported sentences with the passages that back them (a sentence the
    checker did not support is left out, as the briefing's overview leaves it out)."""
    if answer.refused or answer.cancelled:
        raise NoteInvalid("Only a complete answer can be pinned; this one was refused or stopped.")
    by_n = {c.n: c for c in answer.citations}
    citations: list[NoteCitation] = []
    numbers: dict[int, int] = {}  # the answer's passage number -> the note's
    sentences = []
    for s in answer.sentences:
        if not s.supported:
            continue
        cited = []
        for n in s.citations:
            if n not in by_n:
                continue
            if n not in numbers:
                c = by_n[n]
                numbers[n] = len(citations) + 1
                citations.append(
                    NoteCitation(
                        n=numbers[n], source_id=c.source_id, start=c.start, end=c.end, text=c.text
                    )  # fmt: skip
                )
            cited.append(numbers[n])
        sentences.append(NoteSentence(text=s.text, citations=cited))
    if not sentences:
        raise NoteInvalid("This answer has no sentence the sources support: nothing to pin.")
    return NoteDraft(
        kind="answer",
        text=" ".join(s.text for s in sentences),
        sentences=sentences,
        citations=citations,
        origin=answer.question,
        conversation_id=conversation_id,
    )


def passage_note(span: SourceSpan) -> NoteDraft:
    """A passage of a source, in its own words, citing itself."""
    text = " ".join(span.text.split())
    if not text:
        raise NoteInvalid("Select some text of the source to pin it.")
    citation = NoteCitation(n=1, **span.model_dump())
    return NoteDraft(
        kind="passage",
        text=text,
        sentences=[NoteSentence(text=text, citations=[1])],
        citations=[citation],
        origin=span.source_id,
    )


def summary_point_note(source_id: str, point: SummaryPoint) -> NoteDraft:
    """A summary point with the source sentences it comes from."""
    if not point.supported:
        raise NoteInvalid("This point is not supported by the source's text: it cannot be pinned.")
    citations = [NoteCitation(n=i, **e.model_dump()) for i, e in enumerate(point.evidence, 1)]
    return NoteDraft(
        kind="summary_point",
        text=point.text,
        sentences=[NoteSentence(text=point.text, citations=[c.n for c in citations])],
        citations=citations,
        origin=source_id,
    )


def text_note(text: str, spans: list[SourceSpan]) -> NoteDraft:
    """The user's own words citing `spans`, each kept only where it holds a sentence."""
    offered = [NoteCitation(n=i, **s.model_dump()) for i, s in enumerate(spans, 1)]
    draft = NoteDraft(kind="text", text="", citations=offered, user_edited=True)
    sentences, citations = reattach(draft, text)
    return draft.model_copy(
        update={"text": _clean(text), "sentences": sentences, "citations": citations}
    )


# -- the citation rule ---------------------------------------------------------------------


def _flat(text: str) -> str:
    return " ".join(text.split())


def _clean(text: str) -> str:
    text = text.strip()
    if not text:
        raise NoteInvalid("A note cannot be empty (delete it instead).")
    if len(text) > MAX_NOTE_CHARS:
        raise NoteInvalid(f"A note holds at most {MAX_NOTE_CHARS:,} characters.")
    return text


def holds(sentence: str, passage: str) -> bool:
    """The passage still backs the sentence by the answer checker's model-free tests."""
    return (
        all(quote_is_verbatim(q, passage) for q in quotations(sentence))
        and numbers_in(sentence) <= numbers_in(passage)
        and money_in(sentence) <= money_in(passage)
        and names_found(sentence, passage)
        and lexical_support(sentence, passage) >= LEXICAL_STRONG
    )


def split_sentences(text: str, known: tuple[str, ...] = ()) -> list[str]:
    """The sentences of `text`; a `known` sentence (one of the note before the edit) at the
    start or end of a piece is cut off as its own, where the splitter would join it to its
    neighbour ("… at 9 a.m. Nobody was hurt." is one sentence to it)."""
    pieces = [_flat(text[a:b]) for a, b in sentence_spans(text)] or [_flat(text)]
    out: list[str] = []
    while pieces:
        piece = pieces.pop(0)
        for sentence in known:
            if piece != sentence and piece.startswith(sentence + " "):
                pieces[:0] = [sentence, piece[len(sentence) + 1 :]]
                break
            if piece != sentence and piece.endswith(" " + sentence):
                pieces[:0] = [piece[: -len(sentence) - 1], sentence]
                break
        else:
            out.append(piece)
    return out


def reattach(note: Note | NoteDraft, text: str) -> tuple[list[NoteSentence], list[NoteCitation]]:
    """The sentences of `text` and the citations of `note` that still hold (see the module
    docstring), renumbered in order of first use."""
    text = _clean(text)
    before = {_flat(s.text): s.citations for s in note.sentences}
    by_n = {c.n: c for c in note.citations}
    kept: list[tuple[str, list[int]]] = []
    for sentence in split_sentences(text, tuple(before)):
        if sentence in before:
            old = [n for n in before[sentence] if n in by_n]
        else:
            old = [c.n for c in note.citations if holds(sentence, c.text)]
        kept.append((sentence, old))
    renumber: dict[int, int] = {}
    citations: list[NoteCitation] = []
    sentences = []
    for sentence, old in kept:
        for n in old:
            if n not in renumber:
                renumber[n] = len(citations) + 1
                citations.append(by_n[n].model_copy(update={"n": renumber[n]}))
        sentences.append(NoteSentence(text=sentence, citations=[renumber[n] for n in old]))
    return sentences, citations


# -- against the library -----------------------------------------------------------------


def check_sources(notes: list[Note], source_text: Callable[[str], str | None]) -> list[Note]:
    """The notes with each citation's `source_status` read from the library now:
    `source_text(id)` is the stored text of a source, None when it was removed."""
    texts: dict[str, str | None] = {}
    checked = []
    for note in notes:
        citations = []
        for c in note.citations:
            if c.source_id not in texts:
                texts[c.source_id] = source_text(c.source_id)
            text = texts[c.source_id]
            if text is None:
                status = "removed"
            elif text[c.start : c.end] != c.text:
                status = "changed"
            else:
                status = "present"
            citations.append(c.model_copy(update={"source_status": status}))
        checked.append(note.model_copy(update={"citations": citations}))
    return checked


def with_notes(briefing: Briefing, notes: list[Note], library) -> Briefing:
    """The briefing with the user's notes (in their order), citations checked against
    `library` (a retrieval Library) so a removed source shows as removed, not as a crash."""
    return briefing.model_copy(update={"notes": check_sources(notes, library.source_text)})


# -- the store -----------------------------------------------------------------------------


WORDS = StoreWords(
    title="The notes",
    purpose="notes",
    item="the note",
    start_over="Move the file away to start new notes.",
    error=NotesError,
)


class NoteStore:
    """The pinned notes of one dossier folder (thread-safe; close it when done)."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.path = self.folder / NOTES_FILE
        self._lock = threading.RLock()
        self._db = open_store(WORDS, self.path, _SCHEMA, SCHEMA_VERSION)

    def _errors(self) -> contextlib.AbstractContextManager[None]:
        return store_errors(WORDS, self.path)

    def _transaction(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        return immediate_transaction(self._db, self._lock)

    def _note(self, row: tuple) -> Note:
        id_ = row[0]
        try:
            return self._parsed(row)
        except (ValueError, TypeError) as exc:  # JSON or a field no Dossier wrote
            raise NotesError(
                f"The note {id_} in {self.path} is damaged ({str(exc).splitlines()[0]}): "
                "delete it with `dossier notes delete "
                f"{id_}`, or restore the file from a backup."
            ) from exc

    @staticmethod
    def _parsed(row: tuple) -> Note:
        (id_, position, kind, text, sentences, citations, edited, origin, conversation_id,
         created, updated) = row  # fmt: skip
        return Note(
            id=id_,
            position=position,
            kind=kind,
            text=text,
            sentences=[NoteSentence.model_validate(s) for s in json.loads(sentences)],
            citations=[NoteCitation.model_validate(c) for c in json.loads(citations)],
            user_edited=bool(edited),
            origin=origin,
            conversation_id=conversation_id,
            created_at=created,
            updated_at=updated,
        )

    @staticmethod
    def _json(items: list[BaseModel], exclude: set[str] | None = None) -> str:
        return json.dumps([i.model_dump(mode="json", exclude=exclude) for i in items])

    def _fetch(self, db: sqlite3.Connection, note_id: int) -> Note:
        row = db.execute(f"SELECT {_COLUMNS} FROM notes WHERE id = ?", (note_id,)).fetchone()
        if row is None:
            raise NoteNotFound(f"no note {note_id}")
        return self._note(row)

    # -- writing ------------------------------------------------------------------------
    def add(self, draft: NoteDraft) -> Note:
        """Pin `draft` at the end of the user's order; the stored note."""
        text = _clean(draft.text)
        stamp = now()
        with self._errors(), self._transaction() as db:
            position = db.execute("SELECT coalesce(max(position), 0) + 1 FROM notes").fetchone()
            cursor = db.execute(
                f"INSERT INTO notes ({_COLUMNS}) VALUES (NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    position[0],
                    draft.kind,
                    text,
                    self._json(draft.sentences),
                    self._json(draft.citations, exclude={"source_status"}),
                    int(draft.user_edited),
                    draft.origin,
                    draft.conversation_id,
                    stamp,
                    stamp,
                ),
            )
            return self._fetch(db, int(cursor.lastrowid))

    def edit(self, note_id: int, text: str) -> Note:
        """Replace the note's text with the user's words; citations kept where they hold."""
        text = _clean(text)
        with self._errors(), self._transaction() as db:
            note = self._fetch(db, note_id)
            if text == note.text:
                return note  # nothing changed: not the user's words yet
            sentences, citations = reattach(note, text)
            db.execute(
                "UPDATE notes SET text = ?, sentences_json = ?, citations_json = ?, "
                "user_edited = 1, updated_at = ? WHERE id = ?",
                (
                    text,
                    self._json(sentences),
                    self._json(citations, exclude={"source_status"}),
                    now(),
                    note_id,
                ),
            )
            return self._fetch(db, note_id)

    def move(self, note_id: int, position: int) -> list[Note]:
        """Put the note at `position` (1-based; beyond the end means last); the new order."""
        with self._errors(), self._transaction() as db:
            ids = [row[0] for row in db.execute("SELECT id FROM notes ORDER BY position, id")]
            if note_id not in ids:
                raise NoteNotFound(f"no note {note_id}")
            ids.remove(note_id)
            ids.insert(min(max(position, 1), len(ids) + 1) - 1, note_id)
            stamp = now()
            for place, id_ in enumerate(ids, 1):
                db.execute(
                    "UPDATE notes SET position = ?, updated_at = CASE WHEN id = ? THEN ? "
                    "ELSE updated_at END WHERE id = ?",
                    (place, note_id, stamp, id_),
                )
        return self.notes()

    def delete(self, note_id: int) -> bool:
        """Delete a note; False if there was none with this id."""
        with self._errors(), self._transaction() as db:
            row = db.execute("SELECT position FROM notes WHERE id = ?", (note_id,)).fetchone()
            if row is None:
                return False
            db.execute("DELETE FROM notes WHERE id = ?", (note_id,))
            # the notes after it move up: positions stay 1..n, as the user sees them
            db.execute("UPDATE notes SET position = position - 1 WHERE position > ?", row)
            return True

    # -- reading ------------------------------------------------------------------------
    def notes(self) -> list[Note]:
        """Every note in the user's order."""
        with self._errors(), self._lock:
            rows = self._db.execute(
                f"SELECT {_COLUMNS} FROM notes ORDER BY position, id"
            ).fetchall()
        return [self._note(row) for row in rows]

    def get(self, note_id: int) -> Note | None:
        with self._errors(), self._lock:
            row = self._db.execute(
                f"SELECT {_COLUMNS} FROM notes WHERE id = ?", (note_id,)
            ).fetchone()
        return self._note(row) if row else None

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> NoteStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
