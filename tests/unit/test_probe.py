"""The source probe's arithmetic (levels and the silence timer on arrays) and its thread (a fake source)."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from rtstt.audio.dsp import SILENCE_DBFS
from rtstt.audio.probe import SILENT_AFTER_S, SILENT_DBFS, Level, LevelProbe, LevelTracker, peak_dbfs
from rtstt.errors import AudioDeviceError
from rtstt.vocab import SAMPLE_RATE

RATE = SAMPLE_RATE


def tone(seconds: float, amplitude: float, freq: float = 440.0) -> np.ndarray:
    t = np.arange(round(seconds * RATE)) / RATE
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def silence(seconds: float) -> np.ndarray:
    return np.zeros(round(seconds * RATE), np.float32)


def test_one_reading_per_100_ms_with_rms_and_peak():
    tracker = LevelTracker()
    levels = tracker.feed(tone(1.0, 0.5))
    assert len(levels) == 10
    level = levels[-1]
    assert level.rms_dbfs == pytest.approx(20 * np.log10(0.5 / np.sqrt(2)), abs=0.1)  # about -9 dBFS
    assert level.peak_dbfs == pytest.approx(20 * np.log10(0.5), abs=0.1)  # about -6 dBFS
    assert not level.silent and level.quiet_s == 0.0


def test_partial_blocks_wait_for_the_rest():
    tracker = LevelTracker()
    assert tracker.feed(tone(0.05, 0.5)) == []
    assert tracker.feed(tone(0.03, 0.5)) == []
    (level,) = tracker.feed(tone(0.04, 0.5))  # 120 ms in all: one block, 20 ms kept
    assert level.rms_dbfs > -10
    assert len(tracker.feed(tone(0.08, 0.5))) == 1


def test_peak_and_silence_floor():
    assert peak_dbfs(np.zeros(10, np.float32)) == SILENCE_DBFS
    assert peak_dbfs(np.array([], np.float32)) == SILENCE_DBFS
    assert peak_dbfs(np.array([0.0, -1.0, 0.5], np.float32)) == pytest.approx(0.0)
    (level,) = LevelTracker().feed(silence(0.1))
    assert level.rms_dbfs == SILENCE_DBFS and level.peak_dbfs == SILENCE_DBFS


def test_silent_after_three_seconds_below_the_threshold_not_before():
    tracker = LevelTracker()
    quiet = tone(2.9, 10 ** ((SILENT_DBFS - 10) / 20) * np.sqrt(2))  # -65 dBFS RMS: room hum, no sound
    levels = tracker.feed(quiet)
    assert all(lv.rms_dbfs < SILENT_DBFS for lv in levels)
    assert not any(lv.silent for lv in levels)
    assert levels[-1].quiet_s == pytest.approx(2.9)
    (level,) = tracker.feed(silence(0.1))
    assert level.silent and level.quiet_s == pytest.approx(SILENT_AFTER_S)
    assert tracker.silent


def test_sound_clears_silence_at_once_and_the_timer_starts_again():
    tracker = LevelTracker()
    assert tracker.feed(silence(3.5))[-1].silent
    (level,) = tracker.feed(tone(0.1, 0.1))  # -23 dBFS
    assert not level.silent and level.quiet_s == 0.0
    levels = tracker.feed(silence(2.0))
    assert not levels[-1].silent  # a pause in speech is not a silent device
    assert tracker.feed(silence(1.0))[-1].silent


def test_speech_with_pauses_never_reads_silent():
    tracker = LevelTracker()
    for _ in range(5):
        levels = tracker.feed(np.concatenate([tone(0.8, 0.2), silence(1.5)]))
        assert not any(lv.silent for lv in levels)


def test_threshold_and_time_are_settings():
    tracker = LevelTracker(silent_dbfs=-20.0, silent_after_s=0.5)
    levels = tracker.feed(tone(0.6, 0.05))  # -29 dBFS: under this threshold
    assert levels[-1].silent


def test_feed_silence_counts_time_without_audio():
    tracker = LevelTracker()
    tracker.feed_silence(2.0)
    assert not tracker.silent
    tracker.feed_silence(1.0)
    assert tracker.silent


# ---- the probe's thread, over a fake source -----------------------------------------------------------


class FakeSource:
    """Delivers whatever the test queues, 20 ms at a time; `fail()` ends it like an unplugged device."""

    realtime = True

    def __init__(self, name: str = "fake mic") -> None:
        self.name = name
        self.error: AudioDeviceError | None = None
        self.audio = np.zeros(0, np.float32)
        self.started = threading.Event()
        self.stopped = threading.Event()
        self.lock = threading.Lock()
        self.gone = False

    def start(self) -> None:
        self.started.set()

    def queue(self, samples: np.ndarray) -> None:
        with self.lock:
            self.audio = np.concatenate([self.audio, samples])

    def fail(self) -> None:
        self.error = AudioDeviceError(f"{self.name} stopped (unplugged?)", "reconnect it and start again")
        self.gone = True

    def read(self, timeout: float = 0.0) -> np.ndarray | None:
        if self.gone or self.stopped.is_set():
            return None
        with self.lock:
            block, self.audio = self.audio[:320], self.audio[320:]
        if not block.size:
            time.sleep(timeout)
        return block

    def stop(self) -> None:
        self.stopped.set()


def wait_for(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_probe_reports_levels_then_silence_then_sound_again():
    source = FakeSource()
    seen: list[Level] = []
    probe = LevelProbe(lambda: source, on_level=seen.append, silent_after_s=0.5)
    source.queue(tone(0.3, 0.3))
    probe.start()
    wait_for(lambda: len(seen) >= 3)
    assert seen[0].rms_dbfs > -15 and seen[0].source == "fake mic" and not seen[0].error
    wait_for(lambda: probe.latest().silent)  # nothing delivered: idle time counts as silence
    source.queue(tone(0.2, 0.3))
    wait_for(lambda: not probe.latest().silent)
    assert probe.stop() and source.stopped.is_set() and not probe.running


def test_a_device_that_cannot_open_is_a_message_not_an_exception():
    def opener():
        raise AudioDeviceError("no usable input device: Invalid device", "see `rtstt devices`")

    probe = LevelProbe(opener, name="Microphone")
    probe.start()
    wait_for(lambda: probe.latest() is not None)
    level = probe.latest()
    assert level.error == "no usable input device: Invalid device" and level.hint == "see `rtstt devices`"
    assert level.source == "Microphone"
    assert probe.stop()


def test_any_driver_exception_is_a_message_too():
    probe = LevelProbe(lambda: (_ for _ in ()).throw(OSError("PortAudio exploded")), name="Microphone")
    probe.start()
    wait_for(lambda: probe.latest() is not None)
    assert "PortAudio exploded" in probe.latest().error and probe.latest().hint


def test_an_unplugged_device_is_reported_and_the_probe_ends():
    source = FakeSource()
    probe = LevelProbe(lambda: source)
    source.queue(tone(0.2, 0.3))
    probe.start()
    wait_for(lambda: probe.latest() is not None)
    source.fail()
    wait_for(lambda: bool(probe.latest().error))
    assert "unplugged" in probe.latest().error and probe.latest().source == "fake mic"
    wait_for(lambda: not probe.running)
    assert source.stopped.is_set()


def test_stop_releases_the_device_quickly_and_a_slow_open_is_closed_when_it_returns():
    source = FakeSource()
    probe = LevelProbe(lambda: source)
    probe.start()
    source.started.wait(2)
    t0 = time.monotonic()
    assert probe.stop()
    assert time.monotonic() - t0 < 0.5 and source.stopped.is_set()

    slow = FakeSource()
    release = threading.Event()

    def slow_opener():
        release.wait(5)
        return slow

    probe = LevelProbe(slow_opener)
    probe.start()
    assert not probe.stop(timeout=0.1)  # still opening
    release.set()
    wait_for(slow.stopped.is_set)
    assert not slow.started.is_set()  # never started: closed as soon as the open returned
