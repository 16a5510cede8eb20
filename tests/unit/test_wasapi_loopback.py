"""WASAPI loopback logic, against a faithful double of PyAudioWPatch (the real one is Windows-only)."""

from __future__ import annotations

import time

import numpy as np
import pytest

from rtstt.audio.loopback import WasapiLoopbackSource, capture_time, list_wasapi_loopback
from rtstt.errors import AudioDeviceError
from tests.unit import fake_pyaudiowpatch as fake


@pytest.fixture(autouse=True)
def reset_fake():
    fake.playing.update(signal=None, unplug_after_s=None, wasapi=True, silent_spans=[], stall=None)
    fake.opened.clear()
    yield


def stereo_sine(freq: float):
    def signal(pos: int, n: int, rate: int) -> np.ndarray:
        t = (pos + np.arange(n)) / rate
        left = 0.5 * np.sin(2 * np.pi * freq * t)
        return np.stack([left, left], axis=1).astype(np.float32)

    return signal


def collect(source: WasapiLoopbackSource, seconds: float) -> np.ndarray:
    got: list[np.ndarray] = []
    n = 0
    deadline = time.monotonic() + 10
    while n < seconds * 16000 and time.monotonic() < deadline:
        block = source.read(timeout=0.05)
        if block is None:
            break
        got.append(block)
        n += len(block)
    return np.concatenate(got) if got else np.zeros(0, np.float32)


def test_default_speakers_are_captured_through_their_loopback_twin_at_16k_mono():
    fake.playing["signal"] = stereo_sine(440)
    source = WasapiLoopbackSource(pyaudio=fake)
    assert "Speakers (Realtek Audio) [Loopback]" in source.name
    source.start()
    audio = collect(source, 1.3)
    source.stop()
    opened = fake.opened[0]
    assert opened["input_device_index"] == 2 and opened["channels"] == 2 and opened["rate"] == 48000
    assert len(audio) >= 16000
    spectrum = np.abs(np.fft.rfft(audio[3000:19000] * np.hanning(16000)))
    assert np.argmax(spectrum) == pytest.approx(440, abs=2)  # 1 Hz bins over one second
    assert 0.3 < np.max(np.abs(audio)) < 0.55


def test_a_named_output_device_is_found():
    source = WasapiLoopbackSource("Headphones", pyaudio=fake)
    assert source.rate == 44100
    source.stop()


def test_devices_are_listed_with_stable_ids_and_the_default_marked():
    devices = list_wasapi_loopback(pyaudio=fake)
    assert [d.id for d in devices] == ["wasapi/speakers-realtek-audio-loopback", "wasapi/headphones-usb-loopback"]
    assert [d.is_default for d in devices] == [True, False]


def test_missing_wasapi_and_unknown_devices_are_clear_errors():
    with pytest.raises(AudioDeviceError, match="no loopback device matches 'HDMI'"):
        WasapiLoopbackSource("HDMI", pyaudio=fake)
    fake.playing["wasapi"] = False
    with pytest.raises(AudioDeviceError, match="WASAPI is not available"):
        WasapiLoopbackSource(pyaudio=fake)


def test_an_unplugged_device_ends_the_stream_with_an_error():
    fake.playing.update(signal=stereo_sine(300), unplug_after_s=0.2)
    source = WasapiLoopbackSource(pyaudio=fake)
    source.start()
    deadline = time.monotonic() + 5
    block = source.read(timeout=0.05)
    while block is not None and time.monotonic() < deadline:
        block = source.read(timeout=0.05)
    assert block is None
    assert isinstance(source.error, AudioDeviceError)
    source.stop()


def tone_bursts(spans: list[tuple[float, float]], freq: float = 440.0):
    """Stereo: a tone during each (start_s, end_s) span of the device timeline, digital silence elsewhere."""

    def signal(pos: int, n: int, rate: int) -> np.ndarray:
        t = (pos + np.arange(n)) / rate
        on = np.zeros(n, bool)
        for a, b in spans:
            on |= (t >= a) & (t < b)
        mono = np.where(on, 0.5 * np.sin(2 * np.pi * freq * t), 0.0)
        return np.stack([mono, mono], axis=1).astype(np.float32)

    return signal


def loud(audio: np.ndarray, step: int = 160) -> np.ndarray:
    """Per 10 ms at 16 kHz: is there tone (not silence)?"""
    frames = audio[: len(audio) // step * step].reshape(-1, step)
    return np.sqrt(np.mean(frames**2, axis=1)) > 0.05


def test_no_packets_while_nothing_plays_becomes_silence_of_the_right_length():
    """WASAPI sends nothing while no render stream is active: audio time must still follow the wall clock,
    so the tone after the gap sits where it was played, not where the capture resumed."""
    fake.playing.update(signal=tone_bursts([(0.0, 0.4), (1.0, 1.4)]), silent_spans=[(0.505, 0.95)])
    source = WasapiLoopbackSource(pyaudio=fake)
    t0 = time.monotonic()
    source.start()
    audio = collect(source, 1.6)
    wall = time.monotonic() - t0
    source.stop()
    # nothing arrived for 0.45 s; it came back as silence, and the stream kept pace with the wall clock
    assert abs(wall - len(audio) / 16000) < 0.08, (wall, len(audio) / 16000)
    assert source.filled_s == pytest.approx(0.445, abs=0.02)
    on = np.flatnonzero(loud(audio)) / 100  # seconds, 10 ms resolution
    first, second = on[on < 0.7], on[on >= 0.7]
    assert first[0] == pytest.approx(0.0, abs=0.02) and first[-1] == pytest.approx(0.39, abs=0.02)
    assert second[0] == pytest.approx(1.0, abs=0.02) and second[-1] == pytest.approx(1.39, abs=0.02)


def test_late_but_contiguous_packets_get_no_silence_inserted():
    """The capture thread not scheduled for 60 ms (three callbacks late): the packets wait and come back
    to back with their capture times; the tone stays unbroken and nothing is filled."""
    fake.playing.update(signal=tone_bursts([(0.0, 10.0)]), stall=(0.3, 0.06))
    source = WasapiLoopbackSource(pyaudio=fake)
    source.start()
    audio = collect(source, 0.8)
    source.stop()
    assert source.filled_s == 0.0
    assert loud(audio[:12000]).all()  # 0.75 s of tone without a hole


def test_capture_times_come_from_portaudio_time_info():
    assert capture_time({"input_buffer_adc_time": 1000.5, "current_time": 1000.52}, now=7.0) == pytest.approx(6.98)
    # a host that gives no time (0), a broken one, or none at all: the arrival time is used instead
    assert capture_time({"input_buffer_adc_time": 0.0, "current_time": 1000.5}, now=7.0) is None
    assert capture_time({"input_buffer_adc_time": 1005.0, "current_time": 1000.5}, now=7.0) is None
    assert capture_time({}, now=7.0) is None
