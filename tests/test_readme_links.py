"""Every relative link in README.md (and the docs it links) resolves to a file in the repository,
so a fresh clone has everything the README points at."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

_FENCE = re.compile(r"^(```|~~~).*?^\1", re.M | re.S)
_CODE_SPAN = re.compile(r"(`+).+?\1", re.S)
_INLINE = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_REFERENCE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)", re.M)
_EXTERNAL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|//)", re.I)


def links(markdown: str) -> list[str]:
    """Link and image targets outside code blocks and code spans."""
    prose = _CODE_SPAN.sub("", _FENCE.sub("", markdown))
    return [m.group(1) for m in _INLINE.finditer(prose)] + [
        m.group(1) for m in _REFERENCE.finditer(prose)
    ]


def slugs(markdown: str) -> set[str]:
    """GitHub's anchors for the headings of a Markdown file."""
    out = set()
    for heading in re.findall(r"^#{1,6}\s+(.+?)\s*#*\s*$", _FENCE.sub("", markdown), re.M):
        text = re.sub(r"[`*_]|\[([^\]]*)\]\([^)]*\)", r"\1", heading).strip().lower()
        out.add(re.sub(r"[^\w\- ]", "", text).replace(" ", "-"))
    return out


def test_the_link_finder_sees_links_and_skips_code():
    text = (
        'See [a](docs/a.md#part) and ![b](docs/b.png "B").\n'
        "`[not](a/link.md)`\n```\n[nor](this.md)\n```\n[ref]: ../outside.md\n"
        "[web](https://example.org)\n"
    )
    assert links(text) == ["docs/a.md#part", "docs/b.png", "https://example.org", "../outside.md"]


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_relative_link_points_at_a_file_in_the_repository(doc):
    text = doc.read_text(encoding="utf-8")
    broken = []
    for target in links(text):
        if _EXTERNAL.match(target):
            continue
        path, _, anchor = target.partition("#")
        if not path:  # a heading of this file
            if anchor not in slugs(text):
                broken.append(f"{target} (no such heading)")
            continue
        resolved = (doc.parent / path).resolve()
        if not resolved.is_relative_to(ROOT):
            broken.append(f"{target} (outside the repository)")
        elif not resolved.exists():
            broken.append(f"{target} (missing)")
    assert not broken, f"{doc.name}: " + ", ".join(broken)
