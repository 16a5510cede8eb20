import numpy as np

from rtstt.audio.mix import MixSource


class Scripted:
    realtime = True

    def __init__(self, blocks, name="s"):
        self.blocks = list(blocks)
        self.name = name
        self.error = None

    def start(self):
        pass

    def stop(self):
        self.blocks = []

    def read(self, timeout=0.0):
        if not self.blocks:
            return None
        return self.blocks.pop(0)


def drain(mix: MixSource) -> np.ndarray:
    out = []
    while (block := mix.read()) is not None:
        out.append(block)
    return np.concatenate(out)


def test_both_sides_are_summed_sample_aligned():
    a = Scripted([np.full(100, 0.2, np.float32), np.full(100, 0.2, np.float32)])
    b = Scripted([np.full(150, 0.4, np.float32), np.full(50, 0.4, np.float32)])
    mixed = drain(MixSource(a, b, gain=1.0))
    assert len(mixed) == 200
    assert np.allclose(mixed, 0.6)


def test_a_silent_side_does_not_stall_the_other():
    empty = np.zeros(0, np.float32)
    a = Scripted([np.full(16000, 0.5, np.float32)] + [empty] * 5)
    b = Scripted([empty] * 10)
    mix = MixSource(a, b, max_skew_s=0.5, gain=1.0)
    got = mix.read()
    assert got is not None and len(got) == 16000 and np.allclose(got, 0.5)
