"""An interrupted import continues where it stopped: what went in is neither read nor embedded
again, and progress says how many files were already there."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import retrieval.library as library_module
from retrieval.index import DEFAULT_INDEX
from retrieval.library import Library
from tests.conftest import REPO, FakeEmbedder
from tests.retrieval.test_crash import INGEST_SCRIPT

N_FILES = 200


def write_articles(folder, n):
    folder.mkdir()
    for i in range(n):
        body = " ".join(f"Sentence {j} of article {i} is about matter {i % 13}." for j in range(20))
        (folder / f"article{i:03d}.txt").write_text(f"Headline {i}\n{body}")


class CountingLoads:
    """Counts the files `Library.ingest` parses (load_document is called once per file read)."""

    def __init__(self, monkeypatch) -> None:
        self.paths: list[str] = []
        real = library_module.load_document

        def counting(path, data):
            self.paths.append(path.name)
            return real(path, data)

        monkeypatch.setattr(library_module, "load_document", counting)


def finish_and_check(folder, articles, committed: set[str], monkeypatch):
    """Run the import again; it must do exactly the files not yet committed."""
    loads = CountingLoads(monkeypatch)
    embedder = FakeEmbedder()
    progress = []
    library = Library(folder, embedder=embedder)
    report = library.ingest([articles], progress=progress.append)
    rest = {f"article{i:03d}" for i in range(N_FILES)} - committed
    assert set(report.added) == rest
    assert set(report.unchanged) == committed
    assert {p.removesuffix(".txt") for p in loads.paths} == rest  # committed files not re-read
    assert embedder.texts_embedded == report.chunks_added
    assert progress[-1].files_skipped == len(committed)
    assert progress[-1].files_done == N_FILES
    sources = library.sources()
    assert len(sources) == N_FILES
    assert sum(s.n_chunks for s in sources) == library._dense_index().size  # no duplicates
    library.close()
    return report


def test_cancelled_import_resumes_with_only_the_rest(tmp_path, monkeypatch):
    monkeypatch.setattr(library_module, "EMBED_BATCH_CHUNKS", 8)
    articles = tmp_path / "articles"
    write_articles(articles, N_FILES)
    cancel = threading.Event()

    def stop_half_way(p):
        if p.files_done >= N_FILES // 2:
            cancel.set()

    library = Library(tmp_path / "lib", embedder=FakeEmbedder())
    first = library.ingest([articles], progress=stop_half_way, cancel=cancel)
    assert first.cancelled
    committed = set(first.added)
    assert 0 < len(committed) < N_FILES
    assert len(library.sources()) == len(committed)
    library.close()

    second = finish_and_check(tmp_path / "lib", articles, committed, monkeypatch)
    assert not second.cancelled


def test_killed_import_resumes_with_only_the_rest(tmp_path, monkeypatch):
    articles = tmp_path / "articles"
    write_articles(articles, N_FILES)
    folder = tmp_path / "lib"
    script = INGEST_SCRIPT.format(
        repo=str(REPO), folder=str(folder), articles=str(articles), index=DEFAULT_INDEX
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    deadline = time.monotonic() + 60
    library = Library(folder, embedder=FakeEmbedder())
    while len(library.sources()) < N_FILES // 3 and time.monotonic() < deadline:
        time.sleep(0.05)  # kill once a good part has been committed
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    committed = {s.id for s in library.sources()}
    library.close()
    assert 0 < len(committed) < N_FILES, "the kill came too late to test anything"

    finish_and_check(folder, articles, committed, monkeypatch)


def test_a_touched_file_with_the_same_bytes_is_not_embedded_again(tmp_path):
    articles = tmp_path / "articles"
    write_articles(articles, 3)
    library = Library(tmp_path / "lib", embedder=FakeEmbedder())
    library.ingest([articles])
    path = articles / "article001.txt"
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 10**9))
    embedder = FakeEmbedder()
    library.embedder = embedder
    report = library.ingest([articles])
    assert report.added == [] and report.replaced == [] and embedder.texts_embedded == 0
    assert sorted(report.unchanged) == ["article000", "article001", "article002"]


def test_an_edited_file_with_the_same_size_is_read_and_replaced(tmp_path):
    articles = tmp_path / "articles"
    write_articles(articles, 2)
    library = Library(tmp_path / "lib", embedder=FakeEmbedder())
    library.ingest([articles])
    path = articles / "article000.txt"
    stat = path.stat()
    path.write_text(path.read_text().replace("Headline 0", "Headline X"))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    report = library.ingest([articles])
    assert report.replaced == ["article000"]
    assert "Headline X" in library.source_text("article000")
