"""WASAPI loopback logic, against a faithful double of PyAudioWPatch (the real one is Windows-only)."""

from __future__ import annotations

import time

import numpy as np
import pytest

from rtstt.audio.loopback import WasapiLoopbackSource, list_wasapi_loopback
from rtstt.errors import AudioDeviceError
from tests.unit import fake_pyaudiowpatch as fake


@pytest.fixture(autouse=True)
def reset_fake():
    fake.playing.update(signal=None, unplug_after_s=None, wasapi=True)
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
