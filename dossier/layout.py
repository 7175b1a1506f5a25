"""The briefing's layout, shared by every export format: sections of paragraphs whose claims
point at numbered notes, each note quoting the passage behind the claim and naming its source."""

from __future__ import annotations

from dataclasses import dataclass, field

from retrieval.schema import Source

from .schema import Briefing, SourceSpan
from .schema import Note as PinnedNote
from .source_guide import names_every_speaker

MAX_UNDATED = 12
NEW_SINCE_HEADING = "New since the last briefing"


@dataclass
class Para:
    text: str
    notes: list[int] = field(default_factory=list)
    style: str = "body"  # body, bullet, quote, small, mono (hashes and versions)
    strong: bool = False


@dataclass
class Section:
    heading: str
    level: int = 1
    paras: list[Para] = field(default_factory=list)


@dataclass
class Note:
    n: int
    label: str
    text: str


@dataclass
class Document:
    title: str
    subtitle: str
    sections: list[Section] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)


class _Notes:
    """Numbered notes, one per distinct passage, in order of first reference.

    A passage cited again reuses its note: the same span, a span inside an earlier note's span,
    or the same words of the same source at another place."""

    def __init__(self, sources: list[Source]) -> None:
        self.labels = {s.id: source_label(s) for s in sources}
        self.note_labels = {s.id: note_label(s) for s in sources}
        self.items: list[Note] = []
        self._index: dict[tuple[str, int, int], int] = {}
        self._by_text: dict[tuple[str, str], int] = {}
        self._spans: dict[str, list[tuple[int, int, int]]] = {}  # source -> (start, end, n)
        self._by_label: dict[tuple[str, str], int] = {}  # (label, text) -> n, see _labelled

    def ref(self, span: SourceSpan, label: str | None = None) -> int:
        """The note of `span`; with `label`, see `_labelled`."""
        if label is not None:
            return self._labelled(span, label)
        key = (span.source_id, span.start, span.end)
        if key in self._index:
            return self._index[key]
        text = " ".join(span.text.split())
        n = self._by_text.get((span.source_id, text))
        if n is None:
            n = next(
                (n for a, b, n in self._spans.get(span.source_id, ()) if a <= span.start
                 and span.end <= b),
                None,
            )  # fmt: skip
        if n is None:
            n = len(self.items) + 1
            label = self.note_labels.get(span.source_id, span.source_id)
            self.items.append(Note(n=n, label=label, text=text))
            self._by_text[(span.source_id, text)] = n
            self._spans.setdefault(span.source_id, []).append((span.start, span.end, n))
        self._index[key] = n
        return n

    def _labelled(self, span: SourceSpan, label: str) -> int:
        """A passage pinned from a source that is gone or changed: its own note with the
        words as pinned and `label`, never merged with a note of the library's text now."""
        key = (label, " ".join(span.text.split()))
        if key not in self._by_label:
            self.items.append(Note(n=len(self.items) + 1, label=label, text=key[1]))
            self._by_label[key] = len(self.items)
        return self._by_label[key]


QUOTE_MARKS = "\"“”„‟«»‘’‚'"  # a passage starting with one of these is a quotation
CLOSING_MARKS = '"“”„‟«»'  # ending with one; not ’ or ', which also end "the Smiths’"
NOTE_LABEL_TITLE_CHARS = 48  # a note names its source by outlet, or its title cut this short


def is_quoted(text: str) -> bool:
    """The passage already starts or ends with a quotation mark of its own."""
    text = text.strip()
    return bool(text) and (text[0] in QUOTE_MARKS or text[-1] in CLOSING_MARKS)


def quoted(text: str) -> str:
    """`text` in curly quotes, unless it already starts or ends with a quotation mark (then a
    second pair would double them: “"…"”)."""
    return text if is_quoted(text) else f"“{text}”"


def note_label(source: Source) -> str:
    """The short name a note gives its source: outlet (or title, cut short) and id; the full
    title is in the source list."""
    name = source.meta.outlet or source.meta.title
    if name and len(name) > NOTE_LABEL_TITLE_CHARS:
        cut = name[:NOTE_LABEL_TITLE_CHARS].rsplit(" ", 1)[0].rstrip(" ,;:—-")
        name = f"{cut}…"
    return f"{name} [{source.id}]" if name else source.id


def source_label(source: Source) -> str:
    bits = [source.meta.title or source.id]
    if source.meta.outlet:
        bits.append(source.meta.outlet)
    return f"{' — '.join(bits)} [{source.id}]"


def document(b: Briefing) -> Document:
    notes = _Notes(b.sources)
    doc = Document(
        title=b.title,
        subtitle=f"Generated {b.generated_at} by Dossier from {len(b.sources)} sources, offline.",
    )
    doc.sections.append(_overview(b, notes))
    if len(b.stories) > 1:
        doc.sections += _stories(b, notes)
    if b.new_since_last_briefing is not None:
        doc.sections.append(_new_since(b, notes))
    if b.notes:
        doc.sections.append(_user_notes(b, notes))
    doc.sections.append(Section("Sources in brief"))
    doc.sections += _summaries(b, notes)
    doc.sections.append(_quotes(b, notes))
    doc.sections.append(_timeline(b, notes))
    doc.sections.append(_differences(b, notes))
    doc.sections.append(_source_list(b))
    doc.sections.append(_provenance(b))
    doc.notes = notes.items
    return doc


def _overview(b: Briefing, notes: _Notes) -> Section:
    section = Section("Overview")
    if len(b.stories) > 1:
        section.paras.append(
            Para(
                f"The {len(b.sources)} sources tell {len(b.stories)} separate stories, each "
                "with its own overview below:"
            )  # fmt: skip
        )
        for story in b.stories:
            count = len(story.source_ids)
            section.paras.append(
                Para(f"{story.title} — {count} source{'s' if count != 1 else ''}", style="bullet")
            )
        return section
    if not b.overview:
        section.paras.append(Para("No overview: the model wrote nothing the sources support."))
    for sentence in b.overview:
        refs = [notes.ref(b.overview_sources[n - 1]) for n in sentence.citations
                if 0 < n <= len(b.overview_sources)]  # fmt: skip
        section.paras.append(Para(sentence.text, refs))
    return section


def _stories(b: Briefing, notes: _Notes) -> list[Section]:
    """One section per story: its title, its sources, and its overview citing only them."""
    sections = []
    for i, story in enumerate(b.stories, 1):
        section = Section(f"Story {i}: {story.title}", level=2)
        names = [notes.note_labels.get(source_id, source_id) for source_id in story.source_ids]
        section.paras.append(Para(f"Sources: {'; '.join(names)}.", style="small"))
        for sentence in story.overview:
            refs = [notes.ref(story.overview_sources[n - 1]) for n in sentence.citations
                    if 0 < n <= len(story.overview_sources)]  # fmt: skip
            section.paras.append(Para(sentence.text, refs))
        if not story.overview:
            section.paras.append(
                Para("No overview: the model wrote nothing these sources support.")
            )
        sections.append(section)
    return sections


def _new_since(b: Briefing, notes: _Notes) -> Section:
    """The sources added or changed since the previous export, each with its key points."""
    new = b.new_since_last_briefing
    section = Section(NEW_SINCE_HEADING)
    when = new.previous_export_at if new else ""
    if not new or not new.sources:
        section.paras.append(Para(f"No source was added or changed since the briefing of {when}."))
        return section
    count = len(new.sources)
    section.paras.append(
        Para(
            f"{count} source{'s' if count != 1 else ''} added or changed since the briefing "
            f"of {when}.",
            style="small",
        )  # fmt: skip
    )
    for item in new.sources:
        label = notes.labels.get(item.source_id, item.title or item.source_id)
        status = "new" if item.status == "added" else "changed since then"
        section.paras.append(Para(f"{label} — {status}", strong=True))
        for point in item.points:
            section.paras.append(
                Para(point.text, [notes.ref(e) for e in point.evidence], style="bullet")
            )
        if not item.points:
            section.paras.append(Para("No key point could be checked against the text."))
    return section


def _summaries(b: Briefing, notes: _Notes) -> list[Section]:
    sections = []
    for s in b.summaries:
        section = Section(s.title or s.source_id, level=2)
        facts = [
            f"Outlet: {s.outlet or 'not stated'}",
            f"Byline: {s.byline or 'not stated'}",
            f"Date: {s.date or 'not stated'}",
            f"Source id: {s.source_id}",
        ]
        section.paras.append(Para(" · ".join(facts), style="small"))
        if s.guide and s.guide.sentences:
            refs = [notes.ref(e) for sentence in s.guide.sentences for e in sentence.evidence]
            section.paras.append(Para(s.guide.text, list(dict.fromkeys(refs))))
        supported = [p for p in s.points if p.supported]
        for point in supported:
            section.paras.append(
                Para(point.text, [notes.ref(e) for e in point.evidence], style="bullet")
            )
        if not supported:
            section.paras.append(Para("No key point could be checked against the text."))
        left_out = len(s.points) - len(supported)
        if s.quoted and not names_every_speaker(s.guide, s.quoted):
            section.paras.append(Para(f"Quoted: {', '.join(s.quoted)}.", style="small"))
        if s.angle:
            section.paras.append(
                Para(f"Framing (the model's reading, not checked): {s.angle}", style="small")
            )
        if left_out:
            section.paras.append(
                Para(
                    f"{left_out} point(s) the checker could not verify were left out.",
                    style="small",
                )  # fmt: skip
            )
        sections.append(section)
    return sections


def _quotes(b: Briefing, notes: _Notes) -> Section:
    section = Section("Quote ledger")
    if not b.quotes:
        section.paras.append(Para("No direct quotations found."))
    for group in b.quotes:
        who = group.speaker or "speaker not stated"
        if group.speaker and all(q.speaker_inferred for q in group.quotes if q.speaker):
            who += " (inferred: “he/she said” after this name)"
        settings = sorted({q.setting for q in group.quotes if q.setting})
        where = f", {settings[0]}" if settings else ""
        outlets = len(group.source_ids)
        also = f" — reported by {outlets} sources" if outlets > 1 else ""
        verbatim = "" if all(q.verbatim for q in group.quotes) else " [not verbatim]"
        section.paras.append(
            Para(
                f"{quoted(group.text.rstrip(','))} — {who}{where}{also}{verbatim}",
                [notes.ref(q.sentence) for q in group.quotes],
                style="quote",
            )
        )
    return section


def _timeline(b: Briefing, notes: _Notes) -> Section:
    section = Section("Timeline")
    if not b.timeline:
        section.paras.append(Para("No dated events: the sources state no dates."))
    for event in b.timeline:
        section.paras.append(
            Para(
                f"{event.when}: {event.sentence.text}", [notes.ref(event.sentence)], style="bullet"
            )  # fmt: skip
        )
    if b.undated:
        section.paras.append(
            Para(
                "Mentioned with a weekday or relative date but no stated date to resolve it "
                "(not placed on the timeline):",
                style="small",
            )
        )
        for span in b.undated[:MAX_UNDATED]:
            section.paras.append(Para(span.text, [notes.ref(span)], style="bullet"))
        if len(b.undated) > MAX_UNDATED:
            section.paras.append(Para(f"… and {len(b.undated) - MAX_UNDATED} more.", style="small"))
    return section


_KIND_TITLES = {
    "number": "Different figures",
    "stance": "Different accounts",
    "speaker": "Different speakers for the same words",
    "only-one-source": "Reported by one source only",
}


def _differences(b: Briefing, notes: _Notes) -> Section:
    section = Section("Differences between sources")
    if not b.differences:
        section.paras.append(Para("No differences found between the sources."))
    for kind, title in _KIND_TITLES.items():
        items = [d for d in b.differences if d.kind == kind]
        if not items:
            continue
        section.paras.append(Para(title, strong=True))
        for d in items:
            if kind == "only-one-source":
                side = d.sides[0]
                label = notes.labels.get(side.statement.source_id, side.statement.source_id)
                section.paras.append(
                    Para(
                        f"{label}: {side.statement.text}",
                        [notes.ref(side.statement)],
                        style="bullet",
                    )  # fmt: skip
                )
                continue
            sides = []
            refs = []
            for side in d.sides:
                label = notes.labels.get(side.statement.source_id, side.statement.source_id)
                value = f" ({side.value})" if side.value else ""
                sides.append(f"{label}{value}: {quoted(side.statement.text)}")
                refs.append(notes.ref(side.statement))
            section.paras.append(Para(f"{d.topic} — " + " versus ".join(sides), refs,
                                      style="bullet"))  # fmt: skip
    return section


def _source_list(b: Briefing) -> Section:
    section = Section("Sources")
    for s in b.sources:
        bits = [s.meta.title or "(untitled)", s.meta.outlet, s.meta.byline, s.meta.published]
        text = " · ".join(bit for bit in bits if bit)
        section.paras.append(Para(f"{s.id}: {text} ({s.n_chars} characters)", style="bullet"))
    return section


def _provenance(b: Briefing) -> Section:
    p = b.provenance
    section = Section("Provenance")
    lines = [
        f"Dossier version: {p.dossier_version}",
        f"Model: {p.model.id}, GGUF sha256 {p.model.sha256}",
        f"Embedder: {p.embedder}",
        f"Index: {p.index}",
        "Prompt hashes: " + ", ".join(f"{k} {v}" for k, v in sorted(p.prompt_hashes.items())),
        f"Generated: {p.generated_at}",
    ]
    section.paras += [Para(line, style="mono") for line in lines]
    return section


_PINNED_FROM = {
    "answer": "Answer to",
    "passage": "Passage from",
    "summary_point": "Summary point of",
    "text": "Written by you",
}


def _user_notes(b: Briefing, notes: _Notes) -> Section:
    """The notes the user pinned, in their order, each with where it came from; an edited
    note is marked as the user's words."""
    section = Section("Notes")
    for note in b.notes:
        refs = []
        for c in note.citations:
            label = None
            if c.source_status == "removed":
                label = f"source removed [{c.source_id}]"
            elif c.source_status == "changed":
                name = notes.note_labels.get(c.source_id, c.source_id)
                label = f"{name}, changed since this was pinned"
            refs.append(notes.ref(c, label))
        section.paras.append(Para(note.text, refs))
        section.paras.append(Para(_pinned_caption(note, notes), style="small"))
    return section


def _pinned_caption(note: PinnedNote, notes: _Notes) -> str:
    removed = any(c.source_status == "removed" for c in note.citations)
    source = notes.labels.get(note.origin) or note.origin + (" (source removed)" if removed else "")
    if note.kind == "answer":
        where = f"{_PINNED_FROM['answer']} {quoted(note.origin)}"
    elif note.kind == "text":
        where = _PINNED_FROM["text"]
    else:
        where = f"{_PINNED_FROM[note.kind]} {source}"
    if note.user_edited and note.kind != "text":
        where = f"Your words, edited from: {where[0].lower()}{where[1:]}"
    if note.user_edited and not note.citations:
        where += " — no cited passage holds these words"
    elif note.user_edited:
        uncited = [s.text for s in note.sentences if not s.citations]
        if uncited:
            where += " — no cited passage holds " + " ".join(quoted(t) for t in uncited)
    return where
