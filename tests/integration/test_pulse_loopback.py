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


PACAT = [
    *("pacat", "--playback", f"--device={SINK}", "--raw", "--latency-msec=20"),
    *("--format=float32le", "--rate=16000", "--channels=1"),
]


def _pactl(*args: str) -> None:
    subprocess.run(["pactl", *args], check=True, capture_output=True, timeout=10)


def test_idle_and_suspended_stretches_keep_the_stream_on_the_wall_clock(pulse_server, whisper_backend, tmp_path):
    """The sink left idle (parec's first bytes from an idle sink come 1-2 s late), a sentence, the sink
    suspended (nothing reaches the monitor), another sentence: the silences come back at their length,
    so each sentence's words are where they were played and audio time is wall time."""
    import numpy as np
    import soundfile as sf

    from rtstt.audio.loopback import PulseMonitorSource
    from rtstt.audio.sources import FileSource
    from rtstt.config import Settings
    from rtstt.events import Final, StreamEnded
    from rtstt.pipeline import Engine

    clips = [sf.read(FIXTURES / f"utt_piper_{i}.flac", dtype="float32")[0] for i in (1, 2)]
    schedule = [(3.0, 8.0), (11.0, 16.0)]  # (play at, suspend at) on the engine's clock
    engine = Engine(Settings(), PulseMonitorSource(f"{SINK}.monitor"), whisper_backend)
    events: list = []
    engine.subscribe(events.append)
    engine.start()
    deadline = time.monotonic() + 10
    while engine.clock.t0 == 0.0 and time.monotonic() < deadline:
        time.sleep(0.005)
    t0 = engine.clock.t0
    played_at = []
    try:
        for clip, (play_at, suspend_at) in zip(clips, schedule, strict=True):
            player = subprocess.Popen(PACAT, stdin=subprocess.PIPE)
            time.sleep(max(0.0, t0 + play_at - time.monotonic()))
            _pactl("suspend-sink", SINK, "0")
            played_at.append(time.monotonic() - t0)
            assert player.stdin is not None
            player.stdin.write(clip.tobytes())
            player.stdin.close()
            time.sleep(max(0.0, t0 + suspend_at - time.monotonic()))
            player.wait(5)
            _pactl("suspend-sink", SINK, "1")
    finally:
        engine.stop()
        engine.join(30)
        _pactl("suspend-sink", SINK, "0")
    ended = events[-1]
    assert isinstance(ended, StreamEnded)
    stats = ended.stats
    # audio time is wall time: the 3 s suspended and the late start came back as silence
    assert abs(stats["audio_s"] - stats["wall_s"]) <= 0.15, stats
    assert engine.source.filled_s > 3.5
    live = [e.segment for e in events if isinstance(e, Final)]

    # where the words are in the played timeline: the same audio at the same places, transcribed from a file
    timeline = np.zeros(int((schedule[-1][1] + 1) * 16000), np.float32)
    for clip, at in zip(clips, played_at, strict=True):
        timeline[int(at * 16000) : int(at * 16000) + len(clip)] += clip
    sf.write(tmp_path / "timeline.wav", timeline, 16000)
    reference = Engine(Settings(), FileSource(tmp_path / "timeline.wav"), whisper_backend)
    ref_events: list = []
    reference.subscribe(ref_events.append)
    reference.run()
    expected = [e.segment for e in ref_events if isinstance(e, Final)]
    assert len(expected) >= 2
    for seg in expected:
        nearest = min(live, key=lambda s: abs(s.start - seg.start))
        assert abs(nearest.start - seg.start) <= 0.15, (seg, live, played_at)
