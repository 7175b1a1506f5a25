"""Saved conversations: every question and its checked answer, kept as soon as it completes.

One SQLite file per dossier (`conversations.sqlite` in the dossier's folder, beside its
library folder: see dossier.dossiers). A conversation has an id, a
title (its first question) and created/updated times; each turn keeps the question, the
standalone question, the status (`complete`, or `interrupted` for an answer the user stopped)
and the whole `Answer` as JSON (citations, sentence verdicts, passages, timings), so a restored
answer renders and links exactly as it did live.

Writes are transactions (WAL journal): a crash mid-write leaves the previous conversations
intact. Search runs on SQLite's FTS5 full-text index when this Python's SQLite has it (prefix
match on every word, accents folded), else on LIKE over the same text.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError

from .schema import Answer, ModelInfo
from .sqlite_tx import StoreWords, immediate_transaction, open_store, store_errors

CONVERSATIONS_FILE = "conversations.sqlite"
SCHEMA_VERSION = 1
TITLE_CHARS = 200  # the first question, cut to this length, names the conversation
SNIPPET_CHARS = 160

TurnStatus = Literal["complete", "interrupted"]

_WORD = re.compile(r"\w+")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    activity INTEGER NOT NULL  -- grows with every write: "newest first" even within a clock tick
);
CREATE INDEX IF NOT EXISTS conversations_by_activity ON conversations (activity);
CREATE TABLE IF NOT EXISTS turns (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    n INTEGER NOT NULL,
    question TEXT NOT NULL,
    standalone_question TEXT NOT NULL,
    answer_text TEXT NOT NULL,
    answer_json TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('complete', 'interrupted')),
    saved_at TEXT NOT NULL,
    UNIQUE (conversation_id, n)
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
_FTS_SCHEMA = (
    "CREATE VIRTUAL TABLE turns_fts USING fts5("
    "question, answer, tokenize = 'unicode61 remove_diacritics 2')"
)
_NEXT_ACTIVITY = "(SELECT coalesce(max(activity), 0) + 1 FROM conversations)"
_FTS_STALE = "fts_stale"  # written by a Python whose SQLite had no FTS5: rebuild the index


class ConversationsError(Exception):
    """The conversations file cannot be used (damaged, read-only, disk full, locked)."""


class ConversationNotFound(ConversationsError, KeyError):
    def __str__(self) -> str:  # KeyError would show the message quoted
        return str(self.args[0]) if self.args else "no such conversation"


class ConversationSummary(BaseModel):
    """One conversation in the list: no turns, only their count."""

    id: int
    title: str = Field(description="the first question")
    created_at: str = Field(description="ISO 8601, UTC")
    updated_at: str = Field(description="when its last turn was saved, ISO 8601, UTC")
    n_turns: int


class SavedTurn(BaseModel):
    conversation_id: int
    n: int = Field(description="1 for the first turn of the conversation")
    question: str
    standalone_question: str
    status: TurnStatus
    saved_at: str
    answer: Answer

    @property
    def interrupted(self) -> bool:
        return self.status == "interrupted"


class Conversation(ConversationSummary):
    turns: list[SavedTurn] = Field(default_factory=list)


class ConversationMatch(BaseModel):
    """A turn whose question or answer holds every word searched for."""

    conversation_id: int
    title: str
    n: int = Field(description="the turn")
    question: str
    snippet: str = Field(description="the words found, with some context, from the turn")
    updated_at: str


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


WORDS = StoreWords(
    title="The saved conversations",
    purpose="saved conversations",
    item="the conversation",
    start_over="Move the file away to start a new history; the library is not affected.",
    error=ConversationsError,
    after_full=" Free some space; what was saved before is intact.",
)


class ConversationStore:
    """The saved conversations of one dossier folder (thread-safe; close it when done)."""

    def __init__(self, folder: str | Path, *, fts: bool | None = None) -> None:
        """`fts`: None uses FTS5 when SQLite has it; False always searches with LIKE."""
        self.folder = Path(folder)
        self.path = self.folder / CONVERSATIONS_FILE
        self._lock = threading.RLock()
        self._db = open_store(WORDS, self.path, _SCHEMA, SCHEMA_VERSION, foreign_keys=True)
        try:
            with self._errors():
                self.fts = self._open_fts() if fts is not False else False
        except BaseException:
            self._db.close()
            raise

    # -- plumbing -----------------------------------------------------------------------
    def _errors(self) -> contextlib.AbstractContextManager[None]:
        return store_errors(WORDS, self.path)

    def _transaction(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        return immediate_transaction(self._db, self._lock)

    def _open_fts(self) -> bool:
        """Use (creating or catching up) the full-text index; False when SQLite lacks FTS5."""
        db = self._db
        exists = (
            db.execute("SELECT 1 FROM sqlite_master WHERE name = 'turns_fts'").fetchone()
            is not None
        )
        try:
            with self._transaction():
                if exists:  # made by an SQLite with FTS5: this one may lack it
                    db.execute("SELECT count(*) FROM turns_fts WHERE rowid = 0").fetchone()
                else:
                    db.execute(_FTS_SCHEMA)
                stale = db.execute("SELECT 1 FROM meta WHERE key = ?", (_FTS_STALE,)).fetchone()
                if not exists or stale:
                    db.execute("DELETE FROM turns_fts")
                    db.execute(
                        "INSERT INTO turns_fts (rowid, question, answer) "
                        "SELECT id, question, answer_text FROM turns"
                    )
                    db.execute("DELETE FROM meta WHERE key = ?", (_FTS_STALE,))
        except sqlite3.OperationalError as exc:
            if "fts5" in str(exc).lower():  # "no such module: fts5"
                return False
            raise
        return True

    def _written(self, db: sqlite3.Connection) -> None:
        """After a change to turns made without the full-text index: mark it for a rebuild."""
        if not self.fts:
            db.execute("INSERT OR REPLACE INTO meta VALUES (?, '1')", (_FTS_STALE,))

    # -- writing ------------------------------------------------------------------------
    def start(self, title: str) -> int:
        """A new, empty conversation named `title` (its first question); its id."""
        title = " ".join(title.split())[:TITLE_CHARS] or "(untitled)"
        stamp = now()
        with self._errors(), self._transaction() as db:
            cursor = db.execute(
                "INSERT INTO conversations (title, created_at, updated_at, activity) "
                f"VALUES (?, ?, ?, {_NEXT_ACTIVITY})",
                (title, stamp, stamp),
            )
            return int(cursor.lastrowid)

    def add_turn(
        self, conversation_id: int, question: str, answer: Answer, *, interrupted: bool = False
    ) -> SavedTurn:
        """Save one finished (or, `interrupted` or `answer.cancelled`, stopped) answer."""
        status: TurnStatus = "interrupted" if interrupted or answer.cancelled else "complete"
        stamp = now()
        with self._errors(), self._transaction() as db:
            if not db.execute(
                "SELECT 1 FROM conversations WHERE id = ?", (conversation_id,)
            ).fetchone():
                raise ConversationNotFound(f"no saved conversation {conversation_id}")
            n = db.execute(
                "SELECT coalesce(max(n), 0) + 1 FROM turns WHERE conversation_id = ?",
                (conversation_id,),
            ).fetchone()[0]
            standalone = answer.standalone_question or question
            cursor = db.execute(
                "INSERT INTO turns (conversation_id, n, question, standalone_question, "
                "answer_text, answer_json, status, saved_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    conversation_id,
                    n,
                    question,
                    standalone,
                    answer.answer,
                    answer.model_dump_json(),
                    status,
                    stamp,
                ),
            )
            if self.fts:
                db.execute(
                    "INSERT INTO turns_fts (rowid, question, answer) VALUES (?, ?, ?)",
                    (cursor.lastrowid, question, answer.answer),
                )
            self._written(db)
            db.execute(
                f"UPDATE conversations SET updated_at = ?, activity = {_NEXT_ACTIVITY} "
                "WHERE id = ?",
                (stamp, conversation_id),
            )
        return SavedTurn(
            conversation_id=conversation_id,
            n=n,
            question=question,
            standalone_question=standalone,
            status=status,
            saved_at=stamp,
            answer=answer,
        )

    def delete(self, conversation_id: int) -> bool:
        """Delete a conversation and its turns; False if there was none with this id."""
        with self._errors(), self._transaction() as db:
            if self.fts:
                db.execute(
                    "DELETE FROM turns_fts WHERE rowid IN "
                    "(SELECT id FROM turns WHERE conversation_id = ?)",
                    (conversation_id,),
                )
            db.execute("DELETE FROM turns WHERE conversation_id = ?", (conversation_id,))
            self._written(db)
            cursor = db.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))
            return cursor.rowcount > 0

    # -- reading ------------------------------------------------------------------------
    def _read(self, sql: str, parameters=()) -> list[tuple]:
        with self._errors(), self._lock:
            return self._db.execute(sql, parameters).fetchall()

    _SUMMARY = (
        "SELECT c.id, c.title, c.created_at, c.updated_at, "
        "(SELECT count(*) FROM turns t WHERE t.conversation_id = c.id) FROM conversations c"
    )

    @staticmethod
    def _summary(row: tuple) -> ConversationSummary:
        id_, title, created, updated, n_turns = row
        return ConversationSummary(
            id=id_, title=title, created_at=created, updated_at=updated, n_turns=n_turns
        )

    def conversations(self) -> list[ConversationSummary]:
        """Every conversation, the most recently updated first, with its number of turns."""
        rows = self._read(f"{self._SUMMARY} ORDER BY c.activity DESC")
        return [self._summary(row) for row in rows]

    def get(self, conversation_id: int) -> ConversationSummary | None:
        rows = self._read(f"{self._SUMMARY} WHERE c.id = ?", (conversation_id,))
        return self._summary(rows[0]) if rows else None

    def turns(self, conversation_id: int) -> list[SavedTurn]:
        """The conversation's turns in order (empty for an unknown id)."""
        rows = self._read(
            "SELECT n, question, standalone_question, answer_text, answer_json, status, saved_at "
            "FROM turns WHERE conversation_id = ? ORDER BY n",
            (conversation_id,),
        )
        return [
            SavedTurn(
                conversation_id=conversation_id,
                n=n,
                question=question,
                standalone_question=standalone,
                status=status,
                saved_at=saved_at,
                answer=_answer(answer_json, question, standalone, answer_text, status),
            )
            for n, question, standalone, answer_text, answer_json, status, saved_at in rows
        ]

    def conversation(self, conversation_id: int) -> Conversation | None:
        """The conversation with its turns, or None."""
        with self._lock:  # the summary and the turns from the same moment
            summary = self.get(conversation_id)
            if summary is None:
                return None
            return Conversation(**summary.model_dump(), turns=self.turns(conversation_id))

    def search(self, text: str, *, limit: int = 200) -> list[ConversationMatch]:
        """Turns whose question or answer holds every word of `text` (words match as prefixes
        with the full-text index: "harb" finds "harbour"), newest conversation first."""
        words = _WORD.findall(text)
        if not words:
            return []
        columns = (
            "SELECT t.conversation_id, c.title, t.n, t.question, t.answer_text, c.updated_at "
            "FROM turns t JOIN conversations c ON c.id = t.conversation_id"
        )
        order = "ORDER BY c.activity DESC, t.n LIMIT ?"
        if self.fts:
            query = " ".join('"' + w.replace('"', '""') + '"*' for w in words)
            rows = self._read(
                f"{columns} WHERE t.id IN (SELECT rowid FROM turns_fts WHERE turns_fts MATCH ?) "
                f"{order}",
                (query, limit),
            )
        else:
            conditions = " AND ".join(
                "(t.question LIKE ? ESCAPE '\\' OR t.answer_text LIKE ? ESCAPE '\\')" for _ in words
            )
            parameters: list = []
            for w in words:
                pattern = "%" + w.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                parameters += [pattern + "%", pattern + "%"]
            rows = self._read(f"{columns} WHERE {conditions} {order}", (*parameters, limit))
        return [
            ConversationMatch(
                conversation_id=cid,
                title=title,
                n=n,
                question=question,
                snippet=snippet(question, answer_text, words),
                updated_at=updated,
            )
            for cid, title, n, question, answer_text, updated in rows
        ]

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> ConversationStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _answer(answer_json: str, question: str, standalone: str, text: str, status: str) -> Answer:
    """The saved Answer; if an older Dossier wrote a shape this one cannot read, its text."""
    try:
        return Answer.model_validate_json(answer_json)
    except ValidationError:
        return Answer(
            question=question,
            standalone_question=standalone,
            answer=text,
            refused=False,
            model=ModelInfo(id="", sha256=""),
            prompt_hash="",
            cancelled=status == "interrupted",
        )


def snippet(question: str, answer: str, words: list[str]) -> str:
    """Some context around the first word found, from the answer, else the question."""
    for text in (answer, question):
        flat = " ".join(text.split())
        lowered = flat.casefold()
        hits = [i for w in words if (i := lowered.find(w.casefold())) >= 0]
        if hits:
            first = min(hits)
            start = max(0, first - SNIPPET_CHARS // 3)
            piece = flat[start : start + SNIPPET_CHARS]
            return (
                ("…" if start else "") + piece + ("…" if start + SNIPPET_CHARS < len(flat) else "")
            )
    flat = " ".join(answer.split()) or " ".join(question.split())
    return flat[:SNIPPET_CHARS] + ("…" if len(flat) > SNIPPET_CHARS else "")
