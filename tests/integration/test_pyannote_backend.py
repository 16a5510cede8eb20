"""The pyannote speaker-embedding backend, on checkpoints built here (no pyannote weights can be downloaded).

A real pyannote architecture with random weights is saved the way pyannote's own hub checkpoints are
(pyannote's wespeaker/convert.py: a Lightning checkpoint dict with `state_dict`, `hyper_parameters` and the
`pyannote.audio` block written by `Model.on_save_checkpoint`), then loaded through `Model.from_pretrained`.
Random weights say nothing about voices, so these tests check the plumbing: loading, shapes, determinism,
padding, errors; the benchmark (benchmarks/diarization.py) measures quality where real weights exist.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from rtstt.errors import ModelDownloadError, ModelNotFound, RtsttError
from rtstt.models.hub import LocalFolderHub
from tests.conftest import FIXTURES

pytestmark = pytest.mark.integration
# pyannote.audio 4 sends a telemetry span on every model load unless this says no; tests never touch the network
# (set here, not only in the backend: the checkpoint builder below imports pyannote before the backend does).
os.environ["PYANNOTE_METRICS_ENABLED"] = "false"

REPO_ID = "pyannote/wespeaker-voxceleb-resnet34-LM"


def save_checkpoint(folder: Path, klass_name: str = "WeSpeakerResNet34") -> Path:
    """Write `folder/pytorch_model.bin` (+ a config.yaml) as pyannote's hub repos hold them."""
    import lightning
    import torch
    from pyannote.audio.core.task import Problem, Resolution, Specifications
    from pyannote.audio.models import embedding

    torch.manual_seed(0)
    model = getattr(embedding, klass_name)()
    model.specifications = Specifications(problem=Problem.REPRESENTATION, resolution=Resolution.CHUNK, duration=5.0)
    checkpoint = {"state_dict": model.state_dict(), "hyper_parameters": dict(model.hparams)}
    model.on_save_checkpoint(checkpoint)  # adds the "pyannote.audio" block: versions, architecture, specifications
    checkpoint["pytorch-lightning_version"] = lightning.__version__
    folder.mkdir(parents=True, exist_ok=True)
    torch.save(checkpoint, folder / "pytorch_model.bin")
    (folder / "config.yaml").write_text(f"# test checkpoint: {klass_name} with random weights\n")
    return folder


@pytest.fixture(scope="module")
def resnet_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("pyannote.audio")
    return save_checkpoint(tmp_path_factory.mktemp("ckpt") / "wespeaker-resnet34")


def speech(name: str) -> np.ndarray:
    audio, rate = sf.read(str(FIXTURES / f"{name}.flac"), dtype="float32")
    assert rate == 16000
    return audio


def test_folder_and_file_load_the_same_model_and_embed_real_speech(resnet_dir: Path):
    from rtstt.speakers.pyannote_backend import PyannoteEncoder

    from_folder = PyannoteEncoder(resnet_dir)
    from_file = PyannoteEncoder(str(resnet_dir / "pytorch_model.bin"))
    from_yaml = PyannoteEncoder(resnet_dir / "config.yaml")
    assert from_folder.device.type in ("cpu", "cuda") and from_folder.dimension == 256
    male, female = speech("utt_piper_1"), speech("utt_festival_1")
    a, b = from_folder.embed(male), from_folder.embed(female)
    for e in (a, b):
        assert e.shape == (256,) and e.dtype == np.float32 and np.isfinite(e).all() and np.linalg.norm(e) > 0
    np.testing.assert_array_equal(a, from_folder.embed(male))  # deterministic: inference mode, no dropout
    np.testing.assert_allclose(from_file.embed(male), a, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(from_yaml.embed(female), b, rtol=1e-5, atol=1e-6)
    assert not np.allclose(a, b)
    np.testing.assert_allclose(from_folder.embed(male * 0.1), a, rtol=1e-4, atol=1e-5)  # level-independent


def test_short_audio_is_padded_and_too_short_audio_refused(tmp_path: Path):
    pytest.importorskip("pyannote.audio")
    from rtstt.speakers.pyannote_backend import MIN_AUDIO_S, PyannoteEncoder

    encoder = PyannoteEncoder(save_checkpoint(tmp_path / "xvector", "XVectorSincNet") / "pytorch_model.bin")
    assert encoder.dimension == 512 and 0 < encoder.min_samples <= 16000
    voice = speech("utt_festival_1")[8000:]  # speech starts at 0.3 s
    short = voice[: max(int(MIN_AUDIO_S * 16000), encoder.min_samples - 800)]
    assert len(short) < encoder.min_samples  # x-vector needs ~0.3 s: this one is padded
    e = encoder.embed(short)
    assert e.shape == (512,) and np.isfinite(e).all()
    with pytest.raises(ValueError, match="too short"):
        encoder.embed(voice[:800])


def test_a_folder_that_is_not_a_checkpoint_gives_a_clear_error(tmp_path: Path, resnet_dir: Path):
    import torch

    from rtstt.speakers.pyannote_backend import PyannoteEncoder

    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "notes.txt").write_text("not a model")
    with pytest.raises(ModelNotFound, match=r"no pytorch_model\.bin") as err:
        PyannoteEncoder(junk)
    assert "choose a folder with pytorch_model.bin" in err.value.hint
    (junk / "pytorch_model.bin").write_bytes(np.random.default_rng(1).integers(0, 256, 4096, np.uint8).tobytes())
    with pytest.raises(RtsttError, match="not a loadable pyannote checkpoint") as err:
        PyannoteEncoder(junk)
    assert "ge2e backend" in err.value.hint
    torch.save({"state_dict": {}}, junk / "pytorch_model.bin")  # a torch checkpoint, but not pyannote's
    with pytest.raises(RtsttError, match="not a loadable pyannote checkpoint"):
        PyannoteEncoder(junk)
    with pytest.raises(ModelNotFound, match="does not exist"):
        PyannoteEncoder(tmp_path / "nowhere")
    with pytest.raises(ModelNotFound, match="no pyannote speaker model"):
        PyannoteEncoder("")  # nothing chosen, nothing downloaded (RTSTT_HOME is a fresh folder)


def test_missing_pyannote_package_is_an_rtstt_error(resnet_dir: Path, monkeypatch: pytest.MonkeyPatch):
    from rtstt.speakers.pyannote_backend import PyannoteEncoder

    monkeypatch.setitem(sys.modules, "pyannote.audio", None)  # `import pyannote.audio` now raises ImportError
    with pytest.raises(RtsttError, match=r"needs the pyannote\.audio package") as err:
        PyannoteEncoder(resnet_dir)
    assert "pip install" in err.value.hint


# -- download ------------------------------------------------------------------------------------------------


@pytest.fixture
def mirror(tmp_path: Path, resnet_dir: Path) -> Path:
    """A local folder standing in for huggingface.co: `<root>/<repo_id>/<files>`."""
    import shutil

    root = tmp_path / "hub"
    shutil.copytree(resnet_dir, root / REPO_ID)
    return root


def test_download_from_a_hub_then_load(mirror: Path, tmp_path: Path, isolated_home: Path):
    from rtstt.speakers.pyannote_backend import PyannoteEncoder, checkpoint_file, download_pyannote_model

    seen: list[tuple[int, int]] = []
    dest = download_pyannote_model(REPO_ID, hub=LocalFolderHub(mirror), progress=lambda d, t: seen.append((d, t)))
    assert dest.parent.name == "pyannote" and dest.is_relative_to(isolated_home.resolve())  # the app's models dir
    assert sorted(p.name for p in dest.iterdir()) == ["config.yaml", "pytorch_model.bin"]
    total = sum(f.stat().st_size for f in (mirror / REPO_ID).iterdir())
    assert seen[-1] == (total, total)
    assert not [p for p in dest.parent.iterdir() if p.name.endswith(".partial")]
    assert checkpoint_file("") == checkpoint_file(REPO_ID) == dest / "pytorch_model.bin"  # found offline now
    assert PyannoteEncoder(REPO_ID).embed(speech("utt_piper_1")).shape == (256,)

    explicit = download_pyannote_model(REPO_ID, dest=tmp_path / "mine", hub=LocalFolderHub(mirror))
    assert (explicit / "pytorch_model.bin").read_bytes() == (dest / "pytorch_model.bin").read_bytes()

    cancel = threading.Event()
    cancel.set()
    with pytest.raises(ModelDownloadError, match="cancelled"):
        download_pyannote_model(REPO_ID, dest=tmp_path / "cancelled", hub=LocalFolderHub(mirror), cancel=cancel)
    assert not (tmp_path / "cancelled").exists()
    (mirror / "pyannote" / "not-a-model").mkdir()
    with pytest.raises(ModelDownloadError, match=r"has no pytorch_model\.bin"):
        download_pyannote_model("pyannote/not-a-model", dest=tmp_path / "x", hub=LocalFolderHub(mirror))


def test_download_uses_the_keyring_token(mirror: Path, tmp_path: Path, memory_keyring, monkeypatch):
    import rtstt.models.hub as hub_module
    from rtstt.secrets import set_hf_token
    from rtstt.speakers.pyannote_backend import download_pyannote_model

    tokens: list[str | None] = []

    class RecordingHub(LocalFolderHub):  # huggingface.co's stand-in: records the token it was given
        def __init__(self, token: str | None = None, **_: object) -> None:
            super().__init__(mirror)
            tokens.append(token)

    monkeypatch.setattr(hub_module, "HuggingFaceHub", RecordingHub)
    set_hf_token("hf_from_keyring")
    dest = download_pyannote_model(REPO_ID, dest=tmp_path / "m")
    assert tokens == ["hf_from_keyring"] and (dest / "pytorch_model.bin").is_file()
    download_pyannote_model(REPO_ID, token="hf_explicit", dest=tmp_path / "m")
    assert tokens[-1] == "hf_explicit"


def _gated_error() -> Exception:
    from huggingface_hub.errors import GatedRepoError

    http = importlib.import_module("httpx2" if importlib.util.find_spec("httpx2") else "httpx")
    url = f"https://huggingface.co/api/models/{REPO_ID}/paths-info/main"
    response = http.Response(401, request=http.Request("POST", url))
    return GatedRepoError(f"401 Client Error. Cannot access gated repo for url {url}.", response=response)


class GatedHub(LocalFolderHub):
    def file_sizes(self, repo_id, files):
        raise _gated_error()


def test_a_gated_repo_without_token_or_access_says_what_to_do(tmp_path: Path):
    from rtstt.speakers.pyannote_backend import download_pyannote_model

    hub = GatedHub(tmp_path)
    with pytest.raises(ModelDownloadError, match="needs a Hugging Face token") as err:
        download_pyannote_model(REPO_ID, token=None, dest=tmp_path / "m", hub=hub)
    assert "huggingface.co/settings/tokens" in err.value.hint and f"huggingface.co/{REPO_ID}" in err.value.hint
    with pytest.raises(ModelDownloadError, match="has no access") as err:
        download_pyannote_model(REPO_ID, token="hf_no_access", dest=tmp_path / "m", hub=hub)
    assert "accept the user conditions" in err.value.hint
    assert not (tmp_path / "m").exists()


def test_the_speaker_stage_downloads_with_a_token_then_labels_segments(
    mirror: Path, memory_keyring, monkeypatch: pytest.MonkeyPatch
):
    """Settings › Speakers › pyannote with no folder and a saved token: the stage fetches the default model
    (progress in its status), loads it and labels segments; without a token it says how to get one."""
    import rtstt.models.hub as hub_module
    from rtstt.events import Segment, SpeakerLabels, StageStatus
    from rtstt.secrets import set_hf_token
    from rtstt.stages import SpeakersStage

    monkeypatch.setattr(hub_module, "HuggingFaceHub", lambda token=None, **_: LocalFolderHub(mirror))
    events: list = []
    no_token = SpeakersStage(events.append, backend="pyannote")
    no_token.start()
    no_token.finish()
    assert no_token.error is not None and "token" in no_token.error.hint
    assert events[-1] == StageStatus("speakers", "needs setup", f"{no_token.error.message} ({no_token.error.hint})")

    set_hf_token("hf_test")
    events.clear()
    stage = SpeakersStage(events.append, backend="pyannote")
    stage.start()
    for i, name in enumerate(("utt_piper_1", "utt_festival_1")):
        audio = speech(name)
        stage.submit(Segment(start=10.0 * i, end=10.0 * i + len(audio) / 16000, text=name, id=i + 1), audio)
    stage.finish()
    assert stage.error is None
    assert any(isinstance(e, StageStatus) and "downloading" in e.detail for e in events)
    labelled = {k for e in events if isinstance(e, SpeakerLabels) for k in e.labels}
    assert labelled == {1, 2}
