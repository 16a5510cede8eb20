"""The numpy Kaldi filterbank against torchaudio's kaldi.fbank, called as WeSpeaker calls it."""

from __future__ import annotations

import time

import numpy as np
import pytest

from rtstt.speakers.fbank import cmn, kaldi_fbank

RATE = 16000


def torchaudio_fbank(audio: np.ndarray) -> np.ndarray:
    torch = pytest.importorskip("torch")
    kaldi = pytest.importorskip("torchaudio.compliance.kaldi")
    waveform = torch.from_numpy(np.asarray(audio, dtype=np.float32))[None] * (1 << 15)
    return kaldi.fbank(
        waveform,
        num_mel_bins=80,
        frame_length=25,
        frame_shift=10,
        dither=0.0,
        sample_frequency=RATE,
        window_type="hamming",
        energy_floor=0.0,
        use_energy=False,
    ).numpy()


def chirp_with_noise(seconds: float, seed: int = 0) -> np.ndarray:
    """A 100 Hz .. 6 kHz sweep over a noise floor 30 dB down: energy in every mel bin, as in speech."""
    t = np.arange(int(seconds * RATE)) / RATE
    sweep = 0.3 * np.sin(2 * np.pi * (100 * t + (6000 - 100) / (2 * seconds) * t**2))
    return (sweep + 0.01 * np.random.default_rng(seed).standard_normal(len(t))).astype(np.float32)


def quantised_sine(seconds: float = 1.0) -> np.ndarray:
    """A 440 Hz tone at 16-bit sample levels, as a WAV file decodes."""
    t = np.arange(int(seconds * RATE)) / RATE
    return (np.round(0.5 * np.sin(2 * np.pi * 440 * t) * 32767) / 32768).astype(np.float32)


# float32 rounding alone: torchaudio's float32 result is itself ~1.3e-3 from its float64 one in the quietest
# bins of a loud frame; a wrong window, mel bank or preemphasis moves values by 0.1 and more.
MAX_LOG_DIFF = 3e-3


@pytest.mark.parametrize(
    "audio",
    [chirp_with_noise(1.3), chirp_with_noise(3.0, seed=1), quantised_sine()],
    ids=["chirp-1.3s", "chirp-3s", "sine-16bit"],
)
def test_matches_torchaudio_kaldi_fbank(audio: np.ndarray):
    reference = torchaudio_fbank(audio)
    feats = kaldi_fbank(audio)
    assert feats.dtype == np.float32 and feats.shape == reference.shape
    assert feats.shape == (1 + (len(audio) - 400) // 160, 80)
    difference = np.abs(feats - reference)
    assert difference.max() < MAX_LOG_DIFF, difference.max()
    assert difference.mean() < 1e-4, difference.mean()


def test_frame_counts_at_the_edges():
    for n in (400, 559, 560, 16000, 16159):
        assert len(kaldi_fbank(np.zeros(n, dtype=np.float32))) == len(torchaudio_fbank(np.zeros(n)))
    assert kaldi_fbank(np.zeros(399, dtype=np.float32)).shape == (0, 80)  # torchaudio refuses it


def test_silence_is_the_epsilon_floor():
    feats = kaldi_fbank(np.zeros(RATE, dtype=np.float32))
    assert np.allclose(feats, np.log(np.finfo(np.float32).eps))
    assert np.array_equal(feats, torchaudio_fbank(np.zeros(RATE)))


def test_cmn_takes_the_mean_off_each_bin():
    feats = kaldi_fbank(chirp_with_noise(2.0))
    normalised = cmn(feats)
    assert normalised.dtype == np.float32 and normalised.shape == feats.shape
    assert np.abs(normalised.mean(axis=0)).max() < 1e-4
    assert np.allclose(normalised, feats - feats.mean(axis=0), atol=1e-5)
    assert cmn(np.zeros((0, 80), dtype=np.float32)).shape == (0, 80)


def test_thirty_seconds_is_fast():
    audio = chirp_with_noise(30.0)
    kaldi_fbank(audio)
    start = time.perf_counter()
    for _ in range(5):
        kaldi_fbank(audio)
    per_call = (time.perf_counter() - start) / 5
    assert per_call < 0.2, per_call  # ~16 ms here; generous for a loaded CI machine
