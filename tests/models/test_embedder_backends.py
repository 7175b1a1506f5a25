"""The embedder picks the fast OpenVINO path when it runs here and falls back to torch."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import numpy as np
import pytest

import models.embedder as embedder_module
import models.openvino_embedder as ov_module
from models.embedder import EMBEDDER_DIM, AutoEmbedder, SentenceTransformerEmbedder
from models.openvino_embedder import FastPathUnavailable, OpenVinoEmbedder, model_fingerprint


class _TorchStandIn:
    """Stands in for SentenceTransformerEmbedder so these tests load no model."""

    name = embedder_module.EMBEDDER_NAME
    dim = EMBEDDER_DIM
    backend = "torch-f32"

    def __init__(self, *args, **kwargs) -> None:
        pass

    def embed(self, texts):
        return np.ones((len(texts), self.dim), np.float32) / np.sqrt(self.dim)


@pytest.fixture
def torch_stand_in(monkeypatch):
    monkeypatch.setattr(embedder_module, "SentenceTransformerEmbedder", _TorchStandIn)


def test_falls_back_to_torch_when_openvino_is_not_installed(tmp_path, monkeypatch, torch_stand_in):
    monkeypatch.setitem(sys.modules, "openvino", None)  # import openvino -> ImportError
    auto = AutoEmbedder(tmp_path / "cache", prefer="auto")
    vectors = auto.embed(["a sentence"])
    assert auto.backend == "torch-f32"
    assert "openvino" in auto.fallback_reason
    assert vectors.shape == (1, EMBEDDER_DIM)


def test_falls_back_to_torch_when_the_export_fails(tmp_path, monkeypatch, torch_stand_in):
    def broken_export(model_dir, target):
        raise FastPathUnavailable("export to OpenVINO failed (disk full)")

    monkeypatch.setattr(ov_module, "export_openvino_ir", broken_export)
    auto = AutoEmbedder(tmp_path / "cache", prefer="auto", model_dir=tmp_path)
    assert auto.backend == "torch-f32"
    assert "disk full" in auto.fallback_reason


def test_torch_can_be_forced_by_environment(tmp_path, monkeypatch, torch_stand_in):
    monkeypatch.setenv(embedder_module.BACKEND_ENV, "torch")

    def must_not_run(self):
        raise AssertionError("the fast path was tried although torch was asked for")

    monkeypatch.setattr(OpenVinoEmbedder, "load", must_not_run)
    assert AutoEmbedder(tmp_path / "cache").backend == "torch-f32"


TEXTS = [
    "The council approved the budget.",
    "Lawmakers passed the spending plan.",
    "word " * 400,  # longer than the model's 256 tokens: truncated like sentence-transformers
    "What did Blinken say in Kyiv?",
    "Officials in Kyiv said the long-range missiles would be used against military targets "
    "inside Russia, according to a statement released on Tuesday after the meeting.",
]


@pytest.fixture(scope="module")
def torch_vectors():
    return SentenceTransformerEmbedder().embed(TEXTS)


@pytest.mark.slow
def test_openvino_float_vectors_match_torch_and_export_goes_to_the_cache(
    tmp_path, monkeypatch, torch_vectors
):
    attempts = []
    monkeypatch.setattr(socket.socket, "connect", lambda self, addr: attempts.append(addr))
    cache = tmp_path / "cache"
    fast = OpenVinoEmbedder(cache, int8=False, prepared_dir=None)
    got = fast.embed(TEXTS)
    assert fast.backend in ("openvino-bf16", "openvino-f32")
    assert got.shape == torch_vectors.shape and got.dtype == np.float32
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    assert float(np.min(np.sum(got * torch_vectors, axis=1))) > 0.999
    assert list(cache.glob("embedder/*/openvino/model.xml"))  # in the cache, not site-packages
    assert attempts == []
    # Order is kept although batches are formed by length (bulk path vs one at a time).
    one_by_one = np.vstack([fast.embed([t]) for t in TEXTS])
    assert np.allclose(one_by_one, got, atol=2e-3)

    # Without nncf the int8 step is skipped and the float model runs.
    monkeypatch.setitem(sys.modules, "nncf", None)
    no_nncf = OpenVinoEmbedder(cache, int8=True, prepared_dir=None)
    no_nncf.load()
    assert no_nncf.backend in ("openvino-bf16", "openvino-f32")
    assert "nncf" in no_nncf.int8_reason


@pytest.mark.slow
def test_openvino_int8_vectors_stay_close_to_torch(tmp_path, monkeypatch, torch_vectors):
    attempts = []
    monkeypatch.setattr(socket.socket, "connect", lambda self, addr: attempts.append(addr))
    fast = OpenVinoEmbedder(tmp_path / "cache", int8=True, prepared_dir=None)
    got = fast.embed(TEXTS)
    assert fast.backend.startswith("openvino-int8"), fast.int8_reason
    cosines = np.sum(got * torch_vectors, axis=1)
    natural = np.delete(cosines, 2)
    assert float(natural.min()) > 0.99
    assert cosines[2] > 0.9  # one word repeated 400 times: far from the calibration data
    assert list((tmp_path / "cache").glob("embedder/*/int8/model.xml"))
    assert attempts == []
    # the paraphrase pair stays closer than the unrelated pair
    assert float(got[0] @ got[1]) > float(got[0] @ got[3])


def test_a_complete_install_time_export_is_used_before_the_data_cache(tmp_path):
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    (model_dir / "config.json").write_text("{}")
    prepared, cache = tmp_path / "prepared", tmp_path / "cache"
    embedder = OpenVinoEmbedder(cache, model_dir, prepared_dir=prepared)
    name = f"all-minilm-l6-v2-{model_fingerprint(model_dir)}"
    # Nothing prepared, or a half-written export: the data cache folder.
    assert embedder.ir_folder(model_dir) == cache / "embedder" / name
    (prepared / "embedder" / name / "openvino").mkdir(parents=True)
    (prepared / "embedder" / name / "openvino" / "model.xml").write_text("<net/>")
    assert embedder.ir_folder(model_dir) == cache / "embedder" / name
    # A finished export (xml and bin): used as it is.
    (prepared / "embedder" / name / "openvino" / "model.bin").write_bytes(b"\0")
    assert embedder.ir_folder(model_dir) == prepared / "embedder" / name
    assert OpenVinoEmbedder(cache, model_dir, prepared_dir=None).ir_folder(model_dir) == (
        cache / "embedder" / name
    )


def test_the_install_time_folder_can_be_moved_or_switched_off(monkeypatch, tmp_path):
    monkeypatch.setenv(ov_module.PREPARED_DIR_ENV, str(tmp_path))
    assert ov_module.prepared_dir() == tmp_path
    monkeypatch.setenv(ov_module.PREPARED_DIR_ENV, "")
    assert ov_module.prepared_dir() is None
    monkeypatch.delenv(ov_module.PREPARED_DIR_ENV)
    assert ov_module.prepared_dir() == Path(sys.prefix) / "share" / "dossier"
