"""The engine's QThread worker: a thin Qt shell over `rtstt.runner.Runner`.

The GUI thread only renders: model loading, capture, VAD and Whisper run on the worker's thread, the
stages on their own. Engine events are immutable, so they cross threads unchanged as `object` signal
arguments (queued into the GUI thread); the controller starts it with `jobs.run_in_thread`. The
runner, not the window, owns the model cache, the source assembly and the session.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Signal, Slot

from rtstt.config import Settings
from rtstt.errors import RtsttError
from rtstt.events import EngineError, StreamEnded
from rtstt.runner import Runner, SourceChoice
from rtstt.session.live import LiveSession

log = logging.getLogger(__name__)


class EngineWorker(QObject):
    """Runs one session on its QThread: prepare (model, source, stages), then transcribe until stop."""

    event = Signal(object)  # every engine event, EngineReady included
    status = Signal(str)  # "loading model", "listening"
    failed = Signal(object)  # EngineError that stopped the stream before it ran
    finished = Signal(object)  # StreamEnded, or None when it never started

    def __init__(self, settings: Settings, choice: SourceChoice, *, save: bool = True) -> None:
        super().__init__()
        self.runner = Runner(settings, choice, save=save)
        self.runner.subscribe(self.event.emit)

    def open_session(self) -> LiveSession:
        """Open the session on the calling (GUI) thread, so the window can show it and its errors at once.
        The window subscribes to the session itself: its changes outlive this worker (edits after Stop)."""
        return self.runner.open_session()

    @Slot()
    def run(self) -> None:
        ended: StreamEnded | None = None
        try:
            self.status.emit("loading model")
            if self.runner.prepare() is not None:
                self.status.emit("listening")
                ended = self.runner.run()
        except RtsttError as exc:
            self.failed.emit(EngineError(exc.message, exc.hint, fatal=True))
        except Exception as exc:  # never let a worker die silently: the user sees it in the banner
            log.exception("engine worker failed")
            self.failed.emit(EngineError(f"unexpected error: {exc}", "see the log; the transcript so far is saved"))
        finally:
            self.finished.emit(ended)

    def pause(self, paused: bool) -> None:
        self.runner.pause(paused)

    def stop(self) -> None:
        """Thread-safe: capture stops, the engine drains (no word dropped), then `finished` fires."""
        self.runner.stop()

    def request_summary(self) -> bool:
        return self.runner.request_summary()
