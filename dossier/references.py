"""The shorter references a source makes to a body it has named: "Halvern Freight Lines" once,
then "Halvern" or "the company"; "the regional assembly of Ostmark", then "the new assembly".

An answer names its subject in full ("Halvern Freight Lines employs about 300 drivers") where
the sentence it cites says "The company employs about 300 drivers", and the judge, reading
one sentence, cannot tell the two are about the same body. The claim is then also judged as
it reads with the evidence's own reference in place of the name; that restatement is only
made where the source links the two, so a claim about another body does not gain from it:

- the reference is a word of the name, standing alone as a name ("Halvern" for "Halvern
  Freight Lines");
- or the claim gives the body by its initials and the evidence in full, or the other way
  round ("the OFC" and "the Ostmark Freight Council");
- or the evidence sentence opens with a description ("The company", "The new assembly")
  followed by the very words the claim goes on with, and either the claim's own subject has
  the description's noun ("the Ostmark assembly") or the last name the source gives before
  that sentence is the claim's.
"""

from __future__ import annotations

import re

from retrieval.sentences import sentence_spans

# A run of capitalised words, also joined by "of", "of the" or "&" ("Halvern Freight Lines",
# "Chamber of Commerce", "Lind & Sons").
_NAME = re.compile(r"(?<![\w'’-])[A-Z][\w'’-]+(?:\s+(?:(?:of|of\s+the|&)\s+)?[A-Z][\w'’-]+)*")
_ARTICLE = re.compile(r"^(?:The|A|An)\s+")
MAX_DESCRIPTION_WORDS = 3
# A place, not a body: "in Halvern", "off Halvern".
_PLACE_WORDS = frozenset({"in", "near", "off", "into", "across"})
_PLACE_ALTERNATIVES = "|".join(sorted(_PLACE_WORDS))
# Initials standing for a name: "OFC", "UNHCR"; two letters match too many names by chance.
_INITIALS = re.compile(r"(?<![\w'’-])[A-Z]{3,6}(?![\w'’-]*[a-z])")
# Words a body's initials leave out ("Office for National Statistics" is the ONS).
_LEFT_OUT_OF_INITIALS = frozenset({"of", "for", "and", "the", "on", "&"})
_JOINERS = "|".join(re.escape(w) for w in sorted(_LEFT_OUT_OF_INITIALS))
# A name of two capitalised words or more, also joined by the words its initials leave out.
_NAME_WITH_JOINERS = re.compile(
    rf"(?<![\w'’-])[A-Z][\w'’-]+(?:\s+(?:(?:{_JOINERS})\s+)*[A-Z][\w'’-]+)+"
)
MIN_NAME_WORD = 4
MAX_SUBJECT_WORDS = 8


def _names(text: str) -> list[re.Match]:
    """Capitalised runs, leaving out a one-word run that only opens a sentence."""
    found = []
    starts = {a for a, _ in sentence_spans(text)} | {0}
    for m in _NAME.finditer(text):
        opening = m.start() in starts or text[: m.start()].rstrip().endswith(("\n", '"', "“"))
        if opening and " " not in m.group(0):
            continue
        found.append(m)
    return found


def _bare(name: str) -> str:
    return _ARTICLE.sub("", name)


def _word_alone(word: str, text: str) -> bool:
    """`word` stands in `text` as a name of its own: not inside a longer capitalised run and
    not after a word that makes it a place."""
    for m in re.finditer(rf"(?<![\w'’-]){re.escape(word)}(?![\w'’-])", text):
        before = text[: m.start()].split()
        after = text[m.end() :].split()
        if before and before[-1][:1].isupper() and not before[-1].endswith((".", "\n")):
            continue
        if after and after[0][:1].isupper():
            continue
        if before and before[-1].lower() in _PLACE_WORDS:
            continue
        return True
    return False


def _short_name(name: str, source: str) -> str | None:
    """The word of `name` the source shortens it to: its first word the source never gives as
    a place ("in Halvern"), that the source's body text first gives inside the full name, and
    that is in no other name there (a "Halvern Council" beside "Halvern Freight Lines" makes
    "Halvern" either)."""
    words = name.split()
    body = source.strip().split("\n", 1)[-1]  # after the headline, which names it anyway
    if len(words) < 2 or name not in body:
        return None
    others = [m.group(0) for m in _names(body) if _bare(m.group(0)) not in name]
    for word in words:
        if len(word) < MIN_NAME_WORD or not word[:1].isupper():
            continue
        if re.search(rf"\b(?:{_PLACE_ALTERNATIVES})\s+{re.escape(word)}\b(?!\s+[A-Z])", source):
            continue  # a place
        alone = rf"(?<![\w'’-]){re.escape(word)}(?![\w'’-])"
        first = re.search(alone, body)
        if first is None or first.start() < body.index(name):
            return None
        if any(re.search(alone, other) for other in others):
            return None
        return word
    return None


def _last_name_before(source: str, sentence: str) -> str | None:
    at = source.find(sentence)
    if at <= 0:
        return None
    names = _names(source[:at])
    return _bare(names[-1].group(0)) if names else None


def initials(name: str) -> str:
    """The capitals a body's name is shortened to ("Ostmark Freight Council" -> "OFC")."""
    return "".join(w[0] for w in name.split() if w.lower() not in _LEFT_OUT_OF_INITIALS)


def spelled_out(claim: str, text: str) -> list[str]:
    """`claim` with a body given by its initials where `text` gives it in full, or given in
    full where `text` gives its initials: the same words for the same body."""
    restated = []
    names = [_bare(m.group(0)) for m in _NAME_WITH_JOINERS.finditer(text)]
    full = {initials(name): name for name in names if " " in name}
    for m in _INITIALS.finditer(claim):
        name = full.get(m.group(0))
        if name and name not in claim and not re.search(rf"\b{m.group(0)}\b", text):
            restated.append(claim[: m.start()] + name + claim[m.end() :])
    short = {m.group(0) for m in _INITIALS.finditer(text)}
    for m in _NAME_WITH_JOINERS.finditer(claim):
        name = _bare(m.group(0))
        if initials(name) in short and name not in text and initials(name) not in claim:
            at = m.start() + m.group(0).index(name)
            restated.append(claim[:at] + initials(name) + claim[at + len(name) :])
    return restated


def shorter_references(claim: str, evidence: str, source: str) -> list[str]:
    """`claim` restated with the shorter reference `evidence` makes to a body the claim names
    in full, where `source` (the whole article the evidence is from) links the two."""
    restated: list[str] = []
    for match in _names(claim):
        name = _bare(match.group(0))
        if not name or name in evidence or name not in source:
            continue
        start = match.start() + match.group(0).index(name)
        word = _short_name(name, source)
        if word and _word_alone(word, evidence):
            restated.append(claim[:start] + word + claim[start + len(name) :])
        restated += _described(claim, name, evidence, source)
    return list(dict.fromkeys(restated))


def _described(claim: str, name: str, evidence: str, source: str) -> list[str]:
    """`claim` restated with the description an evidence sentence opens with."""
    found = []
    for line in evidence.split("\n"):
        for a, b in sentence_spans(line):
            sentence = line[a:b].strip()
            found += _restated(claim, name, sentence, source)
    return found


def _openings(sentence: str) -> list[tuple[str, str]]:
    """Each way the sentence can open with "The" and lower-case words ("The company", "The
    new assembly"), with the word after it: which of them is the description is told by the
    claim going on with that word."""
    words = sentence.split()
    if not words or words[0] != "The":
        return []
    found = []
    for k in range(1, MAX_DESCRIPTION_WORDS + 1):
        if len(words) <= k + 1 or not words[k].isalpha() or not words[k].islower():
            break
        found.append((" ".join(words[: k + 1]), words[k + 1]))
    return found


def _restated(claim: str, name: str, sentence: str, source: str) -> list[str]:
    """`claim` with its subject (the words up to and just after `name`) replaced by the
    description `sentence` opens with, where the claim goes on as the sentence does after it."""
    name_end = claim.index(name) + len(name)
    last = _last_name_before(source, sentence)
    found = []
    for description, next_word in _openings(sentence):
        rest = re.search(rf"(?<![\w'’-]){re.escape(next_word)}(?![\w'’-])", claim[name_end:])
        if not rest:
            continue
        subject = claim[: name_end + rest.start()]
        if len(subject.split()) > MAX_SUBJECT_WORDS:
            continue
        head = description.split()[-1].lower()
        same_noun = head in subject.lower().split() and _introduced(head, source, sentence)
        if same_noun or (last is not None and last in (name, *name.split())):
            found.append(description + " " + claim[name_end + rest.start() :])
    return found


def _introduced(noun: str, source: str, sentence: str) -> bool:
    """The source gives `noun` as a noun ("a new regional assembly") before `sentence`: which
    tells it from a verb the description's words ran on to ("The company employs")."""
    before = source[: max(source.find(sentence), 0)]
    return bool(re.search(rf"\b(?:the|a|an)\s+(?:[\w-]+\s+){{0,2}}{re.escape(noun)}\b", before))
