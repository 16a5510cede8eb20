"""The WeSpeaker speaker model as a model the app manages: the registry entry, a fetch from a local mirror
(never the network) into `models/speaker/<name>`, listing, verify, importing a .onnx file, the CLI; the
`speakers.backend` / `speakers.model` settings; and the speaker stage choosing WeSpeaker when one is
installed, falling back to GE2E (and saying so) when it is missing or broken, failing clearly when asked for
WeSpeaker alone.

The stage tests use the seeded stand-in network of tests/unit/test_wespeaker_onnx.py (the real weights cannot
be downloaded here): its labels mean nothing, so they check only that the stage runs, says which voice prints
it uses and labels the lines.
"""

from __future__ import annotations

import argparse
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from rtstt.config import Settings
from rtstt.errors import ModelDownloadError, ModelNotFound, RtsttError, SettingsError
from rtstt.events import Segment, SpeakerLabels, StageState, StageStatus
from rtstt.models.hub import LocalFolderHub
from rtstt.models.manager import ModelManager
from rtstt.models.registry import (
    RECOMMENDED_SPEAKER,
    WESPEAKER_FILE,
    all_specs,
    find_speaker_spec,
    find_spec,
    find_summary_spec,
    speaker_specs,
)
from rtstt.models.speaker_models import wespeaker_model_file
from tests.conftest import FIXTURES
from tests.unit.test_wespeaker_onnx import stand_in  # noqa: F401  (a module fixture: the exported stand-in)

NAME = RECOMMENDED_SPEAKER
REPO = "Wespeaker/wespeaker-voxceleb-resnet34-LM"
SIZE = 1_500_000


def fake_onnx(path: Path, size: int = SIZE) -> Path:
    """Bytes that pass the cheap checks (binary, over 1 MB); a protobuf's first tag is ir_version's (0x08)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x08\x07" + bytes(i % 251 for i in range(size - 2)))
    return path


@pytest.fixture
def mirror(tmp_path: Path) -> Path:
    fake_onnx(tmp_path / "mirror" / REPO / WESPEAKER_FILE)
    return tmp_path / "mirror"


@pytest.fixture
def manager(tmp_path: Path, mirror: Path) -> ModelManager:
    hub = LocalFolderHub(mirror, chunk_size=65536)
    return ModelManager(models_dir=tmp_path / "models", search_dirs=[], hub=hub, hf_cache_dir=tmp_path / "hf")


# ------------------------------------------------------------------------------------------ registry


def test_the_registry_offers_wespeaker_as_a_speaker_model() -> None:
    (spec,) = speaker_specs()
    assert (spec.name, spec.title, spec.repo_id, spec.files) == (NAME, "WeSpeaker ResNet34", REPO, (WESPEAKER_FILE,))
    assert (spec.kind, spec.licence, spec.size_mb) == ("speaker", "CC-BY-4.0", 26) and "GE2E" in spec.description
    assert find_speaker_spec("WeSpeaker-ResNet34") is spec and find_speaker_spec(REPO) is spec
    assert find_spec(NAME) is None and find_summary_spec(NAME) is None  # no other lookup finds it
    assert NAME not in {s.name for s in all_specs()}


# ------------------------------------------------------------------------------------------ fetch / verify


def test_fetch_installs_under_models_speaker_with_progress_and_verifies(manager: ModelManager, tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    path = manager.fetch(NAME, progress=lambda done, total: seen.append((done, total)))

    assert path == (tmp_path / "models" / "speaker" / NAME).resolve() == manager.speaker_dir.resolve() / NAME
    assert (path / WESPEAKER_FILE).stat().st_size == SIZE
    assert seen[0] == (0, SIZE) and seen[-1] == (SIZE, SIZE) and len(seen) > 3
    assert [p.name for p in manager.speaker_dir.iterdir()] == [NAME]  # no staging folder left behind
    assert manager.verify(NAME) == []
    (listed,) = manager.installed_speaker()
    assert (listed.name, listed.path, listed.source) == (NAME, path, "app")
    assert listed.size_mb == pytest.approx(1.5)
    assert NAME not in {m.name for m in manager.installed()}
    # the stage finds it by the empty setting (the recommended model) and by its name
    speaker_root = tmp_path / "models"
    assert wespeaker_model_file("", speaker_root) == wespeaker_model_file(NAME, speaker_root) == path / WESPEAKER_FILE

    again: list[tuple[int, int]] = []
    assert manager.fetch(NAME, progress=lambda d, t: again.append((d, t))) == path  # already there: no download
    assert again == [(SIZE, SIZE)]

    (path / WESPEAKER_FILE).write_bytes(b"version https://git-lfs.github.com/spec/v1\noid sha256:00\nsize 26\n")
    assert "Git LFS pointer" in manager.verify(NAME)[0]


def test_a_pointer_or_an_error_page_is_refused_and_leaves_nothing(tmp_path: Path) -> None:
    root = tmp_path / "mirror"
    (root / REPO).mkdir(parents=True)
    (root / REPO / WESPEAKER_FILE).write_bytes(b"<!DOCTYPE html><html>rate limited</html>" * 40_000)
    manager = ModelManager(models_dir=tmp_path / "models", search_dirs=[], hub=LocalFolderHub(root))
    with pytest.raises(ModelDownloadError, match="not an ONNX model"):
        manager.fetch(NAME)
    assert list((tmp_path / "models" / "speaker").iterdir()) == []


def test_cancel_and_not_installed(manager: ModelManager) -> None:
    cancel = threading.Event()
    with pytest.raises(ModelDownloadError, match="cancelled"):
        manager.fetch(NAME, progress=lambda done, _total: cancel.set() if done else None, cancel=cancel)
    assert manager.installed_speaker() == []
    with pytest.raises(ModelNotFound, match="not installed"):
        manager.verify(NAME)


# ------------------------------------------------------------------------------------------ import


def test_import_of_an_onnx_file(manager: ModelManager, tmp_path: Path) -> None:
    mine = fake_onnx(tmp_path / "downloads" / "my_ecapa.onnx")
    path = manager.import_speaker(mine)
    assert path == (manager.speaker_dir / "my_ecapa" / "my_ecapa.onnx").resolve()
    assert manager.verify("my_ecapa") == []
    # the known file takes the registry's name, so the stage uses it without a setting
    official = manager.import_speaker(fake_onnx(tmp_path / "downloads" / WESPEAKER_FILE))
    assert official == (manager.speaker_dir / NAME / WESPEAKER_FILE).resolve()
    assert wespeaker_model_file("", tmp_path / "models") == official
    assert {m.name for m in manager.installed_speaker()} == {"my_ecapa", NAME}
    tiny = tmp_path / "downloads" / "tiny.onnx"
    tiny.write_bytes(b"\x08\x07abc")
    with pytest.raises(ModelNotFound, match="too small"):
        manager.import_speaker(tiny)


def test_cli_lists_fetches_and_imports_speaker_models(
    tmp_path: Path, mirror: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from rtstt.cli import build_parser, manage

    real = ModelManager

    def fake_manager(*args: Any, **kwargs: Any) -> ModelManager:
        return real(*args, hub=LocalFolderHub(mirror), search_dirs=[], hf_cache_dir=tmp_path / "hf", **kwargs)

    monkeypatch.setattr("rtstt.models.manager.ModelManager", fake_manager)
    assert manage.cmd_models(argparse.Namespace(models_command="list")) == 0
    out = capsys.readouterr().out
    line = next(line for line in out.split("speaker models to fetch")[1].splitlines() if NAME in line)
    assert "26 MB" in line and "CC-BY-4.0" in line and REPO in line

    assert manage.cmd_models(build_parser().parse_args(["models", "fetch", NAME])) == 0
    assert f"{NAME} ready in" in capsys.readouterr().out
    assert manage.cmd_models(argparse.Namespace(models_command="list")) == 0
    installed = capsys.readouterr().out.split("speaker models installed")[1].split("speaker models to fetch")[0]
    assert NAME in installed
    assert manage.cmd_models(argparse.Namespace(models_command="verify", name=NAME)) == 0

    file = fake_onnx(tmp_path / "voices.onnx")
    assert manage.cmd_models(build_parser().parse_args(["models", "import", str(file)])) == 0
    assert "imported speaker model voices" in capsys.readouterr().out
    with pytest.raises(RtsttError, match="name"):  # a Whisper folder still needs its name
        manage.cmd_models(build_parser().parse_args(["models", "import", str(tmp_path)]))


# ------------------------------------------------------------------------------------------ settings


def test_backend_choices_and_the_model_setting() -> None:
    assert Settings().speakers.backend == "auto" and Settings().speakers.model == ""
    for backend in ("auto", "ge2e", "wespeaker", "pyannote"):
        assert Settings().with_overrides(speakers__backend=backend).speakers.backend == backend
    with pytest.raises(SettingsError, match=r"speakers\.backend must be one of auto, ge2e, wespeaker, pyannote"):
        Settings().with_overrides(speakers__backend="resnet")
    assert Settings().with_overrides(speakers__model="  /x/y.onnx ").speakers.model == "/x/y.onnx"


def test_a_model_setting_that_names_nothing_says_so(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFound, match="does not exist"):
        wespeaker_model_file(str(tmp_path / "nope.onnx"), tmp_path)
    with pytest.raises(ModelNotFound, match="not an installed speaker model"):
        wespeaker_model_file("ecapa", tmp_path)
    assert wespeaker_model_file("", tmp_path) is None  # nothing installed: GE2E, no error


# ------------------------------------------------------------------------------------------ the stage


def _voices() -> list[tuple[Segment, np.ndarray]]:
    import soundfile as sf

    out = []
    for i, name in enumerate(["utt_piper_1", "utt_festival_1", "utt_piper_1", "utt_festival_1"]):
        audio, rate = sf.read(str(FIXTURES / f"{name}.flac"), dtype="float32")
        assert rate == 16000
        start = i * 6.0
        out.append((Segment(start, start + len(audio) / rate, "words", id=i + 1), audio))
    return out


def run_stage(**settings: Any) -> tuple[Any, list]:
    """A speaker stage from the settings, run on its thread over two alternating voices."""
    from rtstt.stages import speakers_stage

    events: list = []
    spk = Settings().with_overrides(speakers__enabled=True, **settings).speakers
    stage = speakers_stage(spk, events.append)
    stage.start()
    assert stage.wait_loaded(120)
    if stage.error is None:
        for seg, audio in _voices():
            stage.submit(seg, audio)
    stage.finish()
    return stage, events


def ready_detail(events: list) -> str:
    return next(e.detail for e in events if isinstance(e, StageStatus) and e.state == StageState.READY)


def labels_of(events: list) -> dict[int, str]:
    out: dict[int, str] = {}
    for e in events:
        if isinstance(e, SpeakerLabels):
            out.update(e.labels)
    return out


def test_auto_uses_the_installed_wespeaker_model(stand_in: tuple[Path, Any]) -> None:  # noqa: F811
    from rtstt.speakers.wespeaker_onnx import WespeakerOnnxEncoder

    ModelManager(search_dirs=[]).import_speaker(stand_in[0], NAME)  # the isolated RTSTT_HOME's models
    stage, events = run_stage()
    assert stage.error is None and isinstance(stage.encoder, WespeakerOnnxEncoder)
    assert ready_detail(events) == "voice prints: WeSpeaker ResNet34"
    assert stage.threshold == 0.3 and stage.session.threshold == 0.3  # the encoder's own, setting left alone
    assert set(labels_of(events)) == {1, 2, 3, 4}  # random weights: which label is meaningless


def test_a_model_file_in_the_setting_and_a_threshold_the_user_chose(stand_in: tuple[Path, Any]) -> None:  # noqa: F811
    stage, events = run_stage(speakers__backend="wespeaker", speakers__model=str(stand_in[0]), speakers__threshold=0.5)
    assert stage.error is None and ready_detail(events) == f"voice prints: WeSpeaker ({stand_in[0].name})"
    assert stage.threshold == 0.5


def test_auto_falls_back_to_ge2e_when_the_model_is_broken(tmp_path: Path) -> None:
    broken = fake_onnx(tmp_path / "broken.onnx")
    stage, events = run_stage(speakers__model=str(broken))
    assert stage.error is None and stage.encoder.separation_threshold == 0.65
    detail = ready_detail(events)
    assert detail.startswith("voice prints: GE2E (offline fallback; the WeSpeaker model could not be loaded")
    assert "not a valid ONNX model" in detail
    assert set(labels_of(events)) == {1, 2, 3, 4}  # the labels go on


def test_auto_without_a_model_says_ge2e_is_the_fallback() -> None:
    stage, events = run_stage()
    assert stage.error is None and stage.threshold == 0.65
    assert ready_detail(events) == (
        "voice prints: GE2E (offline fallback; download WeSpeaker in Models for real meetings)"
    )


def test_wespeaker_alone_or_a_wrong_path_fails_clearly(tmp_path: Path) -> None:
    stage, events = run_stage(speakers__backend="wespeaker", speakers__model=str(fake_onnx(tmp_path / "bad.onnx")))
    assert stage.error is not None and "not a valid ONNX model" in stage.error.message
    assert events[-1].state == StageState.NEEDS_SETUP and "bad.onnx" in events[-1].detail
    stage, events = run_stage(speakers__backend="wespeaker")
    assert "no WeSpeaker model is installed" in stage.error.message and "rtstt models fetch" in stage.error.hint
    stage, events = run_stage(speakers__model=str(tmp_path / "missing.onnx"))  # a typo stops even "auto"
    assert "missing.onnx" in stage.error.message and "does not exist" in stage.error.message
    assert events[-1].state == StageState.NEEDS_SETUP and "Settings › Speakers" in events[-1].detail
