"""The fast embedding path: all-MiniLM-L6-v2 on the OpenVINO runtime, bf16 where the CPU has it.

Why not sentence-transformers' own `backend="openvino"`/`"onnx"`: they go through
`optimum-intel` / `optimum-onnx`, whose current releases require `transformers<5.6` (ours is
5.23, which sentence-transformers 6.2 needs) or pull another torch; installing them would
replace packages the rest of Dossier runs on. So the same steps are done here with the two
pieces those backends use underneath:

1. once per model, the packaged PyTorch weights are exported to ONNX (`torch.onnx.export`,
   which needs the `onnx` package) and saved as OpenVINO IR (`model.xml` + `model.bin`) in
   `<cache>/embedder/<model>-<hash>/openvino/` — the data cache folder, never site-packages;
   the export runs offline and is written atomically (temporary folder + rename);
2. where the CPU has int8 dot products (VNNI) and `nncf` is installed, the IR is quantised to
   int8 once more (`nncf.quantize`, model type TRANSFORMER: smooth-quant, static int8
   activations and weights — the method behind sentence-transformers'
   `export_static_quantized_openvino_model`), calibrated offline on windows of the model
   card text shipped in the package (README.md), saved beside the float IR;
3. the IR is compiled for the CPU with `INFERENCE_PRECISION_HINT=bf16` when the CPU has
   native bf16 (AVX512-BF16/AMX), f32 otherwise, on the given number of threads;
4. tokenising (`tokenizers`, the model's own tokenizer.json, truncation at the model's
   max_seq_length), mean pooling over the attention mask and L2 normalisation are the same
   steps as the sentence-transformers modules of this model (Transformer, Pooling(mean),
   Normalize).

Texts are embedded in batches of similar length (sorted by length, padded per batch), so
little compute goes to padding; results come back in the input order. A single query runs on
a LATENCY-compiled model (all threads on one request); lists longer than one batch run on a
THROUGHPUT-compiled model with one stream per thread (`AsyncInferQueue`), which keeps both
cores busy while the next batch is tokenised and the previous one pooled (measured +15-25%
chunks/s over one synchronous request on 2 cores).

Only the OpenVINO runtime API (`openvino.Core`, `openvino.save_model`) is used; the model
conversion tool `ovc` is not, but `import openvino` imports it, and its telemetry with it:
`models.offline.ensure_offline()` runs before every import here.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import shutil
import sys
import tempfile
import threading
from pathlib import Path

import numpy as np

from .embedding_model import EMBEDDER_DIM, EMBEDDER_NAME, default_threads, packaged_model_dir
from .offline import ensure_offline

EXPORT_VERSION = 1  # bump when the export steps change, so old IR folders are not reused

# `make setup` (python -m models.prepare) exports the IR here, inside the installation, so the
# first launch on a new data folder finds it ready instead of spending ~1 min exporting.
# $DOSSIER_PREPARED_DIR names another folder; set empty, no install-time export is used.
PREPARED_DIR_ENV = "DOSSIER_PREPARED_DIR"


def prepared_dir() -> Path | None:
    chosen = os.environ.get(PREPARED_DIR_ENV)
    if chosen is None:
        return Path(sys.prefix) / "share" / "dossier"
    return Path(chosen) if chosen else None


PREPARED_DIR = prepared_dir()


class FastPathUnavailable(RuntimeError):
    """The OpenVINO path cannot run here (package missing, export failed, ...)."""


_TOKENIZER_FILES = ("tokenizer.json", "sentence_bert_config.json")


def _publish(folder: Path, tokenizer_from: Path, target: Path) -> None:
    """Copy the tokenizer files beside the IR in `folder`, then move `folder` to `target`."""
    for name in _TOKENIZER_FILES:
        shutil.copy2(tokenizer_from / name, folder / name)
    if target.exists():
        shutil.rmtree(target)
    os.replace(folder, target)


def _ir_in(target: Path) -> Path | None:
    """The model.xml of a finished IR folder (xml and bin both there), else None."""
    xml = target / "model.xml"
    return xml if xml.exists() and (target / "model.bin").exists() else None


@contextlib.contextmanager
def _staging(target: Path, failure: str):
    """A temporary folder beside `target` to build it in, removed afterwards; any error while
    building becomes FastPathUnavailable("<failure> (<error>)")."""
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}."))
    try:
        yield work
    except FastPathUnavailable:
        raise
    except Exception as exc:
        raise FastPathUnavailable(f"{failure} ({type(exc).__name__}: {exc})") from exc
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _load_tokenizer(folder: Path):
    """The model's tokenizer from an IR folder: truncation at its max_seq_length, padding on."""
    from tokenizers import Tokenizer

    config = json.loads((folder / "sentence_bert_config.json").read_text())
    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tokenizer.enable_truncation(int(config.get("max_seq_length", 256)))
    tokenizer.enable_padding()
    return tokenizer


def _encode(tokenizer, texts: list[str]) -> tuple[dict, np.ndarray]:
    """The model's three inputs for `texts` (padded to the longest), and the attention mask."""
    encoded = tokenizer.encode_batch(texts)
    ids = np.array([e.ids for e in encoded], dtype=np.int64)
    mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
    return {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}, mask


def model_fingerprint(model_dir: Path) -> str:
    """Short hash of the weights file and configs, so an updated model gets a new export."""
    digest = hashlib.sha256(f"export-v{EXPORT_VERSION}".encode())
    for name in ("config.json", "tokenizer.json", "sentence_bert_config.json"):
        path = model_dir / name
        if path.exists():
            digest.update(path.read_bytes())
    weights = model_dir / "model.safetensors"
    if weights.exists():
        stat = weights.stat()
        digest.update(f"{stat.st_size}".encode())
        with weights.open("rb") as handle:  # head and tail: enough to tell releases apart
            digest.update(handle.read(1 << 20))
            handle.seek(max(0, stat.st_size - (1 << 20)))
            digest.update(handle.read())
    return digest.hexdigest()[:16]


def export_openvino_ir(model_dir: Path, target: Path) -> Path:
    """Export the packaged model to OpenVINO IR in `target` (atomic); returns the xml path."""
    if done := _ir_in(target):
        return done
    ensure_offline()  # before openvino/transformers: no hub, no telemetry (models/offline.py)
    try:
        import openvino as ov
        import torch
        from transformers import AutoModel
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise FastPathUnavailable(f"cannot import the export tools ({exc})") from exc

    class _LastHiddenState(torch.nn.Module):
        def __init__(self, model) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.model(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    with _staging(target, "export to OpenVINO failed") as work:
        model = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager").eval()
        example = torch.ones(2, 16, dtype=torch.long)
        axes = {0: "batch", 1: "tokens"}
        onnx_path = work / "model.onnx"
        with torch.no_grad():
            torch.onnx.export(
                _LastHiddenState(model),
                (example, example, torch.zeros_like(example)),
                str(onnx_path),
                input_names=["input_ids", "attention_mask", "token_type_ids"],
                output_names=["last_hidden_state"],
                dynamic_axes={
                    "input_ids": axes,
                    "attention_mask": axes,
                    "token_type_ids": axes,
                    "last_hidden_state": axes,
                },
                opset_version=17,
                dynamo=False,
            )
        out = work / "ir"
        out.mkdir()
        # Weights stay f32 on disk; the precision is chosen at compile time for this CPU.
        ov.save_model(_core().read_model(str(onnx_path)), str(out / "model.xml"), False)
        (out / "export.json").write_text(
            json.dumps({"source": str(model_dir), "export_version": EXPORT_VERSION})
        )
        _publish(out, model_dir, target)
    return target / "model.xml"


@functools.cache
def _core():
    """One OpenVINO runtime core per process (each `ov.Core()` loads the device plugins)."""
    import openvino as ov

    return ov.Core()


@functools.cache  # asked twice per load
def _cpu_capabilities() -> tuple[str, ...]:
    try:
        return tuple(_core().get_property("CPU", "OPTIMIZATION_CAPABILITIES"))
    except Exception:
        return ()


def cpu_has_bf16() -> bool:
    return "BF16" in _cpu_capabilities()


def cpu_has_int8() -> bool:
    return "INT8" in _cpu_capabilities()


def calibration_texts(model_dir: Path, n: int = 128) -> list[str]:
    """Windows of 12 to 200 words of the model card (README.md in the package), so both short
    queries and passage-length texts are represented; deterministic."""
    words = (model_dir / "README.md").read_text(encoding="utf-8", errors="replace").split()
    if len(words) < 50:
        raise FastPathUnavailable("no calibration text in the model package")
    lengths = [12, 25, 60, 120, 200]
    out = []
    for i in range(n):
        size = min(lengths[i % len(lengths)], len(words))
        start = (i * 97) % max(1, len(words) - size)
        out.append(" ".join(words[start : start + size]))
    return out


def quantize_int8_ir(float_xml: Path, model_dir: Path, target: Path) -> Path:
    """Static int8 IR in `target` (atomic); raises FastPathUnavailable if it cannot be made."""
    if done := _ir_in(target):
        return done
    # nncf's telemetry assumes consent and writes under ~/intel unless switched off first.
    ensure_offline()
    try:
        import nncf
        import openvino as ov
    except ImportError as exc:
        raise FastPathUnavailable(f"nncf is not installed ({exc})") from exc
    tokenizer = _load_tokenizer(float_xml.parent)
    texts = calibration_texts(model_dir)
    batches = [_encode(tokenizer, texts[at : at + 8])[0] for at in range(0, len(texts), 8)]
    with _staging(target, "int8 quantisation failed") as work:
        model = _core().read_model(str(float_xml))
        quantized = nncf.quantize(
            model,
            nncf.Dataset(batches),
            model_type=nncf.ModelType.TRANSFORMER,
            subset_size=len(batches),
        )
        ov.save_model(quantized, str(work / "model.xml"), False)
        _publish(work, float_xml.parent, target)
    return target / "model.xml"


class OpenVinoEmbedder:
    """all-MiniLM-L6-v2 on OpenVINO; same vectors as the torch path within ~2e-5 cosine."""

    name = EMBEDDER_NAME
    dim = EMBEDDER_DIM

    def __init__(
        self,
        cache_dir: Path,
        model_dir: Path | None = None,
        *,
        threads: int | None = None,
        batch_size: int = 16,
        precision: str | None = None,  # "bf16", "f32"; None: bf16 when the CPU has it
        int8: bool | None = None,  # None: when the CPU has int8 dot products and nncf is here
        prepared_dir: Path | None = PREPARED_DIR,  # an install-time export to use if present
    ) -> None:
        self._cache_dir = Path(cache_dir)
        self._prepared_dir = prepared_dir
        self._model_dir = model_dir
        self._threads = threads or default_threads()
        self._batch_size = batch_size
        self._precision = precision
        self._int8 = int8
        self.int8_reason: str | None = None  # why int8 was not used, when it was wanted
        self._lock = threading.Lock()
        self._compiled = None
        self._tokenizer = None
        self._queue = None  # AsyncInferQueue over the THROUGHPUT model, made on first bulk use
        self._xml: Path | None = None
        self.precision: str | None = None
        self.backend = "openvino"

    def ir_folder(self, model_dir: Path) -> Path:
        """Where this model's IR lives: the install-time export when it is complete, else the
        data cache folder (exported there on first use)."""
        name = f"all-minilm-l6-v2-{model_fingerprint(model_dir)}"
        if self._prepared_dir is not None:
            prepared = Path(self._prepared_dir) / "embedder" / name
            if _ir_in(prepared / "openvino") is not None:
                return prepared
        return self._cache_dir / "embedder" / name

    def load(self) -> None:
        """Export once if needed, then compile; raises FastPathUnavailable if it cannot."""
        with self._lock:
            if self._compiled is not None:
                return
            ensure_offline()  # `import openvino` sends a telemetry event otherwise
            try:
                import openvino  # noqa: F401
                import tokenizers  # noqa: F401
            except ImportError as exc:
                raise FastPathUnavailable(f"openvino is not installed ({exc})") from exc
            model_dir = self._model_dir or packaged_model_dir()
            folder = self.ir_folder(model_dir)  # hashes the weights: once per load
            xml = export_openvino_ir(model_dir, folder / "openvino")
            precision = self._precision or ("bf16" if cpu_has_bf16() else "f32")
            quantized = False
            if self._int8 if self._int8 is not None else cpu_has_int8():
                try:
                    xml = quantize_int8_ir(xml, model_dir, folder / "int8")
                    quantized = True
                except FastPathUnavailable as exc:  # the float IR still runs
                    self.int8_reason = str(exc)
            try:
                compiled = self._compile(xml, precision, "LATENCY")
            except Exception as exc:
                raise FastPathUnavailable(f"OpenVINO cannot compile the model ({exc})") from exc
            self._request = compiled.create_infer_request()
            self._tokenizer = _load_tokenizer(xml.parent)
            self._compiled = compiled
            self._xml = xml
            self.precision = precision
            self.backend = f"openvino-int8-{precision}" if quantized else f"openvino-{precision}"

    def _compile(self, xml: Path, precision: str, hint: str, **extra):
        """The IR compiled for the CPU on this embedder's threads, with a performance hint."""
        config = {
            "PERFORMANCE_HINT": hint,
            "INFERENCE_NUM_THREADS": self._threads,
            "INFERENCE_PRECISION_HINT": precision,
            **extra,
        }
        return _core().compile_model(str(xml), "CPU", config)

    def _bulk_queue(self):
        if self._queue is None:
            import openvino as ov

            compiled = self._compile(
                self._xml, self.precision, "THROUGHPUT", NUM_STREAMS=self._threads
            )
            self._queue = ov.AsyncInferQueue(compiled, self._threads)
        return self._queue

    @staticmethod
    def _pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return pooled / np.maximum(norms, 1e-12)

    def embed(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        self.load()
        # Longest first, batches of similar length: padding costs compute on every layer.
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        batches = [
            order[at : at + self._batch_size] for at in range(0, len(order), self._batch_size)
        ]
        with self._lock:  # one caller at a time on the requests
            if len(batches) == 1:
                inputs, mask = _encode(self._tokenizer, [texts[i] for i in order])
                out[order] = self._pool(self._request.infer(inputs)[0], mask)
                return out
            queue = self._bulk_queue()

            def done(request, userdata) -> None:
                rows, mask = userdata
                out[rows] = self._pool(request.get_output_tensor(0).data, mask)

            queue.set_callback(done)
            for rows in batches:
                inputs, mask = _encode(self._tokenizer, [texts[i] for i in rows])
                queue.start_async(inputs, (rows, mask))
            queue.wait_all()
        return out
