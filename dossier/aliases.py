"""The other names the sources themselves give someone: "Mira Castell, president of the
Tenants' Association, said..." makes "the president of the Tenants' Association" and "Castell"
one person for the rest of the coverage.

News names a person in full once, with what they are, and after that by surname or by role
alone ("Castell said...", "...the council's treasurer told reporters"). An answer that names
them the other way ("The president of the association expected...") is then judged against
a sentence that never says who it is about. Restating the answer with the name the evidence
uses gives the judge the same claim about the same person and no other text to read, so a
claim about someone else cannot gain from it; only an apposition in the sources links two
names.
"""

from __future__ import annotations

import re

# A person's or body's name: a run of capitalised words ("Mira Castell", "Harbour Trust").
_NAME = r"[A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+)*"
# What they are: a phrase opening in lower case ("president of the Tenants' Association",
# "the council's treasurer"), up to the comma that closes the apposition.
_ROLE_WORDS = r"[a-z][^,.;:\"“”()]{2,80}?"
_ROLE = rf"(?:the\s+|a\s+|an\s+)?{_ROLE_WORDS}"
# "Mira Castell, president of the Tenants' Association, told..."
_NAME_THEN_ROLE = re.compile(rf"(?<![\w'’-])({_NAME}),\s+({_ROLE}),")
# "The council's treasurer, Paul Ode, disagreed."; "Harland's mayor, Rosa Finch, said..."
_ROLE_THEN_NAME = re.compile(
    rf"(?<![\w'’-])((?:[Tt]he\s+|[A-Z][\w-]+['’]s\s+){_ROLE_WORDS}),\s+({_NAME}),"
)
_ARTICLE = re.compile(r"^(?:the|a|an)\s+", re.IGNORECASE)
MAX_RESTATEMENTS = 2
# Words that open a clause, not a noun phrase naming a post.
_NOT_A_ROLE = frozenset(
    {"which", "who", "whom", "whose", "that", "where", "when", "has", "have", "had", "is"}
    | {"was", "are", "were", "said", "says", "told"}
)


def _role_key(role: str) -> str:
    return " ".join(_ARTICLE.sub("", role.strip()).lower().split())


def aliases(texts: list[str]) -> dict[str, str]:
    """Roles the texts give one name each, as {role (lower case, no article): name}. A role
    the texts give two different people ("the minister") names nobody and is left out."""
    found: dict[str, set[str]] = {}
    for text in texts:
        pairs = [(m.group(1), m.group(2)) for m in _NAME_THEN_ROLE.finditer(text)]
        pairs += [(m.group(2), m.group(1)) for m in _ROLE_THEN_NAME.finditer(text)]
        for name, role in pairs:
            if " " not in name:
                continue  # one capitalised word may be only a sentence's opening ("Meanwhile")
            found.setdefault(_role_key(role), set()).add(" ".join(name.split()))
    by_person: dict[str, str] = {}
    for role, names in found.items():
        people = {n.split()[-1] for n in names}
        if len(people) == 1 and _names_one_post(role):
            by_person[role] = max(names, key=len)
    return by_person


def _names_one_post(role: str) -> bool:
    """A role names one person when it says whose post it is ("the council's treasurer",
    "president of the association"); "the minister" or "a spokesman" could be anyone, and a
    clause ("who said...", "has been...") is no role."""
    words = role.split()
    whose = any(w.endswith(("'s", "’s")) for w in words) or "of" in words[1:]
    return whose and words[0] not in _NOT_A_ROLE


def _mention(name: str, text: str) -> re.Match | None:
    """Where `text` names the person called `name`: in full, or else by surname."""
    for form in (name, name.split()[-1]):
        if found := re.search(rf"(?<![\w'’-]){re.escape(form)}(?![\w'’-])", text):
            return found
    return None


def restatements(claim: str, evidence: str, roles: dict[str, str]) -> list[str]:
    """`claim` with a person named as `evidence` names them, where the two differ by an
    apposition of the sources (`roles`, from `aliases`): a name the evidence gives by role,
    or a role the evidence gives by name. Empty when no such difference is found."""
    low_evidence = evidence.lower()
    restated: list[str] = []
    for role, name in roles.items():
        role_in_claim = re.search(
            rf"(?:\b(?:the|a|an)\s+)?\b{re.escape(role)}\b", claim, re.IGNORECASE
        )
        in_claim, in_evidence = _mention(name, claim), _mention(name, evidence)
        if role_in_claim and in_claim:
            continue  # the claim gives both, as the sources do: nothing to restate
        if role_in_claim and role not in low_evidence and in_evidence:
            a, b = role_in_claim.span()
            restated.append(claim[:a] + in_evidence.group(0) + claim[b:])
        if in_claim and role in low_evidence and not in_evidence:
            a, b = in_claim.span()
            restated.append(claim[:a] + ("the " if a else "The ") + role + claim[b:])
    return list(dict.fromkeys(restated))[:MAX_RESTATEMENTS]
