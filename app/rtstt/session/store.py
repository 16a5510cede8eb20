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
import re
import secrets
import shutil
import socket
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO

from rtstt.atomic import write_text_atomic
from rtstt.errors import SessionError
from rtstt.events import Segment
from rtstt.session.transcript import Transcript

log = logging.getLogger(__name__)

JOURNAL = "journal.jsonl"
SNAPSHOT = "session.json"
LOCK = ".lock"
FORMAT_VERSION = 1
_RESERVED = frozenset({"header", "segment", "closed"})
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_LIST_HINT = "run `rtstt sessions list` to see the saved sessions"
_WRITE_HINT = "check free disk space and permissions of the sessions folder; the transcript goes on in memory"


@dataclass(frozen=True, slots=True)
class SessionInfo:
    """What a session list shows, without holding the session open."""

    id: str
    title: str
    created: float
    n_segments: int
    duration_s: float
    closed: bool
    path: Path
    recovered: bool = False


@dataclass
class _State:
    """Everything a journal replay or a snapshot yields."""

    id: str
    transcript: Transcript
    created: float = 0.0
    meta: dict[str, Any] = field(default_factory=dict)
    next_id: int = 1
    closed: bool = False
    clean: bool = False
    recovered: bool = False
    bad_lines: int = 0


class SessionStore:
    """One session on disk. Build it with `create`, `open` or `recover`, not directly.

    Methods are thread-safe: the engine thread appends while the window edits and renames.
    """

    snapshot_every: int = 50  # appends between snapshots; the journal alone is enough to recover

    def __init__(self, path: Path, state: _State, *, live: bool = False) -> None:
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
        self._lock = threading.RLock()
        self._fh: BinaryIO | None = None
        self._torn = False  # a failed write may have left half a line: start the next one on a fresh line
        self._file_lock: _FileLock | None = None
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
        state = _State(id=session_id, transcript=Transcript(title=title), created=created, meta=dict(meta or {}))
        store = cls(path, state, live=True)
        store._file_lock = _FileLock(path / LOCK)
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
    def open(cls, root: Path, session_id: str) -> SessionStore:
        """A view of a saved session (for export, renaming, edits); it does not take new segments."""
        path = _session_path(root, session_id)
        return cls(path, _load(path))

    @classmethod
    def recover(cls, root: Path, session_id: str) -> SessionStore:
        """Replay an interrupted session's journal, mark it closed (recovered) and write its snapshot."""
        path = _session_path(root, session_id)
        file_lock = _FileLock(path / LOCK)
        if not file_lock.acquire():
            raise SessionError(
                f"session {session_id} is still being recorded by a running rtstt", "stop that recording first"
            )
        try:
            state = _replay(path, session_id)
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
        path = _session_path(root, session_id)
        if _is_locked(path):
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
                state = _load(path)
            except (SessionError, OSError) as exc:
                log.warning("skipping unreadable session folder %s: %s", path, exc)
                continue
            infos.append(_info(path, state))
        infos.sort(key=lambda i: (i.created, i.id), reverse=True)
        return infos

    @classmethod
    def find_unfinished(cls, root: Path) -> list[SessionInfo]:
        """Sessions whose journal has no closed record and that no running rtstt is recording."""
        return [i for i in cls.list_sessions(root) if not i.closed and not _is_locked(i.path)]

    # -- recording -----------------------------------------------------------------------------------

    @property
    def title(self) -> str:
        return self.transcript.title

    @property
    def info(self) -> SessionInfo:
        return _info(self.path, self._state_view())

    def append(self, segment: Segment) -> Segment:
        """Journal a final segment under the next session id (1, 2, 3...) and return it with that id.

        The line is flushed and fsynced before returning. If the disk refuses, the segment is still in
        `transcript` and SessionError says the journal is failing.
        """
        with self._lock:
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
        with self._lock:
            _apply(self.transcript, kind, data)
            try:
                self._write(kind, dict(data))
                if self.closed:
                    self._write_snapshot()
            finally:
                if not self._live:  # a view writes now and then: do not keep the journal open
                    self._close_journal()

    def edit(self, segment_id: int, text: str) -> Segment:
        """The user corrected a segment's text; raises SessionError for an unknown segment id."""
        with self._lock:
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
        with self._lock:
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
        record = {"kind": kind, "at": time.time(), "data": data}
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":"), default=_jsonable)
        journal = self.path / JOURNAL
        with self._lock:
            try:
                if self._fh is None:
                    self._fh = open(journal, "ab")  # noqa: SIM115 - held open for the whole session
                    self._torn = self._torn or not _ends_with_newline(journal)
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
        journal = self.path / JOURNAL
        with self._lock:
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
                self.path / SNAPSHOT, json.dumps(snapshot, ensure_ascii=False, indent=1, default=_jsonable)
            )
            self._since_snapshot = 0

    def _close_journal(self) -> None:
        if self._fh is not None:
            try:
                self._fh.close()
            except OSError as exc:
                log.warning("closing %s: %s", self.path / JOURNAL, exc)
            self._fh = None

    def _state_view(self) -> _State:
        return _State(
            id=self.id,
            transcript=self.transcript,
            created=self.created,
            meta=self.meta,
            next_id=self._next_id,
            closed=self.closed,
            clean=self.clean,
            recovered=self.recovered,
        )


# -- loading -------------------------------------------------------------------------------------------


def _session_path(root: Path, session_id: str) -> Path:
    """The folder of an existing session; a bad or unknown id is a SessionError with a hint."""
    if not _ID_RE.match(session_id or ""):
        raise SessionError(f"{session_id!r} is not a session id", _LIST_HINT)
    path = Path(root).expanduser() / session_id
    if not (path / JOURNAL).is_file() and not (path / SNAPSHOT).is_file():
        raise SessionError(f"there is no session {session_id} in {Path(root).expanduser()}", _LIST_HINT)
    return path


def _load(path: Path) -> _State:
    """The snapshot when it matches the journal byte for byte in size, else a replay of the journal."""
    journal, snapshot = path / JOURNAL, path / SNAPSHOT
    if snapshot.is_file():
        try:
            data = json.loads(snapshot.read_text(encoding="utf-8"))
            if not journal.exists() or journal.stat().st_size == data["journal_size"]:
                return _State(
                    id=path.name,
                    transcript=Transcript.from_dict(data["transcript"]),
                    created=float(data.get("created", 0.0)),
                    meta=dict(data.get("meta", {})),
                    next_id=int(data.get("next_id", 1)),
                    closed=bool(data.get("closed", False)),
                    clean=bool(data.get("clean", False)),
                    recovered=bool(data.get("recovered", False)),
                )
        except (OSError, ValueError, KeyError, TypeError) as exc:
            if not journal.exists():
                raise SessionError(f"session {path.name} is damaged: {exc}", f"look at {snapshot}") from exc
            log.warning("ignoring unreadable snapshot %s: %s", snapshot, exc)
    return _replay(path, path.name)


def _replay(path: Path, session_id: str) -> _State:
    """Rebuild a session from its journal. Lines that do not parse (a torn last line) are skipped."""
    journal = path / JOURNAL
    try:
        raw = journal.read_bytes()
    except OSError as exc:
        raise SessionError(f"cannot read session {session_id}: {exc.strerror or exc}", str(journal)) from exc
    state = _State(id=session_id, transcript=Transcript())
    for line in raw.split(b"\n"):
        if not line.strip():
            continue
        try:
            record = json.loads(line.decode("utf-8"))
            kind, data = record["kind"], record.get("data") or {}
            if kind == "header":
                state.transcript.title = str(data.get("title", ""))
                state.created = float(data.get("created", 0.0))
                state.meta = dict(data.get("meta") or {})
            elif kind == "segment":
                segment = state.transcript.add(Segment.from_dict(data))
                state.next_id = max(state.next_id, segment.id + 1)
            elif kind == "closed":
                state.closed = True
                state.clean = bool(data.get("clean", False))
                state.recovered = bool(data.get("recovered", False))
            else:
                _apply(state.transcript, kind, data)
        except (ValueError, KeyError, TypeError, AttributeError, SessionError):
            state.bad_lines += 1
    if not state.created:
        state.created = journal.stat().st_mtime
    return state


def _apply(transcript: Transcript, kind: str, data: Mapping[str, Any]) -> None:
    """Apply one non-segment record to a transcript; the same code runs live and on replay."""
    if kind == "edit":
        transcript.edit(int(data["id"]), str(data["text"]))
    elif kind == "rename":
        transcript.rename_speaker(str(data["old"]), str(data["new"]))
    elif kind == "labels":
        transcript.apply_labels({int(k): v for k, v in dict(data["labels"]).items()})
    elif kind == "title":
        transcript.title = str(data["title"])
    elif kind == "insights":  # keywords, questions, summary: the newest record wins per key
        transcript.insights.update(dict(data))


def _info(path: Path, state: _State) -> SessionInfo:
    return SessionInfo(
        id=state.id,
        title=state.transcript.title,
        created=state.created,
        n_segments=len(state.transcript.segments),
        duration_s=state.transcript.duration_s,
        closed=state.closed,
        path=path,
        recovered=state.recovered,
    )


def _ends_with_newline(path: Path) -> bool:
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            if handle.tell() == 0:
                return True
            handle.seek(-1, os.SEEK_END)
            return handle.read(1) == b"\n"
    except OSError:
        return True


def _jsonable(value: Any) -> Any:
    """numpy values and paths in stats records: store their plain value instead of failing the write."""
    if hasattr(value, "tolist"):  # numpy scalars and arrays
        return value.tolist()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)


# -- cross-process lock ------------------------------------------------------------------------------


class _FileLock:
    """An exclusive, non-blocking OS lock on a file; the OS drops it when the process dies (even kill -9)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh: BinaryIO | None = None

    def acquire(self) -> bool:
        """True when we hold the lock (or locking is impossible here: a read-only folder, no lock API)."""
        try:
            fh = open(self.path, "a+b")  # noqa: SIM115 - held while the lock is held
        except OSError:
            return True
        try:
            if os.name == "nt":
                import msvcrt

                fh.seek(0)
                msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
            else:
                import fcntl

                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.close()
            return False
        self._fh = fh
        return True

    def release(self) -> None:
        if self._fh is None:
            return
        try:
            if os.name == "nt":
                import msvcrt

                self._fh.seek(0)
                msvcrt.locking(self._fh.fileno(), msvcrt.LK_UNLCK, 1)
            else:
                import fcntl

                fcntl.flock(self._fh.fileno(), fcntl.LOCK_UN)
        except OSError:
            pass
        finally:
            self._fh.close()
            self._fh = None


def _is_locked(path: Path) -> bool:
    """Whether some live store (in any process, this one included) is recording the session at `path`."""
    if not (path / LOCK).exists():
        return False
    lock = _FileLock(path / LOCK)
    if lock.acquire():
        lock.release()
        return False
    return True
