"""A faithful double of the slice of PyAudioWPatch's API that RTSTT uses (Windows-only library).

Mirrors the documented behaviour: `get_host_api_info_by_type(paWASAPI)` raises OSError when WASAPI is
missing; every output device has a loopback twin named "<name> [Loopback]" with `isLoopbackDevice`;
`open(..., stream_callback=cb)` calls `cb(in_data: bytes, frame_count, time_info, status)` from its own
thread with interleaved frames in the requested format, and stops when the callback returns paComplete
or the device disappears.

Timing, as PortAudio's WASAPI host (pa_win_wasapi.c, shared mode = polling thread) and its buffer
processor (pa_process.c) produce it, in real time:
- the audio engine completes one packet per 10 ms period; while no render stream is active
  (`playing["silent_spans"]`) it completes none, so there are no callbacks at all;
- the polling thread takes every completed packet; for each, `current_time` is PortAudio's clock now
  (its own origin, not time.monotonic's) and the host's `input_buffer_adc_time` is `current_time`
  minus the frames still waiting in the endpoint buffer (this packet included);
- the buffer processor cuts packets into callbacks of exactly `frames_per_buffer` frames, holding a
  partial one until more packets come (across a silent span too): the callback's adc time is the
  packet's minus the frames held, then advances by `frames_per_buffer` per callback;
- `status` is 0: PortAudio passes neither AUDCLNT_BUFFERFLAGS_SILENT nor DATA_DISCONTINUITY on;
- `playing["stall"] = (at_s, for_s)`: the polling thread is not scheduled for `for_s`; the packets wait
  in the endpoint buffer and come back to back afterwards, with their capture times.
"""

from __future__ import annotations

import threading
import time

import numpy as np

paFloat32 = 1
paInt16 = 8
paInputUnderflow = 1
paInputOverflow = 2
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

PACKET_S = 0.01  # WASAPI shared mode: one packet per 10 ms engine period
PA_CLOCK_ORIGIN = 1000.0  # PortAudio's clock (PaUtil_GetTime) has its own origin

# What the "speakers" play: a function of (start_frame, frames, rate) -> (frames, channels) float32, the
# frame counted from the stream's start on the device clock (silent spans included).
playing: dict = {"signal": None, "unplug_after_s": None, "wasapi": True, "silent_spans": [], "stall": None}
opened: list[dict] = []


def pa_time() -> float:
    return time.monotonic() + PA_CLOCK_ORIGIN


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
        packet = round(rate * PACKET_S)
        t0 = time.monotonic()
        done = 0  # packets the engine has completed (or skipped: nothing rendered)
        waiting: list[np.ndarray] = []  # completed packets in the endpoint buffer
        held = np.zeros((0, channels), np.float32)  # the buffer processor's partial callback buffer
        stalled = False
        while not self._stop.is_set():
            elapsed = time.monotonic() - t0
            if playing["unplug_after_s"] is not None and elapsed > playing["unplug_after_s"]:
                break
            stall = playing["stall"]
            if stall is not None and not stalled and elapsed >= stall[0]:
                stalled = True
                time.sleep(stall[1])
                continue
            while (done + 1) * packet <= elapsed * rate:
                start = done * packet
                done += 1
                if any(a <= start / rate < b for a, b in playing["silent_spans"]):
                    continue  # no render stream: WASAPI sends no packet
                signal = playing["signal"]
                frames = signal(start, packet, rate) if signal else np.zeros((packet, channels), np.float32)
                waiting.append(np.asarray(frames, dtype=np.float32).reshape(packet, channels))
            flag = paContinue
            while waiting and flag == paContinue and not self._stop.is_set():
                current = pa_time()
                adc = current - sum(len(p) for p in waiting) / rate  # GetCurrentPadding: this packet and later
                adc -= len(held) / rate  # PaUtil_BeginBufferProcessing
                held = np.concatenate([held, waiting.pop(0)])
                while len(held) >= n and flag == paContinue:
                    data = np.ascontiguousarray(held[:n]).tobytes()
                    held = held[n:]
                    time_info = {"input_buffer_adc_time": adc, "current_time": current, "output_buffer_dac_time": 0.0}
                    _, flag = k["stream_callback"](data, n, time_info, 0)
                    adc += n / rate
            if flag != paContinue:
                break
            time.sleep(PACKET_S / 2)
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
