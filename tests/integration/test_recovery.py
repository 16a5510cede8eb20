"""A live session killed with SIGKILL loses no final text: the journal is recovered on the next start."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import SAMPLES

pytestmark = pytest.mark.integration


def test_killed_live_session_is_recovered(tmp_path: Path):
    cmd = [sys.executable, "-m", "rtstt", "live", "--input", str(SAMPLES / "sample.flac"), "--realtime", "--json"]
    proc = subprocess.Popen([*cmd, "--threads", "2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    finals: list[dict] = []
    deadline = time.monotonic() + 120
    assert proc.stdout is not None
    while len(finals) < 2 and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        obj = json.loads(line)
        if obj["type"] == "final":
            finals.append(obj)
    os.kill(proc.pid, signal.SIGKILL)  # no chance to close anything
    proc.wait(10)
    assert len(finals) == 2

    def rtstt(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "rtstt", *args], capture_output=True, text=True, timeout=120)

    listed = rtstt("sessions", "list")
    assert "interrupted" in listed.stdout
    session_id = listed.stdout.split()[0]
    recovered = rtstt("sessions", "recover")
    assert f"recovered {session_id}" in recovered.stdout
    out = tmp_path / "recovered.json"
    assert rtstt("sessions", "export", session_id, "-o", str(out)).returncode == 0
    segments = json.loads(out.read_text())["segments"]
    assert [s["text"] for s in segments[:2]] == [f["text"] for f in finals]
    assert "interrupted" not in rtstt("sessions", "list").stdout


def test_the_next_live_start_recovers_automatically():
    cmd = [sys.executable, "-m", "rtstt", "live", "--input", str(SAMPLES / "sample.flac"), "--realtime", "--json"]
    proc = subprocess.Popen([*cmd, "--threads", "2"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    for line in proc.stdout:
        if json.loads(line)["type"] == "final":
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    clip = SAMPLES.parent.parent / "tests" / "fixtures" / "utt_piper_1.flac"
    done = subprocess.run(
        [sys.executable, "-m", "rtstt", "live", "--input", str(clip), "--threads", "2"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "recovered interrupted session" in done.stderr
