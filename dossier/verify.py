"""Does a passage support an answer sentence? Word overlap, embeddings, quotes and numbers."""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel

from retrieval.search import content_terms

from .citations import money_in, names_found, numbers_in, quotations, quote_is_verbatim

# Tuned on the development questions (see the eval command); a cited passage must clear
# SUPPORT_MIN; attaching a citation the model did not give needs the stricter ATTRIBUTE_MIN.
LEXICAL_STRONG = 0.5
LEXICAL_WITH_SEMANTIC = 0.3
SEMANTIC_MIN = 0.6
ATTRIBUTE_LEXICAL = 0.6
ATTRIBUTE_SEMANTIC = 0.6


class Support(BaseModel):
    """How well one passage supports one sentence."""

    lexical: float  # share of the sentence's content words found in the passage
    semantic: float  # best cosine between the sentence and any sentence of the passage
    quotes_ok: bool  # every quotation in the sentence is verbatim in the passage
    numbers_ok: bool  # every number in the sentence appears in the passage
    names_ok: bool = True  # every name in the sentence appears in the passage
    evidence: tuple[int, int]  # offsets (in the source) of the passage sentence closest to it

    @property
    def score(self) -> float:
        return round(0.5 * self.lexical + 0.5 * self.semantic, 4)

    @property
    def supported(self) -> bool:
        if not (self.quotes_ok and self.numbers_ok and self.names_ok):
            return False
        return self.lexical >= LEXICAL_STRONG or (
            self.semantic >= SEMANTIC_MIN and self.lexical >= LEXICAL_WITH_SEMANTIC
        )

    @property
    def strong(self) -> bool:
        """Enough to attribute a sentence the model left uncited."""
        return (
            self.quotes_ok
            and self.numbers_ok
            and self.names_ok
            and self.lexical >= ATTRIBUTE_LEXICAL
            and self.semantic >= ATTRIBUTE_SEMANTIC
        )


def lexical_support(sentence: str, passage: str) -> float:
    terms = set(content_terms(sentence))
    if not terms:
        return 0.0
    return len(terms & set(content_terms(passage))) / len(terms)


def assess(
    sentence: str,
    sentence_vector: np.ndarray,
    passage_text: str,
    passage_sentences: list[tuple[int, int]],
    passage_sentence_vectors: np.ndarray,
) -> Support:
    """Support of `passage_text` for `sentence`; passage sentences carry source offsets."""
    sims = passage_sentence_vectors @ sentence_vector if len(passage_sentences) else np.zeros(1)
    best = int(np.argmax(sims)) if len(passage_sentences) else 0
    return Support(
        lexical=round(lexical_support(sentence, passage_text), 4),
        semantic=round(float(sims[best]), 4),
        quotes_ok=all(quote_is_verbatim(q, passage_text) for q in quotations(sentence)),
        numbers_ok=numbers_in(sentence) <= numbers_in(passage_text)
        and money_in(sentence) <= money_in(passage_text),
        names_ok=names_found(sentence, passage_text),
        evidence=passage_sentences[best] if passage_sentences else (0, 0),
    )
