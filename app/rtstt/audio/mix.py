"""System audio and microphone together (a call: what you hear and what you say) as one source.

Both live sources deliver 16 kHz mono at the pace of their own clocks; the mix emits what both have
delivered, summed with headroom, so neither side runs ahead. If one side stops delivering for longer
than `max_skew_s` (a muted or broken device), the other one goes on alone instead of stalling.
"""

from __future__ import annotations

import numpy as np

from rtstt.audio.base import AudioSource
from rtstt.errors import RtsttError
from rtstt.vocab import SAMPLE_RATE


class MixSource:
    realtime = True

    def __init__(self, a: AudioSource, b: AudioSource, max_skew_s: float = 0.5, gain: float = 0.7) -> None:
        self.sources = (a, b)
        self.name = f"{a.name} + {b.name}"
        self.error: RtsttError | None = None
        self._pending = [np.zeros(0, np.float32), np.zeros(0, np.float32)]
        self._max_skew = int(max_skew_s * SAMPLE_RATE)
        self._gain = gain
        self._ended = [False, False]

    @property
    def dropped_s(self) -> float:
        return float(sum(getattr(s, "dropped_s", 0.0) for s in self.sources))

    def start(self) -> None:
        for s in self.sources:
            s.start()

    def stop(self) -> None:
        for s in self.sources:
            s.stop()

    def read(self, timeout: float = 0.0) -> np.ndarray | None:
        for i, s in enumerate(self.sources):
            if self._ended[i]:
                continue
            block = s.read(timeout=timeout if i == 0 else 0.0)
            if block is None:
                self._ended[i] = True
                if s.error is not None and self.error is None:
                    self.error = s.error
            elif block.size:
                self._pending[i] = np.concatenate([self._pending[i], block])
        if all(self._ended):
            rest = self._mix_all()
            return rest if rest.size else None
        if self.error is not None:  # a device failed: end the stream, the engine reports it
            return None
        a, b = self._pending
        n = min(len(a), len(b))
        if (n == 0 and max(len(a), len(b)) > self._max_skew) or any(self._ended):
            n = max(len(a), len(b))  # one side is silent or gone: let the other through
        if n == 0:
            return np.zeros(0, np.float32)
        return self._take(n)

    def _take(self, n: int) -> np.ndarray:
        out = np.zeros(n, np.float32)
        for i in (0, 1):
            part = self._pending[i][:n]
            out[: len(part)] += part
            self._pending[i] = self._pending[i][n:]
        return np.clip(out * self._gain, -1.0, 1.0)

    def _mix_all(self) -> np.ndarray:
        return self._take(max(len(p) for p in self._pending))
