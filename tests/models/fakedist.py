"""Fake installed distributions: a folder on sys.path holding `name-0.1.dist-info/` folders."""

from __future__ import annotations

import importlib
from pathlib import Path

from models.catalog import ModelSpec, chunk_files


class FakeSite:
    """A site-packages stand-in; `install` writes a package's files, METADATA and RECORD."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def install(self, package: str, files: dict[str, bytes]) -> None:
        module = package.replace("-", "_")
        info = self.root / f"{module}-0.1.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {package}\nVersion: 0.1\n", encoding="utf-8"
        )
        records = []
        for rel, data in files.items():
            target = self.root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            records.append(f"{rel},,{len(data)}")
        records += [f"{info.name}/METADATA,,", f"{info.name}/RECORD,,"]
        (info / "RECORD").write_text("\n".join(records) + "\n", encoding="utf-8")
        importlib.invalidate_caches()

    def install_chunks(self, prefix: str, chunks: list[bytes], skip: set[int] = frozenset()):
        """Chunk packages `<prefix>1..n` as the catalog names them, except the numbers in `skip`."""
        files = chunk_files(prefix, len(chunks))
        for n, (file, data) in enumerate(zip(files, chunks, strict=True), start=1):
            if n not in skip:
                self.install(file.package, {file.path: data})


def chunked_spec(
    prefix: str,
    chunks: list[bytes],
    *,
    sha256: str,
    size: int | None = None,
    model_id: str = "test-chunked",
) -> ModelSpec:
    return ModelSpec(
        id=model_id,
        display_name="Test chunked model",
        kind="llm",
        role="default",
        files=chunk_files(prefix, len(chunks)),
        size=sum(map(len, chunks)) if size is None else size,
        sha256=sha256,
        context_length=2048,
        license="Apache-2.0",
    )
