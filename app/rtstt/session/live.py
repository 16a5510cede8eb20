"""The live session: the one owner of a session's transcript, speaker names, edits and insights.

Before it, three copies of the transcript lived at once (the window's, the store's and the view's) and
the window applied finals, labels and edits a second time. Now the engine hands its events to a
`LiveSession`, the faces send it commands (edit, rename, export) and render its change events; nothing
keeps a second copy. It is Qt-free: the window, the CLI and the tests use the same object.

Threads: the engine thread adds finals, stage threads add labels and insights, the GUI thread edits.
Every change happens under the store's lock; listeners are called after it, on the thread that made
the change, with immutable change events (the window re-emits them as a queued Qt signal).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rtstt.errors import RtsttError, SessionError
from rtstt.events import Event, Keywords, KeywordScope, Questions, Segment, SpeakerLabels, Summary
from rtstt.session.export import ExportOptions, export
from rtstt.session.insights import Insights
from rtstt.session.store import SessionStore
from rtstt.session.transcript import Transcript

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SegmentAdded:
    """A final segment joined the transcript (with its session id)."""

    segment: Segment


@dataclass(frozen=True, slots=True)
class SegmentsChanged:
    """Segments replaced by id: a speaker relabelling or a user's correction."""

    segments: tuple[Segment, ...]


@dataclass(frozen=True, slots=True)
class SpeakersChanged:
    """Who spoke: display names (raw id -> name) and seconds of speech per raw id."""

    names: dict[str, str]
    talk: dict[str, float]


@dataclass(frozen=True, slots=True)
class InsightsChanged:
    insights: Insights


SessionChange = SegmentAdded | SegmentsChanged | SpeakersChanged | InsightsChanged
Listener = Callable[[SessionChange], None]
ErrorSink = Callable[[RtsttError], None]


class LiveSession:
    """A session being recorded, or a saved one reopened for reading, editing and export."""

    def __init__(self, store: SessionStore) -> None:
        self._store = store
        self._lock = store.lock
        self._listeners: list[Listener] = []
        self.on_error: ErrorSink | None = None  # where journal failures during recording are reported

    # -- construction --------------------------------------------------------------------------------

    @classmethod
    def start(cls, root: Path | None, title: str, meta: dict[str, Any] | None = None) -> LiveSession:
        """A new session journalled under `root`; `root=None` keeps it in memory only (nothing saved)."""
        if root is None:
            return cls(SessionStore.in_memory(title, meta))
        return cls(SessionStore.create(root, title, meta))

    @classmethod
    def open(cls, root: Path, session_id: str) -> LiveSession:
        """A saved session: it takes edits, renames and exports, not new segments."""
        return cls(SessionStore.open(root, session_id))

    # -- what it is ----------------------------------------------------------------------------------

    @property
    def id(self) -> str:
        return self._store.id

    @property
    def title(self) -> str:
        return self._store.title

    @property
    def path(self) -> Path | None:
        """The session's folder; None when it is kept in memory only."""
        return self._store.path

    @property
    def saved(self) -> bool:
        return self._store.saved

    @property
    def vocabulary(self) -> str:
        """The words to expect it was transcribed with ("" for none, and for sessions older than the record)."""
        return self._store.vocabulary

    @property
    def closed(self) -> bool:
        return self._store.closed

    @property
    def transcript(self) -> Transcript:
        """The transcript itself, for readers on the thread that owns the session (others: the copies below)."""
        return self._store.transcript

    # -- reads (thread-safe copies) -----------------------------------------------------------------

    def segments(self) -> list[Segment]:
        with self._lock:
            return list(self.transcript.segments)

    def get(self, segment_id: int) -> Segment | None:
        with self._lock:
            return self.transcript.get(segment_id)

    @property
    def insights(self) -> Insights:
        with self._lock:
            return self.transcript.insights

    def speaker_name(self, speaker: str) -> str:
        with self._lock:
            return self.transcript.speaker_name(speaker) or speaker

    def speakers(self) -> SpeakersChanged:
        with self._lock:
            return SpeakersChanged(dict(self.transcript.speaker_names), self.transcript.talk_time())

    def __len__(self) -> int:
        with self._lock:
            return len(self.transcript)

    # -- listeners -----------------------------------------------------------------------------------

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call `listener` with every change from now on; returns the function that unsubscribes it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def _notify(self, *changes: SessionChange) -> None:
        for change in changes:
            for listener in list(self._listeners):
                try:
                    listener(change)
                except Exception:  # a broken face must not stop the recording
                    log.exception("session listener failed on %s", type(change).__name__)

    def _report(self, exc: RtsttError) -> None:
        if self.on_error is not None:
            self.on_error(exc)
        else:
            log.warning("%s", exc)

    # -- from the engine -----------------------------------------------------------------------------

    def add_final(self, segment: Segment) -> Segment:
        """Journal a final segment and return it numbered. A failing disk is reported (`on_error`) and
        the segment stays in the transcript: the words are never lost to a journal error."""
        failure: RtsttError | None = None
        with self._lock:
            before = self.transcript.next_id
            try:
                stored = self._store.append(segment)
            except SessionError as exc:
                failure = exc
                added = self.transcript.segments[-1] if len(self.transcript) else None
                appended = added is not None and added.id >= before  # in memory already: only the write failed
                # numbered here (id 0 = the next one): the engine's ids are not the session's, and the parts of a
                # line cut in two share one; kept under it, the second part would replace the first
                fresh = dataclasses.replace(segment, id=0)
                stored = added if appended and added is not None else self.transcript.add(fresh)
        if failure is not None:
            self._report(failure)
        self._notify(SegmentAdded(stored))
        return stored

    def apply(self, event: Event) -> None:
        """Take what a downstream stage concluded: speaker labels, session key phrases, questions, summary.
        Other events (partials, metrics, recent key phrases) are the faces' business, not the session's."""
        if isinstance(event, SpeakerLabels):
            if event.labels:
                self._apply_labels(event.labels)
            if event.renumbered:
                self._move_names(event.renumbered)
            self._set_insights(speakers_uncertain=event.uncertain)  # journalled only when it changes
        elif isinstance(event, Keywords) and event.scope == KeywordScope.SESSION:
            self._set_insights(keywords=tuple(event.phrases))
        elif isinstance(event, Questions):
            self._set_insights(questions=tuple(event.items))
        elif isinstance(event, Summary):
            self._set_insights(
                summary=event.text,
                summary_final=event.final,
                action_items=tuple(event.action_items),
                notes=tuple(event.items),
            )

    def _apply_labels(self, labels: dict[int, str]) -> None:
        with self._lock:
            changed = self.transcript.apply_labels(labels)
            try:  # journalled as they come: a crash keeps the labels the user saw
                self._store.set_speakers(labels)
            except SessionError as exc:
                self._report(exc)
            speakers = self.speakers()
        if changed:
            self._notify(SegmentsChanged(tuple(changed)), speakers)

    def _move_names(self, renumbered: dict[str, str]) -> None:
        """Speaker ids were renumbered (old -> new): the names the user gave move with their speakers, and an
        id that now means another voice loses the name it had."""
        with self._lock:
            names = dict(self.transcript.speaker_names)
            came_from = {new: old for old, new in renumbered.items()}
            wanted = {i: names.get(came_from[i]) if i in came_from else None for i in {*renumbered, *came_from}}
            try:
                for raw, name in sorted(wanted.items()):
                    if name != names.get(raw):
                        self._store.rename_speaker(raw, name or "")
            except SessionError as exc:
                self._report(exc)
            speakers = self.speakers()
        self._notify(speakers)

    def _set_insights(self, **fields: Any) -> None:
        with self._lock:
            current = self.transcript.insights
            new = current.merged({k: list(v) if isinstance(v, tuple) else v for k, v in fields.items()})
            delta = current.changes(new)
            if not delta:
                return
            try:
                self._store.record("insights", delta)
            except SessionError as exc:
                self.transcript.insights = new  # keep it in memory; the journal is failing
                self._report(exc)
        self._notify(InsightsChanged(new))

    def record_stats(self, stats: dict[str, Any]) -> None:
        try:
            self._store.record("stats", stats)
        except SessionError as exc:
            self._report(exc)

    def close(self, clean: bool = True) -> None:
        """Write the closed record and the snapshot; idempotent. A failing disk is reported, not raised."""
        try:
            self._store.close(clean=clean)
        except SessionError as exc:
            self._report(exc)

    # -- from a face (raise SessionError for the face to show) --------------------------------------

    def edit(self, segment_id: int, text: str) -> Segment:
        """The user's correction of a segment's text, journalled; later relabelling keeps it."""
        with self._lock:
            if self.transcript.get(segment_id) is None:
                raise SessionError(f"session {self.id} has no segment {segment_id}")
            segment = self._store.edit(segment_id, text.strip())
        self._notify(SegmentsChanged((segment,)))
        return segment

    def rename_speaker(self, speaker: str, name: str) -> None:
        """Name a speaker everywhere (transcript, exports, the saved session); an empty name resets it."""
        with self._lock:
            self._store.rename_speaker(speaker, name.strip())
            speakers = self.speakers()
        self._notify(speakers)

    def set_title(self, title: str) -> None:
        with self._lock:
            self._store.set_title(title)

    def export(self, path: Path | str, fmt: str | None = None, options: ExportOptions | None = None) -> Path:
        """Write the session as it is now: the exporters read this very transcript, edits and names included."""
        options = dataclasses.replace(options or ExportOptions(), vocabulary=self.vocabulary)
        with self._lock:
            return export(self.transcript, path, fmt, options)

    def __repr__(self) -> str:
        return f"LiveSession(id={self.id!r}, segments={len(self)}, saved={self.saved}, closed={self.closed})"
