"""The audio sources behind the `AudioSource` protocol (base.py): a file, a microphone, or system
audio (loopback.py), and `open_source`, which picks one from a spec such as `mic:ID`.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np

from rtstt.audio.base import AudioSource, RingSource, load_sounddevice
from rtstt.audio.devices import resolve_device
from rtstt.audio.dsp import StreamResampler, to_mono
from rtstt.audio.loopback import open_loopback, open_pulse_input
from rtstt.errors import AudioDeviceError, AudioEndedEarly, AudioFormatError, RtsttError
from rtstt.vocab import SAMPLE_RATE

__all__ = ["AudioSource", "FileSource", "MicSource", "open_decoder", "open_source"]


# ---- files -----------------------------------------------------------------------------------
class _SoundFileDecoder:
    """WAV, FLAC, OGG, MP3 (libsndfile ≥ 1.1), read in blocks: a long file never sits in RAM.

    A file damaged part-way ("flac decoder lost sync") ends the stream early instead of raising: `read`
    returns what decoded before the damage, then nothing, and `damage` says why."""

    _CHUNK_FRAMES = 4096  # one libsndfile read: a failing one loses at most this much
    _SALVAGE_FRAMES = 256  # after a failed chunk, re-read it this finely to keep what precedes the damage

    def __init__(self, path: Path) -> None:
        import soundfile

        self._file = soundfile.SoundFile(str(path))
        self.rate = int(self._file.samplerate)
        self.duration_s = self._file.frames / self.rate if self._file.frames > 0 else None
        self.damage: str | None = None

    def read(self, frames: int) -> np.ndarray:
        import soundfile

        blocks: list[np.ndarray] = []
        got = 0
        while got < frames and self.damage is None:
            want = min(self._CHUNK_FRAMES, frames - got)
            start = self._file.tell()
            try:
                block = self._file.read(want, dtype="float32", always_2d=True)
            except soundfile.LibsndfileError as exc:
                self.damage = _damage_reason(exc.error_string)
                block = self._salvage(start, want)
            if not len(block):
                break
            blocks.append(to_mono(block))
            got += len(block)
        if not blocks:
            return np.zeros(0, dtype=np.float32)
        return blocks[0] if len(blocks) == 1 else np.concatenate(blocks)

    def _salvage(self, start: int, frames: int) -> np.ndarray:
        """The chunk that failed, up to the damage: seek back to its start and re-read it in small steps."""
        import soundfile

        kept: list[np.ndarray] = []
        try:
            self._file.seek(start)
            for offset in range(0, frames, self._SALVAGE_FRAMES):
                block = self._file.read(min(self._SALVAGE_FRAMES, frames - offset), dtype="float32", always_2d=True)
                if not len(block):
                    break
                kept.append(block)
        except (soundfile.LibsndfileError, RuntimeError):  # the damage again (or no seeking): keep what came
            pass
        return np.concatenate(kept) if kept else np.zeros((0, self._file.channels), dtype=np.float32)

    def close(self) -> None:
        self._file.close()


def _damage_reason(text: str) -> str:
    """libsndfile's words for a decoding failure, as the end of "the file is damaged (...)"."""
    text = text.strip().removeprefix("Error :").strip().rstrip(".")
    if "psf_fseek" in text:  # a FLAC cut off between two frames: the decoder asked for data that is not there
        return "cut off before its end"
    if not text or text.lower() == "unspecified internal error":  # e.g. garbage in an MP3
        return "unreadable data"
    return text


class _AvDecoder:
    """Anything FFmpeg reads (M4A, MP4 and other video, AAC, Opus, WMA...), through PyAV. Damage part-way
    ends the stream early, as in `_SoundFileDecoder`: what decoded before it, then `damage` says why."""

    def __init__(self, path: Path) -> None:
        import av

        self._container = av.open(str(path))
        streams = self._container.streams.audio
        if not streams:
            self._container.close()
            raise AudioFormatError(f"{path.name} has no audio track", "choose a file with sound")
        stream = streams[0]
        self.rate = int(stream.rate or stream.codec_context.sample_rate or SAMPLE_RATE)
        self.duration_s = float(stream.duration * stream.time_base) if stream.duration else None
        # Down-mix only; the rate change is soxr's job like everywhere else.
        self._resampler = av.AudioResampler(format="flt", layout="mono", rate=self.rate)
        self._frames = self._container.decode(stream)
        self._pending = np.zeros(0, dtype=np.float32)
        self._done = False
        self.damage: str | None = None

    def read(self, frames: int) -> np.ndarray:
        import av

        while len(self._pending) < frames and not self._done:
            try:
                frame = next(self._frames)
            except StopIteration:
                self._done = True
                break
            except av.error.FFmpegError as exc:
                self.damage = exc.strerror or str(exc)
                self._done = True
                break
            for out in self._resampler.resample(frame):
                self._pending = np.concatenate([self._pending, out.to_ndarray().reshape(-1).astype(np.float32)])
        block, self._pending = self._pending[:frames], self._pending[frames:]
        return block

    def close(self) -> None:
        self._container.close()


def open_decoder(path: Path) -> _SoundFileDecoder | _AvDecoder:
    """Open with libsndfile when it can, else FFmpeg; a file neither reads is an AudioFormatError."""
    path = Path(path).expanduser()
    if not path.exists():
        raise AudioFormatError(f"{path} does not exist", "check the path")
    if path.is_dir():
        raise AudioFormatError(f"{path} is a folder, not an audio file", "pass a file")
    try:
        return _SoundFileDecoder(path)
    except Exception:
        pass
    try:
        import av

        try:
            return _AvDecoder(path)
        except av.error.FFmpegError as exc:
            raise AudioFormatError(
                f"cannot read {path.name}: not an audio file or damaged ({exc.strerror or exc})",
                "try another file, or convert it to WAV/FLAC",
            ) from exc
    except ImportError as exc:
        raise AudioFormatError(f"cannot read {path.name}", "install PyAV (pip install av) for this format") from exc


class FileSource:
    """Replays a file: in real time (as if someone were speaking) or as fast as the engine reads."""

    def __init__(self, path: Path, realtime: bool = False, block_s: float | None = None) -> None:
        self.path = Path(path)
        self.name = self.path.name
        self.realtime = realtime
        self.error: RtsttError | None = None
        self._decoder = open_decoder(self.path)  # fail now, before any model loads
        self.duration_s = self._decoder.duration_s
        self._resampler = StreamResampler(self._decoder.rate)
        self._block = int((block_s or (0.02 if realtime else 0.5)) * SAMPLE_RATE)
        self._pending = np.zeros(0, dtype=np.float32)
        self._delivered = 0
        self._eof = False
        self._stopped = threading.Event()
        self._t0 = 0.0

    def start(self) -> None:
        self._t0 = time.monotonic()

    def stop(self) -> None:
        self._stopped.set()

    def _fill(self, want: int) -> None:
        """Decode until `want` samples at 16 kHz are pending or the file ends."""
        while len(self._pending) < want and not self._eof:
            native = max(1024, int(want * self._decoder.rate / SAMPLE_RATE))
            raw = self._decoder.read(native)
            last = len(raw) == 0
            out = self._resampler.process(raw, last=last)
            if out.size:
                self._pending = np.concatenate([self._pending, out])
            if last:
                self._eof = True
                self._decoder.close()
                if self._decoder.damage is not None:  # everything before it is still delivered, then None
                    at_s = (self._delivered + len(self._pending)) / SAMPLE_RATE
                    self.error = AudioEndedEarly(at_s, self._decoder.damage)

    def read(self, timeout: float = 0.0) -> np.ndarray | None:
        if self._stopped.is_set():
            return None
        if not self.realtime:
            self._fill(self._block)
            return self._take(self._block)
        deadline = time.monotonic() + timeout
        while True:
            due = int((time.monotonic() - self._t0) * SAMPLE_RATE) - self._delivered
            if due > 0:
                self._fill(due)
                return self._take(due)
            wait = min(deadline - time.monotonic(), -due / SAMPLE_RATE + 0.001)
            if wait <= 0:
                return np.zeros(0, dtype=np.float32)
            if self._stopped.wait(wait):
                return None

    def _take(self, n: int) -> np.ndarray | None:
        if not self._pending.size and self._eof:
            return None
        block, self._pending = self._pending[:n], self._pending[n:]
        self._delivered += len(block)
        return block


# ---- live capture ----------------------------------------------------------------------------
class MicSource(RingSource):
    """A microphone (or any input device) through sounddevice / PortAudio."""

    def __init__(self, device: int | None = None, name: str = "microphone") -> None:
        sd = load_sounddevice()
        try:
            info = sd.query_devices(device, kind="input") if device is None else sd.query_devices(device)
        except (ValueError, sd.PortAudioError) as exc:
            raise AudioDeviceError(f"no usable input device: {exc}", "see `rtstt devices`") from exc
        if int(info["max_input_channels"]) < 1:
            raise AudioDeviceError(f"{info['name']} cannot record", "pick an input from `rtstt devices`")
        super().__init__(name=str(info["name"]) or name, rate=int(info["default_samplerate"]))
        self._device = device
        self._channels = min(2, int(info["max_input_channels"]))
        self._stream = None

    def start(self) -> None:
        sd = load_sounddevice()

        def callback(indata, frames, time_info, status) -> None:  # PortAudio's thread: copy and leave
            self.ring.write(indata.mean(axis=1) if indata.shape[1] > 1 else indata[:, 0])

        def finished() -> None:
            if not self._stopped.is_set():
                self.fail(AudioDeviceError(f"{self.name} stopped (unplugged?)", "reconnect it and start again"))

        try:
            self._stream = sd.InputStream(
                device=self._device,
                channels=self._channels,
                samplerate=self.rate,
                dtype="float32",
                blocksize=int(self.rate * 0.02),
                callback=callback,
                finished_callback=finished,
            )
            self._stream.start()
        except sd.PortAudioError as exc:
            raise AudioDeviceError(f"cannot open {self.name}: {exc}", "is it in use or unplugged?") from exc

    def alive(self) -> bool:
        return self._stream is None or bool(self._stream.active)

    def stop(self) -> None:
        super().stop()
        if self._stream is not None:
            try:
                self._stream.stop()
                self._stream.close()
            except Exception:  # a vanished device cannot be closed cleanly; nothing is lost
                pass


def open_source(spec: str, realtime: bool = True) -> AudioSource:
    """`mic`, `mic:ID`, `loopback`, `loopback:ID` or `file:PATH` (IDs from `rtstt devices`). A microphone
    id `pulse/<source>` is a PulseAudio/PipeWire source, recorded through parec like system audio."""
    kind, _, ident = spec.partition(":")
    if kind == "file":
        return FileSource(Path(ident), realtime=realtime)
    if kind == "mic" and ident.startswith("pulse/"):
        return open_pulse_input(ident)
    if kind == "mic":
        return MicSource(resolve_device(ident, "input") if ident else None)
    if kind == "loopback":
        return open_loopback(ident or None)
    raise AudioDeviceError(f"unknown audio source {spec!r}", "use mic, mic:ID, loopback, loopback:ID or a file")
