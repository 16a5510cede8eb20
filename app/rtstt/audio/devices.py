"""Listing audio inputs and system-audio sources with ids that survive a reboot (see device_info.py).

`DeviceInfo`, `find_device` and `slug` live in device_info.py, below the loopback module that needs
them too; they stay importable from here.
"""

from __future__ import annotations

from rtstt.audio.base import load_sounddevice
from rtstt.audio.device_info import DeviceInfo, find_device, slug
from rtstt.audio.loopback import list_loopback
from rtstt.errors import AudioDeviceError

__all__ = ["DeviceInfo", "find_device", "list_devices", "list_inputs", "resolve_device", "slug"]


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
    """Inputs and loopback (system audio) sources. A missing sound system yields what the other one
    has; its error goes to `problems` when given, else it is raised when nothing at all was found."""
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


def resolve_device(ident: str, kind: str = "input") -> int:
    """The PortAudio index of an input device id."""
    device = find_device(ident, list_inputs())
    assert device.index is not None
    return device.index
