"""The WeSpeaker ONNX encoder (onnxruntime + numpy features) against the torch network it was exported from.

The real model (voxceleb_resnet34_LM.onnx) cannot be downloaded here, so a small stand-in with the same
interface is exported: input "feats" [B, T, 80], output "embs" [B, 256], dynamic batch and frames, and
statistics pooling (mean and standard deviation over time) as WeSpeaker's ResNet does.
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from rtstt.errors import ModelNotFound, RtsttError
from rtstt.speakers.wespeaker_onnx import WespeakerOnnxEncoder
from tests.unit.test_fbank import torchaudio_fbank

RATE = 16000


@pytest.fixture(scope="module")
def stand_in(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    """(the exported ONNX file, the torch network) of a seeded two-conv stand-in for WeSpeaker ResNet34."""
    torch = pytest.importorskip("torch")
    pytest.importorskip("onnx")  # the legacy exporter serialises through it

    class StandIn(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = torch.nn.Conv2d(1, 8, 3, padding=1)
            self.conv2 = torch.nn.Conv2d(8, 16, 3, stride=2, padding=1)
            self.embedding = torch.nn.Linear(2 * 16 * 40, 256)

        def forward(self, feats: Any) -> Any:
            x = feats.permute(0, 2, 1).unsqueeze(1)  # [B, 1, 80, T] as WeSpeaker's ResNet
            x = torch.relu(self.conv2(torch.relu(self.conv1(x))))
            x = x.reshape(x.shape[0], -1, x.shape[-1])  # [B, 16 * 40, T / 2]
            mean = x.mean(dim=-1)
            std = torch.sqrt(x.var(dim=-1) + 1e-7)
            return self.embedding(torch.cat([mean, std], dim=1))

    torch.manual_seed(0)
    model = StandIn().eval()
    path = tmp_path_factory.mktemp("wespeaker") / "stand_in.onnx"
    export(model, torch.randn(1, 200, 80), path)
    return path, model


def export(model: Any, example: Any, path: Path) -> None:
    """The legacy TorchScript exporter: the new one needs onnxscript, which the venv does not have."""
    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # "legacy exporter": wanted here
        torch.onnx.export(
            model,
            (example,),
            str(path),
            input_names=["feats"],
            output_names=["embs"],
            dynamic_axes={"feats": {0: "B", 1: "T"}, "embs": {0: "B"}},
            dynamo=False,
        )


@pytest.fixture(scope="module")
def encoder(stand_in: tuple[Path, Any]) -> WespeakerOnnxEncoder:
    return WespeakerOnnxEncoder(stand_in[0])


def voice(seconds: float, pitch: float, seed: int = 0) -> np.ndarray:
    """A crude voiced sound: harmonics of `pitch` with a slow vibrato, over a little noise."""
    t = np.arange(int(seconds * RATE)) / RATE
    phase = 2 * np.pi * pitch * (t + 0.002 * np.sin(2 * np.pi * 5 * t))
    wave = sum(np.sin(k * phase) / k for k in range(1, 12))
    noise = 0.01 * np.random.default_rng(seed).standard_normal(len(t))
    return (0.1 * wave + noise).astype(np.float32)


def torch_reference(model: Any, audio: np.ndarray) -> np.ndarray:
    """What WeSpeaker computes: torchaudio's kaldi fbank of 16-bit-scaled audio, mean taken off, the network."""
    torch = pytest.importorskip("torch")
    feats = torch.from_numpy(torchaudio_fbank(audio))
    feats = feats - feats.mean(dim=0)
    with torch.no_grad():
        emb = model(feats[None])[0].numpy()
    return emb / np.linalg.norm(emb)


def test_matches_the_torch_network_on_torchaudio_features(stand_in: tuple[Path, Any], encoder: WespeakerOnnxEncoder):
    for audio in (voice(3.0, 120.0), voice(1.3, 210.0, seed=1)):
        vector = encoder.embed(audio)
        reference = torch_reference(stand_in[1], audio)
        assert float(vector @ reference) > 0.9999


def test_a_unit_vector_of_the_model_dimension(encoder: WespeakerOnnxEncoder):
    vector = encoder.embed(voice(2.0, 150.0))
    assert encoder.dimension == 256 and encoder.runtime == "onnx" and encoder.name == "wespeaker"
    assert vector.dtype == np.float32 and vector.shape == (256,)
    assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-5


def test_a_short_clip_is_repeated_to_half_a_second(stand_in: tuple[Path, Any], encoder: WespeakerOnnxEncoder):
    clip = voice(0.2, 150.0)
    vector = encoder.embed(clip)
    assert vector.shape == (256,) and np.all(np.isfinite(vector))
    assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-5
    assert float(vector @ torch_reference(stand_in[1], np.resize(clip, RATE // 2))) > 0.9999
    assert np.all(np.isfinite(encoder.embed(np.zeros(0, dtype=np.float32))))


def test_different_audio_gives_different_embeddings(encoder: WespeakerOnnxEncoder):
    low, high = encoder.embed(voice(2.0, 110.0)), encoder.embed(voice(2.0, 260.0, seed=1))
    assert float(low @ high) < 0.999
    assert np.allclose(low, encoder.embed(voice(2.0, 110.0)), atol=1e-6)  # and the same audio the same


def test_a_missing_file_is_model_not_found(tmp_path: Path):
    with pytest.raises(ModelNotFound, match="does not exist"):
        WespeakerOnnxEncoder(tmp_path / "voxceleb_resnet34_LM.onnx")


def test_garbage_bytes_are_refused_naming_the_file(tmp_path: Path):
    bad = tmp_path / "damaged.onnx"
    bad.write_bytes(b"\x00\xffnot an onnx model\x12\x34" * 40)
    with pytest.raises(RtsttError) as raised:
        WespeakerOnnxEncoder(bad)
    assert "damaged.onnx" in str(raised.value) and "not a valid ONNX model" in str(raised.value)
    assert not isinstance(raised.value, ModelNotFound)


def test_a_model_of_other_features_is_refused(tmp_path: Path):
    torch = pytest.importorskip("torch")
    pytest.importorskip("onnx")
    path = tmp_path / "forty_bins.onnx"
    export(torch.nn.Linear(40, 256).eval(), torch.randn(1, 50, 40), path)
    with pytest.raises(RtsttError, match=r"forty_bins\.onnx.*not \[batch, frames, 80\]"):
        WespeakerOnnxEncoder(path)


def test_three_seconds_embed_quickly(encoder: WespeakerOnnxEncoder):
    audio = voice(3.0, 140.0)
    start = time.perf_counter()
    for _ in range(5):
        encoder.embed(audio)
    assert (time.perf_counter() - start) / 5 < 0.5
