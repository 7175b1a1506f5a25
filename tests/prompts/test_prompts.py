import pytest

import prompts
from prompts import REFUSAL, PromptError, PromptSet

SEED_NAMES = ("Blinken", "Kyiv", "ATACMS", "Lammy", "Ukraine", "Russia", "Storm Shadow")


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "greet.txt").write_text("Hello {name}, you asked {{literally}}: {question}\n")
    (tmp_path / "plain.txt").write_text("No fields here.\n")
    return tmp_path


def test_render_fills_placeholders_and_keeps_literal_braces(folder):
    rendered = PromptSet(folder).render("greet", name="Ana", question="why {not}?")
    assert rendered.name == "greet"
    assert rendered.text == "Hello Ana, you asked {literally}: why {not}?\n"
    assert rendered.hash == PromptSet(folder).template_hash("greet")
    assert len(rendered.hash) == 16
    assert PromptSet(folder).render("plain").text == "No fields here.\n"
    assert PromptSet(folder).placeholders("greet") == {"name", "question"}
    assert PromptSet(folder).names() == ["greet", "plain"]


def test_missing_and_unexpected_values_are_errors(folder):
    ps = PromptSet(folder)
    with pytest.raises(PromptError, match=r"missing values for question \(its placeholders"):
        ps.render("greet", name="Ana")
    with pytest.raises(PromptError, match="unexpected values extra"):
        ps.render("greet", name="Ana", question="q", extra=1)
    with pytest.raises(PromptError, match="No prompt template 'absent'"):
        ps.render("absent")
    with pytest.raises(PromptError, match="Bad prompt name"):
        ps.render("../greet")


@pytest.mark.parametrize("body", ["Oops { here", "Field {0}", "{a.b}", "{x!r}", "{x:>10}", "{}"])
def test_malformed_templates_are_rejected(tmp_path, body):
    (tmp_path / "bad.txt").write_text(body)
    with pytest.raises(PromptError):
        PromptSet(tmp_path).render("bad", x=1, a=1)


def test_hash_changes_when_file_changes(folder):
    ps = PromptSet(folder)
    before = ps.template_hash("plain")
    assert ps.template_hash("plain") == before
    (folder / "plain.txt").write_text("No fields here, edited.\n")
    assert ps.template_hash("plain") != before
    assert ps.render("plain").hash == ps.template_hash("plain")


def test_bundled_templates():
    assert {"answer_system", "answer_user", "condense"} <= set(PromptSet().names())
    assert prompts.placeholders("answer_system") == set()
    assert prompts.placeholders("answer_user") == {"passages", "question"}
    assert prompts.placeholders("condense") == {"history", "question"}
    system = prompts.render("answer_system").text
    assert REFUSAL in system and "[1]" in system and "instructions" in system
    user = prompts.render("answer_user", passages="[1] Text.", question="What?")
    assert "[1] Text." in user.text and "What?" in user.text
    condensed = prompts.render("condense", history="User: Hi", question="And then?")
    assert condensed.text.rstrip().endswith("Standalone question:")
    assert len(prompts.template_hash("answer_system")) == 16


def test_bundled_templates_name_nothing_from_the_seed_articles():
    for name in PromptSet().names():
        text = PromptSet().path(name).read_text()
        assert not [word for word in SEED_NAMES if word.lower() in text.lower()], name
