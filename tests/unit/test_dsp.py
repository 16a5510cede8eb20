import numpy as np
import pytest

from rtstt.audio.dsp import StreamResampler, level_dbfs, resample, to_mono


def sine(freq: float, rate: int, seconds: float, amp: float = 0.5) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def dominant_freq(x: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.fft.rfftfreq(len(x), 1 / rate)[np.argmax(spectrum)])


def test_to_mono_averages_channels_and_scales_integers():
    stereo = np.array([[1.0, 0.0], [0.5, 0.5]], dtype=np.float32)
    assert to_mono(stereo).tolist() == [0.5, 0.5]
    ints = np.array([[16384], [-32768]], dtype=np.int16)
    assert to_mono(ints).tolist() == [0.5, -1.0]


def test_resample_keeps_pitch_and_duration():
    x = sine(440, 48000, 1.0)
    y = resample(x, 48000, 16000)
    assert len(y) == 16000
    assert dominant_freq(y, 16000) == pytest.approx(440, abs=2)


def test_stream_resampler_matches_one_shot_without_seams():
    x = sine(1000, 44100, 1.0)
    stream = StreamResampler(44100, 16000)
    blocks = [stream.process(x[i : i + 441]) for i in range(0, len(x), 441)]
    blocks.append(stream.process(np.zeros(0, dtype=np.float32), last=True))
    y = np.concatenate(blocks)
    assert abs(len(y) - 16000) <= 2
    # no clicks at the block seams: the signal stays a clean sine
    assert dominant_freq(y, 16000) == pytest.approx(1000, abs=2)
    assert np.max(np.abs(y[200:-200])) < 0.52


def test_level_dbfs():
    assert level_dbfs(np.zeros(100, dtype=np.float32)) == -120.0
    assert level_dbfs(np.array([], dtype=np.float32)) == -120.0
    assert level_dbfs(sine(1000, 16000, 1.0, amp=1.0)) == pytest.approx(-3.01, abs=0.05)
