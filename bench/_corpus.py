# ruff: noqa: E501  (benchmark output lines and sentence templates read better unwrapped)
"""Deterministic synthetic news text for the benchmarks (no network, no data files).

Sentences come from templates filled from word lists, plus a few thousand generated proper
names so the vocabulary is not tiny (BM25 posting lists would otherwise be unrealistically long).
Everything is driven by a `random.Random(seed)`, so a run is reproducible.
"""

from __future__ import annotations

import random
from pathlib import Path

FIRST = [
    "James",
    "Maria",
    "Ahmed",
    "Olena",
    "Chen",
    "Priya",
    "Samuel",
    "Fatima",
    "Lucas",
    "Ingrid",
    "Kwame",
    "Sofia",
    "Daniel",
    "Aisha",
    "Mateo",
    "Yuki",
    "Thomas",
    "Leila",
    "Ivan",
    "Grace",
    "Omar",
    "Elena",
    "Rahul",
    "Chloe",
    "Pablo",
    "Amara",
    "Viktor",
    "Hannah",
    "Tariq",
    "Nadia",
    "Carlos",
    "Mei",
    "Joseph",
    "Zainab",
    "Peter",
    "Anya",
    "Miguel",
    "Rosa",
    "David",
    "Laura",
]

SYLLABLES = [
    "ka",
    "ro",
    "mi",
    "sen",
    "tal",
    "bor",
    "vek",
    "lan",
    "dri",
    "os",
    "mu",
    "per",
    "shi",
    "ga",
    "nol",
    "ter",
    "vin",
    "ha",
    "zu",
    "bel",
    "cor",
    "fen",
    "dal",
    "ig",
    "mar",
    "pol",
    "sto",
    "wen",
    "yar",
    "ek",
    "ul",
    "tan",
    "rim",
    "bas",
    "kov",
    "nik",
    "les",
    "jor",
]

OFFICIALS = [
    "the prime minister",
    "the finance minister",
    "the foreign minister",
    "the defence ministry",
    "the central bank",
    "opposition leaders",
    "a senior official",
    "the mayor",
    "the governor",
    "union leaders",
    "the health ministry",
    "a government spokesperson",
    "the interior minister",
    "regional authorities",
    "the election commission",
    "the state prosecutor",
    "the president",
    "a group of lawmakers",
    "the trade minister",
    "police officials",
    "aid agencies",
    "the energy regulator",
    "the supreme court",
    "the ruling party",
    "the army chief",
]
VERBS = [
    "said",
    "announced",
    "warned",
    "told reporters",
    "confirmed",
    "denied",
    "argued",
    "insisted",
    "acknowledged",
    "estimated",
    "suggested",
    "promised",
    "claimed",
    "reported",
    "disclosed",
    "predicted",
    "stressed",
    "noted",
]
TOPICS = [
    "the budget deficit",
    "a ceasefire proposal",
    "fuel subsidies",
    "the new tax on imports",
    "the public sector pay deal",
    "interest rates",
    "the flood response",
    "the border crossing",
    "the vaccination campaign",
    "the mining licence",
    "grain exports",
    "the rail strike",
    "the housing shortage",
    "electricity tariffs",
    "the refugee camps",
    "the election timetable",
    "the corruption inquiry",
    "the pension reform",
    "water rationing",
    "the port expansion",
    "food prices",
    "the teachers' strike",
    "the drought",
    "the peace talks",
    "the trade agreement",
    "military aid",
    "the hospital backlog",
    "youth unemployment",
    "the currency",
    "wildfire damage",
    "the fishing quota",
    "the data protection law",
    "the bridge collapse",
    "coal imports",
]
PLACES = [
    "Nairobi",
    "Kyiv",
    "Lagos",
    "Manila",
    "Lima",
    "Warsaw",
    "Dhaka",
    "Cairo",
    "Jakarta",
    "Quito",
    "Accra",
    "Hanoi",
    "Ankara",
    "Bogota",
    "Tbilisi",
    "Colombo",
    "Santiago",
    "Rabat",
    "Karachi",
    "Kampala",
    "Athens",
    "Lisbon",
    "Brussels",
    "Ottawa",
    "Canberra",
    "Seoul",
    "Taipei",
    "Riga",
]
COUNTRIES = [
    "Kenya",
    "Ukraine",
    "Nigeria",
    "the Philippines",
    "Peru",
    "Poland",
    "Bangladesh",
    "Egypt",
    "Indonesia",
    "Ecuador",
    "Ghana",
    "Vietnam",
    "Turkey",
    "Colombia",
    "Georgia",
    "Sri Lanka",
]
WHEN = [
    "on Monday",
    "on Tuesday",
    "on Wednesday",
    "on Thursday",
    "on Friday",
    "over the weekend",
    "last week",
    "earlier this month",
    "late on Sunday",
    "this morning",
    "in a statement",
    "at a news conference",
    "in an interview",
    "during a parliamentary hearing",
]
CLAUSES = [
    "after months of negotiations",
    "amid rising fuel prices",
    "despite strong opposition",
    "as protests spread to other cities",
    "following a sharp fall in the currency",
    "ahead of next year's election",
    "after heavy rains flooded several districts",
    "as inflation reached its highest level in a decade",
    "under pressure from donors",
    "while investigators continued to examine the records",
    "as talks stalled again",
    "after a court blocked the previous plan",
    "as schools reopened",
    "before the deadline",
]
ADJ = [
    "significant",
    "temporary",
    "controversial",
    "long-awaited",
    "modest",
    "sweeping",
    "unexpected",
    "costly",
    "limited",
    "urgent",
    "gradual",
    "fragile",
    "ambitious",
    "disputed",
]
NOUNS = [
    "measures",
    "changes",
    "cuts",
    "payments",
    "delays",
    "reforms",
    "investments",
    "talks",
    "restrictions",
    "repairs",
    "inspections",
    "shipments",
    "contracts",
    "protests",
    "hearings",
]
QUOTES = [
    "We will not accept this",
    "The situation is under control",
    "This is only the first step",
    "Families cannot wait any longer",
    "Nobody expected the numbers to be this bad",
    "We need more time to review the evidence",
    "The decision was taken in good faith",
    "Our priority is the safety of residents",
    "These figures speak for themselves",
]
OUTLETS = ["Daily Ledger", "Coastal Times", "Metro Herald", "The Northern Post", "Wire Service"]
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]

HEADLINE_TEMPLATES = [
    "{Official} {verb} {topic} {when}",
    "{Topic}: {official} {verb} {adj} {noun} in {place}",
    "{Place} braces for {adj} {noun} over {topic}",
    "{Name} {verb} {topic} {clause}",
]


class NewsText:
    """Sentence, article, chunk and query generator over one seeded RNG."""

    def __init__(self, seed: int = 1234, n_surnames: int = 3000) -> None:
        self.rng = random.Random(seed)
        names: set[str] = set()
        while len(names) < n_surnames:
            k = self.rng.choice((2, 2, 3, 3, 4))
            names.add("".join(self.rng.choice(SYLLABLES) for _ in range(k)).capitalize())
        self.surnames = sorted(names)

    # -- pieces -------------------------------------------------------------------------
    def name(self) -> str:
        return f"{self.rng.choice(FIRST)} {self.rng.choice(self.surnames)}"

    def number(self) -> str:
        r = self.rng
        return r.choice(
            [
                f"{r.randint(2, 98)} percent",
                f"{r.randint(1, 9)}.{r.randint(0, 9)} percent",
                f"${r.randint(1, 900)} million",
                f"${r.randint(1, 40)}.{r.randint(1, 9)} billion",
                f"{r.randint(12, 9000):,} people",
                f"{r.randint(3, 400)} kilometres",
                f"{r.randint(2, 60)} days",
            ]
        )

    def money(self) -> str:
        r = self.rng
        return r.choice(
            [f"${r.randint(1, 900)} million", f"${r.randint(1, 40)}.{r.randint(1, 9)} billion"]
        )

    def sentence(self) -> str:
        r = self.rng
        who = r.choice(OFFICIALS + [self.name()] * 4)
        t = r.randrange(9)
        if t == 0:
            s = f"{who} {r.choice(VERBS)} {r.choice(WHEN)} that {r.choice(TOPICS)} would cost {self.money()} {r.choice(CLAUSES)}."
        elif t == 1:
            s = f'"{r.choice(QUOTES)}," {who} {r.choice(VERBS)} {r.choice(WHEN)}.'
        elif t == 2:
            s = f"The {r.choice(ADJ)} {r.choice(NOUNS)} to {r.choice(TOPICS)} were approved in {r.choice(PLACES)} {r.choice(CLAUSES)}."
        elif t == 3:
            s = f"According to {self.name()}, a researcher in {r.choice(PLACES)}, {r.choice(TOPICS)} affected about {self.number()} {r.choice(WHEN)}."
        elif t == 4:
            s = f"Critics said {r.choice(TOPICS)} and {r.choice(TOPICS)} had been handled poorly, and {who} {r.choice(VERBS)} that {r.choice(ADJ)} {r.choice(NOUNS)} were likely."
        elif t == 5:
            s = f"In {r.choice(PLACES)}, residents described {r.choice(ADJ)} {r.choice(NOUNS)} {r.choice(CLAUSES)}."
        elif t == 6:
            s = f"Officials in {r.choice(COUNTRIES)} have not commented on {r.choice(TOPICS)}."
        elif t == 7:
            s = f"{who} {r.choice(VERBS)} that the figure rose by {r.randint(2, 60)} percent compared with the same period last year."
        else:
            s = f"{self.name()}, who leads the {r.choice(['commission', 'committee', 'task force', 'agency', 'union'])}, {r.choice(VERBS)} {r.choice(WHEN)} that {r.choice(TOPICS)} remained the main concern."
        return s[0].upper() + s[1:]

    def _fill(self, template: str) -> str:
        r = self.rng
        values = dict(
            official=r.choice(OFFICIALS),
            verb=r.choice(VERBS),
            topic=r.choice(TOPICS),
            when=r.choice(WHEN),
            adj=r.choice(ADJ),
            noun=r.choice(NOUNS),
            place=r.choice(PLACES),
            clause=r.choice(CLAUSES),
            name=self.name(),
        )
        values.update({k.capitalize(): v[0].upper() + v[1:] for k, v in list(values.items())})
        return template.format(**values)

    # -- documents ----------------------------------------------------------------------
    def article(self, min_bytes: int = 3000, max_bytes: int = 5000) -> str:
        """Headline, byline, optional date line, dateline lead, paragraphs, sometimes a teaser."""
        r = self.rng
        target = r.randint(min_bytes, max_bytes)
        lines = [self._fill(r.choice(HEADLINE_TEMPLATES)), ""]
        byline = f"By {self.name()}"
        if r.random() < 0.4:
            byline += f", {r.choice(OUTLETS)}"
        lines += [byline, ""]
        if r.random() < 0.6:
            lines += [f"{r.choice(MONTHS)} {r.randint(1, 28)}, {r.randint(2019, 2025)}", ""]
        lead = f"{r.choice(PLACES).upper()} — {self.sentence()}"
        body = [lead]
        size = sum(len(x) + 1 for x in lines) + len(lead)
        tail = f"Read the full article at {r.choice(OUTLETS)}." if r.random() < 0.3 else None
        reserve = len(tail) + 2 if tail else 0
        while True:
            para = " ".join(self.sentence() for _ in range(r.randint(2, 4)))
            if size + len(para) + 2 + reserve > target and len(body) > 1:
                break
            body.append(para)
            size += len(para) + 2
        lines.append("\n\n".join(body))
        if tail:
            lines += ["", tail]
        return "\n".join(lines) + "\n"

    def write_articles(self, folder: Path, n: int) -> tuple[list[Path], int]:
        """`n` articles as `article-NNNNN.txt` files in `folder`; their paths and total bytes."""
        folder.mkdir(parents=True, exist_ok=True)
        paths, total = [], 0
        for i in range(n):
            data = self.article().encode("utf-8")
            path = folder / f"article-{i:05d}.txt"
            path.write_bytes(data)
            paths.append(path)
            total += len(data)
        return paths, total

    def chunk(self, words: int = 100) -> str:
        """About `words` words of consecutive generated sentences."""
        out: list[str] = []
        n = 0
        while n < words:
            s = self.sentence()
            out.append(s)
            n += s.count(" ") + 1
        return " ".join(out)

    def query(self) -> str:
        r = self.rng
        t = r.randrange(4)
        if t == 0:
            return f"What did {r.choice(OFFICIALS)} say about {r.choice(TOPICS)}?"
        if t == 1:
            return f"{r.choice(TOPICS)} in {r.choice(PLACES)}"
        if t == 2:
            return f"Who is {self.name()} and what did they claim about {r.choice(TOPICS)}?"
        return f"How much will {r.choice(TOPICS)} cost {r.choice(COUNTRIES)}?"
