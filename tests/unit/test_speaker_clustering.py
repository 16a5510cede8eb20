import numpy as np

from rtstt.speakers.clustering import OnlineClustering, agglomerative, relabel_consistently


def voices(n_speakers: int, per: int, dim: int = 256, spread: float = 0.35, seed: int = 0):
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((n_speakers, dim))
    xs, ys = [], []
    for k in range(n_speakers):
        for _ in range(per):
            xs.append(centres[k] + spread * rng.standard_normal(dim) * np.linalg.norm(centres[k]) / np.sqrt(dim))
            ys.append(k)
    order = rng.permutation(len(xs))
    return np.asarray(xs)[order], [ys[i] for i in order]


def purity(labels, truth) -> float:
    from collections import Counter

    pairs = Counter(zip(labels, truth, strict=True))
    best = {}
    for (lab, _truth), c in pairs.items():
        best[lab] = max(best.get(lab, 0), c)
    return sum(best.values()) / len(truth)


def test_online_clustering_finds_an_unknown_number_of_speakers():
    x, truth = voices(3, 20)
    online = OnlineClustering(threshold=0.6)
    labels = [online.assign(e) for e in x]
    assert online.n_speakers == 3
    assert purity(labels, truth) == 1.0


def test_max_speakers_caps_new_ids():
    x, _ = voices(4, 10)
    online = OnlineClustering(threshold=0.99, max_speakers=2)
    labels = {online.assign(e) for e in x}
    assert labels == {"S1", "S2"}


def test_reclustering_at_stop_keeps_the_ids_the_user_saw():
    x, truth = voices(2, 15, seed=3)
    online = OnlineClustering(threshold=0.6)
    seen = [online.assign(e) for e in x]
    seen[4] = "S2" if seen[4] == "S1" else "S1"  # one online mistake
    final = relabel_consistently(agglomerative(x, threshold=0.6), seen)
    assert purity(final, truth) == 1.0
    agree = sum(a == b for a, b in zip(final, seen, strict=True))
    assert agree == len(seen) - 1  # only the mistake changed


def test_agglomerative_respects_max_speakers_and_handles_empty_input():
    x, _ = voices(3, 5)
    assert len(set(agglomerative(x, threshold=0.99, max_speakers=2))) == 2
    assert agglomerative(np.zeros((0, 8))) == []


def test_a_stray_short_print_does_not_become_a_speaker_at_stop():
    x, truth = voices(2, 10, seed=5)
    stray = np.random.default_rng(9).standard_normal((1, x.shape[1]))  # one odd voice print, 1.5 s long
    durations = np.array([4.0] * len(x) + [1.5])
    labels = agglomerative(np.vstack([x, stray]), threshold=0.6, weights=durations)
    assert len(set(labels)) == 2
    assert purity(labels[:-1], truth) == 1.0
