"""Words to expect are kept per session: recorded when it starts, read back by the history, in the JSON export,
and older sessions (recorded before this) still load with none."""

from __future__ import annotations

import json
from pathlib import Path

from rtstt.config import Settings
from rtstt.events import Segment
from rtstt.runner import Runner, SourceChoice
from rtstt.session.journal import SNAPSHOT
from rtstt.session.live import LiveSession
from rtstt.session.store import SessionStore
from tests.conftest import FIXTURES

WORDS = "Sheila, Diane, Kubernetes"


def record(settings: Settings) -> LiveSession:
    """A session opened the way every face opens one (the runner), with one final line, then closed."""
    runner = Runner(settings, SourceChoice("file", FIXTURES / "names.flac"))
    session = runner.open_session("Stand-up")
    session.add_final(Segment(start=0.0, end=2.0, text="Sheila deployed it to Kubernetes."))
    session.close()
    return session


def test_the_words_a_session_was_transcribed_with_are_kept_with_it():
    settings = Settings().with_overrides(stt__vocabulary=WORDS)
    session = record(settings)
    assert session.vocabulary == WORDS
    root = settings.sessions_path()
    (info,) = SessionStore.list_sessions(root)
    assert info.vocabulary == WORDS
    assert LiveSession.open(root, session.id).vocabulary == WORDS
    # a later change of the setting does not rewrite what the session was heard with
    record(settings.with_overrides(stt__vocabulary="Ravi"))
    assert {i.vocabulary for i in SessionStore.list_sessions(root)} == {WORDS, "Ravi"}


def test_the_journal_alone_has_them_too():
    settings = Settings().with_overrides(stt__vocabulary=WORDS)
    session = record(settings)
    assert session.path is not None
    (session.path / SNAPSHOT).unlink()  # a crash before the snapshot: the journal is replayed
    assert LiveSession.open(settings.sessions_path(), session.id).vocabulary == WORDS


def test_without_words_the_session_says_none():
    settings = Settings()
    session = record(settings)
    (info,) = SessionStore.list_sessions(settings.sessions_path())
    assert info.vocabulary == "" and session.vocabulary == ""


def test_sessions_from_before_still_load_with_none(tmp_path: Path):
    store = SessionStore.create(tmp_path, "Old", meta={"source": "mic"})  # the header as it used to be
    store.append(Segment(start=0.0, end=1.0, text="hello"))
    store.close()
    (info,) = SessionStore.list_sessions(tmp_path)
    assert info.vocabulary == "" and info.n_segments == 1
    (tmp_path / store.id / SNAPSHOT).unlink()
    assert LiveSession.open(tmp_path, store.id).vocabulary == ""
    odd = SessionStore.create(tmp_path, "Odd", meta={"vocabulary": ["not", "text"]})  # hand-edited: ignored
    odd.close()
    assert LiveSession.open(tmp_path, odd.id).vocabulary == ""


def test_the_json_export_carries_them(tmp_path: Path):
    settings = Settings().with_overrides(stt__vocabulary=WORDS)
    session = record(settings)
    reopened = LiveSession.open(settings.sessions_path(), session.id)
    data = json.loads(reopened.export(tmp_path / "out.json").read_text())
    assert data["vocabulary"] == WORDS and data["segments"][0]["text"].startswith("Sheila")
    plain = record(Settings())
    data = json.loads(LiveSession.open(settings.sessions_path(), plain.id).export(tmp_path / "plain.json").read_text())
    assert data["vocabulary"] == ""
