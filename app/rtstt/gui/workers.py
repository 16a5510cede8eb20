"""QObjects that run engine parts on QThreads and re-emit engine events as Qt signals.

The GUI thread only renders: model loading, capture, VAD and Whisper all run on the worker's
thread. Engine events are immutable dataclasses, so they cross threads unchanged as `object`
signal arguments. A loaded model is kept between sessions (loading it costs seconds).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from rtstt.config import Settings
from rtstt.errors import RtsttError
from rtstt.events import EngineError, StreamEnded

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SourceChoice:
    """What to listen to: "loopback", "mic", "mix" or "file" (with `path`)."""

    kind: str
    path: Path | None = None
    device: str = ""
    realtime: bool = True

    def label(self) -> str:
        return {"loopback": "System audio", "mic": "Microphone", "mix": "System audio + microphone"}.get(
            self.kind, self.path.name if self.path else "File"
        )


class BackendCache:
    """One loaded Whisper model, reused while its settings stay the same."""

    def __init__(self) -> None:
        self._key: tuple | None = None
        self._backend = None
        self._lock = threading.Lock()

    def get(self, settings: Settings):
        from rtstt.pipeline import load_backend

        stt = settings.stt
        key = (stt.model, stt.language, stt.device, stt.compute_type, stt.threads, stt.beam_size)
        with self._lock:
            if self._key != key or self._backend is None:
                self._backend = None  # free the old model before loading the new one
                backend = load_backend(settings)
                backend.warm_up()
                self._backend, self._key = backend, key
            return self._backend


BACKENDS = BackendCache()


def open_source(choice: SourceChoice, settings: Settings):
    from rtstt.audio.sources import FileSource, open_source

    if choice.kind == "file":
        if choice.path is None:
            raise RtsttError("no file chosen", "pick an audio or video file")
        return FileSource(choice.path, realtime=choice.realtime)
    if choice.kind == "mix":
        from rtstt.audio.mix import MixSource

        return MixSource(
            open_source(_spec("loopback", settings.audio.loopback_device)),
            open_source(_spec("mic", choice.device or settings.audio.device)),
        )
    device = choice.device or (settings.audio.device if choice.kind == "mic" else settings.audio.loopback_device)
    return open_source(_spec(choice.kind, device))


def _spec(kind: str, device: str) -> str:
    return f"{kind}:{device}" if device else kind


class EngineWorker(QObject):
    """Loads the model, opens the source and runs one engine stream on its QThread."""

    event = Signal(object)  # every engine event (Partial, Final, Metric, EngineError, StreamEnded)
    status = Signal(str)  # "loading model", "listening", ...
    ready = Signal(object)  # the loaded backend (model name, device) once listening starts
    failed = Signal(object)  # EngineError that stopped the stream before or while it ran
    finished = Signal(object)  # StreamEnded, or None when it never started

    def __init__(self, settings: Settings, choice: SourceChoice, store=None) -> None:
        super().__init__()
        self.settings = settings
        self.choice = choice
        self.store = store
        self.engine = None
        self._stop_requested = threading.Event()
        self._paused = False

    @Slot()
    def run(self) -> None:
        from rtstt.pipeline import Engine

        ended: StreamEnded | None = None
        try:
            self.status.emit("loading model")
            backend = BACKENDS.get(self.settings)
            source = open_source(self.choice, self.settings)
            if self._stop_requested.is_set():
                return
            self.engine = Engine(self.settings, source, backend, store=self.store)
            self.engine.subscribe(self.event.emit)
            self.engine.warm_up_stages()  # their "loading model" states reach the panels meanwhile
            if self._paused:
                self.engine.pause()
            self.ready.emit(backend)
            self.status.emit("listening")
            ended = self.engine.run()
        except RtsttError as exc:
            self.failed.emit(EngineError(exc.message, exc.hint, fatal=True))
            if self.store is not None:
                try:
                    self.store.close(clean=True)
                except RtsttError:
                    pass
        except Exception as exc:  # never let a worker die silently: the user sees it in the banner
            log.exception("engine worker failed")
            self.failed.emit(EngineError(f"unexpected error: {exc}", "see the log; the transcript so far is saved"))
        finally:
            self.finished.emit(ended)

    def pause(self, paused: bool) -> None:
        self._paused = paused
        if self.engine is not None:
            (self.engine.pause if paused else self.engine.resume)()

    def stop(self) -> None:
        """Thread-safe: capture stops, the engine drains (no word dropped), then `finished` fires."""
        self._stop_requested.set()
        if self.engine is not None:
            self.engine.stop()


def start_in_thread(worker: QObject, name: str) -> QThread:
    """Move `worker` to a new QThread whose start runs `worker.run`; the thread ends with `finished`."""
    thread = QThread()
    thread.setObjectName(name)
    worker.moveToThread(thread)
    thread.started.connect(worker.run)
    # Direct: quit from the worker's own thread the moment it is done, before any queued GUI slot runs.
    worker.finished.connect(thread.quit, Qt.ConnectionType.DirectConnection)
    thread.start()
    return thread
