"""Settings in, a running engine out: the one way every face starts a live session.

`rtstt live`, `rtstt transcribe`, the window's worker and the tests all go through a `Runner`: it picks
and opens the source (file, microphone, system audio, or both mixed), takes the Whisper model from the
process-wide model cache, opens the session (journalled, or in memory), builds the engine, warms up
the downstream stages and announces an immutable `EngineReady`. Before it, the window did half of this
itself (its own model cache and source assembly), so the CLI could not mix sources. A "call" opens the
microphone and the system audio as two tracks (`CallSource`) instead of one mixed stream.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rtstt.audio.call import CallSource
from rtstt.audio.sources import AudioSource, FileSource, open_source
from rtstt.config import Settings
from rtstt.errors import RtsttError
from rtstt.events import EngineReady, Event, StreamEnded
from rtstt.model_cache import whisper_backend
from rtstt.pipeline import Engine
from rtstt.session.journal import SessionInfo
from rtstt.session.live import LiveSession
from rtstt.session.store import SessionStore
from rtstt.vocab import MIC_TRACK, SOURCE_KINDS, SOURCE_LABELS


@dataclass(frozen=True, slots=True)
class SourceChoice:
    """What to listen to: "loopback", "mic", "mix" (both in one stream), "call" (both as two tracks: the
    microphone `device` is the user, the `loopback_device` the others) or "file" (with `path`). An empty
    `device` means the one in the settings, and there an empty one means the system default."""

    kind: str
    path: Path | None = None
    device: str = ""
    loopback_device: str = ""
    realtime: bool = True

    def label(self) -> str:
        if self.kind == "file" and self.path is not None:
            return self.path.name
        return SOURCE_LABELS.get(self.kind, self.kind)


def open_choice(choice: SourceChoice, settings: Settings) -> AudioSource | CallSource:
    """Open the audio source a choice names; raises RtsttError with a hint when it cannot."""
    if choice.kind not in SOURCE_KINDS:
        raise RtsttError(f"unknown source {choice.kind!r}", f"use one of: {', '.join(SOURCE_KINDS)}")
    if choice.kind == "file":
        if choice.path is None:
            raise RtsttError("no file chosen", "pick an audio or video file")
        return FileSource(choice.path, realtime=choice.realtime)
    mic = _spec("mic", choice.device or settings.audio.device)
    loopback = _spec("loopback", choice.loopback_device or settings.audio.loopback_device)
    if choice.kind == "mix":
        from rtstt.audio.mix import MixSource

        return MixSource(open_source(loopback), open_source(mic))
    if choice.kind == "call":
        return CallSource(open_source(mic), open_source(loopback))
    return open_source(mic if choice.kind == "mic" else loopback)


def _spec(kind: str, device: str) -> str:
    return f"{kind}:{device}" if device and device != "default" else kind


def recover_interrupted(settings: Settings) -> list[SessionInfo]:
    """Close every session a crash left open (its journal keeps every final line), before a new one."""
    return SessionStore.recover_unfinished(settings.sessions_path())


class Runner:
    """One live session from start to stop. Thread-safe controls: `stop`, `pause`, `request_summary`."""

    def __init__(self, settings: Settings, choice: SourceChoice, *, save: bool = True) -> None:
        self.settings = settings
        self.choice = choice
        self.save = save
        self.session: LiveSession | None = None
        self.engine: Engine | None = None
        self.ready: EngineReady | None = None
        self._subscribers: list[Callable[[Event], None]] = []
        self._stop = threading.Event()
        self._paused = False

    def subscribe(self, on_event: Callable[[Event], None]) -> None:
        """Every engine event (partials, finals, metrics, stage results, errors, EngineReady, StreamEnded)."""
        self._subscribers.append(on_event)

    def open_session(self, title: str | None = None) -> LiveSession:
        """The session this run records into (journalled under the settings' sessions folder unless
        `save` is off). Opened once; callable early so a face can render it before the model loads."""
        if self.session is None:
            root = self.settings.sessions_path() if self.save else None
            meta = {"source": self.choice.kind, "vocabulary": self.settings.stt.vocabulary}  # words it was heard with
            self.session = LiveSession.start(root, title or self.choice.label(), meta=meta)
            if self.choice.kind == "call":  # the user's lines carry their name, kept with the session
                self.session.rename_speaker(MIC_TRACK, self.settings.speakers.my_name)
        return self.session

    def prepare(self) -> EngineReady | None:
        """Load the model (cached), open the source, build the engine and warm its stages up. None when
        `stop` came first. On failure the session is closed (it keeps what it has) and the error raised."""
        session = self.open_session()
        try:  # the source first: a missing file or device is reported before seconds of model loading
            source = open_choice(self.choice, self.settings)
            backend = whisper_backend(self.settings)
        except BaseException:
            session.close()
            raise
        if self._stop.is_set():
            session.close()
            return None
        engine = Engine(self.settings, source, backend, session=session)
        for subscriber in self._subscribers:
            engine.subscribe(subscriber)
        self.engine = engine
        if self._stop.is_set():
            engine.stop()
        engine.warm_up_stages()  # their "loading model" states reach the faces meanwhile
        if self._paused:
            engine.pause()
        choice = backend.choice
        self.ready = EngineReady(backend.name, choice.device_name, choice.compute_type, source.name)
        engine.publish(self.ready)
        return self.ready

    def run(self) -> StreamEnded:
        """Prepare if needed, then transcribe until the source ends or `stop`; the session is closed."""
        if self.engine is None and self.prepare() is None:
            return StreamEnded(0.0, 0.0, {})
        assert self.engine is not None
        return self.engine.run()

    # -- controls (any thread) -----------------------------------------------------------------------

    def stop(self) -> None:
        """Capture stops; the engine drains (no word dropped) and closes the session."""
        self._stop.set()
        if self.engine is not None:
            self.engine.stop()

    def pause(self, paused: bool) -> None:
        self._paused = paused
        if self.engine is not None:
            (self.engine.pause if paused else self.engine.resume)()

    def request_summary(self) -> bool:
        """ "Summarize now"; False when no summary stage is running."""
        return self.engine is not None and self.engine.request_summary()

    @property
    def error(self) -> RtsttError | None:
        return self.engine.error if self.engine is not None else None

    def stage_problems(self) -> list[tuple[str, RtsttError]]:
        """Stages that turned themselves off, with why (for the CLI's warnings)."""
        if self.engine is None:
            return []
        return [(s.name, s.error) for s in self.engine.stages if s.error is not None]
