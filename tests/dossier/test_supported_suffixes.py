"""The file types ingest reads are listed in one place: the loader registry, through the core."""

from __future__ import annotations

import re

import pytest

from cli.main import build_parser
from dossier.library import supported_suffixes
from retrieval.loaders import LOADERS, register
from retrieval.loaders import supported_suffixes as registry_suffixes

EXPECTED = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx")


def cli_ingest_suffixes(monkeypatch) -> tuple[str, ...]:
    monkeypatch.setenv("COLUMNS", "500")  # one line per command in the help
    found = re.search(
        r"^\s+ingest\s+add files or folders \((.*?)\)", build_parser().format_help(), re.M
    )
    return tuple(found.group(1).split())


def dialog_suffixes() -> tuple[str, ...]:
    from desktop.controllers.library import FILE_FILTER

    articles = FILE_FILTER.split(";;")[0]
    patterns = re.fullmatch(r"Articles \((.*)\)", articles).group(1).split()
    assert all(p.startswith("*.") for p in patterns), patterns
    return tuple(p[1:] for p in patterns)


def test_the_core_passes_the_registry_through():
    assert supported_suffixes() == registry_suffixes() == tuple(LOADERS) == EXPECTED


def test_the_file_dialog_and_the_cli_help_show_the_supported_suffixes(monkeypatch):
    assert dialog_suffixes() == supported_suffixes()
    assert cli_ingest_suffixes(monkeypatch) == supported_suffixes()


def test_a_registered_loader_reaches_the_cli_help(monkeypatch):
    class Epub:
        suffixes = (".epub",)

        def extract(self, data: bytes) -> str:
            return data.decode()

    register(Epub())
    try:
        assert supported_suffixes() == (*EXPECTED, ".epub")
        assert cli_ingest_suffixes(monkeypatch) == (*EXPECTED, ".epub")
    finally:
        del LOADERS[".epub"]
    assert supported_suffixes() == EXPECTED


@pytest.fixture(autouse=True)
def _registry_untouched():
    before = dict(LOADERS)
    yield
    assert before == LOADERS
