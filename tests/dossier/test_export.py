"""Writing the briefing: the user's normal permissions, the page count, notes quoted once."""

import html
import io
import json
import os
import re
import stat
from contextlib import contextmanager

import docx
import pypdf
import pytest

import dossier.briefing
import dossier.models
import dossier.runtime
from cli.main import EXIT_OK, main
from dossier.export import FORMATS, current_umask, export_briefing, write_briefing
from tests.dossier.briefing_fixture import make_briefing
from tests.fakes import ScriptedLLM

pytestmark = pytest.mark.usefixtures("qt_app_for_pdf")


@contextmanager
def umask(mask: int):
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize(("mask", "expected"), [(0o022, 0o644), (0o027, 0o640), (0o002, 0o664)])
def test_files_get_the_users_normal_permissions(tmp_path, mask, expected):
    with umask(mask):
        assert current_umask() == mask
        path = export_briefing(make_briefing(), tmp_path / "b.md")
    assert _mode(path) == expected
    assert [p.name for p in tmp_path.iterdir()] == ["b.md"]  # no temporary file left


def test_a_replaced_file_keeps_its_mode(tmp_path):
    path = tmp_path / "b.html"
    path.write_text("old")
    path.chmod(0o600)
    with umask(0o022):
        export_briefing(make_briefing(), path)
    assert _mode(path) == 0o600 and path.read_text(encoding="utf-8").startswith("<!DOCTYPE")


def test_the_pdf_reports_its_page_count(tmp_path):
    result = write_briefing(make_briefing(), tmp_path / "b.pdf")
    assert result.path == tmp_path / "b.pdf" and result.format == ".pdf"
    assert result.size == result.path.stat().st_size
    assert result.pages == len(pypdf.PdfReader(result.path).pages) >= 1
    assert result.to_json() == {
        "path": str(result.path),
        "format": ".pdf",
        "bytes": result.size,
        "pages": result.pages,
    }


@pytest.mark.parametrize("suffix", [".md", ".html", ".docx"])
def test_formats_without_pages_report_none(tmp_path, suffix):
    assert write_briefing(make_briefing(), tmp_path / f"b{suffix}").pages is None


def _read(path) -> str:
    if path.suffix == ".pdf":
        return " ".join(page.extract_text() for page in pypdf.PdfReader(path).pages)
    if path.suffix == ".docx":
        return "\n".join(p.text for p in docx.Document(io.BytesIO(path.read_bytes())).paragraphs)
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".html":
        # browsers draw <q> with quotation marks
        text = html.unescape(re.sub(r"<[^>]+>", "", text.replace("<q>", "“").replace("</q>", "”")))
    return text.replace("\\", "")


@pytest.mark.parametrize("suffix", FORMATS)
def test_notes_do_not_double_quote_marks(tmp_path, suffix):
    text = " ".join(_read(export_briefing(make_briefing(), tmp_path / f"b{suffix}")).split())
    # a passage with its own quotation marks is quoted once; one without gets a pair
    assert 'Courier [ferry-01]: "We heard the engines stop' in text, suffix
    assert "Courier [ferry-01]: “Nobody was hurt" in text, suffix
    assert "Courier [ferry-01]: “Divers inspected the hull on May 7.”" in text, suffix
    for doubled in ('“"', '"”', "““", "””"):
        assert doubled not in text, (suffix, doubled)


@pytest.fixture
def cli_briefing(monkeypatch, fake_embedder):
    """`dossier brief` on the hand-made briefing: no model, no summaries."""
    monkeypatch.setattr(dossier.runtime, "shared_embedder", lambda cache: fake_embedder)
    monkeypatch.setattr(dossier.models, "shared_llm", lambda spec, options: ScriptedLLM([]))
    monkeypatch.setattr(dossier.briefing, "brief", lambda **kwargs: make_briefing())


@pytest.mark.usefixtures("cli_briefing")
def test_cli_brief_prints_the_page_count(capsys, tmp_path):
    out = tmp_path / "b.pdf"
    assert main(["brief", "--out", str(out)]) == EXIT_OK
    pages = len(pypdf.PdfReader(out).pages)
    printed = capsys.readouterr().out
    assert re.search(rf"wrote .*b\.pdf \([\d,]+ bytes, {pages} pages?\)", printed), printed


@pytest.mark.usefixtures("cli_briefing")
def test_cli_brief_json_names_the_file_written(capsys, tmp_path):
    out = tmp_path / "b.pdf"
    assert main(["brief", "--out", str(out), "--json"]) == EXIT_OK
    printed = capsys.readouterr().out
    data = json.loads(printed[printed.index("{") :])
    assert data["title"] == make_briefing().title
    assert data["export"] == {
        "path": str(out),
        "format": ".pdf",
        "bytes": out.stat().st_size,
        "pages": len(pypdf.PdfReader(out).pages),
    }


@pytest.mark.parametrize("suffix", FORMATS)
def test_the_source_guide_is_above_the_points_and_a_dropped_sentence_is_nowhere(tmp_path, suffix):
    # GIVEN a summary whose guide kept one sentence and dropped one
    from dossier.schema import GuideSentence, SourceGuide
    from tests.dossier.briefing_fixture import sentence

    summary = make_briefing().summaries[0]
    guide = SourceGuide(
        sentences=[
            GuideSentence(
                text="The guide says the ferry lost steering overnight.",
                evidence=[sentence("PORT ELLIS")],
            )
        ],
        dropped=["The guide claims the captain resigned."],
    )
    briefing = make_briefing(summaries=[summary.model_copy(update={"guide": guide})])
    # WHEN it is exported
    text = " ".join(_read(export_briefing(briefing, tmp_path / f"b{suffix}")).split())
    # THEN the kept sentence comes before the source's first point; the dropped one is absent
    assert "The guide says the ferry lost steering overnight." in text, suffix
    assert text.index("The guide says the ferry") < text.index("The ferry lost steering."), suffix
    assert "captain resigned" not in text, suffix
