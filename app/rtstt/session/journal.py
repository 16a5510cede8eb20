"""Reading a session folder back: the snapshot when it matches the journal, else a replay of the journal.

Journal record: `{"kind": ..., "at": <epoch s>, "data": {...}}`. Kinds understood: header, segment, edit,
rename, labels, title, insights, closed; any other kind ("stats", ...) is kept and ignored. The same
`apply_record` runs live (SessionStore.record) and on replay, so both give the same transcript.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rtstt.errors import SessionError
from rtstt.events import Segment
from rtstt.session.transcript import Transcript

log = logging.getLogger(__name__)

JOURNAL = "journal.jsonl"
SNAPSHOT = "session.json"
FORMAT_VERSION = 1
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
LIST_HINT = "run `rtstt sessions list` to see the saved sessions"


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
    vocabulary: str = ""  # the words to expect it was transcribed with ("" for none, and for older sessions)


@dataclass
class State:
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


def session_path(root: Path, session_id: str) -> Path:
    """The folder of an existing session; a bad or unknown id is a SessionError with a hint."""
    if not _ID_RE.match(session_id or ""):
        raise SessionError(f"{session_id!r} is not a session id", LIST_HINT)
    path = Path(root).expanduser() / session_id
    if not (path / JOURNAL).is_file() and not (path / SNAPSHOT).is_file():
        raise SessionError(f"there is no session {session_id} in {Path(root).expanduser()}", LIST_HINT)
    return path


def load_state(path: Path) -> State:
    """The snapshot when it matches the journal byte for byte in size, else a replay of the journal."""
    journal, snapshot = path / JOURNAL, path / SNAPSHOT
    if snapshot.is_file():
        try:
            data = json.loads(snapshot.read_text(encoding="utf-8"))
            if not journal.exists() or journal.stat().st_size == data["journal_size"]:
                return State(
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
    return replay(path, path.name)


def replay(path: Path, session_id: str) -> State:
    """Rebuild a session from its journal. Lines that do not parse (a torn last line) are skipped."""
    journal = path / JOURNAL
    try:
        raw = journal.read_bytes()
    except OSError as exc:
        raise SessionError(f"cannot read session {session_id}: {exc.strerror or exc}", str(journal)) from exc
    state = State(id=session_id, transcript=Transcript())
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
                apply_record(state.transcript, kind, data)
        except (ValueError, KeyError, TypeError, AttributeError, SessionError):
            state.bad_lines += 1
    if not state.created:
        state.created = journal.stat().st_mtime
    return state


def apply_record(transcript: Transcript, kind: str, data: Mapping[str, Any]) -> None:
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
        transcript.insights = transcript.insights.merged(data)


def vocabulary_of(meta: Mapping[str, Any]) -> str:
    """The words to expect a session was transcribed with (its header's meta); "" when it had none or is
    older than the record of them."""
    words = meta.get("vocabulary")
    return words.strip() if isinstance(words, str) else ""


def info_of(path: Path, state: State) -> SessionInfo:
    return SessionInfo(
        id=state.id,
        title=state.transcript.title,
        created=state.created,
        n_segments=len(state.transcript.segments),
        duration_s=state.transcript.duration_s,
        closed=state.closed,
        path=path,
        recovered=state.recovered,
        vocabulary=vocabulary_of(state.meta),
    )


def ends_with_newline(path: Path) -> bool:
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            if handle.tell() == 0:
                return True
            handle.seek(-1, os.SEEK_END)
            return handle.read(1) == b"\n"
    except OSError:
        return True


def jsonable(value: Any) -> Any:
    """numpy values and paths in stats records: store their plain value instead of failing the write."""
    if hasattr(value, "tolist"):  # numpy scalars and arrays
        return value.tolist()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)
