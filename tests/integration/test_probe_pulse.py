"""The source probe on a real sound server: a PulseAudio null sink's monitor, silent and then playing speech."""

from __future__ import annotations

import subprocess
import time

import pytest

from rtstt.audio.probe import LevelProbe
from rtstt.config import Settings
from rtstt.runner import SourceChoice, open_choice
from tests.conftest import FIXTURES
from tests.integration.test_pulse_loopback import SINK, pulse_server  # noqa: F401 - the fixture

pytestmark = [pytest.mark.integration, pytest.mark.pulse]


def wait_for(condition, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_a_silent_monitor_warns_and_speech_clears_the_warning(pulse_server):  # noqa: F811
    choice = SourceChoice("loopback", loopback_device=f"pulse/{SINK}.monitor")
    levels = []
    probe = LevelProbe(lambda: open_choice(choice, Settings()), name="System audio", on_level=levels.append)
    t0 = time.monotonic()
    probe.start()
    try:
        wait_for(lambda: probe.latest() is not None and probe.latest().silent, timeout=10)
        silent_after = time.monotonic() - t0
        assert 2.9 <= silent_after <= 8, silent_after  # three seconds of nothing, not at once
        level = probe.latest()
        assert not level.error and SINK in level.source
        assert level.rms_dbfs < -55 and level.quiet_s >= 3.0

        player = subprocess.Popen(
            ["paplay", f"--device={SINK}", str(FIXTURES / "conversation.flac")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            wait_for(lambda: not probe.latest().silent, timeout=10)
            wait_for(lambda: any(lv.rms_dbfs > -40 for lv in levels[-30:]), timeout=10)
            assert max(lv.peak_dbfs for lv in levels[-30:]) > -30  # speech peaks, well above the floor
            assert not probe.latest().error
        finally:
            player.terminate()
            player.wait(5)
    finally:
        t1 = time.monotonic()
        assert probe.stop()
        assert time.monotonic() - t1 < 3  # parec is gone: the device is free for the session's source
    assert subprocess.run(["pgrep", "-f", f"parec --device={SINK}"], capture_output=True).returncode != 0


def test_a_monitor_that_does_not_exist_is_a_message(pulse_server):  # noqa: F811
    choice = SourceChoice("loopback", loopback_device="pulse/no_such_sink.monitor")
    probe = LevelProbe(lambda: open_choice(choice, Settings()), name="System audio")
    probe.start()
    wait_for(lambda: probe.latest() is not None and bool(probe.latest().error), timeout=10)
    assert "capture stopped" in probe.latest().error
    probe.stop()


def test_no_sound_server_is_a_message(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))  # no server here
    monkeypatch.setenv("PULSE_SERVER", f"unix:{tmp_path}/nothing")
    probe = LevelProbe(lambda: open_choice(SourceChoice("loopback"), Settings()), name="System audio")
    probe.start()
    wait_for(lambda: probe.latest() is not None, timeout=10)
    assert probe.latest().error and probe.latest().hint
    probe.stop()
