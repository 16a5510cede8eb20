"""Speaker ids from voice embeddings: online while the session runs, and a consistent re-clustering at stop.

Online: each finalized segment's embedding joins the most similar known speaker when the cosine
similarity reaches `threshold`, else it opens a new speaker (unless `max_speakers` is reached, then the
nearest wins). Centroids are duration-weighted running sums, so a speaker's id is stable once seen.
At stop: centroid-linkage agglomerative clustering of all embeddings (the whole session in view), with the
new clusters renamed to the online ids they overlap most, so labels the user already saw (and renamed)
stay put where the two agree.
"""

from __future__ import annotations

from collections import Counter

import numpy as np


def _unit(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    n = np.linalg.norm(x, axis=-1, keepdims=True)
    return x / np.maximum(n, 1e-12)


MIN_NEW_SPEAKER_S = 1.0  # shorter segments join the nearest known speaker instead of opening a new one
MIN_SPEAKER_S = 3.0  # at stop, a "speaker" with less speech than this in the whole session joins the nearest


def speaker_name(index: int) -> str:
    return f"S{index + 1}"


class OnlineClustering:
    def __init__(self, threshold: float = 0.65, max_speakers: int = 0) -> None:
        self.threshold = threshold
        self.max_speakers = max_speakers
        self._sums: list[np.ndarray] = []
        self._counts: list[int] = []

    @property
    def n_speakers(self) -> int:
        return len(self._sums)

    def centroids(self) -> np.ndarray:
        return _unit(np.stack(self._sums)) if self._sums else np.zeros((0, 0))

    def assign(self, embedding: np.ndarray, weight: float = 1.0) -> str:
        """The speaker id for one embedding; `weight` (seconds of speech) sets its pull on the centroid.

        A segment shorter than MIN_NEW_SPEAKER_S never opens a new speaker: its voice print is too noisy
        (measured: short GE2E prints of one voice fall far below the threshold), so it joins the nearest
        speaker without moving that speaker's centroid."""
        e = _unit(embedding)
        if self._sums:
            sims = self.centroids() @ e
            best = int(np.argmax(sims))
            full = bool(self.max_speakers) and self.n_speakers >= self.max_speakers
            if weight < MIN_NEW_SPEAKER_S and sims[best] < self.threshold:
                return speaker_name(best)
            if sims[best] >= self.threshold or full:
                self._sums[best] = self._sums[best] + weight * e
                self._counts[best] += 1
                return speaker_name(best)
        self._sums.append(weight * e)
        self._counts.append(1)
        return speaker_name(len(self._sums) - 1)


def agglomerative(
    embeddings: np.ndarray, threshold: float = 0.65, max_speakers: int = 0, weights: np.ndarray | None = None
) -> list[int]:
    """Centroid-linkage clustering on cosine similarity: merge the two clusters whose duration-weighted
    centroids are most similar while that similarity is at least `threshold` (and further while there are
    more than `max_speakers`). Labels are numbered by first appearance.

    Centroids, not average pairwise similarity: the online step compares a segment with a centroid, and
    pairwise averages run ~0.1 lower than centroid similarities for the same voice, so one threshold for
    both made the stop-time pass split speakers the live pass had kept together (benchmarks/diarization.py).
    Each merge updates one row of the similarity matrix: O(n^2) per session, fine for an hour of meeting."""
    x = _unit(embeddings)
    n = len(x)
    if n == 0:
        return []
    w = np.ones(n) if weights is None else np.maximum(np.asarray(weights, dtype=np.float64), 1e-3)
    sums = x * w[:, None]
    members: list[list[int]] = [[i] for i in range(n)]
    alive = np.ones(n, dtype=bool)
    cent = _unit(sums)
    sim = cent @ cent.T
    np.fill_diagonal(sim, -np.inf)
    clusters = n
    while clusters > 1:
        masked = np.where(alive[:, None] & alive[None, :], sim, -np.inf)
        a, b = np.unravel_index(int(np.argmax(masked)), masked.shape)
        best = masked[a, b]
        too_many = bool(max_speakers) and clusters > max_speakers
        if best < threshold and not too_many:
            break
        a, b = (a, b) if a < b else (b, a)
        sums[a] += sums[b]
        members[a] += members[b]
        alive[b] = False
        clusters -= 1
        ca = _unit(sums[a])
        row = _unit(sums) @ ca
        sim[a, :] = row
        sim[:, a] = row
        sim[a, a] = -np.inf
    if weights is not None:  # a speaker heard for under MIN_SPEAKER_S in all is a noisy print, not a person
        big = [i for i in range(n) if alive[i] and w[members[i]].sum() >= MIN_SPEAKER_S]
        for i in range(n):
            if alive[i] and big and i not in big:
                target = max(big, key=lambda j: float(_unit(sums[j]) @ _unit(sums[i])))
                sums[target] += sums[i]
                members[target] += members[i]
                alive[i] = False
    labels = [0] * n
    order = sorted((members[i] for i in range(n) if alive[i]), key=min)
    for k, group in enumerate(order):
        for i in group:
            labels[i] = k
    return labels


def relabel_consistently(new: list[int], online: list[str]) -> list[str]:
    """Name each new cluster after the online id it shares most segments with (each id used once)."""
    overlap = Counter(zip(new, online, strict=True))
    names: dict[int, str] = {}
    used: set[str] = set()
    for (cluster, name), _count in overlap.most_common():
        if cluster not in names and name not in used:
            names[cluster] = name
            used.add(name)
    next_index = 0
    for cluster in sorted(set(new)):
        if cluster not in names:
            while speaker_name(next_index) in used:
                next_index += 1
            names[cluster] = speaker_name(next_index)
            used.add(names[cluster])
    return [names[c] for c in new]
