"""SessionStore: journal, snapshot, crash recovery (a real kill -9 in a child process), listing, errors."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from rtstt.errors import RtsttError, SessionError
from rtstt.events import Segment, Word
from rtstt.session.export import export
from rtstt.session.store import JOURNAL, SNAPSHOT, SessionStore

APP = Path(__file__).resolve().parents[2] / "app"


def seg(start: float, text: str, speaker: str | None = None) -> Segment:
    words = tuple(Word(start + k * 0.4, start + k * 0.4 + 0.3, w, 0.9) for k, w in enumerate(text.split()))
    return Segment(start=start, end=start + 0.4 * len(words), text=text, words=words, speaker=speaker)


def journal_kinds(store: SessionStore) -> list[str]:
    lines = (store.path / JOURNAL).read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["kind"] for line in lines if line.strip()]


def crash_in_child(root: Path, texts: list[str]) -> str:
    """Record `texts` in a child process that then dies by SIGKILL: no close, no atexit, no flush."""
    code = textwrap.dedent(
        """
        import os, signal, sys
        from pathlib import Path
        from rtstt.events import Segment
        from rtstt.session.store import SessionStore
        store = SessionStore.create(Path(sys.argv[1]), title="crashy", meta={"source": "test"})
        for i, text in enumerate(sys.argv[2:]):
            store.append(Segment(start=float(i), end=i + 0.9, text=text))
        store.record("stats", {"rtf": 0.1})
        print(store.id, flush=True)
        os.kill(os.getpid(), getattr(signal, "SIGKILL", signal.SIGTERM))
        """
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(APP), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run(
        [sys.executable, "-c", code, str(root), *texts], capture_output=True, text=True, env=env, timeout=60
    )
    assert proc.returncode != 0, proc.stderr
    return proc.stdout.strip()


def test_append_assigns_ids_and_close_writes_snapshot(tmp_path: Path) -> None:
    store = SessionStore.create(tmp_path, "Meeting", meta={"source": "mic"})
    assert store.path == tmp_path / store.id
    assert len(store.id.split("-")) == 3
    first = store.append(seg(0.0, "hello world"))
    second = store.append(seg(1.0, "second one", speaker="S1"))
    assert (first.id, second.id) == (1, 2)
    assert store.transcript.segments == [first, second]
    store.record("stats", {"rtf": 0.25})
    store.close()
    assert journal_kinds(store) == ["header", "segment", "segment", "stats", "closed"]
    snapshot = json.loads((store.path / SNAPSHOT).read_text(encoding="utf-8"))
    assert snapshot["closed"] is True
    assert [s["text"] for s in snapshot["transcript"]["segments"]] == ["hello world", "second one"]
    store.close()  # idempotent
    with pytest.raises(SessionError):
        store.append(seg(2.0, "too late"))


def test_edits_renames_and_title_are_journaled(tmp_path: Path) -> None:
    with SessionStore.create(tmp_path, "Draft") as store:
        store.append(seg(0.0, "wreck a nice beach", speaker="S1"))
        store.append(seg(2.0, "fine", speaker="S2"))
        store.edit(1, "recognize speech")
        store.rename_speaker("S1", "Alice")
        store.set_speakers({2: "S1"})
        store.set_title("Final")
        with pytest.raises(SessionError):
            store.edit(42, "no such segment")
    # The journal alone rebuilds the same state (drop the snapshot to force a replay).
    (store.path / SNAPSHOT).unlink()
    again = SessionStore.open(tmp_path, store.id)
    assert again.transcript.title == "Final"
    assert again.transcript.segments[0].text == "recognize speech"
    assert [w.text for w in again.transcript.segments[0].words] == ["wreck", "a", "nice", "beach"]
    assert again.transcript.speaker_names == {"S1": "Alice"}
    assert [s.speaker for s in again.transcript.segments] == ["S1", "S1"]
    assert again.closed


def test_snapshot_every_n_appends(tmp_path: Path) -> None:
    store = SessionStore.create(tmp_path, "periodic")
    store.snapshot_every = 3
    for i in range(4):
        store.append(seg(float(i), f"segment {i}"))
    snapshot = json.loads((store.path / SNAPSHOT).read_text(encoding="utf-8"))
    assert len(snapshot["transcript"]["segments"]) == 3 and snapshot["closed"] is False
    # The snapshot is behind the journal, so a reader replays and sees all four.
    assert SessionStore.open(tmp_path, store.id).transcript.text().count("segment") == 4
    store.close()


def test_crash_then_recover_gets_every_segment_back(tmp_path: Path) -> None:
    texts = ["first words", "second thought", "third and last"]
    session_id = crash_in_child(tmp_path, texts)
    journal = tmp_path / session_id / JOURNAL
    with journal.open("ab") as handle:  # a write torn by the crash: half a JSON line, no newline
        handle.write(b'{"kind":"segment","at":1,"data":{"start":3.0,"end":3.5,"te')

    unfinished = SessionStore.find_unfinished(tmp_path)
    assert [i.id for i in unfinished] == [session_id]
    assert unfinished[0].n_segments == 3 and not unfinished[0].closed

    store = SessionStore.recover(tmp_path, session_id)
    assert [s.text for s in store.transcript.segments] == texts
    assert [s.id for s in store.transcript.segments] == [1, 2, 3]
    assert store.closed and store.recovered and not store.clean
    assert SessionStore.find_unfinished(tmp_path) == []
    # The closed record went on a fresh line after the torn one, so the journal still replays.
    (tmp_path / session_id / SNAPSHOT).unlink()
    reopened = SessionStore.open(tmp_path, session_id)
    assert reopened.closed and reopened.recovered
    assert reopened.transcript.text() == "first words second thought third and last"

    out = export(reopened.transcript, tmp_path / "out" / "recovered.txt")
    assert "third and last" in out.read_text(encoding="utf-8")


def test_live_session_is_not_unfinished_and_cannot_be_recovered_or_deleted(tmp_path: Path) -> None:
    store = SessionStore.create(tmp_path, "live")
    store.append(seg(0.0, "still talking"))
    assert [i.id for i in SessionStore.list_sessions(tmp_path)] == [store.id]
    assert SessionStore.find_unfinished(tmp_path) == []
    with pytest.raises(SessionError, match="still being recorded"):
        SessionStore.recover(tmp_path, store.id)
    with pytest.raises(SessionError):
        SessionStore.delete(tmp_path, store.id)
    store.close()
    SessionStore.delete(tmp_path, store.id)
    assert SessionStore.list_sessions(tmp_path) == []


def test_list_newest_first_and_rename(tmp_path: Path) -> None:
    ids = []
    for n, title in enumerate(["old", "middle", "new"]):
        store = SessionStore.create(tmp_path, title)
        store.created = 1_700_000_000.0 + n  # ids share a second; order by creation time
        store.append(seg(0.0, "x " * (n + 1)))
        store.close()
        ids.append(store.id)
    # `created` comes from the snapshot, which close just wrote with the patched time.
    infos = SessionStore.list_sessions(tmp_path)
    assert [i.title for i in infos] == ["new", "middle", "old"]
    assert [i.n_segments for i in infos] == [1, 1, 1]
    assert all(i.closed for i in infos)
    SessionStore.rename(tmp_path, ids[0], "renamed")
    assert SessionStore.open(tmp_path, ids[0]).transcript.title == "renamed"
    assert SessionStore.list_sessions(tmp_path / "missing") == []


@pytest.mark.parametrize("bad", ["20260101-000000-dead", "../etc", ""])
def test_unknown_id_is_a_session_error_with_hint(tmp_path: Path, bad: str) -> None:
    SessionStore.create(tmp_path, "exists").close()
    for action in (SessionStore.open, SessionStore.recover, SessionStore.delete):
        with pytest.raises(SessionError) as info:
            action(tmp_path, bad)
        assert "sessions list" in info.value.hint


def test_write_failure_is_an_rtstt_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(RtsttError):
        SessionStore.create(blocker / "sessions", "nowhere")

    store = SessionStore.create(tmp_path / "ok", "disk goes away")
    store.append(seg(0.0, "kept"))

    def disk_full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(SessionError, match="No space left"):
        store.append(seg(1.0, "not synced"))
    monkeypatch.undo()
    # The engine goes on: the segment is in memory and later writes start on a fresh line.
    assert [s.text for s in store.transcript.segments] == ["kept", "not synced"]
    store.append(seg(2.0, "disk is back"))
    store.close()
    (store.path / SNAPSHOT).unlink()
    assert SessionStore.open(tmp_path / "ok", store.id).transcript.text() == "kept not synced disk is back"
