"""System audio ("what you hear") on each platform, behind the same source protocol as a microphone.

- Windows: WASAPI loopback through `pyaudiowpatch` (a PyAudio fork that exposes each output device
  as a loopback input). Kept thin: find the loopback twin of the output device, open a callback
  stream, copy frames into the ring.
- Linux: the `.monitor` source of a PulseAudio or PipeWire (pipewire-pulse) sink, recorded with
  `parec` from pulseaudio-utils, which needs no ALSA plugin configuration. The same reader records any
  other Pulse source as a microphone (`pulse/<source>`: a USB headset on PipeWire is one), which
  PortAudio's ALSA devices cannot name: they only reach the sound server's default source.
- macOS has no loopback API: users install a virtual device (BlackHole) and pick it as a microphone.

Both keep the stream on the wall clock (base.RingSource with a `WallClock`): a loopback delivers
nothing while nothing plays (WASAPI sends no packets; a suspended sink's monitor sends nothing; parec
on an idle sink starts one or two seconds late), and that time becomes silence of the right length.
"""

from __future__ import annotations

import os
import re
import select
import shutil
import subprocess
import sys
import threading
import time
from typing import Any

import numpy as np

from rtstt.audio.base import RingSource
from rtstt.audio.device_info import DeviceInfo, find_device, slug
from rtstt.errors import AudioDeviceError

PULSE_RATE = 48000
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_STATUS = re.compile(r"Time: [0-9.]+ sec; Latency: -?[0-9]+ usec\.")  # parec --verbose, several a second
_MOVED = re.compile(r"Stream moved to device (\S+)")
_INFO = re.compile(
    r"(Opening a recording stream|Connection established|Stream successfully created|Buffer metrics"
    r"|Using sample spec|Connected to device|Stream (moved|started|device))"
)


# ---- Linux: PulseAudio / PipeWire monitor sources --------------------------------------------
def _pactl(*args: str) -> str:
    if shutil.which("pactl") is None:
        raise AudioDeviceError(
            "system audio needs PulseAudio or PipeWire tools", "Debian/Ubuntu: sudo apt install pulseaudio-utils"
        )
    try:
        done = subprocess.run(["pactl", *args], capture_output=True, text=True, timeout=5)
    except subprocess.TimeoutExpired as exc:
        raise AudioDeviceError("the sound server does not answer", "is PulseAudio/PipeWire running?") from exc
    if done.returncode != 0:
        detail = (done.stderr.strip() or done.stdout.strip() or "no answer").splitlines()[0]
        raise AudioDeviceError(
            f"cannot reach the sound server: {detail}",
            "start PulseAudio or PipeWire (pipewire-pulse)",
        )
    return done.stdout


def default_pulse_monitor() -> str:
    for line in _pactl("info").splitlines():
        if line.startswith("Default Sink:"):
            return line.split(":", 1)[1].strip() + ".monitor"
    raise AudioDeviceError("the sound server has no default output", "choose a source from `rtstt devices`")


def list_pulse_sources() -> list[DeviceInfo]:
    """Every source of the sound server: sink monitors (kind "loopback", the default sink's marked default)
    and the rest (kind "input": microphones, headsets, virtual sources), all with the id `pulse/<name>`."""
    try:
        default = default_pulse_monitor()
    except AudioDeviceError:
        default = ""
    out = []
    for line in _pactl("list", "short", "sources").splitlines():
        cols = line.split("\t")
        if len(cols) < 2 or not cols[1]:
            continue
        name = cols[1]
        monitor = name.endswith(".monitor")
        out.append(
            DeviceInfo(
                id=f"pulse/{name}",
                name=name,
                kind="loopback" if monitor else "input",
                host_api="PulseAudio",
                channels=2,
                default_rate=PULSE_RATE,
                is_default=monitor and name == default,
            )
        )
    return out


def list_pulse_monitors() -> list[DeviceInfo]:
    return [d for d in list_pulse_sources() if d.kind == "loopback"]


def list_pulse_inputs() -> list[DeviceInfo]:
    """The sound server's sources that are not monitors, as microphones."""
    return [d for d in list_pulse_sources() if d.kind == "input"]


def open_pulse_input(ident: str) -> PulseMonitorSource:
    """A Pulse source recorded as the microphone: `pulse/<name>`, any source of the server (a monitor too).
    Checked now, so a wrong name is an error before the model loads, not a track that fails mid-call."""
    sources = list_pulse_sources()
    found = next((d for d in sources if d.id == ident), None)
    if found is None:
        known = ", ".join(d.id for d in sources if d.kind == "input") or "none"
        raise AudioDeviceError(f"{ident!r} is not a known device", f"choose one of: {known} (see `rtstt devices`)")
    return PulseMonitorSource(found.name, what="microphone")


class PulseMonitorSource(RingSource):
    """Records a sink's monitor (or, with `what="microphone"`, any other Pulse source) through `parec`
    (raw float32 mono) on a reader thread.

    parec gives no capture times, so each block's place on the wall clock is estimated from when it
    arrives. The reader takes everything waiting in the pipe at once: after a stall (this process or
    parec not scheduled for a while) the backlog is one block whose length says where it started,
    not a gap followed by a burst.

    A device that goes away (the headset unplugged, the sink removed) does not end parec's stream: the
    sound server moves it to its default source, so the capture would silently go on from another device
    (in a call, the microphone track could start recording the speakers' monitor). parec runs verbose and
    a second thread watches its stderr for "Stream moved to device": when the source it was given is no
    longer there, the source fails with an AudioDeviceError; a move the user made (pavucontrol), with the
    device still present, is followed."""

    def __init__(self, monitor: str, what: str = "system audio") -> None:
        if shutil.which("parec") is None:
            raise AudioDeviceError(f"{what} needs `parec`", "Debian/Ubuntu: sudo apt install pulseaudio-utils")
        super().__init__(name=f"{what} ({monitor})", rate=PULSE_RATE, wall_clock=True)
        self.monitor = monitor
        self.what = what
        self._proc: subprocess.Popen[bytes] | None = None
        self._thread: threading.Thread | None = None
        self._watcher: threading.Thread | None = None
        self._log: list[str] = []  # parec's stderr, its status lines left out: the last ones say why it ended

    def start(self) -> None:
        cmd = [
            "parec",
            f"--device={self.monitor}",
            "--format=float32le",
            f"--rate={self.rate}",
            "--channels=1",
            "--raw",
            "--latency-msec=20",
            "--client-name=rtstt",
            "--verbose",  # "Stream moved to device ..." on stderr: how a vanished source shows (see the class)
        ]
        self.clock_start()
        self._proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self._watcher = threading.Thread(target=self._watch, name="rtstt-parec-log", daemon=True)
        self._watcher.start()
        self._thread = threading.Thread(target=self._pump, name="rtstt-parec", daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        """parec's stderr, line by line (its timing status, several a second, is dropped): a move of the
        stream is checked; the rest is kept for the error message should parec exit."""
        assert self._proc is not None and self._proc.stderr is not None
        fd = self._proc.stderr.fileno()
        pending = ""
        while True:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                chunk = b""
            if not chunk:
                break
            *lines, pending = (pending + chunk.decode(errors="replace")).replace("\r", "\n").split("\n")
            pending = pending[-4096:]
            for line in lines:
                self._log_line(line)
        self._log_line(pending)

    def _log_line(self, line: str) -> None:
        line = _ANSI.sub("", line).strip()
        line = _STATUS.sub("", line).strip()
        if not line:
            return
        self._log = [*self._log[-9:], line]
        moved = _MOVED.match(line)
        if moved:
            self._moved(moved.group(1))

    def _moved(self, to: str) -> None:
        """The server moved the stream to `to`: the user's choice if the source is still there, else the
        source went away."""
        if self._stopped.is_set() or to == self.monitor:
            return
        try:
            still_there = any(d.name == self.monitor for d in list_pulse_sources())
        except AudioDeviceError:
            still_there = False
        if still_there:
            self.monitor = to
            return
        self.fail(
            AudioDeviceError(
                f"{self.monitor} went away (the sound server switched to {to})",
                "reconnect it, or choose another device in `rtstt devices`",
            )
        )
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()

    def _fd(self) -> int | None:
        if self._proc is None or self._proc.stdout is None or self._proc.stdout.closed:
            return None
        return self._proc.stdout.fileno()

    def _readable(self, timeout: float) -> bool:
        fd = self._fd()
        if fd is None:
            return False
        try:
            return bool(select.select([fd], [], [], timeout)[0])
        except (OSError, ValueError):
            return False

    def _capture_pending(self) -> bool:
        return self._readable(0.0)

    def _pump(self) -> None:
        fd = self._fd()
        assert fd is not None
        rest = b""
        ended = False
        while not ended:
            try:
                data = os.read(fd, 1 << 16)
            except OSError:
                data = b""
            ended = not data
            while not ended and self._readable(0.002):  # the rest of a burst: one block, one estimate
                try:
                    more = os.read(fd, 1 << 16)
                except OSError:
                    more = b""
                ended = not more
                data += more
            data = rest + data
            cut = len(data) - len(data) % 4
            rest = data[cut:]
            if cut:
                self.capture(np.frombuffer(data[:cut], dtype="<f4"))
        if not self._stopped.is_set():
            if self._watcher is not None:
                self._watcher.join(2)  # parec's last words reach the log first
            err = next((line for line in reversed(self._log) if not _INFO.match(line)), "")
            hint = "check the output" if self.what == "system audio" else "is it still plugged in?"
            self.fail(AudioDeviceError(f"{self.what} capture stopped: {err or 'parec exited'}", hint))

    def alive(self) -> bool:
        return self._proc is None or self._proc.poll() is None or not self.ring.closed

    def stop(self) -> None:
        super().stop()
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(2)
            except subprocess.TimeoutExpired:
                self._proc.kill()


# ---- Windows: WASAPI loopback through pyaudiowpatch ------------------------------------------
def _pyaudiowpatch() -> Any:
    try:
        import pyaudiowpatch
    except ImportError as exc:
        raise AudioDeviceError("system audio on Windows needs PyAudioWPatch", "pip install PyAudioWPatch") from exc
    return pyaudiowpatch


def find_wasapi_loopback(pa: Any, pyaudio: Any, name: str | None = None) -> dict[str, Any]:
    """The loopback twin of the named output device (default: the default speakers)."""
    try:
        wasapi = pa.get_host_api_info_by_type(pyaudio.paWASAPI)
    except OSError as exc:
        raise AudioDeviceError("WASAPI is not available on this system", "update Windows audio drivers") from exc
    loopbacks = list(pa.get_loopback_device_info_generator())
    if name:
        for dev in loopbacks:
            if name in (dev["name"], f"wasapi/{slug(dev['name'])}") or name.lower() in dev["name"].lower():
                return dev
        raise AudioDeviceError(f"no loopback device matches {name!r}", "see `rtstt devices`")
    speakers = pa.get_device_info_by_index(wasapi["defaultOutputDevice"])
    if speakers.get("isLoopbackDevice"):
        return speakers
    for dev in loopbacks:
        # pyaudiowpatch names the twin "<speakers name> [Loopback]".
        if speakers["name"] in dev["name"]:
            return dev
    raise AudioDeviceError(f"no loopback device for {speakers['name']}", "pick an output in Windows sound settings")


def list_wasapi_loopback(pyaudio: Any | None = None) -> list[DeviceInfo]:
    pyaudio = pyaudio or _pyaudiowpatch()
    pa = pyaudio.PyAudio()
    try:
        try:
            default = find_wasapi_loopback(pa, pyaudio)["index"]
        except AudioDeviceError:
            default = None
        return [
            DeviceInfo(
                id=f"wasapi/{slug(dev['name'])}",
                name=str(dev["name"]),
                kind="loopback",
                host_api="Windows WASAPI",
                channels=int(dev["maxInputChannels"]),
                default_rate=int(dev["defaultSampleRate"]),
                is_default=dev["index"] == default,
                index=int(dev["index"]),
            )
            for dev in pa.get_loopback_device_info_generator()
        ]
    finally:
        pa.terminate()


def capture_time(time_info: Any, now: float) -> float | None:
    """When a PortAudio callback's first frame was captured, on `time.monotonic()`'s clock (`now` is the
    callback's), from `input_buffer_adc_time` and `current_time` (PortAudio's own clock, other origin);
    None when the host gives no usable time (0, or an implausible delay)."""
    try:
        adc = float(time_info["input_buffer_adc_time"])
        current = float(time_info["current_time"])
    except (KeyError, TypeError, ValueError):
        return None
    delay = current - adc
    if adc <= 0 or current <= 0 or not 0.0 <= delay <= 2.0:
        return None
    return now - delay


class WasapiLoopbackSource(RingSource):
    """What the speakers play, captured by WASAPI in shared loopback mode.

    What reaches Python through PortAudio (pyaudiowpatch): no callbacks at all while nothing plays;
    packets that WASAPI marks silent as ordinary (zero) data, since PortAudio ignores
    AUDCLNT_BUFFERFLAGS_SILENT and DATA_DISCONTINUITY and passes status 0 (pa_win_wasapi.c,
    ProcessInputBuffer / WaspiHostProcessingLoop); and `time_info["input_buffer_adc_time"]`, the
    capture time of the buffer's first frame on PortAudio's clock (`current_time` minus what is still
    waiting in the endpoint buffer). That time, taken relative to `current_time`, places every buffer
    on the wall clock exactly, so a gap is filled to the frame and a late buffer is never mistaken for
    one. paInputOverflow, should a host report it, is taken as a discontinuity."""

    def __init__(self, name: str | None = None, pyaudio: Any | None = None) -> None:
        self._pyaudio = pyaudio or _pyaudiowpatch()
        self._pa = self._pyaudio.PyAudio()
        try:
            info = find_wasapi_loopback(self._pa, self._pyaudio, name)
        except Exception:
            self._pa.terminate()
            raise
        super().__init__(name=f"system audio ({info['name']})", rate=int(info["defaultSampleRate"]), wall_clock=True)
        self._index = int(info["index"])
        self._channels = max(1, int(info["maxInputChannels"]))
        self._stream: Any = None

    def start(self) -> None:
        channels = self._channels
        pyaudio = self._pyaudio

        overflow = int(getattr(pyaudio, "paInputOverflow", 2))

        def callback(in_data: bytes, frame_count: int, time_info: Any, status: int) -> tuple[None, int]:
            frames = np.frombuffer(in_data, dtype=np.float32).reshape(-1, channels)
            self.capture(
                frames.mean(axis=1) if channels > 1 else frames[:, 0],
                captured_at=capture_time(time_info, time.monotonic()),
                discontinuity=bool(status & overflow),
            )
            return (None, pyaudio.paContinue)

        self.clock_start()
        try:
            self._stream = self._pa.open(
                format=pyaudio.paFloat32,
                channels=channels,
                rate=self.rate,
                input=True,
                input_device_index=self._index,
                frames_per_buffer=int(self.rate * 0.02),
                stream_callback=callback,
            )
            self._stream.start_stream()
        except OSError as exc:
            raise AudioDeviceError(f"cannot open {self.name}: {exc}", "is the output device still there?") from exc

    def alive(self) -> bool:
        return self._stream is None or bool(self._stream.is_active())

    def stop(self) -> None:
        super().stop()
        try:
            if self._stream is not None:
                self._stream.stop_stream()
                self._stream.close()
        except OSError:
            pass
        finally:
            self._pa.terminate()


# ---- per platform ------------------------------------------------------------------------------
def list_loopback() -> list[DeviceInfo]:
    if sys.platform == "win32":
        return list_wasapi_loopback()
    if sys.platform.startswith("linux"):
        return list_pulse_monitors()
    return []


def open_loopback(ident: str | None = None) -> RingSource:
    if sys.platform == "win32":
        return WasapiLoopbackSource(ident)
    if sys.platform.startswith("linux"):
        if not ident:
            return PulseMonitorSource(default_pulse_monitor())
        if ident.startswith("pulse/") or ident.endswith(".monitor"):
            return PulseMonitorSource(ident.removeprefix("pulse/"))
        return PulseMonitorSource(find_device(ident, list_pulse_monitors()).name)
    raise AudioDeviceError(
        "this system has no system-audio capture API",
        "install a virtual loopback device (e.g. BlackHole) and choose it as the microphone",
    )
