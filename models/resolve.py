"""Find model files on disk: packaged (via importlib.metadata), assembled once, or the user's own.

Packaged files are located through the installed distributions' RECORD, never by importing
the packages. Chunked models are concatenated once into `<cache_dir>/models/<id>.gguf` and
stamped, so later starts neither re-assemble nor re-hash a gigabyte.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import json
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from pydantic import BaseModel

from models.catalog import CATALOG, ModelSpec, PackagedFile, find_spec, llm_names
from models.gguf import is_gguf

Progress = Callable[[int, int], None]
"""Called as progress(bytes_done, bytes_total) while a model is assembled or hashed."""

_BLOCK = 8 * 1024 * 1024
_STALE_TEMP_S = 3600  # an assembly takes seconds; an older temp file is a crash's leftover
_assembly_lock = threading.Lock()


class ModelError(RuntimeError):
    """A model could not be found, assembled or verified."""


class UnknownModel(ModelError):
    """The name is neither a catalogued model nor an existing file."""


class ModelNotInstalled(ModelError):
    """Registry packages that carry a model's bytes are missing."""

    def __init__(self, spec: ModelSpec, missing: list[str], reinstall: bool = False) -> None:
        self.spec = spec
        self.missing = missing
        names = ", ".join(missing)
        if reinstall:
            self.command = f"pip install --force-reinstall {' '.join(missing)}"
            problem = f"these packages are installed but lack their model file: {names}"
        else:
            self.command = f"pip install {' '.join(missing)}"
            count = f"{len(missing)} of its {len(spec.packages)}"
            problem = f"{count} packages are not installed: {names}"
        super().__init__(
            f"Model {spec.id} ({spec.display_name}) cannot be used: {problem}. "
            f"Install with: {self.command}"
        )


class ChecksumMismatch(ModelError):
    """A model file's sha256 is not the one expected."""

    def __init__(self, what: str, expected: str, actual: str) -> None:
        self.expected = expected
        self.actual = actual
        super().__init__(f"Checksum mismatch for {what}: expected sha256 {expected}, got {actual}.")


class NotAGGUFFile(ModelError):
    """The user's file is not a GGUF model."""


class ResolvedModel(BaseModel):
    """A model file ready to load, with its catalog entry (None for a user's file)."""

    path: Path
    spec: ModelSpec | None
    sha256: str

    @property
    def model_id(self) -> str:
        return self.spec.id if self.spec else self.path.stem


class ModelStatus(BaseModel):
    """What `list_models` reports for one model; nothing is hashed to produce it."""

    id: str
    display_name: str
    kind: str
    role: str | None
    source: str  # "package" or "user"
    installed: bool
    assembled: bool  # the file at `path` is ready to load (chunked: assembled and stamped)
    path: Path | None
    size: int
    missing_packages: list[str] = []


# --- locating packaged files -------------------------------------------------------------


def locate_packaged(file: PackagedFile) -> Path | None:
    """Absolute path of a file inside an installed distribution, or None if absent."""
    try:
        dist = importlib.metadata.distribution(file.package)
    except importlib.metadata.PackageNotFoundError:
        return None
    for entry in dist.files or ():
        if entry.as_posix() == file.path:
            path = Path(dist.locate_file(entry))
            return path if path.is_file() else None
    return None


def missing_packages(spec: ModelSpec) -> list[str]:
    """Packages of `spec` that are not installed, in catalog order."""
    missing = []
    for package in spec.packages:
        try:
            importlib.metadata.distribution(package)
        except importlib.metadata.PackageNotFoundError:
            missing.append(package)
    return missing


def _locate_all(spec: ModelSpec) -> list[Path]:
    missing = missing_packages(spec)
    if missing:
        raise ModelNotInstalled(spec, missing)
    paths = [locate_packaged(f) for f in spec.files]
    pairs = zip(spec.files, paths, strict=True)
    broken = list(dict.fromkeys(f.package for f, p in pairs if p is None))
    if broken:
        raise ModelNotInstalled(spec, broken, reinstall=True)
    return [p for p in paths if p is not None]


# --- hashing -------------------------------------------------------------------------------


def sha256_file(path: Path, progress: Progress | None = None) -> str:
    digest = hashlib.sha256()
    total = path.stat().st_size
    done = 0
    with open(path, "rb") as fh:
        while block := fh.read(_BLOCK):
            digest.update(block)
            done += len(block)
            if progress:
                progress(done, total)
    return digest.hexdigest()


def _write_json_atomic(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=1, sort_keys=True)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _fingerprint(path: Path) -> dict:
    st = path.stat()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}


def _hash_index(cache_dir: Path) -> Path:
    return cache_dir / "models" / "hashes.json"


def cached_sha256(path: Path, cache_dir: Path, progress: Progress | None = None) -> str:
    """sha256 of `path`, remembered in the cache keyed by size+mtime so it is hashed once."""
    path = path.resolve()
    index_path = _hash_index(cache_dir)
    entry = _read_json(index_path).get(str(path))
    fingerprint = _fingerprint(path)
    if isinstance(entry, dict) and all(entry.get(k) == v for k, v in fingerprint.items()):
        return str(entry["sha256"])
    digest = sha256_file(path, progress)
    # Re-read before writing: another model may have been hashed meanwhile.
    index = _read_json(index_path)
    index[str(path)] = {**fingerprint, "sha256": digest}
    _write_json_atomic(index_path, index)
    return digest


# --- assembly ------------------------------------------------------------------------------


def assembled_path(spec: ModelSpec, cache_dir: Path) -> Path:
    return cache_dir / "models" / f"{spec.id}.gguf"


def _stamp_path(target: Path) -> Path:
    return target.with_name(target.name + ".ok")


def is_assembled(spec: ModelSpec, cache_dir: Path) -> bool:
    """True when the assembled file exists, has the right size and a stamp that matches it."""
    target = assembled_path(spec, cache_dir)
    try:
        fingerprint = _fingerprint(target)
    except OSError:
        return False
    stamp = _read_json(_stamp_path(target))
    return (
        fingerprint["size"] == spec.size
        and stamp.get("sha256") == spec.sha256
        and stamp.get("size") == fingerprint["size"]
        and stamp.get("mtime_ns") == fingerprint["mtime_ns"]
    )


def _remove_stale_temps(folder: Path, prefix: str) -> None:
    now = time.time()
    for leftover in folder.glob(f"{prefix}*.part"):
        with contextlib.suppress(OSError):
            if now - leftover.stat().st_mtime > _STALE_TEMP_S:
                leftover.unlink()


def assemble(spec: ModelSpec, cache_dir: Path, progress: Progress | None = None) -> Path:
    """Concatenate the chunk files of `spec` once into the cache, verified; return its path."""
    target = assembled_path(spec, cache_dir)
    with _assembly_lock:
        if is_assembled(spec, cache_dir):
            return target
        parts = _locate_all(spec)
        target.parent.mkdir(parents=True, exist_ok=True)
        prefix = f".{target.name}."
        _remove_stale_temps(target.parent, prefix)
        free = shutil.disk_usage(target.parent).free
        if free < spec.size:
            raise ModelError(
                f"Not enough disk space to assemble {spec.id}: it needs {spec.size:,} bytes "
                f"in {target.parent}, {free:,} are free."
            )
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=prefix, suffix=".part")
        tmp = Path(tmp_name)
        try:
            digest = hashlib.sha256()
            done = 0
            with os.fdopen(fd, "wb") as out:
                for part in parts:
                    with open(part, "rb") as src:
                        while block := src.read(_BLOCK):
                            out.write(block)
                            digest.update(block)
                            done += len(block)
                            if progress:
                                progress(done, spec.size)
                out.flush()
                os.fsync(out.fileno())
            actual = digest.hexdigest()
            if done != spec.size:
                raise ModelError(
                    f"Assembled {spec.id} is {done:,} bytes, expected {spec.size:,}: "
                    f"reinstall its packages with: pip install --force-reinstall "
                    f"{' '.join(spec.packages)}"
                )
            if actual != spec.sha256:
                raise ChecksumMismatch(
                    f"{spec.id} assembled from {len(parts)} parts", spec.sha256, actual
                )
            os.chmod(tmp, 0o644)  # mkstemp makes it owner-only; a model file is not secret
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise
        _write_json_atomic(_stamp_path(target), {**_fingerprint(target), "sha256": actual})
        return target


# --- resolving names and paths -------------------------------------------------------------


def resolve_spec(
    spec: ModelSpec, cache_dir: Path, progress: Progress | None = None
) -> ResolvedModel:
    """The verified file of a catalogued model, assembling it first if it is chunked."""
    if spec.chunked:
        return ResolvedModel(
            path=assemble(spec, cache_dir, progress), spec=spec, sha256=spec.sha256
        )
    (path,) = _locate_all(spec)
    actual = cached_sha256(path, cache_dir, progress)
    if actual != spec.sha256:
        raise ChecksumMismatch(
            f"{spec.id} at {path} (reinstall with: pip install --force-reinstall "
            f"{' '.join(spec.packages)})",
            spec.sha256,
            actual,
        )
    return ResolvedModel(path=path, spec=spec, sha256=actual)


def resolve_llm(
    name_or_path: str | Path,
    cache_dir: Path,
    progress: Progress | None = None,
    *,
    catalog: Sequence[ModelSpec] = CATALOG,
) -> ResolvedModel:
    """A catalog role/id ("default", "fast", "tiny", or an id) or a path to any .gguf file."""
    spec = find_spec(name_or_path, catalog) if isinstance(name_or_path, str) else None
    if spec is not None:
        if spec.kind != "llm":
            raise UnknownModel(f"{spec.id} is an embedding model, not a language model.")
        return resolve_spec(spec, Path(cache_dir), progress)
    path = Path(name_or_path).expanduser()
    if not path.is_file():
        raise UnknownModel(
            f"No model named {str(name_or_path)!r} and no such file. "
            f"Use one of {', '.join(llm_names(catalog))} or the path to a .gguf file."
        )
    if not is_gguf(path):
        raise NotAGGUFFile(f"{path} is not a GGUF model file (it does not start with 'GGUF').")
    path = path.resolve()
    digest = cached_sha256(path, Path(cache_dir), progress)
    return ResolvedModel(path=path, spec=None, sha256=digest)


# --- listing -------------------------------------------------------------------------------


def _catalog_status(spec: ModelSpec, cache_dir: Path) -> ModelStatus:
    missing = missing_packages(spec)
    installed = not missing
    if spec.chunked:
        path: Path | None = assembled_path(spec, cache_dir)
        assembled = is_assembled(spec, cache_dir)
    else:
        path = locate_packaged(spec.files[0]) if installed else None
        installed = installed and path is not None
        assembled = installed
    return ModelStatus(
        id=spec.id,
        display_name=spec.display_name,
        kind=spec.kind,
        role=spec.role,
        source="package",
        installed=installed,
        assembled=assembled,
        path=path,
        size=spec.size,
        missing_packages=missing,
    )


def _user_files(user_dir: Path) -> Iterable[Path]:
    if not user_dir.is_dir():
        return []
    return sorted(p for p in user_dir.glob("*.gguf") if p.is_file() and is_gguf(p))


def list_models(
    cache_dir: Path, user_dir: Path | None = None, *, catalog: Sequence[ModelSpec] = CATALOG
) -> list[ModelStatus]:
    """Every catalogued model and every GGUF file in `user_dir`, with what is installed."""
    statuses = [_catalog_status(spec, Path(cache_dir)) for spec in catalog]
    for path in _user_files(Path(user_dir)) if user_dir else ():
        statuses.append(
            ModelStatus(
                id=path.stem,
                display_name=path.name,
                kind="llm",
                role=None,
                source="user",
                installed=True,
                assembled=True,
                path=path.resolve(),
                size=path.stat().st_size,
            )
        )
    return statuses
