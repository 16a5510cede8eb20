"""Session persistence: an append-only journal that survives crashes, plus an atomic snapshot.

Layout: `<root>/<id>/journal.jsonl` (one JSON record a line, fsynced as it is written, so a kill -9 loses
nothing already appended) and `<root>/<id>/session.json` (the whole transcript, replaced atomically at
close and every few appends). The journal is the truth; the snapshot is a shortcut that is trusted only
while it matches the journal's size. A `.lock` file held with an OS lock marks a session being recorded,
so recovery never touches a session that another rtstt process is still writing.

Journal record: `{"kind": ..., "at": <epoch s>, "data": {...}}`. Kinds the store understands:
header, segment, edit, rename, labels, title, closed; any other kind ("stats", ...) is kept and ignored.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import secrets
import shutil
import socket
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO

from rtstt.atomic import write_text_atomic
from rtstt.errors import SessionError
from rtstt.events import Segment
from rtstt.session.filelock import LOCK, FileLock, is_locked
from rtstt.session.journal import (
    FORMAT_VERSION,
    JOURNAL,
    SNAPSHOT,
    SessionInfo,
    State,
    apply_record,
    ends_with_newline,
    info_of,
    jsonable,
    load_state,
    replay,
    session_path,
    vocabulary_of,
)
from rtstt.session.transcript import Transcript

log = logging.getLogger(__name__)

_RESERVED = frozenset({"header", "segment", "closed"})
_WRITE_HINT = "check free disk space and permissions of the sessions folder; the transcript goes on in memory"


class SessionStore:
    """One session on disk. Build it with `create`, `open` or `recover`, not directly.

    Methods are thread-safe: the engine thread appends while the window edits and renames.
    """

    snapshot_every: int = 50  # appends between snapshots; the journal alone is enough to recover

    def __init__(self, path: Path | None, state: State, *, live: bool = False) -> None:
        self.path = path
        self.id = state.id
        self.transcript = state.transcript
        self.created = state.created
        self.meta = state.meta
        self.closed = state.closed
        self.clean = state.clean
        self.recovered = state.recovered
        self._next_id = state.next_id
        self._live = live
        self.lock = threading.RLock()  # held by LiveSession too, so a read never sees half an update
        self._fh: BinaryIO | None = None
        self._torn = False  # a failed write may have left half a line: start the next one on a fresh line
        self._file_lock: FileLock | None = None
        self._since_snapshot = 0

    # -- construction --------------------------------------------------------------------------------

    @classmethod
    def create(cls, root: Path, title: str, meta: dict[str, Any] | None = None) -> SessionStore:
        """Start a new session folder with a header record; the store is live (it takes segments)."""
        root = Path(root).expanduser()
        created = time.time()
        try:
            root.mkdir(parents=True, exist_ok=True)
            for _ in range(20):
                session_id = f"{time.strftime('%Y%m%d-%H%M%S', time.localtime(created))}-{secrets.token_hex(2)}"
                path = root / session_id
                try:
                    path.mkdir()
                    break
                except FileExistsError:
                    continue
            else:  # pragma: no cover - 20 collisions of 16 random bits within one second
                raise SessionError(f"cannot create a new session folder in {root}", "try again")
        except OSError as exc:
            raise SessionError(f"cannot create a session in {root}: {exc.strerror or exc}", _WRITE_HINT) from exc
        state = State(id=session_id, transcript=Transcript(title=title), created=created, meta=dict(meta or {}))
        store = cls(path, state, live=True)
        store._file_lock = FileLock(path / LOCK)
        store._file_lock.acquire()
        header = {
            "version": FORMAT_VERSION,
            "id": session_id,
            "title": title,
            "created": created,
            "meta": store.meta,
            "pid": os.getpid(),
            "host": socket.gethostname(),
        }
        store._write("header", header)
        return store

    @classmethod
    def in_memory(cls, title: str, meta: dict[str, Any] | None = None) -> SessionStore:
        """A live session that is never written to disk (`rtstt live --no-save`, `rtstt transcribe`): the same
        rules and the same transcript model as a saved one, so every face treats both alike."""
        session_id = f"{time.strftime('%Y%m%d-%H%M%S')}-mem"
        state = State(id=session_id, transcript=Transcript(title=title), created=time.time(), meta=dict(meta or {}))
        return cls(None, state, live=True)

    @classmethod
    def open(cls, root: Path, session_id: str) -> SessionStore:
        """A view of a saved session (for export, renaming, edits); it does not take new segments."""
        path = session_path(root, session_id)
        return cls(path, load_state(path))

    @classmethod
    def recover(cls, root: Path, session_id: str) -> SessionStore:
        """Replay an interrupted session's journal, mark it closed (recovered) and write its snapshot."""
        path = session_path(root, session_id)
        file_lock = FileLock(path / LOCK)
        if not file_lock.acquire():
            raise SessionError(
                f"session {session_id} is still being recorded by a running rtstt", "stop that recording first"
            )
        try:
            state = replay(path, session_id)
            if state.bad_lines:
                log.warning("session %s: ignored %d unreadable journal line(s)", session_id, state.bad_lines)
            store = cls(path, state)
            try:
                if not store.closed:
                    store._write("closed", {"clean": False, "recovered": True})
                    store.closed, store.clean, store.recovered = True, False, True
                store._write_snapshot()
            finally:
                store._close_journal()
            return store
        finally:
            file_lock.release()

    @classmethod
    def rename(cls, root: Path, session_id: str, title: str) -> SessionStore:
        store = cls.open(root, session_id)
        store.set_title(title)
        return store

    @classmethod
    def delete(cls, root: Path, session_id: str) -> None:
        path = session_path(root, session_id)
        if is_locked(path):
            raise SessionError(f"session {session_id} is being recorded right now", "stop the recording first")
        try:
            shutil.rmtree(path)
        except OSError as exc:
            raise SessionError(f"cannot delete session {session_id}: {exc.strerror or exc}", str(path)) from exc

    @classmethod
    def list_sessions(cls, root: Path) -> list[SessionInfo]:
        """Every readable session under `root`, newest first; unreadable folders are skipped with a warning."""
        root = Path(root).expanduser()
        if not root.is_dir():
            return []
        infos = []
        for path in root.iterdir():
            if path.name.startswith(".") or not path.is_dir():
                continue
            if not (path / JOURNAL).exists() and not (path / SNAPSHOT).exists():
                continue
            try:
                state = load_state(path)
            except (SessionError, OSError) as exc:
                log.warning("skipping unreadable session folder %s: %s", path, exc)
                continue
            infos.append(info_of(path, state))
        infos.sort(key=lambda i: (i.created, i.id), reverse=True)
        return infos

    @classmethod
    def find_unfinished(cls, root: Path) -> list[SessionInfo]:
        """Sessions whose journal has no closed record and that no running rtstt is recording."""
        return [i for i in cls.list_sessions(root) if not i.closed and not is_locked(i.path)]

    @classmethod
    def recover_unfinished(cls, root: Path) -> list[SessionInfo]:
        """Recover every interrupted session under `root` (the window at start, `rtstt live`, `rtstt sessions
        recover`); returns what each held before recovery, for the message that tells the user."""
        found = cls.find_unfinished(root)
        for info in found:
            cls.recover(root, info.id)
        return found

    # -- recording -----------------------------------------------------------------------------------

    @property
    def title(self) -> str:
        return self.transcript.title

    @property
    def info(self) -> SessionInfo:
        assert self.path is not None, "an in-memory session has no folder"
        return info_of(self.path, self._state_view())

    @property
    def saved(self) -> bool:
        """Whether this session is kept on disk (False for an in-memory one)."""
        return self.path is not None

    @property
    def vocabulary(self) -> str:
        """The words to expect it was transcribed with (recorded in its header; "" for older sessions)."""
        return vocabulary_of(self.meta)

    def append(self, segment: Segment) -> Segment:
        """Journal a final segment under the next session id (1, 2, 3...) and return it with that id.

        The line is flushed and fsynced before returning. If the disk refuses, the segment is still in
        `transcript` and SessionError says the journal is failing.
        """
        with self.lock:
            if not self._live or self.closed:
                raise SessionError(f"session {self.id} is not recording", "start a new session")
            stored = self.transcript.add(dataclasses.replace(segment, id=self._next_id))
            self._next_id += 1
            self._write("segment", stored.to_dict())
            self._since_snapshot += 1
            if self._since_snapshot >= self.snapshot_every:
                self._write_snapshot()
            return stored

    def record(self, kind: str, data: Mapping[str, Any]) -> None:
        """Journal any other record ("stats", "edit", "rename", ...); known kinds also update the transcript."""
        if kind in _RESERVED:
            raise ValueError(f"record kind {kind!r} is written by the store itself")
        with self.lock:
            apply_record(self.transcript, kind, data)
            try:
                self._write(kind, dict(data))
                if self.closed:
                    self._write_snapshot()
            finally:
                if not self._live:  # a view writes now and then: do not keep the journal open
                    self._close_journal()

    def edit(self, segment_id: int, text: str) -> Segment:
        """The user corrected a segment's text; raises SessionError for an unknown segment id."""
        with self.lock:
            if self.transcript.get(segment_id) is None:
                raise SessionError(f"session {self.id} has no segment {segment_id}")
            self.record("edit", {"id": segment_id, "text": text})
            segment = self.transcript.get(segment_id)
            assert segment is not None
            return segment

    def rename_speaker(self, old: str, new: str) -> None:
        self.record("rename", {"old": old, "new": new})

    def set_speakers(self, labels: Mapping[int, str | None]) -> None:
        """Journal speaker ids for segment ids (a SpeakerLabels event)."""
        self.record("labels", {"labels": {str(k): v for k, v in labels.items()}})

    def set_title(self, title: str) -> None:
        self.record("title", {"title": title})

    def close(self, clean: bool = True) -> None:
        """Write the closed record and the snapshot, then let go of the journal and the lock. Idempotent."""
        with self.lock:
            if self.closed and self._fh is None and self._file_lock is None:
                return
            try:
                if not self.closed:
                    self.closed, self.clean = True, clean
                    self._write("closed", {"clean": clean, "recovered": False})
                self._write_snapshot()
            finally:
                self._live = False
                self._close_journal()
                if self._file_lock is not None:
                    self._file_lock.release()
                    self._file_lock = None

    def __enter__(self) -> SessionStore:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close(clean=exc_type is None)

    def __repr__(self) -> str:
        return f"SessionStore(id={self.id!r}, segments={len(self.transcript)}, closed={self.closed})"

    # -- internals -----------------------------------------------------------------------------------

    def _write(self, kind: str, data: Mapping[str, Any]) -> None:
        if self.path is None:
            return
        record = {"kind": kind, "at": time.time(), "data": data}
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":"), default=jsonable)
        journal = self.path / JOURNAL
        with self.lock:
            try:
                if self._fh is None:
                    self._fh = open(journal, "ab")  # noqa: SIM115 - held open for the whole session
                    self._torn = self._torn or not ends_with_newline(journal)
                payload = line.encode("utf-8") + b"\n"
                if self._torn:
                    payload = b"\n" + payload
                self._fh.write(payload)
                self._fh.flush()
                os.fsync(self._fh.fileno())
                self._torn = False
            except OSError as exc:
                self._torn = True
                message = f"cannot write the session journal {journal}: {exc.strerror or exc}"
                raise SessionError(message, _WRITE_HINT) from exc

    def _write_snapshot(self) -> None:
        if self.path is None:
            return
        journal = self.path / JOURNAL
        with self.lock:
            size = journal.stat().st_size if journal.exists() else 0
            snapshot = {
                "format": "rtstt-session",
                "version": FORMAT_VERSION,
                "id": self.id,
                "created": self.created,
                "meta": self.meta,
                "closed": self.closed,
                "clean": self.clean,
                "recovered": self.recovered,
                "next_id": self._next_id,
                "journal_size": size,
                "transcript": self.transcript.to_dict(),
            }
            write_text_atomic(
                self.path / SNAPSHOT, json.dumps(snapshot, ensure_ascii=False, indent=1, default=jsonable)
            )
            self._since_snapshot = 0

    def _close_journal(self) -> None:
        if self._fh is not None:
            try:
                self._fh.close()
            except OSError as exc:
                log.warning("closing %s: %s", self.path / JOURNAL, exc)
            self._fh = None

    def _state_view(self) -> State:
        return State(
            id=self.id,
            transcript=self.transcript,
            created=self.created,
            meta=self.meta,
            next_id=self._next_id,
            closed=self.closed,
            clean=self.clean,
            recovered=self.recovered,
        )
