"""Speaker ids from voice embeddings: the whole session re-clustered as it grows, with the number of
speakers estimated from the session itself (or given by the user), and an honest "uncertain" when the
voices cannot be told apart.

Why not one fixed cosine threshold: GE2E prints of real voices sit close together (measured on meetings:
same person ~0.84, different people ~0.77, overlapping ranges), and where they sit depends on the
session (microphone, room, segment lengths); the synthetic voices sit at 0.93 and 0.55. A threshold that
separates the synthetic voices merges every real meeting into one speaker (benchmarks/diarization.py).

What runs instead (`cluster_session`):
- Spectral clustering with the eigengap estimate of the number of speakers, on a k-nearest-neighbour
  graph of the cosine similarities, with the neighbourhood size chosen per session by the normalized
  maximum eigengap (NME-SC, Park et al. 2019, "Auto-tuning spectral clustering for speaker diarization
  using normalized maximum eigengap"). Only the ranks of the similarities matter, not their level, so it
  adapts to each session's similarity scale; measured on simulated GE2E-like prints at 0.84 vs 0.77 it
  finds 1 to 6 speakers exactly from ~30 prints on (2 to 4 from ~20), where the fixed threshold found one.
- The number is capped at one speaker per PRINTS_PER_SPEAKER prints, and the neighbourhoods tried are
  at least 2 prints: without that, the eigengap of 8 prints of one voice said 5 to 7 speakers. With one
  speaker per 2 prints, a live two-person chat of 20 long prints was once called 7 speakers: on a graph that
  sparse the eigengaps past the first few are wide too (the 9th was wider than the 2nd); one per 3 prints
  found 2 there, and exact counts on simulated real-like voices rose from 72 % to 75 % of sessions (1-3
  speakers: all from 20 prints on; 6 speakers from 20 prints fell, from 50 % to 17 %). Where a
  smaller number's eigengap is nearly as wide (GAP_TOLERANCE), the smaller number wins: the synthetic
  dialogues otherwise showed 3 or 4 speakers for a few lines mid-session (one voice's long and short
  sentences).
- Prints shorter than MIN_NEW_SPEAKER_S do not shape the clusters (GE2E prints of short segments drift
  together whoever speaks: spectral clustering made short and long segments of one voice two speakers);
  they join the nearest speaker afterwards.
- The old fixed-threshold agglomeration still gives a lower bound: voices that are *absolutely* far apart
  (centroid similarity under `threshold`, as the synthetic voices are) are different people however few
  prints there are.
- A speaker with less than MIN_SPEAKER_S of speech in all joins the nearest (a stray print is not a person).

Uncertain: the labels say "speakers uncertain" when some pair of speakers is neither absolutely apart nor
clearly separated in this session (within-speaker similarities above the between-speaker ones by at least
MIN_SEPARATION pooled standard deviations, with at least RELIABLE_PRINTS prints), and when one speaker is
found from fewer than RELIABLE_PRINTS prints (too few to have told two similar voices apart).

Bounded cost: at most MAX_UNITS units are clustered; beyond that the two most similar units merge into
one (their duration-weighted sum), so an hour of meeting costs what a few minutes do (~10 ms a pass).
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

import numpy as np


def _unit(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    n = np.linalg.norm(x, axis=-1, keepdims=True)
    return x / np.maximum(n, 1e-12)


MIN_NEW_SPEAKER_S = 1.0  # shorter prints never shape a speaker: they join the nearest one
MIN_SPEAKER_S = 3.0  # a "speaker" with less speech than this in the whole session joins the nearest
PRINTS_PER_SPEAKER = 3  # the estimate allows one speaker per this many (long) prints
MAX_SPEAKERS = 10  # the most the estimate considers (the settings allow speakers.count up to 10)
RELIABLE_PRINTS = 20  # from this many long prints on, the estimated number is trusted (simulated 0.84/0.77)
MIN_SEPARATION = 1.0  # within-minus-between similarity, in pooled within-speaker standard deviations
MAX_UNITS = 200  # units clustered at most; more prints merge into units first
MAX_NEIGHBOUR_SIZES = 12  # neighbourhood sizes tried by the NME search
NEIGHBOUR_SHARE = 0.2  # the largest neighbourhood tried, as a share of the prints
GAP_TOLERANCE = 0.8  # a smaller number of speakers whose eigengap is this close to the largest one wins


def speaker_name(index: int) -> str:
    return f"S{index + 1}"


@dataclass(frozen=True, slots=True)
class Clusters:
    """One clustering of a session: a cluster per print (numbered by first appearance), their number, and
    whether the voices could be told apart with confidence."""

    labels: list[int]
    n_speakers: int
    uncertain: bool


def cluster_session(
    embeddings: np.ndarray,
    weights: np.ndarray | None = None,
    count: int = 0,
    threshold: float = 0.65,
    max_speakers: int = 0,
    means: bool = False,
) -> Clusters:
    """Cluster a session's voice prints (rows of `embeddings`, in time order; `weights`: seconds of speech
    each). `count` > 0: exactly that many speakers (as far as there are prints); `max_speakers` > 0 caps
    the estimate; `threshold`: the cosine similarity under which two speakers' centroids are surely
    different voices. `means`: the rows are means of unit-length prints (units of several prints), used as
    they are, so that their dot products are average similarities between prints, on the same scale as
    single prints' (a normalized mean would look more similar to everything than any print does)."""
    x = np.asarray(embeddings, dtype=np.float64) if means else _unit(np.asarray(embeddings, dtype=np.float64))
    n = len(x)
    if n == 0:
        return Clusters([], 0, False)
    w = np.ones(n) if weights is None else np.maximum(np.asarray(weights, dtype=np.float64), 1e-3)
    long = w >= MIN_NEW_SPEAKER_S
    if long.sum() < 2:  # nothing long enough to shape speakers: every print counts
        long = np.ones(n, dtype=bool)
    xl, wl = x[long], w[long]
    m = len(xl)
    cap = min(MAX_SPEAKERS, max_speakers or MAX_SPEAKERS)

    if count:
        k = min(count, m)
        part = _partition(xl, wl, k)
    else:
        sure = agglomerative(xl, threshold, 0, wl)  # absolutely different voices
        k_sure = len(set(sure))
        k_spec, part_spec = _spectral_estimate(xl, min(MAX_SPEAKERS, m // PRINTS_PER_SPEAKER))
        if k_spec >= k_sure:
            k, part = k_spec, part_spec
        else:
            k, part = k_sure, np.asarray(sure)
        if k > cap:
            k, part = cap, _partition(xl, wl, cap)

    labels = np.zeros(n, dtype=int)
    labels[long] = part
    if not long.all():  # short prints join the nearest speaker
        cents = _centroids(xl, wl, part, k)
        labels[~long] = np.argmax(x[~long] @ cents.T, axis=1)
    if not count:
        labels = _absorb_small(x, w, labels)
    labels = _by_first_appearance(labels)
    k = int(labels.max()) + 1
    uncertain = _uncertain(x, w, labels, long, threshold, count)
    return Clusters([int(v) for v in labels], k, uncertain)


# -- the pieces ----------------------------------------------------------------------------------------------


def _spectral_estimate(x: np.ndarray, k_max: int) -> tuple[int, np.ndarray]:
    """NME-SC: for each neighbourhood size p, binarize the similarities to each print's p nearest, take
    the graph Laplacian's eigenvalues; pick the p with the best ratio p / (largest eigengap among the first
    k_max+1, over the largest eigenvalue), and the number of speakers where that gap is."""
    n = len(x)
    if k_max < 2 or n < 4:
        return 1, np.zeros(n, dtype=int)
    sims = x @ x.T
    best: tuple[float, np.ndarray, np.ndarray] | None = None
    for p in _neighbour_sizes(n):
        lam, vec = _laplacian_eig(sims, p)
        gaps = np.diff(lam[: k_max + 1])
        g = float(gaps.max()) / max(float(lam[-1]), 1e-10)
        ratio = p / max(g, 1e-10)
        if best is None or ratio < best[0]:
            best = (ratio, gaps, vec)
    assert best is not None
    _, gaps, vec = best
    k = int(np.flatnonzero(gaps >= GAP_TOLERANCE * gaps.max())[0]) + 1  # the fewest speakers the gaps allow
    if k == 1:
        return 1, np.zeros(n, dtype=int)
    return k, _kmeans(vec[:, :k], k)


def _partition(x: np.ndarray, w: np.ndarray, k: int) -> np.ndarray:
    """Exactly k clusters: spectral with the neighbourhood size whose eigengap at k is widest, or, with too
    few prints for a graph, centroid-linkage agglomeration down to k."""
    n = len(x)
    if k <= 1:
        return np.zeros(n, dtype=int)
    if n < 2 * k or n < 4:
        return np.asarray(agglomerative(x, 2.0, k, None))
    sims = x @ x.T
    best: tuple[float, np.ndarray] | None = None
    for p in _neighbour_sizes(n):
        lam, vec = _laplacian_eig(sims, p)
        g = float(lam[k] - lam[k - 1]) / max(float(lam[-1]), 1e-10)
        if best is None or p / max(g, 1e-10) < best[0]:
            best = (p / max(g, 1e-10), vec)
    assert best is not None
    return _kmeans(best[1][:, :k], k)


def _neighbour_sizes(n: int) -> list[int]:
    lo = min(n - 1, max(2, n // 10))
    hi = max(lo, min(n - 1, int(n * NEIGHBOUR_SHARE)))
    return sorted({int(p + 0.5) for p in np.linspace(lo, hi, min(MAX_NEIGHBOUR_SIZES, hi - lo + 1))})


def _laplacian_eig(sims: np.ndarray, p: int) -> tuple[np.ndarray, np.ndarray]:
    n = len(sims)
    masked = sims.copy()
    np.fill_diagonal(masked, -np.inf)
    nearest = np.argpartition(-masked, p - 1, axis=1)[:, :p]
    b = np.zeros((n, n))
    b[np.repeat(np.arange(n), p), nearest.ravel()] = 1.0
    a = (b + b.T) / 2
    lap = np.diag(a.sum(axis=1)) - a
    return np.linalg.eigh(lap)


def _kmeans(y: np.ndarray, k: int, restarts: int = 8, iterations: int = 50) -> np.ndarray:
    """Plain k-means with k-means++ starts; seeded, so the same prints always give the same clusters."""
    rng = np.random.default_rng(0)
    n = len(y)
    best, best_cost = np.zeros(n, dtype=int), np.inf
    for _ in range(restarts):
        centres = [y[rng.integers(n)]]
        for _ in range(1, k):
            d = np.min(((y[:, None, :] - np.asarray(centres)[None]) ** 2).sum(-1), axis=1)
            centres.append(y[rng.choice(n, p=d / d.sum())] if d.sum() > 0 else y[rng.integers(n)])
        c = np.asarray(centres)
        labels = np.zeros(n, dtype=int)
        for _ in range(iterations):
            labels = np.argmin(((y[:, None, :] - c[None]) ** 2).sum(-1), axis=1)
            new = np.stack([y[labels == j].mean(axis=0) if (labels == j).any() else c[j] for j in range(k)])
            if np.allclose(new, c):
                break
            c = new
        cost = float(((y - c[labels]) ** 2).sum())
        if cost < best_cost - 1e-12:
            best, best_cost = labels, cost
    return best


def _centroids(x: np.ndarray, w: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    return _unit(np.stack([(x[labels == j] * w[labels == j, None]).sum(axis=0) for j in range(k)]))


def _absorb_small(x: np.ndarray, w: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """A speaker with under MIN_SPEAKER_S of speech in all joins the nearest real one (smallest first)."""
    labels = labels.copy()
    while True:
        ids = sorted(set(labels.tolist()), key=lambda j: w[labels == j].sum())
        big = [j for j in ids if w[labels == j].sum() >= MIN_SPEAKER_S]
        small = [j for j in ids if j not in big]
        if not small or not big:
            return labels
        j = small[0]
        cj = _unit((x[labels == j] * w[labels == j, None]).sum(axis=0))
        target = max(big, key=lambda b: float(_unit((x[labels == b] * w[labels == b, None]).sum(axis=0)) @ cj))
        labels[labels == j] = target


def _by_first_appearance(labels: np.ndarray) -> np.ndarray:
    order: dict[int, int] = {}
    for v in labels.tolist():
        order.setdefault(v, len(order))
    return np.asarray([order[v] for v in labels.tolist()], dtype=int)


def separation(sims: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    """How far apart two groups of prints (indices into `sims`) are: mean within-group similarity minus
    mean between-group similarity, in pooled within-group standard deviations; nan when neither group has
    two prints (nothing says how much one voice varies)."""
    within = []
    for g in (a, b):
        block = sims[np.ix_(g, g)]
        within.append(block[~np.eye(len(g), dtype=bool)])
    pooled = np.concatenate(within)
    if len(pooled) < 2:
        return float("nan")
    between = sims[np.ix_(a, b)].ravel()
    return float((pooled.mean() - between.mean()) / max(float(pooled.std()), 1e-6))


def _uncertain(
    x: np.ndarray, w: np.ndarray, labels: np.ndarray, long: np.ndarray, threshold: float, count: int
) -> bool:
    k = int(labels.max()) + 1
    n_long = int(long.sum())
    if k == 1:  # one speaker said by the user is not in doubt; one found among few prints is
        return not count and n_long < RELIABLE_PRINTS and len(x) >= 2
    cents = _centroids(x, w, labels, k)
    sims = x @ x.T
    for a in range(k):
        for b in range(a + 1, k):
            if float(cents[a] @ cents[b]) < threshold:
                continue  # absolutely different voices
            ia, ib = np.flatnonzero((labels == a) & long), np.flatnonzero((labels == b) & long)
            sep = separation(sims, ia, ib) if len(ia) and len(ib) else float("nan")
            if n_long < RELIABLE_PRINTS or not sep >= MIN_SEPARATION:
                return True
    return False


# -- the session's prints, bounded ---------------------------------------------------------------------------


class SessionClustering:
    """A session's voice prints, re-clustered whole whenever asked (`cluster`), so that the number of
    speakers and earlier labels can change as the session grows. Keeps at most `max_units` units: past
    that, the two units with the highest average similarity between their prints merge (their prints then
    always share a speaker). Average, not centroid similarity: a centroid of many prints is close to every
    centroid, and merging by it snowballed into units of several speakers (4 simulated voices became one)."""

    def __init__(
        self, threshold: float = 0.65, max_speakers: int = 0, count: int = 0, max_units: int = MAX_UNITS
    ) -> None:
        self.threshold = threshold
        self.max_speakers = max_speakers
        self.count = count
        self.max_units = max_units
        self._keys: list[list[Hashable]] = []
        self._sums: list[np.ndarray] = []  # sums of unit-length prints
        self._weights: list[float] = []  # seconds of speech

    def __len__(self) -> int:
        return sum(len(k) for k in self._keys)

    def add(self, key: Hashable, embedding: np.ndarray, weight: float = 1.0) -> None:
        self._keys.append([key])
        self._sums.append(_unit(embedding))
        self._weights.append(float(weight))
        while len(self._keys) > self.max_units:
            self._merge_closest()

    def cluster(self) -> tuple[dict[Hashable, int], Clusters]:
        """Each print's cluster (by key), and the clustering of the units."""
        if not self._keys:
            return {}, Clusters([], 0, False)
        counts = np.asarray([len(k) for k in self._keys], dtype=np.float64)
        result = cluster_session(
            np.stack(self._sums) / counts[:, None],
            np.asarray(self._weights),
            self.count,
            self.threshold,
            self.max_speakers,
            means=True,
        )
        out = {key: label for keys, label in zip(self._keys, result.labels, strict=True) for key in keys}
        return out, result

    def _merge_closest(self) -> None:
        """Merge the pair of units with the highest average similarity between their prints, among pairs
        small enough to keep the units of even size (a unit far bigger than the rest is a hub every print
        is near, and the neighbour graph lost the speakers)."""
        sums = np.stack(self._sums)
        counts = np.asarray([len(k) for k in self._keys], dtype=np.float64)
        average = (sums @ sums.T) / np.outer(counts, counts)
        largest = max(2.0, np.ceil(2 * counts.sum() / self.max_units))
        average[counts[:, None] + counts[None, :] > largest] = -np.inf
        np.fill_diagonal(average, -np.inf)
        if np.isfinite(average).any():
            a, b = sorted(np.unravel_index(int(np.argmax(average)), average.shape))
        else:  # (cannot happen with more units than max_units; kept total)
            a, b = sorted(int(i) for i in np.argsort(counts)[:2])
        self._keys[a] += self._keys.pop(b)
        self._sums[a] = self._sums[a] + self._sums.pop(b)
        self._weights[a] += self._weights.pop(b)


# -- helpers kept from the fixed-threshold clustering ---------------------------------------------------------


def agglomerative(
    embeddings: np.ndarray, threshold: float = 0.65, max_speakers: int = 0, weights: np.ndarray | None = None
) -> list[int]:
    """Centroid-linkage clustering on cosine similarity: merge the two clusters whose duration-weighted
    centroids are most similar while that similarity is at least `threshold` (and further while there are
    more than `max_speakers`). Labels are numbered by first appearance. With `weights`, a cluster with under
    MIN_SPEAKER_S of speech in all joins the nearest.

    Centroids, not average pairwise similarity: pairwise averages run ~0.1 lower than centroid similarities
    for the same voice. Each merge updates one row of the similarity matrix: O(n^2) in all."""
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


def relabel_consistently(new: list[int], shown: list[str | None], seniority: list[float] | None = None) -> list[str]:
    """Name each new cluster after the id already shown for most of its segments (each id used once);
    segments not shown yet (None) do not vote. `seniority`: a weight per segment's vote, e.g. how long it
    has shown its id, so that a voice split for a moment and merged again gets back the id the user saw
    longest rather than the one its larger half had for a moment. Clusters left over get the lowest
    free ids."""
    weights = [1.0] * len(new) if seniority is None else list(seniority)
    overlap: dict[tuple[int, str], float] = {}
    for cluster, name, weight in zip(new, shown, weights, strict=True):
        if name is not None:
            overlap[cluster, name] = overlap.get((cluster, name), 0.0) + weight
    names: dict[int, str] = {}
    used: set[str] = set()
    for (cluster, name), _votes in sorted(overlap.items(), key=lambda item: (-item[1], item[0])):
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


def consecutive_ids(shown: list[str]) -> dict[str, str]:
    """Old id -> new id so that the ids in `shown` (in time order) become S1..Sk by first appearance,
    only for ids that change. Consistent relabelling keeps the ids the user saw, so a voice split for a while
    and merged again leaves gaps ("S1", "S4"); at the end of a session they are closed."""
    order = list(dict.fromkeys(shown))
    return {old: speaker_name(i) for i, old in enumerate(order) if old != speaker_name(i)}
