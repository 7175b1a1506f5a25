"""Markdown: the briefing as plain Markdown, with footnotes for the notes."""

from __future__ import annotations

import re

from ..layout import Document, Para, quoted


class MarkdownExporter:
    suffix = ".md"

    def render(self, doc: Document) -> bytes:
        return to_markdown(doc).encode("utf-8")


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|])")


def md_escape(text: str) -> str:
    """Backslash-escape what Markdown would read as markup (raw HTML included)."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def to_markdown(doc: Document) -> str:
    out = [f"# {md_escape(doc.title)}", "", f"_{md_escape(doc.subtitle)}_", ""]
    for section in doc.sections:
        out += [f"{'#' * (section.level + 1)} {md_escape(section.heading)}", ""]
        previous = None
        for para in section.paras:
            if previous == "bullet" and para.style != "bullet":
                out.append("")  # a list ends with a blank line, or the next line joins it
            out.append(_md_para(para))
            previous = para.style
        out.append("")
    out += ["## References", ""]
    for note in doc.notes:
        out.append(f"[^{note.n}]: {md_escape(note.label)}: {md_escape(quoted(note.text))}")
    return "\n".join(out).rstrip() + "\n"


def _md_para(para: Para) -> str:
    text = md_escape(para.text)
    if para.strong:
        text = f"**{text}**"
    refs = "".join(f"[^{n}]" for n in para.notes)
    if para.style == "mono":
        return f"`{' '.join(para.text.split())}`\n"
    prefix = "- " if para.style == "bullet" else "> " if para.style == "quote" else ""
    line = f"{prefix}{text}{refs}"
    return line if para.style == "bullet" else line + "\n"
