"""The briefing of a dossier whose sources tell one story, or several: a title naming what the
sources share, and with several stories one section per story, each citing only its own
sources (the articles in tests/data/stories/, the tests' topic embedder, a scripted model)."""

from __future__ import annotations

import re

import pypdf
import pytest

from dossier.briefing import STORY_STEP, brief
from dossier.export import export_briefing
from dossier.layout import document
from retrieval.library import Library
from tests.dossier.test_briefing import scripted_reply
from tests.dossier.test_briefing_prepared import is_overview, overview_calls
from tests.dossier.test_stories import FLOOD, FROST
from tests.fakes import ScriptedLLM, TopicEmbedder

pytestmark = pytest.mark.usefixtures("qt_app_for_pdf")


@pytest.fixture
def topic_library(tmp_path):
    library = Library(tmp_path / "lib", embedder=TopicEmbedder())
    yield library
    library.close()


def story_reply(messages) -> str:
    """As `scripted_reply`, but a summary's point is the first sentence of ten words or more
    (these articles' second line is their outlet, which is no point)."""
    content = messages[-1]["content"]
    if "Sentences:" in content:
        for n, sentence in re.findall(r"^\[(\d+)\] (.+)$", content, re.M):
            if len(sentence.split()) >= 10:
                return f"- {' '.join(sentence.split()[:20])} [{n}]\nANGLE: none\n"
    return scripted_reply(messages)


def ids_of(library, paths) -> set[str]:
    stems = {p.stem for p in paths}
    return {s.id for s in library.sources() if s.id in stems or any(st in s.path for st in stems)}


def headlines(paths) -> set[str]:
    return {p.read_text(encoding="utf-8").splitlines()[0] for p in paths}


def story_sections(doc) -> list:
    return [s for s in doc.sections if s.heading.startswith("Story ")]


def test_two_stories_get_two_sections_each_citing_only_its_own_sources(topic_library):
    # GIVEN a dossier holding two stories
    assert topic_library.ingest([*FLOOD, *FROST]).ok
    flood, frost = ids_of(topic_library, FLOOD), ids_of(topic_library, FROST)
    labels = []
    llm = ScriptedLLM(story_reply)
    # WHEN the briefing is made
    b = brief(library=topic_library, llm=llm, progress=lambda d, t, label: labels.append(label))
    # THEN it finds the two stories, each titled by one of its own headlines
    assert [set(s.source_ids) for s in b.stories] in ([flood, frost], [frost, flood])
    for story in b.stories:
        own = FLOOD if set(story.source_ids) == flood else FROST
        assert story.title in headlines(own)
        # AND each overview was written from its story's summaries and cites only its sources
        assert story.overview
        assert {span.source_id for span in story.overview_sources} <= set(story.source_ids)
    assert overview_calls(llm) == 2
    for call in (c for c in llm.calls if is_overview(c)):
        cited = {s.source_id for story in b.stories for s in story.overview_sources
                 if s.text in call[-1]["content"]}  # fmt: skip
        assert cited <= flood or cited <= frost
    # AND the title says there are two stories, the overview lists them
    assert b.title == "Briefing: 2 stories in 6 sources"
    assert b.overview == []
    # AND the progress names the step of each story
    assert [x for x in labels if x.startswith(STORY_STEP)] == [
        f"{STORY_STEP} {i} of 2: {s.title}" for i, s in enumerate(b.stories, 1)
    ]
    # AND the document has one section per story whose notes quote only its own sources
    doc = document(b)
    sections = story_sections(doc)
    assert [s.heading for s in sections] == [f"Story {i}: {s.title}" for i, s in
                                             enumerate(b.stories, 1)]  # fmt: skip
    notes = {n.n: n for n in doc.notes}
    for section, story in zip(sections, b.stories, strict=True):
        refs = [n for para in section.paras for n in para.notes]
        assert refs
        for n in refs:
            assert any(f"[{source_id}]" in notes[n].label for source_id in story.source_ids)
    overview = next(s for s in doc.sections if s.heading == "Overview")
    assert "tell 2 separate stories" in overview.paras[0].text


def test_one_story_has_no_story_sections_and_its_headline_as_title(topic_library):
    assert topic_library.ingest(FLOOD).ok
    b = brief(library=topic_library, llm=ScriptedLLM(story_reply))
    assert len(b.stories) == 1 and set(b.stories[0].source_ids) == ids_of(topic_library, FLOOD)
    assert b.title.removeprefix("Briefing: ") in headlines(FLOOD)
    assert b.overview and b.overview == b.stories[0].overview
    assert story_sections(document(b)) == []


def test_the_overview_is_not_given_a_headline_to_join_to_its_lede(topic_library):
    # A summary point resting on the headline line: its passage would be glued to the lede.
    assert topic_library.ingest(FLOOD).ok

    def reply(messages):
        content = messages[-1]["content"]
        if "Sentences:" in content:
            return "- The library of Millbrook stays closed for the summer [1]\n" + story_reply(
                messages
            )
        return story_reply(messages)

    llm = ScriptedLLM(reply)
    brief(library=topic_library, llm=llm)
    prompts = [c[-1]["content"] for c in llm.calls if is_overview(c)]
    assert prompts
    for prompt in prompts:
        for title in headlines(FLOOD):
            assert not re.search(rf"^\[\d+\] {re.escape(title)}$", prompt, re.M)


def test_the_prepared_stories_are_reused_until_the_grouping_changes(topic_library, monkeypatch):
    assert topic_library.ingest([*FLOOD, *FROST]).ok
    llm = ScriptedLLM(story_reply)
    first = brief(library=topic_library, llm=llm)
    calls = len(llm.calls)
    # a second briefing: prepared, no model call, the same stories
    second = brief(library=topic_library, llm=llm)
    assert second.overview_prepared and len(llm.calls) == calls
    assert second.stories == first.stories
    # WHEN the grouping changes (here its threshold: everything is one story)
    monkeypatch.setattr(TopicEmbedder, "story_similarity", 0.0)
    third = brief(library=topic_library, llm=llm)
    # THEN the prepared parts are not reused: one story, its overview written again
    assert not third.overview_prepared and len(third.stories) == 1
    assert overview_calls(llm) == 3


@pytest.mark.parametrize("suffix", [".md", ".html", ".pdf", ".docx"])
def test_every_export_format_shows_the_story_sections(topic_library, tmp_path, suffix):
    assert topic_library.ingest([*FLOOD, *FROST]).ok
    b = brief(library=topic_library, llm=ScriptedLLM(story_reply))
    path = export_briefing(b, tmp_path / f"b{suffix}")
    if suffix == ".pdf":
        text = "\n".join(page.extract_text() for page in pypdf.PdfReader(path).pages)
    elif suffix == ".docx":
        import docx

        text = "\n".join(p.text for p in docx.Document(str(path)).paragraphs)
    else:
        text = path.read_text(encoding="utf-8")
    text = " ".join(text.split())
    for i, _story in enumerate(b.stories, 1):
        assert f"Story {i}:" in text
    assert "2 stories in 6 sources" in text


def test_a_source_with_nothing_to_compare_joins_the_largest_story():
    import numpy as np

    from dossier.briefing import _groups

    vectors = np.array([[1.0, 0], [0, 1.0], [0, 0], [1.0, 0.1]])
    assert _groups(vectors, 4, 0.5) == [[0, 2, 3], [1]]
    assert _groups(np.zeros((2, 2)), 2, 0.5) == [[0, 1]]
    assert _groups(None, 2, 0.5) == [[0, 1]] and _groups(None, 0, 0.5) == []
