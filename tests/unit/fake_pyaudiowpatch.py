"""A faithful double of the slice of PyAudioWPatch's API that RTSTT uses (Windows-only library).

Mirrors the documented behaviour: `get_host_api_info_by_type(paWASAPI)` raises OSError when WASAPI is
missing; every output device has a loopback twin named "<name> [Loopback]" with `isLoopbackDevice`;
`open(..., stream_callback=cb)` calls `cb(in_data: bytes, frame_count, time_info, status)` from its own
thread with interleaved frames in the requested format, and stops when the callback returns paComplete
or the device disappears.
"""

from __future__ import annotations

import threading
import time

import numpy as np

paFloat32 = 1
paInt16 = 8
paContinue = 0
paComplete = 1
paAbort = 2
paWASAPI = 13

DEVICES = [
    {
        "index": 0,
        "name": "Microphone (Realtek Audio)",
        "hostApi": 0,
        "maxInputChannels": 2,
        "maxOutputChannels": 0,
        "defaultSampleRate": 44100.0,
        "isLoopbackDevice": False,
    },
    {
        "index": 1,
        "name": "Speakers (Realtek Audio)",
        "hostApi": 0,
        "maxInputChannels": 0,
        "maxOutputChannels": 2,
        "defaultSampleRate": 48000.0,
        "isLoopbackDevice": False,
    },
    {
        "index": 2,
        "name": "Speakers (Realtek Audio) [Loopback]",
        "hostApi": 0,
        "maxInputChannels": 2,
        "maxOutputChannels": 0,
        "defaultSampleRate": 48000.0,
        "isLoopbackDevice": True,
    },
    {
        "index": 3,
        "name": "Headphones (USB) [Loopback]",
        "hostApi": 0,
        "maxInputChannels": 2,
        "maxOutputChannels": 0,
        "defaultSampleRate": 44100.0,
        "isLoopbackDevice": True,
    },
]

# What the "speakers" play: a function of (start_frame, frames, rate) -> (frames, channels) float32.
playing = {"signal": None, "unplug_after_s": None, "wasapi": True}
opened: list[dict] = []


class Stream:
    def __init__(self, pa: PyAudio, **kwargs) -> None:
        self.kwargs = kwargs
        self._active = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start_stream(self) -> None:
        self._active = True
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        k = self.kwargs
        rate, channels, n = k["rate"], k["channels"], k["frames_per_buffer"]
        assert k["format"] == paFloat32 and k["input"] is True
        pos, t0 = 0, time.monotonic()
        while not self._stop.is_set():
            if playing["unplug_after_s"] is not None and time.monotonic() - t0 > playing["unplug_after_s"]:
                break
            signal = playing["signal"]
            frames = signal(pos, n, rate) if signal else np.zeros((n, channels), np.float32)
            data = np.ascontiguousarray(frames, dtype=np.float32).tobytes()
            _, flag = k["stream_callback"](data, n, {}, 0)
            pos += n
            if flag != paContinue:
                break
            time.sleep(n / rate / 4)  # faster than real time keeps the test short
        self._active = False

    def is_active(self) -> bool:
        return self._active

    def stop_stream(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(1)
        self._active = False

    def close(self) -> None:
        self.stop_stream()


class PyAudio:
    def __init__(self) -> None:
        self.terminated = False

    def get_host_api_info_by_type(self, api: int) -> dict:
        if api != paWASAPI or not playing["wasapi"]:
            raise OSError("Error querying host API info")
        return {"index": 0, "name": "Windows WASAPI", "defaultOutputDevice": 1, "defaultInputDevice": 0}

    def get_device_info_by_index(self, index: int) -> dict:
        return dict(DEVICES[index])

    def get_loopback_device_info_generator(self):
        for dev in DEVICES:
            if dev["isLoopbackDevice"]:
                yield dict(dev)

    def open(self, **kwargs) -> Stream:
        opened.append(kwargs)
        return Stream(self, **kwargs)

    def terminate(self) -> None:
        self.terminated = True
