"""kill -9 at any moment of an ingest leaves a library that reopens in its last committed state,
whichever vector index implementation it uses (the promise is stated in retrieval/index.py)."""

import os
import signal
import subprocess
import sys
import time

import pytest

from retrieval.index import INDEX_TYPES
from retrieval.library import Library
from tests.conftest import REPO, FakeEmbedder

INGEST_SCRIPT = """
import sys, time
sys.path.insert(0, {repo!r})
from pathlib import Path
import retrieval.library as lib_module
from retrieval.index import INDEX_TYPES
from retrieval.library import Library
from tests.conftest import FakeEmbedder

lib_module.EMBED_BATCH_CHUNKS = 1  # commit after every file: many commit points to kill around

class SlowEmbedder(FakeEmbedder):
    def embed(self, texts):
        time.sleep(0.01)
        return super().embed(texts)

library = Library(Path({folder!r}), embedder=SlowEmbedder(), index={index!r})
print("ready", flush=True)
library.ingest([Path({articles!r})])
print("done", flush=True)
"""


def write_articles(folder, n):
    folder.mkdir()
    for i in range(n):
        body = " ".join(f"Sentence {j} of article {i} reports on topic {i % 7}." for j in range(30))
        (folder / f"article{i:03d}.txt").write_text(f"Headline number {i}\n{body}")


@pytest.mark.parametrize("index", sorted(INDEX_TYPES))
@pytest.mark.parametrize("delay", [0.3, 0.7, 1.2])
def test_kill_during_ingest_leaves_a_readable_consistent_library(tmp_path, delay, index):
    articles = tmp_path / "articles"
    write_articles(articles, 120)
    folder = tmp_path / "lib"
    script = INGEST_SCRIPT.format(
        repo=str(REPO), folder=str(folder), articles=str(articles), index=index
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    time.sleep(delay)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)

    library = Library(folder, embedder=FakeEmbedder(), index=index)
    sources = library.sources()
    assert len(sources) < 120, "the kill came too late to test anything"
    total = 0
    for source in sources:
        text = library.source_text(source.id)
        chunks = library.chunks_of(source.id)
        assert chunks and len(chunks) == source.n_chunks
        assert all(text[c.start : c.end] == c.text for c in chunks)
        total += len(chunks)
    assert library._dense_index().size == total  # vectors match committed chunks exactly
    if sources:
        assert library.search("article reports on topic", k=3)
    # and the interrupted import simply continues
    report = library.ingest([articles])
    assert len(report.unchanged) == len(sources)
    assert len(library.sources()) == 120
