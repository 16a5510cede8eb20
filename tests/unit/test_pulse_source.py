"""A PulseAudio/PipeWire source as the microphone (`pulse/<source>`, recorded through parec like a sink's
monitor), and what parec says when its device goes away, with a fake `pactl` listing and a fake `parec`."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from rtstt.audio import loopback
from rtstt.audio.loopback import PulseMonitorSource
from rtstt.audio.sources import open_source
from rtstt.errors import AudioDeviceError

SOURCES = [
    "0\tspeakers.monitor\tmodule-null-sink.c\ts16le 2ch 44100Hz\tIDLE",
    "1\talsa_input.usb-Jabra_Evolve_20-00.mono-fallback\tmodule-alsa-card.c\ts16le 1ch 16000Hz\tRUNNING",
]


@pytest.fixture
def pulse(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The sound server's sources, as `pactl list short sources` prints them (the test may change them)."""
    sources = list(SOURCES)

    def pactl(*args: str) -> str:
        if args == ("info",):
            return "Server Name: pulseaudio\nDefault Sink: speakers\nDefault Source: speakers.monitor\n"
        assert args == ("list", "short", "sources"), args
        return "\n".join(sources) + "\n"

    monkeypatch.setattr(loopback, "_pactl", pactl)
    return sources


@pytest.fixture
def fake_parec(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Put a `parec` on PATH that runs `script` (sh) instead of recording."""

    def install(script: str) -> None:
        exe = tmp_path / "bin" / "parec"
        exe.parent.mkdir(exist_ok=True)
        exe.write_text("#!/bin/sh\n" + script)
        exe.chmod(0o755)
        monkeypatch.setenv("PATH", f"{exe.parent}:/usr/bin:/bin")

    return install


def read_until_end(source: PulseMonitorSource, within_s: float = 20.0) -> int:
    got = 0
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        block = source.read(timeout=0.05)
        if block is None:
            return got
        got += block.size
    source.stop()
    pytest.fail("the source never ended")


def test_a_pulse_source_is_listed_and_opened_as_a_microphone(pulse, fake_parec, monkeypatch):
    fake_parec("exit 0\n")
    monkeypatch.setattr(sys, "platform", "linux")
    from rtstt.audio import devices

    def no_portaudio():
        raise AudioDeviceError("PortAudio is not installed", "")

    monkeypatch.setattr(devices, "list_inputs", no_portaudio)
    listed = {(d.kind, d.id) for d in devices.list_devices([])}
    headset = "pulse/alsa_input.usb-Jabra_Evolve_20-00.mono-fallback"
    assert listed == {("loopback", "pulse/speakers.monitor"), ("input", headset)}

    mic = open_source(f"mic:{headset}")
    assert isinstance(mic, PulseMonitorSource) and mic.monitor == headset.removeprefix("pulse/")
    assert mic.name == f"microphone ({mic.monitor})"
    assert open_source("mic:pulse/speakers.monitor").monitor == "speakers.monitor"  # any source, by its id


def test_a_pulse_microphone_that_is_not_there_fails_before_anything_starts(pulse, fake_parec):
    fake_parec("exit 0\n")
    with pytest.raises(AudioDeviceError, match="'pulse/usb-headset' is not a known device") as caught:
        open_source("mic:pulse/usb-headset")
    assert "pulse/alsa_input.usb-Jabra_Evolve_20-00.mono-fallback" in caught.value.hint


def test_when_parec_ends_its_last_words_are_the_reason(pulse, fake_parec):
    fake_parec(
        "printf 'Opening a recording stream with sample specification.\\nConnection established.\\n' >&2\n"
        "printf 'Stream error: No such entity\\n' >&2\n"
        "exit 1\n"
    )
    mic = PulseMonitorSource("alsa_input.usb-Jabra_Evolve_20-00.mono-fallback", what="microphone")
    mic.start()
    read_until_end(mic)
    assert isinstance(mic.error, AudioDeviceError)
    assert mic.error.message == "microphone capture stopped: Stream error: No such entity"


# parec --verbose: timing status several times a second (ending in \r), then the server moving the stream
MOVED = (
    "printf 'Connected to device {name} (index: 1, suspended: no).\\n' >&2\n"
    "head -c 96000 /dev/zero\n"  # half a second of audio
    "printf 'Time: 0.500 sec; Latency: 18 usec.        \\rTime: 0.660 sec; Latency: 177 usec.        ' >&2\n"
    "printf 'Stream moved to device speakers.monitor (0, not suspended).\\033[K\\n' >&2\n"
    "exec sleep 30\n"  # recording on from the other device, until told to stop
)


def test_a_device_that_goes_away_fails_the_source_instead_of_recording_another_one(pulse, fake_parec):
    name = "alsa_input.usb-Jabra_Evolve_20-00.mono-fallback"
    pulse.pop()  # unplugged: the server has moved the recording to its default source
    fake_parec(MOVED.format(name=name))
    mic = PulseMonitorSource(name, what="microphone")
    mic.start()
    read_until_end(mic)
    assert isinstance(mic.error, AudioDeviceError)
    assert mic.error.message == f"{name} went away (the sound server switched to speakers.monitor)"
    assert mic._proc is not None and mic._proc.wait(5) is not None  # parec is not left recording


def test_a_move_the_user_made_is_followed(pulse, fake_parec):
    name = "alsa_input.usb-Jabra_Evolve_20-00.mono-fallback"  # still there: moved in pavucontrol
    fake_parec(MOVED.format(name=name))
    mic = PulseMonitorSource(name, what="microphone")
    mic.start()
    deadline = time.monotonic() + 20
    while mic.monitor == name and time.monotonic() < deadline:
        assert mic.read(timeout=0.05) is not None
    mic.stop()
    assert mic.monitor == "speakers.monitor" and mic.error is None
