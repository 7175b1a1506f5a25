"""Export formats are a plug-in point: `export_briefing` picks the exporter by suffix."""

from __future__ import annotations

import io
import re

import docx
import pytest

import dossier.export
from dossier.export import EXPORTERS, FORMATS, export_briefing, register
from dossier.exporters.docx import DocxExporter
from dossier.exporters.html import HtmlExporter
from dossier.exporters.markdown import MarkdownExporter
from dossier.exporters.pdf import PdfExporter
from dossier.layout import Document, Note, Para, Section

# A small layout, so these tests need no library and no model: `document(briefing)` is replaced.
DOC = Document(
    title="Harbour briefing",
    subtitle="2 sources",
    sections=[Section("Overview", paras=[Para("The council approved the plan.", notes=[1])])],
    notes=[Note(n=1, label="Harbour Post", text="The council approved the plan on Monday.")],
)
BRIEFING = object()  # stands for a Briefing; only the replaced `document` sees it


class CsvExporter:
    """A format only this test knows: one line per note."""

    suffix = ".csv"

    def render(self, doc: Document) -> bytes:
        return "".join(f"{n.n},{n.label},{n.text}\n" for n in doc.notes).encode("utf-8")


@pytest.fixture(autouse=True)
def small_layout(monkeypatch):
    seen = []
    monkeypatch.setattr(dossier.export, "document", lambda b: seen.append(b) or DOC)
    return seen


@pytest.fixture
def csv_exporter():
    exporter = CsvExporter()
    register(exporter)
    yield exporter
    del EXPORTERS[exporter.suffix]


def test_formats_are_the_registry_in_order():
    assert FORMATS == tuple(EXPORTERS) == (".md", ".html", ".pdf", ".docx")
    kinds = [type(e) for e in EXPORTERS.values()]
    assert kinds == [MarkdownExporter, HtmlExporter, PdfExporter, DocxExporter]


@pytest.mark.parametrize("name", ["b.md", "B.MD", "b.html", "b.Html"])
def test_text_formats_are_written_by_their_exporter(tmp_path, small_layout, name):
    path = export_briefing(BRIEFING, tmp_path / name)
    assert small_layout == [BRIEFING]
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".md":
        assert text.startswith("# Harbour briefing\n") and "[^1]: Harbour Post" in text
    else:
        assert text.startswith("<!DOCTYPE html>") and '<li id="note-1"' in text


def test_docx_is_written_by_its_exporter(tmp_path):
    path = export_briefing(BRIEFING, tmp_path / "b.docx")
    paragraphs = [p.text for p in docx.Document(io.BytesIO(path.read_bytes())).paragraphs]
    assert "Harbour briefing" in paragraphs and "The council approved the plan.1" in paragraphs


@pytest.mark.usefixtures("qt_app_for_pdf")
def test_pdf_is_written_by_its_exporter(tmp_path):
    path = export_briefing(BRIEFING, tmp_path / "b.pdf")
    assert path.read_bytes().startswith(b"%PDF")


@pytest.mark.parametrize("name", ["briefing.txt", "briefing"])
def test_an_unknown_suffix_is_refused_and_nothing_written(tmp_path, small_layout, name):
    message = f"Cannot export to {name!r}: use one of .md, .html, .pdf, .docx as the extension."
    with pytest.raises(ValueError, match=re.escape(message)):
        export_briefing(BRIEFING, tmp_path / name)
    assert list(tmp_path.iterdir()) == [] and small_layout == []


def test_a_registered_exporter_is_used(tmp_path, csv_exporter):
    path = export_briefing(BRIEFING, tmp_path / "notes.CSV")
    assert path.read_text(encoding="utf-8") == (
        "1,Harbour Post,The council approved the plan on Monday.\n"
    )


@pytest.mark.parametrize("suffix", ["CSV", ".CSV", "csv"])
def test_a_suffix_must_be_lower_case_with_its_dot(suffix):
    class Loud:
        def render(self, doc: Document) -> bytes:
            return b""

    Loud.suffix = suffix
    with pytest.raises(ValueError, match="lower case with its dot"):
        register(Loud())
    assert suffix not in EXPORTERS
