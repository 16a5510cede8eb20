"""Listing audio inputs and system-audio sources with ids that survive a reboot.

PortAudio's device indexes change when a device is plugged in; the ids here are built from the host
API and the device name (`alsa/usb-audio-device`, `pulse/speakers.monitor`), which do not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rtstt.errors import AudioDeviceError


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    id: str
    name: str
    kind: str  # "input" | "loopback"
    host_api: str
    channels: int
    default_rate: int
    is_default: bool = False
    index: int | None = None  # PortAudio index, valid only until devices change


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9.]+", "-", text.lower()).strip("-") or "device"


def list_inputs() -> list[DeviceInfo]:
    """Recording devices PortAudio sees (microphones, line-in, virtual cables)."""
    from rtstt.audio.sources import _sounddevice

    sd = _sounddevice()
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
    """Inputs and loopback (system audio) sources. A missing sound system yields what the other one
    has; its error goes to `problems` when given, else it is raised when nothing at all was found."""
    from rtstt.audio.loopback import list_loopback

    devices: list[DeviceInfo] = []
    errors: list[AudioDeviceError] = []
    for lister in (list_inputs, list_loopback):
        try:
            devices.extend(lister())
        except AudioDeviceError as exc:
            errors.append(exc)
    if problems is not None:
        problems.extend(errors)
    elif not devices and errors:
        raise errors[0]
    return devices


def find_device(ident: str, candidates: list[DeviceInfo]) -> DeviceInfo:
    """Match an id exactly, else a PortAudio index, else a unique case-insensitive name fragment."""
    for d in candidates:
        if d.id == ident:
            return d
    if ident.isdigit():
        for d in candidates:
            if d.index == int(ident):
                return d
    hits = [d for d in candidates if ident.lower() in d.name.lower()]
    if len(hits) == 1:
        return hits[0]
    known = ", ".join(d.id for d in candidates) or "none"
    what = "matches several devices" if hits else "is not a known device"
    raise AudioDeviceError(f"{ident!r} {what}", f"choose one of: {known} (see `rtstt devices`)")


def resolve_device(ident: str, kind: str = "input") -> int:
    """The PortAudio index of an input device id."""
    device = find_device(ident, list_inputs())
    assert device.index is not None
    return device.index
