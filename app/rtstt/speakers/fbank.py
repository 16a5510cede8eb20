"""Kaldi log mel filterbanks in numpy: the features WeSpeaker's networks were trained on, without torch.

The installed app has no torch (nor torchaudio), so this reproduces what WeSpeaker (and pyannote's WeSpeaker
wrapper) get from `torchaudio.compliance.kaldi.fbank(waveform * (1 << 15), num_mel_bins=80, frame_length=25,
frame_shift=10, dither=0.0, sample_frequency=16000, window_type="hamming", energy_floor=0.0, use_energy=False)`:
25 ms frames every 10 ms that fit entirely in the audio (snip_edges), each with its DC offset removed,
preemphasis 0.97, a symmetric Hamming window, zero padding to a 512-point FFT, the power spectrum, Kaldi's
triangular mel banks (mel = 1127 ln(1 + f / 700), 20 Hz to Nyquist) and the log floored at float32 epsilon.
Computed in float32, as torchaudio does, so the numbers agree to float rounding.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from rtstt.vocab import SAMPLE_RATE

FRAME_LENGTH_MS = 25.0
FRAME_SHIFT_MS = 10.0
PREEMPHASIS = 0.97
LOW_FREQ = 20.0
NUM_MEL_BINS = 80
EPSILON = np.float32(np.finfo(np.float32).eps)  # Kaldi's floor: std::numeric_limits<float>::epsilon()


def _mel(freq: np.ndarray | float) -> np.ndarray:
    return 1127.0 * np.log(1.0 + np.asarray(freq, dtype=np.float64) / 700.0)


@cache
def _frame_setup(sample_rate: int, num_mel_bins: int) -> tuple[int, int, int, np.ndarray, np.ndarray]:
    """(window size, shift, FFT size, Hamming window, [bins, fft // 2 + 1] mel banks), as torchaudio builds
    them (`int()` truncation of the sizes, get_mel_banks with no VTLN warp, a zero column for Nyquist)."""
    window_size = int(sample_rate * FRAME_LENGTH_MS * 0.001)
    shift = int(sample_rate * FRAME_SHIFT_MS * 0.001)
    n_fft = 1 if window_size == 0 else 2 ** (window_size - 1).bit_length()
    n = np.arange(window_size, dtype=np.float64)
    window = (0.54 - 0.46 * np.cos(2.0 * np.pi * n / (window_size - 1))).astype(np.float32)  # periodic=False

    nyquist = 0.5 * sample_rate
    mel_low, mel_high = float(_mel(LOW_FREQ)), float(_mel(nyquist))
    delta = (mel_high - mel_low) / (num_mel_bins + 1)
    edges = mel_low + np.arange(num_mel_bins + 2, dtype=np.float64) * delta
    left, center, right = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    mel = _mel(sample_rate / n_fft * np.arange(n_fft // 2, dtype=np.float64))[None, :]
    banks = np.maximum(0.0, np.minimum((mel - left) / (center - left), (right - mel) / (right - center)))
    banks = np.pad(banks, ((0, 0), (0, 1)))  # the Nyquist bin gets no weight
    return window_size, shift, n_fft, window, np.ascontiguousarray(banks.T.astype(np.float32))


def kaldi_fbank(audio: np.ndarray, sample_rate: int = SAMPLE_RATE, num_mel_bins: int = NUM_MEL_BINS) -> np.ndarray:
    """[frames, num_mel_bins] float32 log mel energies of mono float audio in [-1, 1] (scaled to 16-bit levels
    first, as WeSpeaker does); frames = 1 + (len - 400) // 160 at 16 kHz, none when the audio is shorter than
    one 25 ms frame (torchaudio raises there instead)."""
    window_size, shift, n_fft, window, banks = _frame_setup(int(sample_rate), int(num_mel_bins))
    wav = np.asarray(audio, dtype=np.float32).reshape(-1) * np.float32(1 << 15)
    if len(wav) < window_size:
        return np.zeros((0, num_mel_bins), dtype=np.float32)
    frames = np.lib.stride_tricks.sliding_window_view(wav, window_size)[::shift]  # a view, no copy
    frames = frames - frames.mean(axis=1, keepdims=True, dtype=np.float32)
    emphasised = np.empty_like(frames)
    emphasised[:, 1:] = frames[:, 1:] - np.float32(PREEMPHASIS) * frames[:, :-1]
    emphasised[:, 0] = frames[:, 0] - np.float32(PREEMPHASIS) * frames[:, 0]  # torch's replicate padding
    spectrum = np.fft.rfft(emphasised * window, n=n_fft, axis=1)
    power = (spectrum.real * spectrum.real + spectrum.imag * spectrum.imag).astype(np.float32, copy=False)
    return np.log(np.maximum(power @ banks, EPSILON))


def cmn(feats: np.ndarray) -> np.ndarray:
    """Cepstral mean normalisation: each bin minus its mean over the utterance, as WeSpeaker feeds its
    networks (level and channel colouring then matter less)."""
    feats = np.asarray(feats, dtype=np.float32)
    if len(feats) == 0:
        return feats
    return feats - feats.mean(axis=0, keepdims=True)
