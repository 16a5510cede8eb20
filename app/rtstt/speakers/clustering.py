"""Speaker ids from voice embeddings: online while the session runs, and a consistent re-clustering at stop.

Online: each finalized segment's embedding joins the most similar known speaker when the cosine
similarity reaches `threshold`, else it opens a new speaker (unless `max_speakers` is reached, then the
nearest wins). Centroids are running means, so a speaker's id is stable once seen.
At stop: average-linkage agglomerative clustering of all embeddings (the whole session in view), with the
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


def speaker_name(index: int) -> str:
    return f"S{index + 1}"


class OnlineClustering:
    def __init__(self, threshold: float = 0.75, max_speakers: int = 0) -> None:
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
        """The speaker id for one embedding; `weight` (e.g. seconds of speech) sets its pull on the centroid."""
        e = _unit(embedding)
        if self._sums:
            sims = self.centroids() @ e
            best = int(np.argmax(sims))
            full = bool(self.max_speakers) and self.n_speakers >= self.max_speakers
            if sims[best] >= self.threshold or full:
                self._sums[best] = self._sums[best] + weight * e
                self._counts[best] += 1
                return speaker_name(best)
        self._sums.append(weight * e)
        self._counts.append(1)
        return speaker_name(len(self._sums) - 1)


def agglomerative(embeddings: np.ndarray, threshold: float = 0.75, max_speakers: int = 0) -> list[int]:
    """Average-linkage clustering on cosine similarity; merges while clusters are at least `threshold`
    similar on average (and further while there are more than `max_speakers`). Labels are numbered by
    first appearance. SciPy's linkage keeps an hour-long session (~1000 segments) well under a second."""
    x = _unit(embeddings)
    n = len(x)
    if n == 0:
        return []
    if n == 1:
        return [0]
    from scipy.cluster.hierarchy import fcluster, linkage

    tree = linkage(x, method="average", metric="cosine")
    raw = fcluster(tree, t=1.0 - threshold, criterion="distance")
    if max_speakers and len(set(raw)) > max_speakers:
        raw = fcluster(tree, t=max_speakers, criterion="maxclust")
    order: dict[int, int] = {}
    for c in raw:
        order.setdefault(int(c), len(order))
    return [order[int(c)] for c in raw]


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
