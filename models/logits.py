"""Logits processors for llama-cpp-python: what a reply may say next, decided per token."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import numpy as np


class ChoiceProbe:
    """A logits processor for a one-token reply: it records the softmax over a few candidate
    tokens at the first step and lets only those through."""

    def __init__(self, tokens: Sequence[int]) -> None:
        self.tokens = list(tokens)
        self.probabilities: list[float] | None = None

    def __call__(self, input_ids: np.ndarray, scores: np.ndarray) -> np.ndarray:
        if self.probabilities is None:
            logits = scores[self.tokens].astype(np.float64)
            weights = np.exp(logits - logits.max())
            self.probabilities = (weights / weights.sum()).tolist()
        masked = np.full_like(scores, -np.inf)
        masked[self.tokens] = scores[self.tokens]
        return masked


class CitationMarkers:
    """A logits processor: after "[", only the digits of an allowed number, then "]".

    The same constraint as a grammar, at a fraction of its cost: llama.cpp's grammar sampler
    checks the whole vocabulary at every token, this looks at the text's tail and acts only
    inside a marker. Marker-shaped tokens ("1", "12", "]", "].") are found once per model.
    """

    def __init__(self, llama: Any, markers: Sequence[int]) -> None:
        self.llama = llama
        self.valid = {str(n) for n in markers}
        self.shapes = _marker_tokens(llama)

    def __call__(self, input_ids: np.ndarray, scores: np.ndarray) -> np.ndarray:
        tail = self.llama.detokenize(list(input_ids[-4:])).decode("utf-8", errors="ignore")
        opened = tail.rfind("[")
        if opened < 0 or not tail[opened + 1 :].isdigit() and tail[opened + 1 :] != "":
            return scores
        digits = tail[opened + 1 :]
        allowed = [
            token
            for token, (more, closes) in self.shapes.items()
            if (closes and digits + more in self.valid)
            or (not closes and more and any(v.startswith(digits + more) for v in self.valid))
        ]
        masked = np.full_like(scores, -np.inf)
        masked[allowed] = scores[allowed]
        return masked


@functools.lru_cache(maxsize=4)
def _marker_tokens(llama: Any) -> dict[int, tuple[str, bool]]:
    """Token id -> (its leading digits, whether it then closes the marker with "]")."""
    shapes = {}
    for token in range(llama.n_vocab()):
        text = llama.detokenize([token]).decode("utf-8", errors="ignore")
        digits = text[: len(text) - len(text.lstrip("0123456789"))]
        rest = text[len(digits) :]
        if text and (rest == "" or rest.startswith("]")):
            shapes[token] = (digits, rest.startswith("]"))
    return shapes
