"""The arrows point one way: cli, desktop -> dossier -> retrieval, prompts, models.

Checked statically, from every import statement in the source (module level and inside
functions alike), so an import that only runs on some path is caught too; and at run time, by
importing every core module with Qt made unimportable.
"""

import ast
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

CORE_PACKAGES = ["retrieval", "models", "prompts", "dossier"]
FRONT_ENDS = ["cli", "desktop"]
# Which project packages each package may import (its own modules always).
ALLOWED = {
    "models": set(),
    "prompts": set(),
    "retrieval": {"models"},
    "dossier": {"retrieval", "models", "prompts"},
    "cli": {"dossier", "desktop"},  # `dossier gui` opens the desktop front end
    "desktop": {"dossier"},
}
PROJECT = set(ALLOWED)


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Absolute names of the project modules `path` imports, wherever the import statement is."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = (
        module_name(path).rsplit(".", 1)[0] if path.name != "__init__.py" else module_name(path)
    )
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            found.add(target)
            found |= {f"{target}.{alias.name}" for alias in node.names}
    return {name for name in found if name.split(".")[0] in PROJECT}


def project_sources() -> list[Path]:
    return sorted(p for package in PROJECT for p in (REPO / package).rglob("*.py"))


def test_every_import_follows_the_arrows():
    wrong = []
    for path in project_sources():
        own = module_name(path).split(".")[0]
        for name in imports_of(path):
            target = name.split(".")[0]
            if target != own and target not in ALLOWED[own]:
                wrong.append(f"{path.relative_to(REPO)} imports {name}")
    assert wrong == []


def test_no_import_cycles_between_project_modules():
    modules = {module_name(p): p for p in project_sources()}
    graph = {
        name: {m for m in imports_of(path) if m in modules and m != name}
        for name, path in modules.items()
    }
    # Tarjan's strongly connected components: any component of two or more is a cycle.
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    sys.setrecursionlimit(10_000)
    for name in graph:
        if name not in index:
            visit(name)
    assert cycles == []


BLOCK_QT_AND_IMPORT_ALL = """
import importlib, pkgutil, sys
sys.path.insert(0, {repo!r})

class BlockQt:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("PySide6", "shiboken6", "PyQt5", "PyQt6", "desktop", "cli"):
            raise ImportError("blocked in this test: " + name)
        return None

sys.meta_path.insert(0, BlockQt())
for package in {packages!r}:
    module = importlib.import_module(package)
    for info in pkgutil.walk_packages(module.__path__, package + "."):
        if not info.name.endswith("__main__"):
            importlib.import_module(info.name)
print("imported", sorted(m for m in sys.modules if m.split(".")[0] in {packages!r}))
"""


def test_core_packages_import_with_qt_and_the_front_ends_unavailable():
    script = BLOCK_QT_AND_IMPORT_ALL.format(repo=str(REPO), packages=CORE_PACKAGES)
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert "dossier.runtime" in result.stdout and "retrieval.library" in result.stdout


def test_sockets_are_disabled_for_every_test():
    with pytest.raises(Exception, match="socket"):
        socket.create_connection(("127.0.0.1", 9))


def test_ingest_of_every_format_attempts_no_connection(monkeypatch, tmp_path, library):
    """HTML extraction and the rest never connect anywhere (urllib3, imported by trafilatura,
    only probes IPv6 support at import with a socket it never connects)."""
    attempts = []
    monkeypatch.setattr(socket.socket, "connect", lambda self, addr: attempts.append(addr))
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: attempts.append(a) or [])
    page = tmp_path / "page.html"
    page.write_text(
        "<html><head><title>T</title></head><body><article><p>"
        + "The council met on Monday to vote on the new budget proposal. " * 5
        + "</p></article></body></html>"
    )
    report = library.ingest([page])
    assert report.ok
    assert attempts == []
