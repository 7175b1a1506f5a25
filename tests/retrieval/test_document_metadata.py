"""Metadata from the document first (HTML meta tags, Markdown front matter), then from the text
(headline, byline, dateline), and a derived title, marked so, when nothing states one.

The articles are invented for these tests.
"""

from __future__ import annotations

import json
from pathlib import Path

from retrieval.library import Library
from retrieval.loaders import load_document
from retrieval.loaders.markdown import strip_markdown
from retrieval.metadata import MAX_DERIVED_TITLE, derive_title, extract_metadata
from retrieval.schema import SourceMeta
from retrieval.sentences import sentence_spans
from tests.conftest import FakeEmbedder

HTML_PAGE = """<!doctype html>
<html><head>
<title>Orchard cooperative buys cold store | The Valley Courier</title>
<meta property="og:site_name" content="The Valley Courier">
<meta property="og:title" content="Orchard cooperative buys its own cold store">
<meta name="author" content="Priya Nandakumar">
<meta property="article:published_time" content="2023-09-14T07:30:00+02:00">
</head><body>
<nav><a href="/">Home</a> <a href="/farming">Farming</a></nav>
<article>
<h1>Orchard cooperative buys its own cold store</h1>
<p>Apple growers in the upper valley have bought the cold store they rented for twenty years,
the cooperative said on Wednesday, ending a long dispute over storage fees.</p>
<p>The cooperative's chair, Lotte Brandvik, said members voted 41 to 6 for the purchase and
that the first harvest would move in before the end of the month.</p>
<p>The previous owner, a logistics firm, had raised the rent three times since 2019.</p>
</article></body></html>
"""

MARKDOWN = """---
title: "Night trains return to the **coast line**"
author: Tomasz Wielgus
date: 2024-02-05
source: Rail & Road Weekly
---

# Night trains return to the coast line

The **overnight service** between the capital and the coast resumed on *Monday*, after a
four-year pause, the operator said in a [statement](https://example.org/statement).

## Sleeper cars

Each train carries four sleeper cars and a __dining car__.
"""

TEXT = """Tenants Win Fight Over Boiler Repairs

By Hannah Cole

BALTIMORE, March 26, 2024 — Tenants of a twelve-storey block on the east side won a court
order on Tuesday forcing their landlord to replace a boiler that failed twice this winter.

The judge gave the landlord thirty days to complete the work.
"""

NO_HEADLINE = (
    "Volunteers counted more than three hundred nesting terns on the gravel spit this week, "
    "the highest number since the sanctuary opened, wardens said on Friday. The spit was "
    "closed to walkers in April.\n"
)


def test_html_page_metadata_gives_title_outlet_byline_and_date():
    document = load_document(Path("orchard.html"), HTML_PAGE.encode())
    assert document.meta.title == "Orchard cooperative buys its own cold store"
    assert document.meta.outlet == "The Valley Courier"
    assert document.meta.byline == "Priya Nandakumar"
    assert document.meta.published == "2023-09-14"
    assert "Apple growers in the upper valley" in document.text
    assert "Home" not in document.text  # page furniture stays out


def test_markdown_front_matter_and_heading_with_markup_stripped():
    document = load_document(Path("trains.md"), MARKDOWN.encode())
    meta = document.meta
    assert meta.title == "Night trains return to the coast line"  # no ** left in a title
    assert meta.byline == "Tomasz Wielgus"
    assert meta.published == "2024-02-05"
    assert meta.outlet == "Rail & Road Weekly"
    text = document.text
    assert text.startswith("Night trains return to the coast line\n")
    assert "overnight service between the capital" in text
    assert "statement" in text and "https://" not in text
    for markup in ("**", "__", "*Monday*", "# ", "---", "title:"):
        assert markup not in text


def test_markdown_without_front_matter_takes_its_first_heading_as_title():
    document = load_document(Path("notes.md"), b"Intro line.\n\n# The **real** headline #\n\nBody.")
    assert document.meta.title == "The real headline"
    assert document.text == "Intro line.\n\nThe real headline\n\nBody."


def test_strip_markdown_keeps_words_inside_identifiers_and_lists():
    text, heading = strip_markdown("* a snake_case_name item\n+ 2 * 3 = 6\n\n```\n**raw**\n```")
    assert heading is None
    assert text == "- a snake_case_name item\n- 2 * 3 = 6\n\n**raw**"  # code kept as written


def test_plain_text_headline_byline_and_dateline_with_its_place_apart():
    meta, _ = extract_metadata(TEXT, sentence_spans(TEXT))
    assert meta.title == "Tenants Win Fight Over Boiler Repairs"
    assert not meta.title_derived
    assert meta.byline == "Hannah Cole"
    assert meta.published == "2024-03-26"
    assert meta.place == "BALTIMORE"
    assert meta.dateline == "BALTIMORE, March 26, 2024"


def test_a_dateline_without_a_year_gives_no_date_and_a_region_stays_with_the_place():
    text = "Ferry Strike Ends\n\nCHISINAU, Moldova, May 7 — Dock workers returned on Monday.\n"
    meta, _ = extract_metadata(text, sentence_spans(text))
    assert meta.place == "CHISINAU, Moldova"
    assert meta.published is None  # the year is not stated: not guessed


def test_a_source_without_a_headline_gets_a_derived_title_cut_at_a_natural_break():
    meta, _ = extract_metadata(NO_HEADLINE, sentence_spans(NO_HEADLINE))
    assert meta.title_derived
    cut = "Volunteers counted more than three hundred nesting terns on the gravel spit…"
    assert meta.title == cut
    assert len(meta.title) <= MAX_DERIVED_TITLE


def test_a_derived_title_skips_the_dateline_and_keeps_a_short_sentence_whole():
    text = "LISBON — Trams stopped for an hour on Sunday.\nPower came back at noon.\n"
    meta, _ = extract_metadata(text, sentence_spans(text))
    assert (meta.title, meta.title_derived, meta.place) == (
        "Trams stopped for an hour on Sunday",
        True,
        "LISBON",
    )
    assert derive_title("x" * 200).endswith("…") and len(derive_title("x" * 200)) <= 80


def test_ingest_merges_document_metadata_over_what_the_text_shows(tmp_path):
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "orchard.html").write_text(HTML_PAGE)
    (folder / "trains.md").write_text(MARKDOWN)
    (folder / "tenants.txt").write_text(TEXT)
    (folder / "terns.txt").write_text(NO_HEADLINE)
    library = Library(tmp_path / "lib", embedder=FakeEmbedder())
    assert library.ingest([folder]).ok
    by_name = {Path(s.path).name: s for s in library.sources()}
    orchard, trains = by_name["orchard.html"].meta, by_name["trains.md"].meta
    tenants, terns = by_name["tenants.txt"].meta, by_name["terns.txt"].meta
    assert (orchard.outlet, orchard.byline, orchard.published) == (
        "The Valley Courier",
        "Priya Nandakumar",
        "2023-09-14",
    )
    assert (trains.title, trains.outlet) == (
        "Night trains return to the coast line",
        "Rail & Road Weekly",
    )
    assert (tenants.byline, tenants.published, tenants.place) == (
        "Hannah Cole",
        "2024-03-26",
        "BALTIMORE",
    )
    assert "By Hannah Cole" in library.source_text(by_name["tenants.txt"].id)
    assert terns.title_derived and terns.title.startswith("Volunteers counted")
    for source in by_name.values():
        assert source.meta.title and source.meta.title != source.id


def test_a_sidecar_title_is_not_derived(tmp_path):
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "terns.txt").write_text(NO_HEADLINE)
    (folder / "metadata.json").write_text(json.dumps({"terns.txt": {"title": "Tern Record"}}))
    library = Library(tmp_path / "lib", embedder=FakeEmbedder())
    assert library.ingest([folder]).ok
    (source,) = library.sources()
    assert (source.meta.title, source.meta.title_derived) == ("Tern Record", False)


def test_metadata_stored_by_an_older_dossier_still_loads():
    old = SourceMeta.model_validate_json(
        '{"title": null, "outlet": null, "byline": null, "dateline": "CHISINAU, Moldova", '
        '"published": null}'
    )
    assert old.place == "CHISINAU, Moldova" and old.title_derived is False


def test_a_source_stored_without_a_title_is_listed_with_a_derived_one(tmp_path):
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "terns.txt").write_text(NO_HEADLINE)
    library = Library(tmp_path / "lib", embedder=FakeEmbedder())
    assert library.ingest([folder]).ok
    (source,) = library.sources()
    with library.store.transaction() as db:  # as an older Dossier stored it: no title
        db.execute("UPDATE sources SET meta = ?", (SourceMeta().model_dump_json(),))
    (source,) = library.sources()
    assert source.meta.title_derived and source.meta.title.startswith("Volunteers counted")
