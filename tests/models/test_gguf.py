import struct

import pytest

from models.gguf import NotGGUF, context_length, is_gguf, read_metadata


def _string(text: str) -> bytes:
    data = text.encode()
    return struct.pack("<Q", len(data)) + data


def write_gguf(path, kvs: list[tuple[str, int, bytes]]) -> None:
    """A GGUF v3 header with the given (key, type, encoded value) pairs and no tensors."""
    body = b"".join(_string(key) + struct.pack("<I", vtype) + value for key, vtype, value in kvs)
    path.write_bytes(b"GGUF" + struct.pack("<IQQ", 3, 0, len(kvs)) + body)


def test_reads_keys_and_context_length(tmp_path):
    path = tmp_path / "m.gguf"
    tokens = struct.pack("<IQ", 8, 3) + _string("a") + _string("b") + _string("c")
    scores = struct.pack("<IQ", 6, 4) + struct.pack("<4f", 0.1, 0.2, 0.3, 0.4)
    write_gguf(
        path,
        [
            ("general.architecture", 8, _string("llama")),
            ("tokenizer.ggml.scores", 9, scores),
            ("tokenizer.ggml.tokens", 9, tokens),
            ("llama.context_length", 4, struct.pack("<I", 8192)),
            ("general.flag", 7, struct.pack("<?", True)),
        ],
    )
    assert is_gguf(path)
    meta = read_metadata(path)
    assert meta["general.architecture"] == "llama"
    assert meta["tokenizer.ggml.tokens"] == ["a", "b", "c"]
    assert meta["general.flag"] is True
    assert read_metadata(path, {"llama.context_length"}) == {"llama.context_length": 8192}
    assert context_length(path) == 8192


def test_not_gguf(tmp_path):
    path = tmp_path / "x.gguf"
    path.write_bytes(b"PK\x03\x04 not a model")
    assert not is_gguf(path)
    assert not is_gguf(tmp_path / "absent.gguf")
    with pytest.raises(NotGGUF):
        read_metadata(path)
