"""Chunking time against the number of lines: linear work should take ~4x for 4x the lines.

    .venv/bin/python bench/chunking.py [--lines 125000,250000,500000] [--json]

Prints figures only; nothing here asserts on time.

Each text is generated in this run (deterministic, `bench/_corpus.NewsText`): short news lines
(3-9 words, ~40 characters: 500k of them stay under the 20 M-character limit of a source),
a blank line after every fifth, a byline and a date line at the top and a promotional line
every 200 lines, so the metadata and boilerplate passes see what they see in articles. The
three steps of `retrieval.library._chunk` are timed separately on the same text (sentence
spans, metadata + boilerplate, packing into chunks), then the ratio of the largest to the
smallest size, measured in this same run so the machine's load affects both alike.
"""

from __future__ import annotations

import argparse
import json
import os
import time

import _common  # noqa: F401  (import path)
from _common import machine, peak_rss_mb
from _corpus import NewsText


def lines_text(n_lines: int, seed: int = 7) -> str:
    """`n_lines` lines of short news text (blank lines included in the count)."""
    news = NewsText(seed=seed)
    rng = news.rng
    lines = [f"By {news.name()}", "May 3, 2024", ""]
    while len(lines) < n_lines:
        if len(lines) % 200 == 0:
            lines.append("Read the full article at The Daily Courier.")
        elif len(lines) % 6 == 5:
            lines.append("")
        else:
            words = news.sentence().split()
            lines.append(" ".join(words[: rng.randint(3, 9)]).rstrip(",.") + ".")
    return "\n".join(lines[:n_lines]) + "\n"


def time_chunking(text: str) -> dict:
    from retrieval.chunker import chunk_spans
    from retrieval.metadata import extract_metadata
    from retrieval.sentences import sentence_spans

    t0 = time.perf_counter()
    sentences = sentence_spans(text)
    t1 = time.perf_counter()
    _, excluded = extract_metadata(text, sentences)
    t2 = time.perf_counter()
    chunks = chunk_spans(text, sentences, excluded)
    t3 = time.perf_counter()
    return {
        "chars": len(text),
        "sentences": len(sentences),
        "chunks": len(chunks),
        "sentences_s": round(t1 - t0, 3),
        "metadata_s": round(t2 - t1, 3),
        "pack_s": round(t3 - t2, 3),
        "total_s": round(t3 - t0, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", default="125000,250000,500000")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    sizes = [int(x) for x in args.lines.split(",")]
    load_before = os.getloadavg()
    time_chunking(lines_text(2000))  # warm-up: library loading is not chunking time
    rows = []
    for n in sizes:
        text = lines_text(n)
        row = {"lines": n, **time_chunking(text)}
        rows.append(row)
        if not args.json:
            print(
                f"{n:>8,} lines  {row['chars']:>11,} chars  {row['sentences']:>8,} sentences  "
                f"{row['chunks']:>7,} chunks  total {row['total_s']:7.2f} s  "
                f"(sentences {row['sentences_s']:.2f}, metadata {row['metadata_s']:.2f}, "
                f"pack {row['pack_s']:.2f})",
                flush=True,
            )
    ratio = rows[-1]["total_s"] / rows[0]["total_s"] if rows[0]["total_s"] else None
    lines_ratio = sizes[-1] / sizes[0]
    result = {
        "sizes": rows,
        "ratio_largest_smallest": round(ratio, 2) if ratio else None,
        "lines_ratio": lines_ratio,
        "peak_rss_mb": round(peak_rss_mb()),
        "machine": machine(load_before),
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(
            f"time({sizes[-1]:,}) / time({sizes[0]:,}) = {result['ratio_largest_smallest']} "
            f"(lines x{lines_ratio:g}: about {lines_ratio:g} when linear, "
            f"{lines_ratio**2:g} when quadratic); peak RSS {result['peak_rss_mb']} MB; "
            f"load {result['machine']['loadavg_before']} -> {result['machine']['loadavg_after']}"
        )


if __name__ == "__main__":
    main()
