"""Check an answer sentence by sentence: which cited passage entails it, and where exactly.

Cheap checks come first and only ever reject: a quotation must be verbatim in the cited
text and every number and amount must appear there. What passes them goes to the judge
(`dossier.judge`) with the passage sentences closest to the claim as evidence; a sentence is
supported only when the judge finds it entailed. Without a judge the old overlap rule
(`verify.Support.supported`) decides; it is kept to compare the two on labelled pairs.
"""

from __future__ import annotations

import numpy as np

from prompts import REFUSAL
from retrieval.sentences import sentence_spans

from .aliases import MAX_RESTATEMENTS, aliases, restatements
from .citations import (
    money_in,
    names_found,
    numbers_in,
    parse_citations,
    quotations,
    quote_is_verbatim,
    split_answer,
)
from .judge import Judge
from .references import shorter_references, spelled_out
from .schema import AnswerSentence, Citation, Evidence, Passage
from .verify import Support, assess

# A passage this far from a sentence in words and meaning is not worth a judgment.
RELATED_LEXICAL = 0.25
RELATED_SEMANTIC = 0.45
# Without a judge: a cited passage scoring this much below the best-supporting one is a
# mis-citation (small models often cite a neighbour of the passage they used).
CITATION_MARGIN = 0.15
EVIDENCE_SENTENCES = 2  # the passage sentences closest to the claim that the judge reads
LEAD_CHARS = 200  # a longer first line is a paragraph, not a headline
# A sentence that starts like this leans on the one before it, which the judge then reads too.
LEANING_STARTS = ("he ", "she ", "they ", "it ", "its ", "his ", "her ", "their ", "this ")


def check_answer(
    text: str,
    passages: list[Passage],
    embedder,
    judge: Judge | None = None,
    sources: dict[str, str] | None = None,
) -> tuple[list[AnswerSentence], list[Citation]]:
    """Map every [n] to its passage and keep only citations whose passage entails the sentence.

    A sentence the model left uncited (or cited wrongly) is attributed to the passage that
    supports it best, when that passage entails it. With `sources` (source id -> full text),
    names are looked for in the whole source and the judge also reads the source's opening
    line: a passage is an excerpt, and its article names its subject once, at the top.
    """
    raw = [parse_citations(s) for s in split_answer(text)]
    raw = [(clean, numbers) for clean, numbers in raw if clean and not is_refusal(clean)]
    if not raw:
        return [], []
    checker = _Checker(raw, passages, embedder, judge, sources or {})
    sentences = [checker.sentence(i) for i in range(len(raw))]
    by_n = checker.by_n
    citations = [
        Citation(
            n=n,
            source_id=by_n[n].source_id,
            start=by_n[n].start,
            end=by_n[n].end,
            text=by_n[n].text,
            support=score,
        )
        for n, score in sorted(checker.best_support.items())
    ]
    return sentences, citations


class _Checker:
    """The embeddings and cheap signals of one answer against its passages."""

    def __init__(
        self, raw, passages: list[Passage], embedder, judge: Judge | None, sources
    ) -> None:
        self.raw = raw
        self.judge = judge
        self.sources = sources
        self.by_n = {p.n: p for p in passages}
        self.spans = {
            p.n: [(p.start + a, p.start + b) for a, b in sentence_spans(p.text)]
            or [(p.start, p.end)]
            for p in passages
        }
        flat = [(n, span) for n, spans in self.spans.items() for span in spans]
        vectors = embedder.embed(
            [clean for clean, _ in raw] + [self._slice(n, span) for n, span in flat]
        )
        self.sentence_vectors, span_vectors = vectors[: len(raw)], vectors[len(raw) :]
        rows = {n: [i for i, (m, _) in enumerate(flat) if m == n] for n in self.spans}
        self.span_vectors = {n: span_vectors[rows[n]] for n in self.spans}
        self.best_support: dict[int, float] = {}
        self._verdicts: dict[tuple[str, str], bool] = {}
        self.roles = aliases(list(self.sources.values()))

    def entails(self, evidence: str, claim: str, source: str = "") -> bool:
        """The judge's verdict, asked once per evidence and claim; a claim naming someone
        otherwise than the evidence does is also judged as restated with the evidence's name
        for them (`restated`)."""
        if self._verdict(evidence, claim):
            return True
        restated = self.restated(claim, evidence, source)[:MAX_RESTATEMENTS]
        return any(self._verdict(evidence, c) for c in restated)

    def restated(self, claim: str, text: str, source: str = "") -> list[str]:
        """`claim` naming people and bodies as `text` does, where the sources link the two
        names: by a role (`dossier.aliases`), by initials, or by the shorter reference
        `source`, the article `text` is from, makes (`dossier.references`)."""
        found = restatements(claim, text, self.roles) + spelled_out(claim, text)
        if source:
            found += shorter_references(claim, text, source)
        return list(dict.fromkeys(found))

    def _verdict(self, evidence: str, claim: str) -> bool:
        key = (evidence, claim)
        if key not in self._verdicts:
            self._verdicts[key] = self.judge.entails(evidence, claim)
        return self._verdicts[key]

    def names_known(self, claim: str, text: str) -> bool:
        """Every name of `claim` is in `text`, or in `claim` restated with the names `text`
        gives the same people and bodies."""
        return names_found(claim, text) or any(
            names_found(c, text) for c in self.restated(claim, text)
        )

    def _slice(self, n: int, span: tuple[int, int]) -> str:
        passage = self.by_n[n]
        return passage.text[span[0] - passage.start : span[1] - passage.start]

    def support(self, i: int, n: int) -> Support:
        result = assess(
            self.raw[i][0],
            self.sentence_vectors[i],
            self.by_n[n].text,
            self.spans[n],
            self.span_vectors[n],
        )
        source = self.sources.get(self.by_n[n].source_id)
        if source is not None and not result.names_ok:
            result.names_ok = self.names_known(self.raw[i][0], source)
        return result

    def source(self, n: int) -> str:
        """The whole text of passage n's source, when known."""
        return self.sources.get(self.by_n[n].source_id, "")

    def lead(self, n: int) -> str:
        """The first line of the passage's source (its headline or opening), when known."""
        first = self.source(n).strip().split("\n", 1)[0].strip()
        return first if len(first) <= LEAD_CHARS else ""

    def evidence_text(self, i: int, n: int) -> str:
        """The passage sentences closest to sentence i, in reading order, with what they lean on."""
        spans = self.spans[n]
        sims = self.span_vectors[n] @ self.sentence_vectors[i]
        chosen = set(np.argsort(-sims)[:EVIDENCE_SENTENCES].tolist())
        for j in sorted(chosen):
            if j > 0 and self._slice(n, spans[j]).lower().startswith(LEANING_STARTS):
                chosen.add(j - 1)
        text = " ".join(self._slice(n, spans[j]).strip() for j in sorted(chosen))
        lead = self.lead(n)
        return f"{lead}\n{text}" if lead and lead not in text else text

    def sentence(self, i: int) -> AnswerSentence:
        clean, numbers = self.raw[i]
        results = {n: self.support(i, n) for n in self.by_n}
        cited = [n for n in dict.fromkeys(numbers) if n in self.by_n]
        rejected = [n for n in numbers if n not in self.by_n]
        kept = self._entailed_by(i, cited, results)
        rejected += [n for n in cited if n not in kept]
        attributed = False
        if not kept:
            best = self._best_uncited(i, results)
            if best is not None:
                kept, attributed = [best], True
        for n in kept:
            self.best_support[n] = max(self.best_support.get(n, 0.0), results[n].score)
        return AnswerSentence(
            text=clean,
            citations=kept,
            supported=bool(kept),
            attributed=attributed,
            rejected_citations=rejected,
            evidence=[_evidence(self.by_n[n], results[n]) for n in kept],
        )

    def _entailed_by(self, i: int, cited: list[int], results: dict[int, Support]) -> list[int]:
        """The cited passages that entail sentence i (together, when it cites several)."""
        clean = self.raw[i][0]
        related = [n for n in cited if _related(results[n])]
        if not related:
            return []
        if self.judge is None:
            best = max((r.score for r in results.values() if r.supported), default=0.0)
            return [
                n
                for n in related
                if results[n].supported and results[n].score >= best - CITATION_MARGIN
            ]
        alone = [
            n
            for n in related
            if results[n].quotes_ok and results[n].numbers_ok and results[n].names_ok
        ]
        if len(related) == 1:
            n = related[0]
            if n not in alone:
                return []
            return [n] if self.entails(self.evidence_text(i, n), clean, self.source(n)) else []
        if alone and len(alone) < len(related):
            # Some cited passages lack a name, figure or quotation the sentence gives (a model
            # citing two sources that state different values): when the others entail it,
            # they alone are its citations.
            evidence = " ".join(self.evidence_text(i, n) for n in alone)
            if self.entails(evidence, clean):
                return alone
        # Several citations: a sentence setting two sources side by side is entailed only by
        # both together, so they are judged as one text.
        joined_text = " ".join(self.by_n[n].text for n in related)
        whole = " ".join(
            self.sources.get(self.by_n[n].source_id, self.by_n[n].text) for n in related
        )
        if not (_cheap_ok(clean, joined_text) and self.names_known(clean, whole)):
            return []
        evidence = " ".join(self.evidence_text(i, n) for n in related)
        return related if self.entails(evidence, clean) else []

    def _best_uncited(self, i: int, results: dict[int, Support]) -> int | None:
        """The passage that entails sentence i best, for a sentence left without a citation."""
        clean = self.raw[i][0]
        if self.judge is None:
            strong = {n: r for n, r in results.items() if r.strong}
            return max(strong, key=lambda m: strong[m].score) if strong else None
        usable = [
            n
            for n, r in results.items()
            if r.quotes_ok and r.numbers_ok and r.names_ok and _related(r)
        ]
        if not usable:
            return None
        n = max(usable, key=lambda m: results[m].score)
        return n if self.entails(self.evidence_text(i, n), clean, self.source(n)) else None


def is_refusal(text: str) -> bool:
    """The text opens with the refusal sentence the answer prompt asks for."""
    core = REFUSAL.lower().rstrip(".")
    return core in " ".join(text.lower().split())[: len(core) + 40]


def _related(support: Support) -> bool:
    return support.lexical >= RELATED_LEXICAL or support.semantic >= RELATED_SEMANTIC


def _cheap_ok(sentence: str, text: str) -> bool:
    """Quotes of the sentence are verbatim in the text, its numbers and amounts appear there."""
    return (
        numbers_in(sentence) <= numbers_in(text)
        and money_in(sentence) <= money_in(text)
        and all(quote_is_verbatim(q, text) for q in quotations(sentence))
    )


def _evidence(passage: Passage, support: Support) -> Evidence:
    start, end = support.evidence
    return Evidence(n=passage.n, source_id=passage.source_id, start=start, end=end)


def render_answer(sentences: list[AnswerSentence]) -> str:
    """The answer text with only the citations that survived the check, before the full stop."""
    parts = []
    for s in sentences:
        marks = "".join(f"[{n}]" for n in s.citations)
        body, end = (s.text[:-1], s.text[-1]) if s.text[-1:] in ".!?" else (s.text, "")
        parts.append(f"{body} {marks}{end}" if marks else s.text)
    return " ".join(parts)
