"""What every audio source shares: the `AudioSource` protocol and `RingSource`, the base of live capture.

Every source delivers 16 kHz mono float32 blocks through `read(timeout)`: an empty array means
"nothing yet", `None` means "ended" (the file ran out, `stop()` was called, or the device failed;
`error` then says why). Live sources capture in a callback into an `AudioRing` and convert on the
reader's side, so the callback only copies. A source whose device may deliver nothing for a while
(system audio) keeps its stream on the wall clock through a `WallClock` (wallclock.py): it captures
through `capture`, and `read` turns the time nothing arrived into silence.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Protocol, runtime_checkable

import numpy as np

from rtstt.audio.dsp import StreamResampler
from rtstt.audio.ring import AudioRing
from rtstt.audio.wallclock import WallClock
from rtstt.errors import AudioDeviceError, RtsttError

RING_SECONDS = 30.0  # what a stalled engine may fall behind before the oldest audio is dropped


@runtime_checkable
class AudioSource(Protocol):
    name: str
    realtime: bool  # audio arrives at the speed of speech (latency is meaningful)
    error: RtsttError | None

    def start(self) -> None: ...

    def read(self, timeout: float = 0.0) -> np.ndarray | None: ...

    def stop(self) -> None: ...


class RingSource:
    """Base for live sources: a capture callback fills the ring; `read` resamples to 16 kHz."""

    realtime = True

    def __init__(self, name: str, rate: int, wall_clock: bool = False) -> None:
        """`wall_clock`: keep the stream on the wall clock (see `capture`); `start` must call `clock_start`."""
        self.name = name
        self.rate = int(rate)
        self.error: RtsttError | None = None
        self.ring = AudioRing(int(RING_SECONDS * self.rate))
        self._resampler = StreamResampler(self.rate)
        self._stopped = threading.Event()
        self.clock: WallClock | None = WallClock(self.rate) if wall_clock else None
        self._clock_lock = threading.Lock()  # the capture thread and the reader both move the clock

    @property
    def dropped_s(self) -> float:
        return self.ring.dropped / self.rate

    def fail(self, error: RtsttError) -> None:
        """Called from the capture side when the device goes away; `read` then ends the stream."""
        if self.error is None and not self._stopped.is_set():
            self.error = error
        self.ring.close()

    def alive(self) -> bool:
        return True

    @property
    def filled_s(self) -> float:
        """Silence inserted for the time the device delivered nothing."""
        return self.clock.filled / self.rate if self.clock is not None else 0.0

    def clock_start(self) -> None:
        """Time zero of the stream: called by `start` just before capture begins."""
        if self.clock is not None:
            with self._clock_lock:
                self.clock.start(time.monotonic())

    def capture(self, samples: np.ndarray, captured_at: float | None = None, discontinuity: bool = False) -> None:
        """Called from the capture thread with mono samples at the device rate (`captured_at`: when the
        first was captured, on `time.monotonic()`'s clock, if the device says)."""
        if self.clock is None:
            self.ring.write(samples)
            return
        with self._clock_lock:  # the zeros and the block go into the ring in the clock's order
            now = time.monotonic()
            self.ring.write(self.clock.block(samples, now, captured_at, discontinuity))

    def _capture_pending(self) -> bool:
        """True when captured audio is on its way to `capture` (not silence): no filling yet."""
        return False

    def _fill_idle(self) -> bool:
        """Nothing to read: write the silence the wall clock is owed (only while capture is running)."""
        if self.clock is None or self._stopped.is_set() or self.error is not None or not self.alive():
            return False
        if self._capture_pending():
            return False
        with self._clock_lock:
            k = self.clock.idle(time.monotonic())
            if k:
                self.ring.write(np.zeros(k, np.float32))
        return k > 0

    def read(self, timeout: float = 0.0) -> np.ndarray | None:
        block = self.ring.read(timeout=timeout)
        if not block.size and self._fill_idle():
            block = self.ring.read()
        if block.size:
            return self._resampler.process(block)
        if self._stopped.is_set() or self.error is not None or not self.alive():
            if self.error is None and not self._stopped.is_set():
                self.error = AudioDeviceError(f"{self.name} stopped delivering audio", "is it still plugged in?")
            return None
        return block

    def stop(self) -> None:
        self._stopped.set()
        self.ring.close()


def load_sounddevice() -> Any:
    """The `sounddevice` module (PortAudio), for microphones and their listing; a missing PortAudio
    library is an AudioDeviceError that says how to install it."""
    try:
        import sounddevice
    except OSError as exc:  # the PortAudio library itself is missing
        raise AudioDeviceError(
            "PortAudio is not installed, so microphones cannot be used",
            "Debian/Ubuntu: sudo apt install libportaudio2",
        ) from exc
    return sounddevice
