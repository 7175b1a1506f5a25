"""The core never imports Qt, and nothing reaches for the network."""

import socket
import subprocess
import sys

import pytest

from tests.conftest import REPO

CORE_PACKAGES = ["retrieval", "models", "prompts", "dossier"]

BLOCK_QT_AND_IMPORT_ALL = """
import importlib, pkgutil, sys
sys.path.insert(0, {repo!r})

class BlockQt:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("PySide6", "shiboken6", "PyQt5", "PyQt6"):
            raise ImportError("Qt is blocked in this test: " + name)
        return None

sys.meta_path.insert(0, BlockQt())
for package in {packages!r}:
    module = importlib.import_module(package)
    for info in pkgutil.walk_packages(module.__path__, package + "."):
        if not info.name.endswith("__main__"):
            importlib.import_module(info.name)
print("imported", sorted(m for m in sys.modules if m.split(".")[0] in {packages!r}))
"""


def test_core_packages_import_with_qt_unavailable():
    script = BLOCK_QT_AND_IMPORT_ALL.format(repo=str(REPO), packages=CORE_PACKAGES)
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert "dossier.cli" in result.stdout and "retrieval.library" in result.stdout


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
