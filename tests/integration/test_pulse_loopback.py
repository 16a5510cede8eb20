"""System-audio capture for real on Linux: a PulseAudio null sink, audio played into it, its monitor
recorded through `rtstt live --loopback` and transcribed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from rtstt.wer import word_error_rate
from tests.conftest import FIXTURES

pytestmark = [pytest.mark.integration, pytest.mark.pulse]
SINK = "rtstt_test_speakers"


@pytest.fixture
def pulse_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    if not (shutil.which("pulseaudio") and shutil.which("paplay") and shutil.which("parec")):
        pytest.skip("PulseAudio is not installed (./run.sh test installs it)")
    runtime = tmp_path / "xdg"
    runtime.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    monkeypatch.setenv("HOME", str(tmp_path))  # its cookie and state stay out of the real home
    server = subprocess.Popen(
        [
            "pulseaudio",
            "--daemonize=no",
            "--exit-idle-time=-1",
            "--disable-shm=yes",
            "-n",
            f"--load=module-null-sink sink_name={SINK}",
            "--load=module-native-protocol-unix",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 15
    while subprocess.run(["pactl", "info"], capture_output=True).returncode != 0:
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            pytest.fail(f"pulseaudio did not start: {server.stderr.read().decode() if server.stderr else ''}")
        time.sleep(0.1)
    yield dict(os.environ)
    server.terminate()
    server.wait(5)


def test_devices_lists_the_monitor_source(pulse_server):
    done = subprocess.run([sys.executable, "-m", "rtstt", "devices"], capture_output=True, text=True, timeout=60)
    assert f"pulse/{SINK}.monitor" in done.stdout


def test_what_the_speakers_play_is_transcribed_live(pulse_server):
    clip = FIXTURES / "conversation.flac"
    meta = json.loads(clip.with_suffix(".json").read_text())
    first_turns = meta["turns"][:4]
    play_s = first_turns[-1]["end"] + 0.3
    live = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "rtstt",
            "live",
            "--loopback",
            f"pulse/{SINK}.monitor",
            "--json",
            "--no-save",
            "--threads",
            "2",
            "--duration",
            str(play_s + 12),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(6)  # the model loads before capture starts; the monitor only carries what plays after that
    player = subprocess.run(
        ["timeout", str(play_s), "paplay", f"--device={SINK}", str(clip)], capture_output=True, timeout=120
    )
    assert player.returncode in (0, 124), player.stderr
    out, err = live.communicate(timeout=120)
    assert live.returncode == 0, err
    objs = [json.loads(line) for line in out.splitlines()]
    text = " ".join(o["text"] for o in objs if o["type"] == "final")
    reference = " ".join(t["text"] for t in first_turns)
    assert word_error_rate(reference, text) <= 0.15, text
    stats = objs[-1]
    assert stats["type"] == "stats" and stats["realtime"] is True
