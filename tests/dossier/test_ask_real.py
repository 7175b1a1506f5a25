"""The headline question with the real default model and the real embedder (slow: ~30 s)."""

import pytest

from dossier.ask import ask
from models.catalog import find_spec
from models.embedder import AutoEmbedder
from models.llm import LlamaCppLLM
from models.resolve import missing_packages, resolve_llm
from retrieval.library import Library
from tests.conftest import SEEDS

pytestmark = pytest.mark.slow

KYIV_SOURCE = "000_af46ed12ca4a5ab7"


@pytest.fixture(scope="module")
def default_llm(tmp_path_factory):
    if missing_packages(find_spec("default")):
        pytest.skip("the default model packages are not installed")
    llm = LlamaCppLLM(resolve_llm("default", tmp_path_factory.mktemp("cache")))
    yield llm
    llm.close()


def test_blinken_in_kyiv_cites_the_kyiv_report(default_llm, tmp_path):
    # GIVEN the seed articles, indexed with the real embedder
    library = Library(tmp_path / "lib", embedder=AutoEmbedder(tmp_path / "cache"))
    assert library.ingest([SEEDS]).ok
    # WHEN the question is asked with the default model
    answer = ask("What did Blinken say in Kyiv?", library=library, llm=default_llm)
    # THEN it answers, cites the Kyiv press-conference report, and every kept citation holds
    assert not answer.refused
    assert KYIV_SOURCE in {c.source_id for c in answer.citations}
    cited = [s for s in answer.sentences if s.citations]
    assert cited and all(s.supported for s in cited)
    for sentence in cited:
        for evidence in sentence.evidence:
            text = library.source_text(evidence.source_id)
            assert 0 <= evidence.start < evidence.end <= len(text)
    assert answer.timings.ttft_s is not None and answer.timings.completion_tokens > 0
    library.close()
