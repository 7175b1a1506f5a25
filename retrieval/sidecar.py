"""Metadata stated beside the files: a `metadata.json` in a folder names, per file, what the
text itself may not show (a title, an outlet, a date); it wins over what is guessed."""

from __future__ import annotations

import json
from pathlib import Path

from .schema import FileError, IngestReport, SourceMeta

SIDECAR_NAME = "metadata.json"
MAX_META_CHARS = 500  # a metadata field is a title or a name, not an article


def apply_sidecar(
    meta: SourceMeta, path: Path, cache: dict[Path, dict], report: IngestReport
) -> SourceMeta:
    """A `metadata.json` beside the files may state what the text shows; it wins over guesses.

    Validated like any input: a field that is not short text is reported and dropped, and the
    file still goes in, so everything stored can be read back.
    """
    folder = path.parent
    sidecar = folder / SIDECAR_NAME
    if folder not in cache:
        cache[folder] = {}
        if sidecar.exists():
            try:
                data = json.loads(sidecar.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, ValueError) as exc:
                data = None
                reason = f"not read ({type(exc).__name__}: {exc})"
            else:
                reason = "not read: it is not a JSON object of file names"
            if isinstance(data, dict):
                cache[folder] = data
            else:
                report.warnings.append(FileError(path=str(sidecar), reason=reason))
    entry = cache[folder].get(path.name) or cache[folder].get(path.stem)
    if entry is None:
        return meta
    if not isinstance(entry, dict):
        report.warnings.append(
            FileError(path=str(sidecar), reason=f"entry for {path.name} is not an object: ignored")
        )
        return meta
    known: dict[str, str | bool] = {}
    for key, value in entry.items():
        problem = _field_problem(key, value)
        if problem:
            report.warnings.append(
                FileError(path=str(sidecar), reason=f"{path.name}: {problem}: ignored")
            )
        elif value and value.strip():
            known[key] = value.strip()
    if "title" in known:
        known["title_derived"] = False  # a title stated beside the file is not derived
    return meta.model_copy(update=known)


def _field_problem(key: str, value: object) -> str | None:
    if key not in SourceMeta.model_fields:
        return f"unknown field {key!r}"
    if value is not None and not isinstance(value, str):
        return f"field {key!r} is not text ({type(value).__name__})"
    if isinstance(value, str) and len(value) > MAX_META_CHARS:
        return f"field {key!r} is longer than {MAX_META_CHARS} characters"
    return None
