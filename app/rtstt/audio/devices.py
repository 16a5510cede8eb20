"""Listing audio inputs and system-audio sources with ids that survive a reboot (see device_info.py).

`DeviceInfo`, `find_device` and `slug` live in device_info.py, below the loopback module that needs
them too; they stay importable from here.
"""

from __future__ import annotations

import sys

from rtstt.audio.base import load_sounddevice
from rtstt.audio.device_info import DeviceInfo, find_device, slug
from rtstt.audio.loopback import list_loopback, list_pulse_inputs
from rtstt.errors import AudioDeviceError

__all__ = [
    "DeviceInfo",
    "default_source_kind",
    "find_device",
    "list_devices",
    "list_inputs",
    "resolve_device",
    "slug",
]


def list_inputs() -> list[DeviceInfo]:
    """Recording devices PortAudio sees (microphones, line-in, virtual cables)."""
    sd = load_sounddevice()
    try:
        devices = sd.query_devices()
        apis = sd.query_hostapis()
        default_in = sd.default.device[0]
    except sd.PortAudioError as exc:
        raise AudioDeviceError(f"cannot list audio devices: {exc}", "check the sound system") from exc
    out: list[DeviceInfo] = []
    seen: set[str] = set()
    for idx, dev in enumerate(devices):
        if int(dev["max_input_channels"]) < 1:
            continue
        api = str(apis[dev["hostapi"]]["name"])
        ident = f"{slug(api.split()[0])}/{slug(dev['name'])}"
        if ident in seen:  # two identical devices: keep both reachable
            ident = f"{ident}-{idx}"
        seen.add(ident)
        out.append(
            DeviceInfo(
                id=ident,
                name=str(dev["name"]),
                kind="input",
                host_api=api,
                channels=int(dev["max_input_channels"]),
                default_rate=int(dev["default_samplerate"]),
                is_default=idx == default_in,
                index=idx,
            )
        )
    return out


def list_devices(problems: list[AudioDeviceError] | None = None) -> list[DeviceInfo]:
    """Inputs (PortAudio's, and on Linux the Pulse sources) and loopback (system audio) sources. A missing
    sound system yields what the other one has; its error goes to `problems` when given, else it is raised
    when nothing at all was found."""
    devices: list[DeviceInfo] = []
    errors: list[AudioDeviceError] = []
    for lister in (list_inputs, list_loopback):
        try:
            devices.extend(lister())
        except AudioDeviceError as exc:
            errors.append(exc)
    if sys.platform.startswith("linux"):  # Pulse/PipeWire sources as microphones (`pulse/<source>`)
        try:
            devices.extend(list_pulse_inputs())
        except AudioDeviceError:
            pass  # the same sound server as the monitors: list_loopback has said why already
    if problems is not None:
        problems.extend(errors)
    elif not devices and errors:
        raise errors[0]
    return devices


def resolve_device(ident: str, kind: str = "input") -> int:
    """The PortAudio index of an input device id."""
    device = find_device(ident, list_inputs())
    assert device.index is not None
    return device.index


def default_source_kind(devices: list[DeviceInfo]) -> str:
    """The source to offer when the user has not picked one: a call (the user on the microphone, the others on
    system audio, as two tracks) when both exist; else whichever exists; system audio when nothing was found
    (what the window offered before)."""
    kinds = {d.kind for d in devices}
    if "input" in kinds and "loopback" in kinds:
        return "call"
    return "mic" if kinds == {"input"} else "loopback"
