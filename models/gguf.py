"""Read the header of a GGUF file: the magic bytes and selected metadata keys, no weights."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import BinaryIO

GGUF_MAGIC = b"GGUF"

# GGUF value types (see the GGUF spec): type id -> struct format of a scalar.
_SCALARS = {
    0: "<B",  # uint8
    1: "<b",  # int8
    2: "<H",  # uint16
    3: "<h",  # int16
    4: "<I",  # uint32
    5: "<i",  # int32
    6: "<f",  # float32
    7: "<?",  # bool
    10: "<Q",  # uint64
    11: "<q",  # int64
    12: "<d",  # float64
}
_STRING = 8
_ARRAY = 9


class NotGGUF(ValueError):
    """The file does not start with the GGUF magic bytes."""


def is_gguf(path: str | Path) -> bool:
    """True when the file exists and starts with the GGUF magic bytes."""
    try:
        with open(path, "rb") as fh:
            return fh.read(4) == GGUF_MAGIC
    except OSError:
        return False


def _read(fh: BinaryIO, fmt: str):
    size = struct.calcsize(fmt)
    data = fh.read(size)
    if len(data) != size:
        raise NotGGUF("GGUF header ends early")
    return struct.unpack(fmt, data)[0]


def _read_string(fh: BinaryIO) -> str:
    length = _read(fh, "<Q")
    return fh.read(length).decode("utf-8", errors="replace")


def _read_value(fh: BinaryIO, vtype: int, keep: bool):
    if vtype in _SCALARS:
        return _read(fh, _SCALARS[vtype])
    if vtype == _STRING:
        return _read_string(fh)
    if vtype == _ARRAY:
        item_type = _read(fh, "<I")
        count = _read(fh, "<Q")
        if item_type in _SCALARS and not keep:
            # Vocabulary arrays hold 100k+ items: skip fixed-size ones without parsing them.
            fh.seek(count * struct.calcsize(_SCALARS[item_type]), 1)
            return None
        items = [_read_value(fh, item_type, keep) for _ in range(count)]
        return items if keep else None
    raise NotGGUF(f"unknown GGUF value type {vtype}")


def read_metadata(path: str | Path, keys: set[str] | None = None) -> dict[str, object]:
    """Metadata key/values of a GGUF file; with `keys`, stop reading once all of them are found."""
    with open(path, "rb") as fh:
        if fh.read(4) != GGUF_MAGIC:
            raise NotGGUF(f"{path} is not a GGUF file (it does not start with 'GGUF')")
        _read(fh, "<I")  # version
        _read(fh, "<Q")  # tensor count
        kv_count = _read(fh, "<Q")
        found: dict[str, object] = {}
        for _ in range(kv_count):
            key = _read_string(fh)
            vtype = _read(fh, "<I")
            wanted = keys is None or key in keys
            value = _read_value(fh, vtype, keep=wanted)
            if wanted:
                found[key] = value
                if keys is not None and keys <= found.keys():
                    break
        return found


def context_length(path: str | Path) -> int | None:
    """The training context length stored in the file (`<arch>.context_length`), if any."""
    arch = read_metadata(path, {"general.architecture"}).get("general.architecture")
    if not isinstance(arch, str):
        return None
    value = read_metadata(path, {f"{arch}.context_length"}).get(f"{arch}.context_length")
    return int(value) if isinstance(value, int) else None
