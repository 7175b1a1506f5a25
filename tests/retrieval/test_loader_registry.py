"""Document loaders are a plug-in point: `load_text` and the walk go through the registry."""

from __future__ import annotations

import re

import pytest

from retrieval.loaders import (
    LOADERS,
    LoadError,
    iter_input_files,
    load_text,
    register,
    supported_suffixes,
)
from retrieval.loaders.docx import DocxLoader
from retrieval.loaders.html import HtmlLoader
from retrieval.loaders.markdown import MarkdownLoader
from retrieval.loaders.pdf import PdfLoader
from retrieval.loaders.text import TextLoader

ARTICLE = "Harbour Plan Approved\n\nThe council approved the harbour plan on Monday after a debate."


class ShoutingLoader:
    """A format only this test knows: the text upper-cased, with Windows newlines."""

    suffixes = (".shout",)

    def __init__(self) -> None:
        self.calls: list[bytes] = []

    def extract(self, data: bytes) -> str:
        self.calls.append(data)
        return data.decode("utf-8").upper().replace("\n", "\r\n")


@pytest.fixture
def shouting():
    loader = ShoutingLoader()
    register(loader)
    yield loader
    for suffix in loader.suffixes:
        del LOADERS[suffix]
    assert ".shout" not in supported_suffixes()


def test_each_suffix_has_its_loader_in_the_order_dialogs_list_them():
    kinds = {suffix: type(loader) for suffix, loader in LOADERS.items()}
    assert kinds == {
        ".txt": TextLoader,
        ".md": MarkdownLoader,
        ".markdown": MarkdownLoader,
        ".html": HtmlLoader,
        ".htm": HtmlLoader,
        ".pdf": PdfLoader,
        ".docx": DocxLoader,
    }
    assert supported_suffixes() == (".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx")


@pytest.mark.parametrize("name", ["a.txt", "a.MD", "a.markdown", "a.htm", "A.HTML"])
def test_load_text_dispatches_by_suffix_whatever_its_case(tmp_path, name):
    page = f"<html><head><title>T</title></head><body><article><p>{ARTICLE}</p></article></body>"
    data = (page if ".htm" in name.lower() else ARTICLE).encode("utf-8")
    text = load_text(tmp_path / name, data)
    if ".htm" in name.lower():
        assert "<p>" not in text and "The council approved the harbour plan" in text
    else:
        assert text == ARTICLE  # plain text and Markdown are read as they are


def test_a_pdf_suffix_goes_to_the_pdf_loader(tmp_path):
    # Text bytes named .pdf are refused by the PDF reader, not read as text.
    with pytest.raises(LoadError, match="PDF"):
        load_text(tmp_path / "notes.pdf", ARTICLE.encode())


@pytest.mark.parametrize(("name", "shown"), [("notes.xyz", ".xyz"), ("README", "(none)")])
def test_an_unknown_suffix_is_refused_by_the_walk_and_by_load_text(tmp_path, name, shown):
    path = tmp_path / name
    path.write_text(ARTICLE)
    files, skipped, failed = iter_input_files([path])
    assert (files, skipped) == ([], [])
    assert [f.reason for f in failed] == [f"unsupported file type '{shown}'"]
    with pytest.raises(LoadError, match=re.escape(f"unsupported file type '{shown}'")):
        load_text(path)
    with pytest.raises(LoadError, match="unsupported file type"):
        load_text(path, ARTICLE.encode())


def test_a_registered_loader_is_used_by_the_walk_and_load_text(tmp_path, shouting):
    path = tmp_path / "plan.SHOUT"
    path.write_bytes(ARTICLE.encode())
    assert ".shout" in supported_suffixes()
    files, skipped, failed = iter_input_files([tmp_path])
    assert (files, skipped, failed) == ([path], [], [])
    text = load_text(path)
    assert shouting.calls == [ARTICLE.encode()]
    assert text == ARTICLE.upper()  # newlines normalised by load_text, not by the loader


def test_the_shared_checks_apply_to_every_loader(tmp_path, shouting):
    with pytest.raises(LoadError, match="file is empty"):
        load_text(tmp_path / "a.shout", b"")
    with pytest.raises(LoadError, match="no text found"):
        load_text(tmp_path / "a.shout", b"  \n ")
    assert len(shouting.calls) == 1  # the empty file never reached the loader


def test_a_registered_loader_ingests_into_the_library(tmp_path, library, shouting):
    path = tmp_path / "plan.shout"
    path.write_bytes(ARTICLE.encode())
    report = library.ingest([path])
    assert report.ok and not report.failed
    assert "THE COUNCIL APPROVED" in library.search("harbour plan", k=1)[0].chunk.text


@pytest.mark.parametrize("suffix", ["PDF", ".PDF", "pdf"])
def test_a_suffix_must_be_lower_case_with_its_dot(suffix):
    class Loud:
        suffixes = (suffix,)

        def extract(self, data: bytes) -> str:
            return ""

    with pytest.raises(ValueError, match="lower case with its dot"):
        register(Loud())
    assert suffix not in LOADERS


def test_the_package_keeps_its_public_names():
    import retrieval.loaders as loaders

    for name in loaders.__all__:
        assert hasattr(loaders, name), name
