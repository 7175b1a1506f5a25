"""Prompt templates as text files, rendered with `{placeholder}` fields and identified by hash.

Literal braces in a template are written `{{` and `}}`. A template's hash (first 16 hex digits
of the sha256 of its bytes) goes into cache keys, so editing a prompt invalidates what it made.
"""

from __future__ import annotations

import hashlib
import re
import string
from pathlib import Path

from pydantic import BaseModel

TEMPLATES_DIR = Path(__file__).resolve().parent

# The exact reply answer_system.txt asks for when the passages do not hold the answer.
REFUSAL = "The sources do not say."

_NAME = re.compile(r"^[a-z0-9_]+$")
_FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class PromptError(ValueError):
    """A template is missing, malformed, or rendered with the wrong values."""


class RenderedPrompt(BaseModel):
    """A rendered template, with the hash of the file it came from."""

    name: str
    text: str
    hash: str


class PromptSet:
    """The templates in one folder; files are read on each use, so edits show at once."""

    def __init__(self, folder: Path = TEMPLATES_DIR) -> None:
        self.folder = Path(folder)

    def path(self, name: str) -> Path:
        if not _NAME.match(name):
            raise PromptError(f"Bad prompt name {name!r}: use lower-case letters, digits and _.")
        path = self.folder / f"{name}.txt"
        if not path.is_file():
            raise PromptError(f"No prompt template {name!r} (looked for {path}).")
        return path

    def names(self) -> list[str]:
        return sorted(p.stem for p in self.folder.glob("*.txt") if _NAME.match(p.stem))

    def _bytes(self, name: str) -> bytes:
        return self.path(name).read_bytes()

    def template_hash(self, name: str) -> str:
        return hashlib.sha256(self._bytes(name)).hexdigest()[:16]

    def placeholders(self, name: str) -> set[str]:
        return _fields(name, self._bytes(name).decode("utf-8"))

    def render(self, name: str, /, **values: object) -> RenderedPrompt:
        """Fill every placeholder of template `name`; missing or unexpected values are errors."""
        data = self._bytes(name)
        text = data.decode("utf-8")
        fields = _fields(name, text)
        missing = sorted(fields - values.keys())
        extra = sorted(values.keys() - fields)
        if missing or extra:
            problems = []
            if missing:
                problems.append(f"missing values for {', '.join(missing)}")
            if extra:
                problems.append(f"unexpected values {', '.join(extra)}")
            expected = ", ".join(sorted(fields)) or "none"
            raise PromptError(
                f"Prompt {name!r}: {'; '.join(problems)} (its placeholders: {expected})."
            )
        return RenderedPrompt(
            name=name,
            text=text.format(**{key: str(value) for key, value in values.items()}),
            hash=hashlib.sha256(data).hexdigest()[:16],
        )


def _fields(name: str, text: str) -> set[str]:
    """Placeholder names of a template; only plain `{name}` fields are allowed."""
    fields = set()
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as exc:  # a lone { or }
        raise PromptError(
            f"Prompt {name!r} is malformed: {exc}; write literal braces as {{{{ }}}}."
        ) from exc
    for _literal, field, spec, conversion in parsed:
        if field is None:
            continue
        if not _FIELD.match(field) or spec or conversion:
            raise PromptError(
                f"Prompt {name!r} has placeholder {{{field}}}: only plain {{name}} fields are "
                "allowed; write literal braces as {{ }}."
            )
        fields.add(field)
    return fields


_default = PromptSet()


def render(name: str, /, **values: object) -> RenderedPrompt:
    """Render a bundled template (see `PromptSet.render`)."""
    return _default.render(name, **values)


def template_hash(name: str) -> str:
    """First 16 hex digits of the sha256 of a bundled template's bytes."""
    return _default.template_hash(name)


def placeholders(name: str) -> set[str]:
    return _default.placeholders(name)


def chat_messages(system: RenderedPrompt, user: RenderedPrompt) -> list[dict[str, str]]:
    """The system + user chat every model call of the app sends."""
    return [{"role": "system", "content": system.text}, {"role": "user", "content": user.text}]
