"""The stories a dossier's sources tell: sources grouped by what their text is about.

A dossier is meant to hold one story, but a user may put two into one. The briefing then
writes one short section per story (its title, its sources, an overview from that story's
summaries only) instead of an overview that covers whichever story is the larger.

Pure functions over vectors, no model and no library:

- `source_vectors`: one vector per source, the normalised mean of its sentence vectors (the
  sentences the briefing already embeds to compare the sources, so this costs nothing more);
- `group_sources`: average-linkage agglomerative clustering over cosine similarity, merging
  while the two closest groups are on average at least `STORY_SIMILARITY` alike;
- `representative`: which of a story's candidates (e.g. its sources' headlines) is nearest
  the story's centroid, to name the story.

`STORY_SIMILARITY` was measured with the bundled embedder (all-MiniLM-L6-v2) on the seed
articles and on articles written for the tests on other stories (`bench/stories.py`): pairs of
sources of one story are 0.55-0.93 alike (median 0.83), pairs of different stories -0.09-0.60
(median 0.17; the highest, two transport strikes in different cities). Single pairs overlap;
groups do not: average linkage, which compares a group's sources on average rather than its
nearest pair (connected components would chain two stories through one such pair), finds the
ten stories exactly at any threshold from 0.50 to 0.60 (the app's OpenVINO int8 backend of the
same model, `--cache`: 0.45 to 0.60; pairs 0.55-0.93 within, -0.08-0.60 between).

Cost: each row's most alike group is kept up to date, so a merge costs O(n) and the grouping
about O(n^2): 1,000 sources in about 1 s, 2,000 in about 4 s (a busy 2-core machine).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# Two groups of sources are one story when their sources are, on average, at least this alike
# (cosine of the per-source mean sentence vectors of all-MiniLM-L6-v2). Measured by
# bench/stories.py: 27 sources of 10 stories are grouped exactly at thresholds 0.50-0.60
# (torch) and 0.45-0.60 (OpenVINO int8).
STORY_SIMILARITY = 0.55
# An embedder whose vectors are of another kind (a test's) may state its own threshold as a
# `story_similarity` attribute; the bundled one does not, and gets STORY_SIMILARITY.


def story_similarity(embedder: object) -> float:
    """The threshold `group_sources` uses for vectors of `embedder`."""
    return float(getattr(embedder, "story_similarity", STORY_SIMILARITY))


# Bump when the grouping rules change, so briefings prepared with the old ones are made again.
STORY_RULES = 1


def source_vectors(
    source_ids: Sequence[str], owners: Sequence[str], vectors: np.ndarray
) -> np.ndarray:
    """One unit vector per id of `source_ids`: the mean of the rows of `vectors` whose owner
    (`owners[i]`, the source of row i) it is. A source with no row gets a zero vector, which is
    alike to nothing (it forms a story of its own)."""
    dim = vectors.shape[1] if vectors.ndim == 2 and len(vectors) else 1
    out = np.zeros((len(source_ids), dim), dtype=np.float64)
    row_of = {source_id: i for i, source_id in enumerate(source_ids)}
    for owner, vector in zip(owners, vectors, strict=True):
        i = row_of.get(owner)
        if i is not None:
            out[i] += _normalised(np.asarray(vector, dtype=np.float64)[None, :])[0]
    return _normalised(out)


def similarities(vectors: np.ndarray) -> np.ndarray:
    """The cosine similarity of every pair of rows (rows are normalised first)."""
    unit = _normalised(np.asarray(vectors, dtype=np.float64))
    return unit @ unit.T


def group_sources(vectors: np.ndarray, threshold: float = STORY_SIMILARITY) -> list[list[int]]:
    """Rows of `vectors` (one per source) grouped into stories: average-linkage agglomerative
    clustering over cosine similarity, merging the two most alike groups while their mean
    pairwise similarity is at least `threshold`. Groups are lists of row numbers in increasing
    order; the largest group comes first (ties: the one with the earliest row)."""
    n = len(vectors)
    if n == 0:
        return []
    sim = similarities(vectors)
    np.fill_diagonal(sim, -np.inf)
    # Each row's most alike other group, kept up to date, so a merge costs O(n), not O(n^2).
    best = sim.argmax(axis=1)
    members: dict[int, list[int]] = {i: [i] for i in range(n)}
    alive = np.ones(n, dtype=bool)
    rows = np.arange(n)
    while len(members) > 1:
        a = int(np.argmax(sim[rows, best]))
        b = int(best[a])
        if sim[a, b] < threshold:
            break
        a, b = min(a, b), max(a, b)
        size_a, size_b = len(members[a]), len(members[b])
        # Lance-Williams update for average linkage: the new group's mean similarity to every
        # other group is the size-weighted mean of its two parts' similarities.
        merged = (size_a * sim[a] + size_b * sim[b]) / (size_a + size_b)
        sim[a, :] = merged
        sim[:, a] = merged
        sim[a, a] = -np.inf
        sim[b, :] = -np.inf
        sim[:, b] = -np.inf
        members[a] = sorted(members[a] + members.pop(b))
        alive[b] = False
        # Rows that pointed at a or b may now be less alike to them: look again; any other
        # row keeps its best unless the merged group is more alike.
        stale = ((best == a) | (best == b)) & alive
        stale[a] = True
        for row in np.flatnonzero(stale):
            best[row] = int(sim[row].argmax())
        closer = alive & (sim[:, a] > sim[rows, best])
        best[closer] = a
    return sorted(members.values(), key=lambda rows: (-len(rows), rows[0]))


def representative(candidates: np.ndarray, members: np.ndarray) -> int:
    """The row of `candidates` nearest (cosine) the centroid of the unit rows of `members`:
    what best stands for the group, e.g. the headline that names the story."""
    centroid = _normalised(np.asarray(members, dtype=np.float64)).mean(axis=0)
    scores = _normalised(np.asarray(candidates, dtype=np.float64)) @ centroid
    return int(np.argmax(scores))


def _normalised(rows: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return np.divide(rows, norms, out=np.zeros_like(rows), where=norms > 0)
