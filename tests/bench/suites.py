"""What the integrity tests of the hand-written eval suites share: articles read as
lower-case text with whitespace folded, and whether a key fact stands in a source."""

from __future__ import annotations

from pathlib import Path


def normalised(text: str) -> str:
    return " ".join(text.lower().split())


def read_articles(corpus: Path) -> dict[str, str]:
    """Each article of `corpus` by its source id (the file stem), normalised."""
    return {p.stem: normalised(p.read_text(encoding="utf-8")) for p in sorted(corpus.glob("*.txt"))}


def in_some_source(group: list[str], sources: list[str], articles: dict[str, str]) -> bool:
    """One wording of the key fact `group` is in one of `sources`."""
    return any(normalised(alt) in articles[s] for alt in group for s in sources if s in articles)


def one_source_states_all(
    groups: list[list[str]], sources: list[str], articles: dict[str, str]
) -> bool:
    """Some one of `sources` states every key fact of `groups` (a conflict's values would then
    not come from different sources)."""
    return any(all(in_some_source(g, [s], articles) for g in groups) for s in sources)
