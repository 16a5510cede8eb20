"""The ONNX GE2E encoder (onnxruntime + numpy, no torch) against resemblyzer's on real speech, the export
folder, and which encoder the speakers stage picks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from rtstt.models.speaker_models import GE2E_ONNX, ge2e_onnx_path, ge2e_onnx_user_path
from rtstt.speakers.ge2e_onnx import Ge2eOnnxEncoder
from tests.conftest import FIXTURES

pytestmark = [
    pytest.mark.integration,
    pytest.mark.filterwarnings("ignore:Please import `binary_dilation`:DeprecationWarning"),  # resemblyzer's
]

CLIPS = [*sorted(p.stem for p in FIXTURES.glob("utt_*.flac")), "conversation", "names"]


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """resemblyzer's pretrained encoder, exported once for this module (needs torch and resemblyzer)."""
    pytest.importorskip("torch")
    pytest.importorskip("resemblyzer")
    from rtstt.models.ge2e_export import export_ge2e

    return export_ge2e(tmp_path_factory.mktemp("onnx") / "ge2e")


@pytest.fixture(scope="module")
def resemblyzer_encoder():
    from rtstt.speakers.ge2e import Ge2eEncoder

    return Ge2eEncoder()


def clips() -> list[tuple[str, np.ndarray]]:
    """Each fixture whole, plus the cuts the stage embeds: 0.5 s (the shortest it embeds), 3 s and 6 s."""
    out = []
    for name in CLIPS:
        audio, rate = sf.read(str(FIXTURES / f"{name}.flac"), dtype="float32")
        assert rate == 16000
        out.append((name, audio))
        out += [(f"{name}[:{s}s]", audio[rate : rate + int(s * rate)]) for s in (0.5, 3, 6)]
    return out


def test_voice_prints_match_resemblyzer(exported: Path, resemblyzer_encoder):
    encoder = Ge2eOnnxEncoder(exported)
    cosines = {}
    for name, audio in clips():
        ours, reference = encoder.embed(audio), resemblyzer_encoder.embed(audio)
        assert ours.dtype == np.float32 and ours.shape == (256,)
        assert abs(float(np.linalg.norm(ours)) - 1) < 1e-5
        cosines[name] = float(ours @ reference)
    assert min(cosines.values()) >= 0.999, sorted(cosines.items(), key=lambda kv: kv[1])[:3]


def test_the_export_folder(exported: Path):
    import onnxruntime

    assert {p.name for p in exported.iterdir()} == {"model.onnx", "export.json"}
    assert not [p for p in exported.parent.iterdir() if p.name.startswith(".")]  # no half-written copy left
    session = onnxruntime.InferenceSession(str(exported / "model.onnx"), providers=["CPUExecutionProvider"])
    (mels,) = session.get_inputs()
    assert isinstance(mels.shape[0], str) and mels.shape[1:] == [160, 40]  # a dynamic batch of 1.6 s windows
    batch = np.random.default_rng(0).random((5, 160, 40), dtype=np.float32)
    (together,) = session.run(None, {mels.name: batch})
    alone = np.concatenate([session.run(None, {mels.name: batch[i : i + 1]})[0] for i in range(5)])
    assert together.shape == (5, 256) and np.allclose(together, alone, atol=1e-5)


def test_the_export_command(tmp_path: Path):
    pytest.importorskip("torch")
    pytest.importorskip("resemblyzer")
    from rtstt.models.ge2e_export import main

    assert main([str(tmp_path / "ge2e")]) == 0
    assert (tmp_path / "ge2e" / "model.onnx").is_file()


def test_where_the_model_is_found(exported: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    import shutil

    import rtstt.resources

    bundle, source = tmp_path / "bundle", tmp_path / "source"
    monkeypatch.setattr(rtstt.resources, "app_roots", lambda: [bundle, source])
    assert ge2e_onnx_path() is None
    shutil.copytree(exported, ge2e_onnx_user_path())
    assert ge2e_onnx_path() == ge2e_onnx_user_path()
    shutil.copytree(exported, source / "models" / GE2E_ONNX)
    assert ge2e_onnx_path() == source / "models" / GE2E_ONNX
    shutil.copytree(exported, bundle / "models" / GE2E_ONNX)
    assert ge2e_onnx_path() == bundle / "models" / GE2E_ONNX


def test_the_stage_prefers_onnx(exported: Path, monkeypatch: pytest.MonkeyPatch):
    import rtstt.models.speaker_models
    from rtstt.speakers.ge2e import Ge2eEncoder, open_ge2e_encoder

    monkeypatch.setattr(rtstt.models.speaker_models, "ge2e_onnx_path", lambda: exported)
    encoder = open_ge2e_encoder()
    assert isinstance(encoder, Ge2eOnnxEncoder) and encoder.runtime == "onnx"
    monkeypatch.setattr(rtstt.models.speaker_models, "ge2e_onnx_path", lambda: None)
    assert isinstance(open_ge2e_encoder(), Ge2eEncoder)


def test_a_folder_without_the_model_is_refused(tmp_path: Path):
    from rtstt.errors import ModelNotFound

    with pytest.raises(ModelNotFound, match="no ONNX speaker model"):
        Ge2eOnnxEncoder(tmp_path)
