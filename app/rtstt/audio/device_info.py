"""Device records and their ids: what the microphone and the system-audio listings share.

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
