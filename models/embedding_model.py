"""What the sentence embedder is: the model's identity, its packaged weights, its threads.

Both backends (`models.embedder` on torch, `models.openvino_embedder`) import this module and
not each other. The package that carries the weights is the catalog's (`models/catalog.py`).
"""

from __future__ import annotations

import importlib.metadata
import os
from pathlib import Path
from typing import Protocol

import numpy as np

from .catalog import CATALOG
from .offline import ensure_offline

# Before anything imports openvino, nncf, transformers or huggingface_hub: their telemetry
# would otherwise phone home (see models/offline.py). Both embedder backends import this module.
ensure_offline()

_SPEC = next(spec for spec in CATALOG if spec.kind == "embedder")
EMBEDDER_PACKAGE = _SPEC.files[0].package
# The name recorded in every library's manifest: changing it asks users to reindex.
EMBEDDER_NAME = "sentence-transformers/all-MiniLM-L6-v2"
EMBEDDER_DIM = 384


def default_threads() -> int:
    """CPU threads for embedding: the cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


class Embedder(Protocol):
    """Anything that turns texts into L2-normalised float32 row vectors."""

    name: str
    dim: int

    def embed(self, texts: list[str]) -> np.ndarray: ...


class ModelPackageMissing(RuntimeError):
    """A registry package that carries model weights is not installed."""


def packaged_model_dir(package: str = EMBEDDER_PACKAGE) -> Path:
    """Folder of the sentence-transformers model shipped inside `package` (found, not imported)."""
    try:
        dist = importlib.metadata.distribution(package)
    except importlib.metadata.PackageNotFoundError as exc:
        raise ModelPackageMissing(
            f"The embedding model is not installed. Install it with: pip install {package}"
        ) from exc
    for file in dist.files or ():
        if file.name == "modules.json":
            return Path(dist.locate_file(file)).parent
    raise ModelPackageMissing(f"Package {package} is installed but holds no model folder.")
