"""Notes: pinning answers, passages and summary points, editing them, their citation rule, the
store's order, and the briefing's Notes section in every format."""

from __future__ import annotations

import io

import docx
import pypdf
import pytest

from dossier.export import to_html, to_markdown, write_briefing
from dossier.layout import document
from dossier.notes import (
    NoteNotFound,
    NotesError,
    NoteStore,
    answer_note,
    check_sources,
    passage_note,
    reattach,
    summary_point_note,
    text_note,
    with_notes,
)
from dossier.schema import Answer, AnswerSentence, Citation, SummaryPoint
from tests.dossier.briefing_fixture import MODEL, SOURCE_ID, TEXT, make_briefing, sentence, span

QUESTION = "What happened to the ferry?"
LOST = sentence(
    "PORT ELLIS"
)  # "... lost steering at 1:28 a.m. on March 26, the harbour board said."
BOARD = sentence("“Nobody")


def an_answer() -> Answer:
    """Two supported sentences citing two passages, and one the checker did not support."""
    return Answer(
        question=QUESTION,
        standalone_question=QUESTION,
        answer="The Tamsin lost steering at 1:28 a.m. [1]. Nobody was hurt [2]. It sank. [1]",
        refused=False,
        sentences=[
            AnswerSentence(
                text="The Tamsin lost steering at 1:28 a.m.", citations=[1], supported=True
            ),  # fmt: skip
            AnswerSentence(text="Nobody was hurt.", citations=[2], supported=True),
            AnswerSentence(text="It sank.", citations=[], supported=False, rejected_citations=[1]),
        ],
        citations=[
            Citation(n=1, support=0.9, **LOST.model_dump()),
            Citation(n=2, support=0.8, **BOARD.model_dump()),
        ],
        model=MODEL,
        prompt_hash="p",
    )


@pytest.fixture
def store(tmp_path):
    with NoteStore(tmp_path / "library") as notes:
        yield notes


# -- pinning ---------------------------------------------------------------------------------


def test_a_pinned_answer_keeps_its_supported_sentences_and_their_citations(store):
    # GIVEN a checked answer  WHEN it is pinned
    note = store.add(answer_note(an_answer(), conversation_id=7))
    # THEN the note holds the supported sentences only, each with the passage behind it
    assert note.kind == "answer" and note.origin == QUESTION and note.conversation_id == 7
    assert note.text == "The Tamsin lost steering at 1:28 a.m. Nobody was hurt."
    assert [(s.text, s.citations) for s in note.sentences] == [
        ("The Tamsin lost steering at 1:28 a.m.", [1]),
        ("Nobody was hurt.", [2]),
    ]
    assert [(c.source_id, c.start, c.end, c.text) for c in note.citations] == [
        (SOURCE_ID, LOST.start, LOST.end, LOST.text),
        (SOURCE_ID, BOARD.start, BOARD.end, BOARD.text),
    ]
    assert not note.user_edited and note.position == 1


def test_a_refused_answer_cannot_be_pinned():
    refused = an_answer().model_copy(update={"refused": True})
    with pytest.raises(NotesError):
        answer_note(refused)


def test_a_passage_and_a_summary_point_are_pinned_with_their_source(store):
    passage = store.add(passage_note(span("Divers inspected the hull")))
    point = SummaryPoint(text="Nobody was hurt.", supported=True, evidence=[BOARD])
    pinned = store.add(summary_point_note(SOURCE_ID, point))
    assert passage.kind == "passage" and passage.text == "Divers inspected the hull"
    assert passage.citations[0].text == "Divers inspected the hull"
    assert pinned.kind == "summary_point" and pinned.origin == SOURCE_ID
    assert pinned.citations[0].start == BOARD.start
    assert [n.id for n in store.notes()] == [passage.id, pinned.id]
    unsupported = point.model_copy(update={"supported": False})
    with pytest.raises(NotesError):
        summary_point_note(SOURCE_ID, unsupported)


# -- the user's order -----------------------------------------------------------------------


def test_notes_keep_the_users_order_across_moves_deletes_and_reopening(tmp_path):
    folder = tmp_path / "library"
    with NoteStore(folder) as store:
        a = store.add(passage_note(span("Divers inspected the hull")))
        b = store.add(passage_note(BOARD))
        c = store.add(answer_note(an_answer()))
        # WHEN the last is moved to the top
        order = store.move(c.id, 1)
        assert [n.id for n in order] == [c.id, a.id, b.id]
        assert [n.position for n in order] == [1, 2, 3]
        # AND the middle one is deleted
        assert store.delete(a.id) is True
        assert store.delete(a.id) is False
    # THEN the order holds after reopening, positions 1..n
    with NoteStore(folder) as store:
        assert [(n.id, n.position) for n in store.notes()] == [(c.id, 1), (b.id, 2)]
        # a position past the end puts the note last
        assert [n.id for n in store.move(c.id, 99)] == [b.id, c.id]
        with pytest.raises(NoteNotFound):
            store.move(12345, 1)


# -- editing and the citation rule -------------------------------------------------------------


def test_an_edited_note_is_the_users_words_and_keeps_citations_only_where_they_hold(store):
    note = store.add(answer_note(an_answer()))
    # WHEN the user keeps the second sentence word for word, and rewrites the first with a
    # figure the cited passage does not give
    edited = store.edit(note.id, "The Tamsin lost steering at 3:15 a.m. Nobody was hurt.")
    # THEN the note is marked as the user's words
    assert edited.user_edited and edited.updated_at >= note.updated_at
    # AND the unchanged sentence keeps its citation; the changed one lost it (renumbered)
    assert [(s.text, s.citations) for s in edited.sentences] == [
        ("The Tamsin lost steering at 3:15 a.m.", []),
        ("Nobody was hurt.", [1]),
    ]
    assert [c.text for c in edited.citations] == [BOARD.text]
    assert store.get(note.id) == edited


def test_a_reworded_sentence_keeps_a_citation_whose_passage_still_holds_it(store):
    note = store.add(answer_note(an_answer()))
    edited = store.edit(note.id, "The night ferry Tamsin lost its steering at 1:28 a.m.")
    # the passage has the words, the name and the time: the citation still holds
    assert [c.text for c in edited.citations] == [LOST.text]
    assert edited.sentences[0].citations == [1]
    # a quotation not in the passage, or a name it does not give, drops it
    for claim in (
        'The ferry "sank without warning" at 1:28 a.m.',
        "The ferry lost steering near Rotterdam.",
    ):
        sentences, citations = reattach(note, claim)
        assert citations == [] and sentences[0].citations == []


def test_an_unchanged_text_is_not_an_edit_and_an_empty_one_is_refused(store):
    note = store.add(answer_note(an_answer()))
    assert store.edit(note.id, note.text) == note  # not marked as the user's words
    with pytest.raises(NotesError):
        store.edit(note.id, "   ")
    with pytest.raises(NoteNotFound):
        store.edit(999, "text")


def test_the_users_own_note_keeps_only_the_cited_passages_that_hold_it():
    draft = text_note("Divers inspected the hull on May 7.", [sentence("Divers"), BOARD])
    assert draft.kind == "text" and draft.user_edited
    assert [c.text for c in draft.citations] == [sentence("Divers").text]


# -- sources removed or changed ---------------------------------------------------------------


def test_citations_are_checked_against_the_library(store):
    note = store.add(answer_note(an_answer()))
    [checked] = check_sources([note], lambda source_id: None)
    assert {c.source_status for c in checked.citations} == {"removed"}
    changed = TEXT.replace("Nobody was hurt", "Nobody was harmed")
    [checked] = check_sources([note], lambda source_id: changed)
    assert [c.source_status for c in checked.citations] == ["present", "changed"]


# -- the briefing -------------------------------------------------------------------------------


class FakeLibrary:
    def __init__(self, texts: dict[str, str]) -> None:
        self.texts = texts

    def source_text(self, source_id: str) -> str | None:
        return self.texts.get(source_id)


def briefing_with(notes, texts=None):
    return with_notes(make_briefing(), notes, FakeLibrary({SOURCE_ID: TEXT} if texts is None
                                                          else texts))  # fmt: skip


def test_the_briefing_has_a_notes_section_in_the_users_order_with_citations(store):
    answer = store.add(answer_note(an_answer()))
    passage = store.add(passage_note(span("Divers inspected the hull on May 7.")))
    store.move(passage.id, 1)
    edited = store.edit(answer.id, "Nobody was hurt. The crew was calm.")
    doc = document(briefing_with(store.notes()))
    headings = [s.heading for s in doc.sections]
    assert headings[:2] == ["Overview", "Notes"]
    section = doc.sections[1]
    texts = [p.text for p in section.paras]
    # in the user's order: the passage, then the edited answer, each with a caption
    assert texts[0] == "Divers inspected the hull on May 7."
    assert texts[1].startswith("Passage from Night ferry loses steering")
    assert texts[2] == edited.text
    assert texts[3] == (
        f"Your words, edited from: answer to “{QUESTION}” — no cited passage holds "
        "“The crew was calm.”"
    )
    # citations are numbered notes quoting the passage, like every other section's
    notes = {n.n: n for n in doc.notes}
    assert notes[section.paras[0].notes[0]].text == "Divers inspected the hull on May 7."
    assert [notes[n].text for n in section.paras[2].notes] == [BOARD.text]


def test_a_briefing_without_notes_has_no_notes_section():
    assert "Notes" not in [s.heading for s in document(make_briefing()).sections]


def test_every_format_shows_the_notes_and_a_removed_source(store, tmp_path, qt_app_for_pdf):
    store.add(answer_note(an_answer()))
    removed = briefing_with(store.notes(), texts={})  # the source was removed since
    markdown = to_markdown(document(removed))
    assert "## Notes" in markdown and "## References" in markdown
    assert "The Tamsin lost steering at 1:28 a.m. Nobody was hurt.[^" in markdown
    # each citation of the removed source is a note of its own, labelled so, quoting its words
    references = markdown[markdown.index("## References") :].splitlines()
    gone = [line for line in references if "source removed \\[ferry-01\\]" in line]
    assert len(gone) == 2 and "1:28 a.m." in gone[0] and "Nobody was hurt" in gone[1]
    html = to_html(document(removed))
    assert "<h2>Notes</h2>" in html and "source removed [ferry-01]" in html
    for suffix in (".docx", ".pdf"):
        written = write_briefing(removed, tmp_path / f"briefing{suffix}")
        data = written.path.read_bytes()
        if suffix == ".docx":
            text = "\n".join(p.text for p in docx.Document(io.BytesIO(data)).paragraphs)
        else:
            text = "\n".join(
                page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages
            )
        # the PDF's text comes out with tabs between words, and sometimes inside one
        words = "".join(text.split())
        assert "Notes" in words and "Nobodywashurt." in words and "sourceremoved" in words


def test_a_damaged_notes_file_is_an_error_that_says_so(tmp_path):
    folder = tmp_path / "library"
    folder.mkdir()
    (folder / "notes.sqlite").write_bytes(b"this is not a database " * 100)
    with pytest.raises(NotesError, match="damaged"):
        NoteStore(folder)


def test_the_runtime_keeps_notes_beside_the_conversations(tmp_path):
    from dossier.runtime import Runtime, Settings

    runtime = Runtime(Settings.resolve(data=tmp_path / "data"))
    with runtime.notes() as notes, runtime.conversations() as conversations:
        assert notes.path.parent == conversations.path.parent
        assert notes.path.name == "notes.sqlite"


def test_a_damaged_note_is_an_error_that_names_the_note_and_the_file(tmp_path):
    import sqlite3

    with NoteStore(tmp_path) as store:
        note = store.add(answer_note(an_answer()))
    db = sqlite3.connect(tmp_path / "notes.sqlite")
    db.execute("UPDATE notes SET citations_json = '[{\"n\": ' WHERE id = ?", (note.id,))
    db.commit()
    db.close()
    with NoteStore(tmp_path) as store:
        with pytest.raises(NotesError, match=f"note {note.id} in .*notes.sqlite is damaged"):
            store.notes()
        assert store.delete(note.id) is True  # and it can be deleted
        assert store.notes() == []
