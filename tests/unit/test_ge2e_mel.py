"""The numpy mel spectrogram and partial windows of the ONNX GE2E encoder against what resemblyzer computes
with librosa: the installed app has neither, so the numbers must match without them."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from rtstt.speakers.ge2e_onnx import partial_slices
from rtstt.speakers.mel import mel_filterbank, mel_spectrogram
from tests.conftest import FIXTURES


def test_the_filterbank_is_librosas():
    librosa = pytest.importorskip("librosa")
    reference = librosa.filters.mel(sr=16000, n_fft=400, n_mels=40)  # resemblyzer's call: Slaney scale and norm
    ours = mel_filterbank()
    assert ours.shape == reference.shape == (40, 201) and ours.dtype == np.float32
    assert np.allclose(ours, reference, rtol=1e-6, atol=1e-9)


@pytest.mark.filterwarnings("ignore:n_fft=400 is too large")  # librosa's note on clips under 25 ms
@pytest.mark.parametrize("seconds", [0.001, 0.01, 0.0249, 0.5, 1.0, 3.0, 60.24])
def test_the_spectrogram_is_resemblyzers(seconds: float):
    pytest.importorskip("librosa")
    audio = pytest.importorskip("resemblyzer.audio")
    speech, rate = sf.read(str(FIXTURES / "conversation.flac"), dtype="float32")
    assert rate == 16000
    wav = speech[16000 : 16000 + max(1, int(seconds * rate))]
    reference = audio.wav_to_mel_spectrogram(wav)  # librosa.feature.melspectrogram, transposed
    ours = mel_spectrogram(wav)
    assert ours.shape == reference.shape == (1 + len(wav) // 160, 40) and ours.dtype == np.float32
    scale = float(reference.max())
    assert np.allclose(ours, reference, rtol=1e-5, atol=1e-6 * scale), np.abs(ours - reference).max() / scale


def test_silence_has_no_energy():
    assert not mel_spectrogram(np.zeros(16000, np.float32)).any()


@pytest.mark.parametrize("samples", [1, 160, 16000, 20000, 25599, 25600, 30000, 48000, 100_000, 963_840])
def test_the_partial_windows_are_resemblyzers(samples: int):
    voice_encoder = pytest.importorskip("resemblyzer.voice_encoder")
    _, reference = voice_encoder.VoiceEncoder.compute_partial_slices(samples, rate=1.3, min_coverage=0.75)
    assert partial_slices(samples) == reference
