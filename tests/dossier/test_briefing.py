"""The briefing end to end with fakes, and every export format read back."""

import html
import json
import re
import unicodedata
from pathlib import Path

import docx
import pypdf
import pytest

import dossier.briefing as briefing_module
import dossier.models
import dossier.runtime
from cli.main import EXIT_OK, main
from dossier.briefing import brief
from dossier.export import FORMATS, export_briefing
from dossier.schema import ModelInfo, SourceSpan, SourceSummary, SummaryPoint
from tests.conftest import SEEDS
from tests.fakes import ScriptedLLM

pytestmark = pytest.mark.usefixtures("qt_app_for_pdf")

HOSTILE = (
    "Council vote sparks row\n"
    "The council approved the plan on Tuesday by a vote of 7 to 2.\n"
    '"<script>alert(1)</script> is not <b>policy</b>," Mayor Rosa Klein said at a press '
    "conference.\n"
)


def scripted_reply(messages) -> str:
    """Summaries cite the first two sentences; comparisons differ; the overview cites [1]."""
    content = messages[-1]["content"]
    if "Sentences:" in content:
        first = re.search(r"^\[2\] (.+)$", content, re.M)
        first = first or re.search(r"^\[1\] (.+)$", content, re.M)
        point = " ".join(first.group(1).split()[:20])  # as the prompt asks: at most 20 words
        return f"- {point} [{first.group(0)[1]}]\nANGLE: none\n"
    if "Two statements" in content:
        return "DIFFER"
    first = re.search(r"^\[1\] (.+)$", content, re.M)
    return f"{first.group(1)} [1]"


@pytest.fixture
def briefing(library, tmp_path):
    hostile = tmp_path / "hostile.txt"
    hostile.write_text(HOSTILE, encoding="utf-8")
    assert library.ingest([SEEDS, hostile]).ok
    events = []
    result = brief(
        library=library,
        llm=ScriptedLLM(scripted_reply),
        progress=lambda done, total, label: events.append((done, total, label)),
    )
    return result, events


def test_briefing_has_every_section(briefing):
    b, events = briefing
    assert len(b.summaries) == 6
    assert all(any(p.supported for p in s.points) for s in b.summaries)
    assert b.overview and all(s.supported for s in b.overview)
    speakers = {g.speaker for g in b.quotes}
    assert "Jake Sullivan" in speakers
    assert any("It is not about geography" in g.text for g in b.quotes)
    assert b.timeline and b.differences
    assert b.provenance.model.id == "scripted" and b.provenance.prompt_hashes
    # progress ends at the total, and never goes backwards
    dones = [d for d, _, _ in events]
    assert dones == sorted(dones) and events[-1][0] == events[-1][1]


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).split())


def test_every_format_reads_back(briefing, tmp_path):
    b, _ = briefing
    for suffix in FORMATS:
        path = export_briefing(b, tmp_path / f"briefing{suffix}")
        if suffix == ".pdf":
            text = " ".join(page.extract_text() for page in pypdf.PdfReader(path).pages)
            # no ligature glyphs: "Differences" is searchable as typed (pdftotext, Ctrl+F)
            assert "Differences" in " ".join(text.split()), "ligatures in the PDF"
        elif suffix == ".docx":
            text = "\n".join(p.text for p in docx.Document(str(path)).paragraphs)
        else:
            text = path.read_text(encoding="utf-8")
            if suffix == ".html":
                text = html.unescape(re.sub(r"<[^>]+>", " ", text))
        text = _norm(text).replace("\\", "")
        for heading in ["Overview", "Quote ledger", "Timeline", "Differences", "Provenance"]:
            assert heading in text, (suffix, heading)
        for summary in b.summaries:
            assert summary.source_id in text
        assert "It is not about geography. It is about common sense" in text, suffix
        assert b.provenance.model.sha256 in text.replace(" ", ""), suffix  # PDF may wrap it


def test_source_html_is_escaped_in_every_text_format(briefing, tmp_path):
    b, _ = briefing
    page = export_briefing(b, tmp_path / "b.html").read_text(encoding="utf-8")
    assert "<script" not in page.lower() and "<b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "default-src 'none'" in page
    md = export_briefing(b, tmp_path / "b.md").read_text(encoding="utf-8")
    assert "<script>" not in md and r"\<script\>" in md


def test_unknown_extension_is_refused(briefing, tmp_path):
    with pytest.raises(ValueError, match=".odt"):
        export_briefing(briefing[0], tmp_path / "b.odt")


def test_cli_brief_writes_the_file_in_one_command(capsys, monkeypatch, fake_embedder, tmp_path):
    monkeypatch.setattr(dossier.runtime, "shared_embedder", lambda cache: fake_embedder)
    llm = ScriptedLLM(scripted_reply)
    monkeypatch.setattr(dossier.models, "shared_llm", lambda spec, options: llm)
    out = tmp_path / "briefing.md"
    assert main(["brief", "--out", str(out)]) == EXIT_OK
    assert "Quote ledger" in out.read_text(encoding="utf-8")
    assert main(["summarize", "--json"]) == EXIT_OK
    printed = capsys.readouterr().out
    summaries = json.loads(printed[printed.index("[") :])
    assert len(summaries) == 5 and all(s["cached"] for s in summaries)
    assert Path(out).stat().st_size > 0


def test_an_overview_cut_by_its_token_limit_loses_its_unfinished_sentence(library):
    # GIVEN a model whose overview runs into the token limit in the middle of a sentence that
    # copies the start of a passage (so word overlap alone would call it supported)
    assert library.ingest([SEEDS]).ok

    def reply(messages) -> str:
        content = messages[-1]["content"]
        if "Sentences:" in content:
            return scripted_reply(messages)
        first = re.search(r"^\[1\] (.+)$", content, re.M).group(1)
        second = re.search(r"^\[2\] (.+)$", content, re.M).group(1)
        words = []
        while len(words) < briefing_module.OVERVIEW_MAX_TOKENS - 5:
            words += f"{first.rstrip('.')} [1].".split()
        return " ".join(words + second.split() * 3)

    # WHEN the briefing is made
    result = brief(library=library, llm=ScriptedLLM(reply))
    # THEN every overview sentence is a finished one
    assert result.overview
    assert all(s.text.rstrip().endswith((".", "!", "?", '"', "”")) for s in result.overview)


def _summary(source_id: str, title: str, evidence: list[str]) -> SourceSummary:
    points = []
    at = 0
    for text in evidence:
        span = SourceSpan(source_id=source_id, start=at, end=at + len(text),
                                         text=text)  # fmt: skip
        points.append(SummaryPoint(text=text, supported=True, evidence=[span]))
        at += len(text) + 1
    return SourceSummary(
        source_id=source_id,
        title=title,
        points=points,
        model=ModelInfo(id="m", sha256="0"),
        prompt_hash="p",
        content_hash="h",
    )


def test_overview_passages_take_each_sources_first_points_first_within_a_budget():
    # GIVEN three sources with four supported points each; the second source's first point
    # rests on its headline line
    summaries = [
        _summary(sid, f"Headline {sid}", [f"{sid} point {n} says something." for n in range(4)])
        for sid in ("a", "b", "c")
    ]
    summaries[1].points[0].evidence[0].text = "Headline b"
    # WHEN the overview's passages are chosen with room for five
    passages = briefing_module.overview_passages(summaries, budget=5)
    # THEN every source's main point comes before any source's second one, the headline line
    # is left out, and the budget holds
    assert [p.text for p in passages] == [
        "a point 0 says something.",
        "b point 1 says something.",
        "c point 0 says something.",
        "a point 1 says something.",
        "b point 2 says something.",
    ]
    assert [p.n for p in passages] == [1, 2, 3, 4, 5]


def test_the_overview_is_written_under_a_grammar_that_cites_only_its_passages(library):
    # GIVEN the seed library and a scripted model
    assert library.ingest([SEEDS]).ok
    llm = ScriptedLLM(scripted_reply)
    # WHEN the briefing is made
    brief(library=library, llm=llm)
    # THEN the overview call (the last scripted one) is constrained, and its citation numbers
    # are exactly those of the passages it was shown
    overview = [g for g in llm.grammars if g and g.startswith("root ::= clause")]
    assert len(overview) == 1
    shown = re.findall(r"^\[(\d+)\] ", llm.scripted_calls[-1][-1]["content"], re.M)
    numbers = re.search(r"^number ::= (.+)$", overview[0], re.M).group(1)
    assert sorted(re.findall(r'"(\d+)"', numbers), key=int) == shown
    assert len(shown) <= briefing_module.OVERVIEW_PASSAGES
