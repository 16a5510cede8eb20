"""A capture stream on the wall clock: what a device did not deliver becomes silence of the right length.

Loopback devices go quiet in the literal sense: WASAPI sends no packets at all while nothing plays, a
Pulse monitor sends nothing while its sink is suspended, and `parec` on an idle sink gets its first
bytes one or two seconds after it connects. Counted as audio, the stream then falls behind the wall
clock, and every latency, backlog and timestamp computed from it is wrong by the missing time.

`WallClock` is the arithmetic that prevents it, kept pure (no audio library, no thread, no clock of
its own: every call is given `now`, a `time.monotonic()` value) so that it is tested with simulated
arrivals. Positions are in samples at the device's rate. The source calls `block` for each captured
block and writes what it returns, and calls `idle` while nothing arrives, writing the zeros it returns.

1. Gaps. Every block has a place on the wall clock: its capture time when the capture layer reports
   one (PortAudio's `input_buffer_adc_time`), else `now - len/rate`, the latest it can have started
   (a block cannot arrive before it is captured, so this estimate is never early; a block that is
   only late looks like a gap). A block that belongs more than `gap_tol_s` after the stream's
   position is preceded by zeros up to its place. Smaller shortfalls are the jitter of normal
   delivery and are left alone, so a late but contiguous block is never split by silence; readers
   should hand over a burst in one piece (see the Pulse reader) so its estimate stays right.
2. Idle. While nothing arrives, `idle(now)` fills up to `now - hold_s`: the stream keeps advancing
   (the VAD closes an utterance, the backlog stays true) and a block late by less than `hold_s` still
   finds its place free.
3. Drift. What is left (a device clock slightly faster or slower than the wall clock, a gap under the
   tolerance, a stall that `idle` mistook for silence) is a small steady offset. It is measured as the
   largest `position - place` over the blocks of the last `window_s` (with arrival estimates this is
   the least-delayed block, the closest to the truth) and corrected only inside quiet blocks (peak
   under `quiet_peak`, -60 dBFS): zeros are inserted before a quiet block when the stream is behind by
   more than `drift_tol_s`, quiet samples are dropped when it is ahead by more. Sound is never cut or
   split. The consequence, by design: a device that runs fast and plays without a single pause (music
   for an hour) runs ahead by its clock error (30 ppm: 0.1 s an hour) until the next pause.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np

QUIET_PEAK = 10 ** (-60 / 20)


@dataclass
class WallClock:
    rate: int
    gap_tol_s: float = 0.05  # two to three 20 ms blocks: less than this is delivery jitter, not a gap
    hold_s: float = 0.1  # nothing for this long: the device is silent, not late
    drift_tol_s: float = 0.02
    window_s: float = 2.0
    quiet_peak: float = QUIET_PEAK
    t0: float | None = None
    position: int = 0  # samples emitted: captured + inserted - dropped
    filled: int = 0  # zeros inserted for gaps and idle time
    drift_inserted: int = 0  # zeros inserted before quiet blocks (behind)
    drift_dropped: int = 0  # quiet samples dropped (ahead)
    _window: deque[tuple[float, int]] = field(default_factory=deque, repr=False)  # (arrival, position - place)
    _adjust: int = 0  # drift corrections since the window's entries were taken

    def start(self, now: float) -> None:
        self.t0 = now
        self.position = 0
        self._window.clear()
        self._adjust = 0

    def place(self, t: float) -> int:
        """The stream position that belongs to wall-clock time `t`."""
        assert self.t0 is not None, "start() first"
        return round((t - self.t0) * self.rate)

    def offset_s(self, now: float) -> float:
        """Stream position minus wall-clock position at `now` (negative: behind)."""
        return (self.position - self.place(now)) / self.rate if self.t0 is not None else 0.0

    def block(
        self, samples: np.ndarray, now: float, captured_at: float | None = None, discontinuity: bool = False
    ) -> np.ndarray:
        """What to emit for a captured block that arrived at `now` (first sample captured at `captured_at`,
        when the capture layer says): the block, after zeros for a gap, or with quiet samples dropped."""
        if self.t0 is None:
            self.start(now - len(samples) / self.rate)
        n = len(samples)
        if n == 0:
            return samples
        start = captured_at if captured_at is not None else now - n / self.rate
        error = self.position - self.place(start)  # > 0: ahead of where the block belongs
        tolerance = int(self.gap_tol_s * self.rate)
        if discontinuity:  # the capture layer says audio was lost before this block
            tolerance = min(tolerance, n)
        if -error > tolerance:
            self._window.clear()
            self._adjust = 0
            self._window.append((now, 0))
            self.filled += -error
            return self._emit(np.concatenate([np.zeros(-error, np.float32), samples]))
        if discontinuity:
            self._window.clear()
            self._adjust = 0
        self._window.append((now, error - self._adjust))
        while len(self._window) > 1 and now - self._window[0][0] > self.window_s:
            self._window.popleft()
        ahead = max(e for _, e in self._window) + self._adjust
        drift_tol = int(self.drift_tol_s * self.rate)
        settled = now - self._window[0][0] >= self.window_s / 2  # long enough to have seen a prompt block
        if not (ahead > drift_tol or (settled and -ahead > drift_tol)):
            return self._emit(samples)
        if float(np.max(np.abs(samples))) >= self.quiet_peak:
            return self._emit(samples)  # sound: never cut or split; the next pause will do
        if ahead > 0:
            k = min(ahead, n)
            self._adjust -= k
            self.drift_dropped += k
            return self._emit(samples[: n - k])
        self._adjust += -ahead
        self.drift_inserted += -ahead
        return self._emit(np.concatenate([np.zeros(-ahead, np.float32), samples]))

    def idle(self, now: float) -> int:
        """Zeros to emit now because nothing arrived: the stream advances to `hold_s` before `now`."""
        if self.t0 is None:
            return 0
        k = self.place(now - self.hold_s) - self.position
        if k <= 0:
            return 0
        self.position += k
        self.filled += k
        self._window.clear()
        self._adjust = 0
        return k

    def _emit(self, out: np.ndarray) -> np.ndarray:
        self.position += len(out)
        return out
