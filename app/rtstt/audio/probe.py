"""Listening to an input before a session starts: how loud it is, and whether it is silent.

The window shows a live level meter beside the source picker and warns when the chosen input has been
silent for a few seconds, so a wrong device is found before Start instead of after a silent minute.
Qt-free: `LevelTracker` is the arithmetic on arrays (RMS and peak over 100 ms blocks, and the silence
timer); `LevelProbe` opens a source on a thread of its own, feeds the tracker and hands each reading to a
callback and to `latest()` (the window polls that from a timer, so its thread never waits on a device).

The probe lets go of the device before a session opens it: the window calls `stop()` when Start is
pressed, and `stop` returns once the source is closed. Sharing the probe's stream with the session would
save one open, but would tie the session's source (its ring, its wall clock, its error path) to a monitor
that was opened for a glance; opening is cheap (a `parec` process or a PortAudio stream) while some
devices (ALSA `hw:` inputs, exclusive-mode Windows endpoints) can be open only once at a time.

A device that cannot be opened, or that stops delivering, is a `Level` with `error` and `hint` set (the
words of its `AudioDeviceError`), never an exception on the probe's thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from rtstt.audio.base import AudioSource
from rtstt.audio.dsp import SILENCE_DBFS, level_dbfs
from rtstt.errors import AudioDeviceError, RtsttError
from rtstt.vocab import SAMPLE_RATE

log = logging.getLogger(__name__)

BLOCK_S = 0.1  # one reading per 100 ms of audio
SILENT_DBFS = -55.0  # quieter than this (RMS) counts as no sound: room noise on a live mic is above it
SILENT_AFTER_S = 3.0  # this long without sound and the input is called silent
IDLE_FILL_S = 0.25  # a source that delivers nothing for this long is taken as delivering silence


def peak_dbfs(block: np.ndarray) -> float:
    """The largest absolute sample of a block in dBFS (full scale = 0); silence clamps to -120."""
    block = np.asarray(block, dtype=np.float32)
    if block.size == 0:
        return SILENCE_DBFS
    peak = float(np.max(np.abs(block)))
    return max(SILENCE_DBFS, 20.0 * float(np.log10(peak))) if peak > 0 else SILENCE_DBFS


@dataclass(frozen=True, slots=True)
class Level:
    """One reading of the probed input (or why there is none: `error`)."""

    rms_dbfs: float = SILENCE_DBFS
    peak_dbfs: float = SILENCE_DBFS
    quiet_s: float = 0.0  # how long the input has been below the silence threshold, up to now
    silent: bool = False  # quiet for SILENT_AFTER_S or longer
    source: str = ""  # the device's name, as the source gives it
    error: str = ""  # the device could not be opened, or stopped delivering
    hint: str = ""  # what to do about `error`


class LevelTracker:
    """RMS and peak of each `block_s` of audio, and how long it has been below `silent_dbfs`.

    Feed it samples of any length (`feed`); it returns one `Level` per complete block and keeps the rest
    for the next call. Silence is counted in samples, so three seconds are three seconds exactly."""

    def __init__(
        self,
        rate: int = SAMPLE_RATE,
        block_s: float = BLOCK_S,
        silent_dbfs: float = SILENT_DBFS,
        silent_after_s: float = SILENT_AFTER_S,
        source: str = "",
    ) -> None:
        self.rate = int(rate)
        self.block = max(1, round(self.rate * block_s))
        self.silent_dbfs = float(silent_dbfs)
        self.silent_after = max(1, round(self.rate * silent_after_s))
        self.source = source
        self._pending = np.zeros(0, np.float32)
        self._quiet = 0  # samples below the threshold since the last sound

    @property
    def quiet_s(self) -> float:
        return self._quiet / self.rate

    @property
    def silent(self) -> bool:
        return self._quiet >= self.silent_after

    def reset(self) -> None:
        self._pending = np.zeros(0, np.float32)
        self._quiet = 0

    def feed(self, samples: np.ndarray) -> list[Level]:
        samples = np.asarray(samples, dtype=np.float32).reshape(-1)
        data = np.concatenate([self._pending, samples]) if self._pending.size else samples
        n = len(data) - len(data) % self.block
        self._pending = data[n:].copy()
        levels = []
        for at in range(0, n, self.block):
            block = data[at : at + self.block]
            rms = level_dbfs(block)
            self._quiet = self._quiet + len(block) if rms < self.silent_dbfs else 0
            levels.append(Level(rms, peak_dbfs(block), self.quiet_s, self.silent, self.source))
        return levels

    def feed_silence(self, seconds: float) -> list[Level]:
        """Time in which the source delivered nothing at all: it counts as silence."""
        return self.feed(np.zeros(max(0, round(seconds * self.rate)), np.float32))


Opener = Callable[[], AudioSource]


class LevelProbe:
    """Monitors one input on a daemon thread: `start`, read `latest()` (or get `on_level` calls), `stop`.

    `opener` opens the source (it runs on the probe's thread, so a slow sound server never blocks the
    caller); `name` is what a failure is called before the source has a name of its own. The source is
    started, read in small steps, and stopped when the probe stops or the device fails."""

    def __init__(
        self,
        opener: Opener,
        name: str = "the input",
        on_level: Callable[[Level], None] | None = None,
        *,
        block_s: float = BLOCK_S,
        silent_dbfs: float = SILENT_DBFS,
        silent_after_s: float = SILENT_AFTER_S,
    ) -> None:
        self.opener = opener
        self.name = name
        self.on_level = on_level
        self.tracker = LevelTracker(block_s=block_s, silent_dbfs=silent_dbfs, silent_after_s=silent_after_s)
        self._latest: Level | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- control (any thread) -------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="rtstt-level-probe", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 3.0) -> bool:
        """Stop reading and close the device; True once it is released (False: still opening after `timeout`,
        it will be closed as soon as the open returns)."""
        self._stop.set()  # the probe's thread sees it within one read (50 ms) and closes the source itself
        thread = self._thread
        if thread is None or thread is threading.current_thread():
            return True
        thread.join(timeout)
        return not thread.is_alive()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def latest(self) -> Level | None:
        """The newest reading, None before the first one."""
        return self._latest

    # -- the probe's thread -----------------------------------------------------------------------------

    def _publish(self, level: Level) -> None:
        self._latest = level
        if self.on_level is not None:
            try:
                self.on_level(level)
            except Exception:  # a broken listener must not end the monitoring
                log.exception("level probe listener failed")

    def _fail(self, exc: BaseException) -> None:
        if isinstance(exc, RtsttError):
            message, hint = exc.message, exc.hint
        else:
            message, hint = f"cannot listen to {self.name}: {exc}", "pick another source"
        latest = self._latest
        self._publish(
            Level(
                source=latest.source if latest is not None and latest.source else self.name,
                error=message,
                hint=hint,
            )
        )

    def _run(self) -> None:
        try:
            source = self.opener()
        except Exception as exc:  # AudioDeviceError with its hint, or anything a device driver raises
            self._fail(exc)
            return
        if self._stop.is_set():  # stopped while the device was opening
            _stop_quietly(source)
            return
        self.tracker.source = getattr(source, "name", "") or self.name
        try:
            source.start()
            self._read(source)
        except Exception as exc:
            if not self._stop.is_set():
                self._fail(exc)
        finally:
            _stop_quietly(source)

    def _read(self, source: AudioSource) -> None:
        last = time.monotonic()
        while not self._stop.is_set():
            block = source.read(timeout=0.05)
            if block is None:
                if not self._stop.is_set():
                    name = self.tracker.source
                    error = source.error or AudioDeviceError(f"{name} stopped delivering audio", "is it plugged in?")
                    self._fail(error)
                return
            now = time.monotonic()
            if block.size:
                levels = self.tracker.feed(block)
                last = now
            elif now - last >= IDLE_FILL_S:
                levels = self.tracker.feed_silence(now - last)
                last = now
            else:
                continue
            for level in levels:
                self._publish(level)


def _stop_quietly(source: AudioSource) -> None:
    try:
        source.stop()
    except Exception:  # a vanished device may not close cleanly; there is nothing left to release
        log.debug("stopping %s failed", getattr(source, "name", source), exc_info=True)
