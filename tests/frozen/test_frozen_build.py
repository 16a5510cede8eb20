"""The PyInstaller build works as shipped: the frozen app runs its smoke test offscreen, transcribes the
bundled sample, carries its offline model, leaves the heavy optional stacks out, and the NSIS installer
script compiles against it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rtstt.wer import word_error_rate
from tests.conftest import REPO, SAMPLES

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
    for heavy in ("torch", "transformers", "pyannote", "numba", "llvmlite", "pandas", "scipy"):
        assert not (internal / heavy).exists(), heavy


def test_frozen_smoke_test_opens_the_window_offscreen(frozen: Path, tmp_path: Path):
    cmd = [str(frozen / "rtstt-cli"), "--smoke-test"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=180, env=frozen_env(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "smoke test passed" in done.stdout


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
