"""The quote ledger: direct quotations in the sources, who the text says spoke them, and where.

Pure string functions over a source's text: no model is involved, so every entry is exactly what
the source prints (offsets slice it) and the speaker is only what the text attributes.
"""

from __future__ import annotations

import re
from collections import Counter

from retrieval.sentences import sentence_spans

from .citations import normalise, quote_is_verbatim
from .schema import Quote, QuoteGroup, SourceSpan

# A quotation opens with a straight or curly double quote and closes with one; pairing runs
# within a paragraph so an unbalanced mark cannot swallow the rest of the article.
_QUOTE = re.compile(r"[\"“]([^\"“”\n]+?)[\"”]")
_PARAGRAPH = re.compile(r"[^\n]+")
MIN_QUOTE_WORDS = 2  # one-word scare quotes ("signaled") are not statements

_VERBS = (
    "said|says|say|told|tells|added|adds|stated|states|mentioned|remarked|declared|noted|warned|"
    "wrote|writes|insisted|argued|explained|asked|replied|continued|urged|claimed|announced|"
    "acknowledged|emphasized|emphasised|stressed|confirmed|suggested|hinted|signaled|signalled|"
    "cautioned|recalled|posted|tweeted|conceded|admitted|vowed|pledged|promised|noting|saying|"
    "indicated|stating|adding|warning|insisting"
)
_VERB = rf"(?:{_VERBS})"
_NAME_WORD = r"[A-Z][\w’'.-]*"
_NAME = rf"{_NAME_WORD}(?:\s+(?:(?:of|de|van|von|al|bin|da|du|le|la)\s+)?{_NAME_WORD})*"
_PRONOUN = r"(?:he|she|they|He|She|They)"
_UNNAMED = r"(?:an?|the|one|two|three|several)\s+(?:[\w-]+\s+){0,4}?(?:official|officials|spokesperson|spokesman|spokeswoman|source|sources|diplomat|aide|adviser|advisor|minister|analyst|expert|person|people)"  # noqa: E501

# Clause after the quotation: `," Lima said`, `," declared commander Ana Lima`,
# `," Mensah, a senior adviser, stated`, `," he added`, `," an official told reporters`.
_AFTER_PRONOUN = re.compile(rf"^[\s,:;—–-]*({_PRONOUN})\s+{_VERB}\b")
_AFTER_VERB_NAME = re.compile(
    rf"^[\s,:;—–-]*{_VERB}\s+(?:(?:[a-z][\w’'-]*|[A-Z][\w.]*\.)\s+){{0,5}}?({_NAME})"
)
_AFTER_NAME_VERB = re.compile(
    rf"^[\s,:;—–-]*(?:[A-Za-z’'.-]+\s+){{0,6}}?({_NAME}|{_UNNAMED})(?:,[^,]{{1,120}},|,)?"
    rf"\s+(?:[a-z]+\s+){{0,2}}{_VERB}\b"
)
# `" to the union's demands, Lima replied`: a short phrase finishes the quoted sentence.
_AFTER_PHRASE = re.compile(
    rf"^[^.!?“”\"]{{0,60}}?,\s*({_NAME}|{_UNNAMED})(?:,[^,]{{1,120}},)?\s+(?:[a-z]+\s+)?{_VERB}\b"
)
# Clause before it (`Lima said, "`, `Mensah told reporters Tuesday: "`, `he said: "`): the
# speech verb nearest the quotation, and the name, pronoun or "a US official" just before it.
_VERB_WORD = re.compile(rf"\b{_VERB}\b")
_STOP_NAME = (
    r"(?!(?:But|And|The|In|On|At|When|This|That|It|As|After|Before|While|If|Nobody|No|Some|"
    r"Many|Everyone|Someone|Few)\b)"
)
_WHO_BEFORE_VERB = re.compile(
    rf"(?:^|[\s,(])(?:({_PRONOUN})|{_STOP_NAME}({_NAME}|{_UNNAMED}))"
    rf"(?:,[^,]{{1,120}},|,)?((?:\s+[a-z]+){{0,2}})\s+$"
)
_PRONOUN_BEFORE_VERB = re.compile(rf"\b({_PRONOUN})(?:\s+[a-z]+)?\s+$")
MAX_VERB_TO_QUOTE = 160  # characters between a speech verb and the quotation it introduces
# Who a sentence is about: the speaker of a speech verb, else the name it opens with.
_SUBJECT = re.compile(rf"({_NAME})(?:,[^,]{{1,120}},)?\s+(?:[a-z]+\s+){{0,2}}{_VERB}\b")
_OPENING_NAME = re.compile(rf"^\W*({_NAME})")
_ACCORDING = re.compile(rf"according to\s+(?:[a-z][\w-]*\s+){{0,4}}?({_NAME})")
_SETTING = re.compile(
    r"\b(?:[Aa]t|[Dd]uring|[Ii]n|[Oo]n)\s+((?:an?|the)\s+[^,.;:“”\"]*?"
    r"(?:press conference|news conference|conference|interview|briefing|speech|address|"
    r"meeting|visit|summit|hearing|session|"
    r"Assembly|Forum|Summit|Council|rally)\b"
    # the rest of the clause ("in Lisbon alongside the prime minister"), or a few whole words
    r"(?:[^,.;:“”\"]{0,80}(?=[,.;:“”\"]|$)|(?:\s+[^\s,.;:“”\"]+){0,6}))"
)
_NOT_NAMES = {
    "The",
    "A",
    "An",
    "But",
    "And",
    "In",
    "On",
    "At",
    "It",
    "This",
    "That",
    "Speaking",
    "Earlier",
    "Later",
    "When",
    "Nobody",
    "Someone",
    "Everyone",
}


def find_quotes(source_id: str, text: str) -> list[Quote]:
    """Every direct quotation of two or more words in `text`, in reading order."""
    sentences = sentence_spans(text)
    quotes: list[Quote] = []
    for paragraph in _PARAGRAPH.finditer(text):
        for match in _QUOTE.finditer(paragraph.group()):
            inner = match.group(1).strip()
            if len(inner.split()) < MIN_QUOTE_WORDS:
                continue
            open_at = paragraph.start() + match.start()
            q_start = paragraph.start() + match.start(1)
            q_start += len(match.group(1)) - len(match.group(1).lstrip())
            q_end = q_start + len(inner)
            s_start, s_end = _enclosing(sentences, open_at, q_end)
            before = text[s_start:open_at]
            after = text[paragraph.start() + match.end() : s_end]
            speaker, pronoun = attribute(before, after, inner)
            setting = setting_of(before + " " + after)
            inferred = False
            if pronoun:
                # "he said": the person the preceding sentences are about.
                speaker, where = _antecedent(text, sentences, s_start, quotes)
                inferred = speaker is not None
                setting = setting or where
            elif speaker is None and not before.strip() and quotes:
                # A quotation opening its own sentence right after an attributed one goes on
                # with the same speaker, as news copy writes it.
                previous = quotes[-1]
                if previous.speaker and _sentences_between(sentences, previous, s_start) == 0:
                    speaker, inferred = previous.speaker, True
                    setting = setting or previous.setting
            quotes.append(
                Quote(
                    text=inner,
                    speaker=speaker,
                    speaker_inferred=inferred,
                    setting=setting,
                    span=SourceSpan(source_id=source_id, start=q_start, end=q_end, text=inner),
                    sentence=SourceSpan(
                        source_id=source_id, start=s_start, end=s_end, text=text[s_start:s_end]
                    ),
                    verbatim=quote_is_verbatim(inner, text),
                )
            )
    return quotes


def _antecedent(
    text: str, sentences: list[tuple[int, int]], before: int, quotes: list[Quote]
) -> tuple[str | None, str | None]:
    """(name, setting) of whom the up to three sentences before `before` are about."""
    earlier = [(a, b) for a, b in sentences if b <= before][-3:]
    for a, b in reversed(earlier):
        quoted = [q for q in quotes if a <= q.span.start < b and q.speaker]
        if quoted:
            return quoted[-1].speaker, quoted[-1].setting
        sentence = text[a:b]
        match = _SUBJECT.search(sentence)
        name = match.group(1) if match else None
        if not name:
            opening = _OPENING_NAME.match(sentence)
            name = opening.group(1) if opening else None
        if name and _is_speaker(name) and not re.fullmatch(_PRONOUN, name.split()[0]):
            return _clean(name), setting_of(sentence)
    return None, None


def _sentences_between(spans: list[tuple[int, int]], previous: Quote, start: int) -> int:
    return sum(1 for a, _ in spans if previous.sentence.end <= a < start)


def attribute(before: str, after: str, quote: str = "") -> tuple[str | None, bool]:
    """(speaker, is_pronoun) from the words around a quotation; (None, False) when unstated."""
    # Attribution after the quote is the commonest news form; it needs the quote to close its
    # clause (`," Lima said`), else `"reforms" with Mensah and said` would name Mensah.
    if _AFTER_PRONOUN.match(after):
        return None, True
    closes_clause = re.match(r"^\s*[,:;—–-]", after) or re.search(r"[,?!]$", quote)
    for pattern in (_AFTER_VERB_NAME, _AFTER_NAME_VERB):
        match = pattern.match(after)
        if match and closes_clause and _is_speaker(match.group(1)):
            return _clean(match.group(1)), False
    match = _AFTER_PHRASE.match(after)
    if match and _is_speaker(match.group(1)):
        return _clean(match.group(1)), False
    for verb in reversed(list(_VERB_WORD.finditer(before))):
        if len(before) - verb.end() > MAX_VERB_TO_QUOTE:
            break
        head = before[: verb.start()]
        if _PRONOUN_BEFORE_VERB.search(head):
            return None, True
        who = _WHO_BEFORE_VERB.search(head)
        if who and who.group(2) and _is_speaker(who.group(2)):
            name = who.group(2)
            if re.search(r"[’']s$", name):  # "Lisbon's transport agency said"
                name += who.group(3)
            return _clean(name), False
    match = _ACCORDING.search(before + " " + after)
    if match and _is_speaker(match.group(1)):
        return _clean(match.group(1)), False
    return None, False


def setting_of(context: str) -> str | None:
    match = _SETTING.search(context)
    return " ".join(match.group(1).split()) if match else None


def group_quotes(quotes: list[Quote]) -> list[QuoteGroup]:
    """Quotes with the same words (one containing the other, typography aside) form one group."""
    groups: list[list[Quote]] = []
    keys: list[str] = []
    for quote in quotes:
        key = _key(quote.text)
        for i, other in enumerate(keys):
            if key in other or other in key:
                groups[i].append(quote)
                if len(key) > len(other):
                    keys[i] = key
                break
        else:
            groups.append([quote])
            keys.append(key)
    result = []
    for members in groups:
        speakers = Counter(q.speaker for q in members if q.speaker)
        longest = max(members, key=lambda q: len(q.text))
        result.append(
            QuoteGroup(
                text=longest.text,
                speaker=speakers.most_common(1)[0][0] if speakers else None,
                quotes=members,
            )
        )
    return result


def speakers_disagree(group: QuoteGroup) -> bool:
    """Sources attribute the same words to different people (compared by surname)."""
    surnames = {q.speaker.split()[-1].lower() for q in group.quotes if q.speaker}
    return len(surnames) > 1


def _key(text: str) -> str:
    return " ".join(re.findall(r"\w+", normalise(text)))


def _enclosing(spans: list[tuple[int, int]], start: int, end: int) -> tuple[int, int]:
    """The sentences that overlap [start, end): a quotation may hold several sentences."""
    inside = [(a, b) for a, b in spans if a < end and b > start]
    if not inside:
        return start, end
    return inside[0][0], max(b for _, b in inside)


def _is_speaker(name: str) -> bool:
    first = name.split()[0]
    return first not in _NOT_NAMES or len(name.split()) > 1 and first not in {"The", "But", "And"}


def _clean(name: str) -> str:
    return " ".join(name.split()).rstrip(",.")
