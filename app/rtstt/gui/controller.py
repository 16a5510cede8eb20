"""The window's session control: start, pause and stop the engine worker, route its events to the widgets,
open a past session, and pass the user's commands (edit, rename, export) to the session.

The `LiveSession` is the only owner of the transcript, the speaker names, the edits and the insights.
This controller keeps no copy: it renders the session's change events and sends it commands, so an edit
made here is exactly what the journal and every export contain.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from PySide6.QtCore import QCoreApplication, QObject, QThread, Signal

from rtstt.errors import RtsttError
from rtstt.events import (
    EngineError,
    EngineReady,
    Final,
    Keywords,
    KeywordScope,
    Metric,
    Partial,
    Segment,
    StageState,
    StageStatus,
    StreamEnded,
    Summary,
)
from rtstt.gui import dialogs
from rtstt.gui.jobs import run_in_thread
from rtstt.gui.workers import EngineWorker
from rtstt.session.insights import Insights
from rtstt.session.live import InsightsChanged, LiveSession, SegmentAdded, SegmentsChanged, SpeakersChanged
from rtstt.session.transcript import line_name

if TYPE_CHECKING:
    from rtstt.config import Settings
    from rtstt.gui.main_window import MainWindow

DRAIN_ON_CLOSE_S = 15
T = TypeVar("T")


class SessionController(QObject):
    """One session at a time, recording or reopened; `finished` fires after the drain of a recording."""

    finished = Signal(object)  # StreamEnded or None, after the drain: every word is final and saved
    finalAdded = Signal(object)  # a Final event, on the GUI thread, after its segment is shown
    _changed = Signal(object)  # a session change from any thread, delivered on the GUI thread

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.session: LiveSession | None = None
        self.worker: EngineWorker | None = None
        self.started_with: Settings | None = None  # the settings the running session started with
        self.thread: QThread | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._partials: dict[str, str] = {}  # a call's tentative words per track
        self._changed.connect(self.on_change)

    @property
    def running(self) -> bool:
        return self.thread is not None

    # ---- start, pause, stop ----------------------------------------------------------------------
    def start(self) -> None:
        if self.running:
            return
        w = self.window
        w.banner.dismiss()
        w.source_meter.release()  # the meter lets go of the device before the session opens it
        choice = w.source_choice()
        worker = EngineWorker(w.settings, choice)
        try:
            if choice.kind == "file" and choice.path is None:
                raise RtsttError("no file chosen", "choose File… in the source list")
            session = worker.open_session()  # here, not on the worker's thread: a folder problem shows at once
        except RtsttError as exc:
            w.toolbar.set_running(False)
            w.show_error(exc.message, exc.hint)
            return
        self._show(session, f"RTSTT — {choice.label()}")
        if w.plots is not None:
            w.plots.clear()
        worker.event.connect(self.on_event)
        worker.status.connect(lambda status: w.status_bar.set_state(status.capitalize()))
        worker.failed.connect(lambda error: w.show_error(error.message, error.hint))
        worker.finished.connect(self._on_finished)
        self.worker, self.thread = worker, run_in_thread(worker, "rtstt-engine-worker")
        self.started_with = w.settings
        w.toolbar.set_running(True)
        w.status_bar.session_started()

    def stop(self) -> None:
        """Stop capture; the engine finalises the tail and syncs the journal before `finished`."""
        if self.worker is None:
            return
        self.window.status_bar.set_state("Stopping… finishing the last words")
        self.window.toolbar.set_stopping()
        self.worker.stop()

    def set_paused(self, paused: bool) -> None:
        if self.worker is not None:
            self.worker.pause(paused)
            self.window.status_bar.set_state("Paused" if paused else "Listening")
            self.window.toolbar.set_paused(paused)

    def summarize_now(self) -> None:
        if self.worker is not None and self.worker.request_summary():
            self.window.summary.set_busy()

    def shutdown(self) -> None:
        """Closing while recording stops and drains first, so nothing spoken is lost."""
        if self.worker is None or self.thread is None:
            return
        self.worker.stop()
        thread, deadline = self.thread, time.monotonic() + DRAIN_ON_CLOSE_S
        while thread.isRunning() and time.monotonic() < deadline:
            QCoreApplication.processEvents()
            thread.wait(50)

    def _show_partial(self, event: Partial) -> None:
        """One grey line; in a call it holds each side's tentative words after its name ("You: … Others: …")."""
        if event.track is None:
            self.window.view.set_partial(event.text)
            return
        self._partials[event.track] = event.text
        names = self.window.view.speaker_names
        shown = [f"{line_name(Segment(0.0, 0.0, '', track=t), names)}: {x}" for t, x in self._partials.items() if x]
        self.window.view.set_partial("   ".join(shown))

    def _on_finished(self, ended: StreamEnded | None) -> None:
        if self.thread is not None:
            self.thread.quit()
            self.thread.wait()  # run() has returned: only the thread's exit remains
            self.thread.deleteLater()
        self.thread, self.worker = None, None
        w = self.window
        w.status_bar.session_stopped()
        w.view.set_partial("")
        self._partials.clear()
        w.summary.set_live(False)
        w.toolbar.set_running(False)
        n = len(self.session) if self.session is not None else 0
        w.status_bar.set_state(f"Stopped — {n} segment{'s' if n != 1 else ''}")
        if ended is not None and self.session is not None and self.session.saved:
            w.status_bar.set_saved(True)
        self.finished.emit(ended)

    # ---- what arrives: engine events (transient) and session changes (the record) --------------------
    def on_event(self, event) -> None:
        w = self.window
        if isinstance(event, Partial):
            self._show_partial(event)
        elif isinstance(event, Final):
            self.finalAdded.emit(event)  # its segment came first, as SegmentAdded
        elif isinstance(event, Metric):
            if event.name == "latency_p50_s":
                w.status_bar.set_latency_p50(event.value)
            elif w.plots is not None:
                w.plots.add_metric(event)
            if event.name == "rtf":
                w.status_bar.set_rtf(event.value)
        elif isinstance(event, Summary):
            w.summary.summarized()  # its text arrives as InsightsChanged, unless it did not change
        elif isinstance(event, Keywords) and event.scope == KeywordScope.RECENT:
            w.insights.show_keywords(event)
        elif isinstance(event, StageStatus):
            self._on_stage(event)
        elif isinstance(event, EngineReady):
            w.status_bar.listening()
            w.status_bar.set_engine(f"{event.model} · {event.compute_type}", event.device)
        elif isinstance(event, EngineError):
            w.show_error(event.message, event.hint)
        elif isinstance(event, StreamEnded) and event.stats.get("latency_p50_s") is not None:
            w.status_bar.set_latency_p50(event.stats["latency_p50_s"])

    def on_change(self, change) -> None:
        w = self.window
        if isinstance(change, SegmentAdded):
            w.view.add_final(change.segment)
            w.status_bar.set_saved(self.session is not None and self.session.saved)
        elif isinstance(change, SegmentsChanged):
            for segment in change.segments:
                w.view.update_segment(segment)
        elif isinstance(change, SpeakersChanged):
            w.view.set_speaker_names(change.names)
            w.speakers.show_speakers(change.talk, change.names)
        elif isinstance(change, InsightsChanged):
            self._show_insights(change.insights)

    def _show_insights(self, insights: Insights) -> None:
        self.window.insights.show_insights(insights)
        self.window.summary.show_insights(insights)
        self.window.speakers.set_uncertain(insights.speakers_uncertain)

    def _on_stage(self, event: StageStatus) -> None:
        w = self.window
        self._offer_component(event)
        if event.stage == "speakers":
            w.speakers.set_state(event.state, event.detail)
            return
        ready = event.state == StageState.READY
        if event.stage == "summary":
            w.summary.set_live(ready)
            if ready:
                w.summary.set_note(event.detail)
        panel = {"insights": w.insights, "summary": w.summary}.get(event.stage)
        if panel is not None:
            panel.set_state("waiting for speech" if ready else event.state, "" if ready else event.detail)

    def _offer_component(self, event: StageStatus) -> None:
        """A feature that is on but whose component is not installed (or outdated by an app update): offer
        the one-click fix instead of a pip command the installed app's user cannot run."""
        if event.state != StageState.NEEDS_SETUP:
            return
        title = dialogs.missing_component(event.stage, self.window.settings)
        if title is not None:
            self.window.banner.show_message(
                f"{title} needs an optional component that is not installed yet.",
                "It downloads once (a few hundred MB) and then works offline.",
                action=("Install…", self.window.open_components),
            )

    # ---- the user's commands, carried out by the session ---------------------------------------------
    def edit_segment(self, segment_id: int) -> None:
        segment = self.session.get(segment_id) if self.session is not None else None
        if segment is None:
            return
        text = self.window._ask_edit_text(segment.text)
        if text is None or text.strip() == segment.text:
            return
        self._command(lambda: self.session.edit(segment_id, text))

    def rename_speaker(self, speaker: str) -> None:
        """Give a speaker a name everywhere: transcript, chips, exports; journalled so it persists."""
        if self.session is None:
            return
        current = self.session.speaker_name(speaker)
        name = self.window._ask_speaker_name(current)
        if name is not None and name.strip() != current:
            self._command(lambda: self.session.rename_speaker(speaker, name))

    def export_dialog(self, fmt: str) -> Path | None:
        if self.session is None or not len(self.session):
            self.window.show_error("nothing to export yet", "start a session or open one from File › Sessions")
            return None
        path = self.window._ask_save_path(fmt)
        return self.export_to(Path(path), fmt) if path else None

    def export_to(self, path: Path, fmt: str) -> Path | None:
        options = self.window.menus.export_options()
        written = self._command(lambda: self.session.export(path, fmt, options))
        if written is not None:
            self.window.status_bar.set_state(f"Exported {written.name}")
        return written

    def _command(self, command: Callable[[], T]) -> T | None:
        """Run a session command; its error goes to the banner (the session re-renders what changed)."""
        try:
            return command()
        except RtsttError as exc:
            self.window.show_error(exc.message, exc.hint)
            return None

    @property
    def title(self) -> str:
        return self.session.title if self.session is not None else ""

    # ---- past sessions -----------------------------------------------------------------------------
    def open_session(self, session_id: str) -> None:
        """Show a past session (read, search, edit, export); a running session keeps running."""
        if self.running:
            self.window.show_error("stop the current session before opening another one")
            return
        try:
            session = LiveSession.open(self.window.settings.sessions_path(), session_id)
        except RtsttError as exc:
            self.window.show_error(exc.message, exc.hint)
            return
        self._show(session, f"RTSTT — {session.title or session_id}")
        speakers = session.speakers()
        self.window.view.set_speaker_names(speakers.names)
        for segment in session.segments():
            self.window.view.add_final(segment)
        self.window.speakers.show_speakers(speakers.talk, speakers.names)
        self._show_insights(session.insights)
        self.window.status_bar.set_state(f"Session {session_id}")
        self._offer_vocabulary(session)

    def _offer_vocabulary(self, session: LiveSession) -> None:
        """A session reopened with other words to expect than the settings' now: say so, and offer them for
        the next Start (a continuation of the meeting mishears the same names without them)."""
        words = session.vocabulary
        if words and words != self.window.settings.stt.vocabulary.strip():
            self.window.banner.show_message(
                f"This session was transcribed with the words to expect: {words}",
                "Use them again to transcribe the rest of the meeting with the same names and terms.",
                action=("Use these words", lambda: self.window.use_vocabulary(words)),
            )

    def recover_interrupted(self) -> None:
        """Sessions a crash left open are closed from their journals at start-up, and the user is told."""
        from rtstt.runner import recover_interrupted

        try:
            found = recover_interrupted(self.window.settings)
        except RtsttError as exc:
            self.window.show_error(exc.message, exc.hint)
            return
        if found:
            names = ", ".join(f"{i.title or i.id} ({i.n_segments} segments)" for i in found)
            self.window.show_error(f"Recovered an interrupted session: {names}", "open it from File › Sessions")

    def _show(self, session: LiveSession, title: str) -> None:
        """Make `session` the one shown: the view starts empty and renders its changes from now on."""
        if self._unsubscribe is not None:
            self._unsubscribe()
        self.session = session
        self._unsubscribe = session.subscribe(self._changed.emit)  # queued when a stage thread changes it
        self.window.view.clear_all()
        self.window.view.set_speaker_names(session.speakers().names)  # e.g. a call's user, named at its start
        self.window.speakers.set_uncertain(session.insights.speakers_uncertain)
        self.window.setWindowTitle(title)
