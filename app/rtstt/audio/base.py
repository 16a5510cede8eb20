"""What every audio source shares: the `AudioSource` protocol and `RingSource`, the base of live capture.

Every source delivers 16 kHz mono float32 blocks through `read(timeout)`: an empty array means
"nothing yet", `None` means "ended" (the file ran out, `stop()` was called, or the device failed;
`error` then says why). Live sources capture in a callback into an `AudioRing` and convert on the
reader's side, so the callback only copies.
"""

from __future__ import annotations

import threading
from typing import Any, Protocol, runtime_checkable

import numpy as np

from rtstt.audio.dsp import StreamResampler
from rtstt.audio.ring import AudioRing
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

    def __init__(self, name: str, rate: int) -> None:
        self.name = name
        self.rate = int(rate)
        self.error: RtsttError | None = None
        self.ring = AudioRing(int(RING_SECONDS * self.rate))
        self._resampler = StreamResampler(self.rate)
        self._stopped = threading.Event()

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

    def read(self, timeout: float = 0.0) -> np.ndarray | None:
        block = self.ring.read(timeout=timeout)
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
