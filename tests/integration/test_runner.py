"""The Runner: settings and a source choice in, a running engine out, the same for every face. Real
tiny.en on the bundled sample; the session it records is the one the faces render and export."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from rtstt.config import Settings
from rtstt.errors import RtsttError
from rtstt.events import EngineReady, Final, Segment, StreamEnded
from rtstt.runner import Runner, SourceChoice, open_choice, recover_interrupted
from rtstt.session.live import SegmentAdded
from rtstt.session.store import SessionStore
from rtstt.wer import word_error_rate
from tests.conftest import FIXTURES, SAMPLES

pytestmark = pytest.mark.integration

TINY = Settings().with_overrides(stt__model="tiny.en", stt__device="cpu", stt__compute_type="int8", stt__threads=2)


def test_a_run_records_one_session_that_events_and_exports_agree_on(tmp_path: Path) -> None:
    runner = Runner(TINY, SourceChoice("file", SAMPLES / "sample.flac", realtime=False))
    events: list = []
    changes: list = []
    runner.subscribe(events.append)
    session = runner.open_session()
    session.subscribe(changes.append)
    ready = runner.prepare()
    assert isinstance(ready, EngineReady) and ready.model == "tiny.en" and ready.source == "sample.flac"
    ended = runner.run()
    assert isinstance(ended, StreamEnded) and events[-1] is ended
    finals = [e.segment for e in events if isinstance(e, Final)]
    assert events.index(ready) < events.index(next(e for e in events if isinstance(e, Final)))
    # the faces see the numbered segments the session holds, once each
    assert [c.segment for c in changes if isinstance(c, SegmentAdded)] == finals == session.segments()
    reference = json.loads((SAMPLES / "sample.json").read_text())["text"]
    assert word_error_rate(reference, " ".join(s.text for s in finals)) <= 0.10
    assert session.closed and session.saved
    saved = SessionStore.open(TINY.sessions_path(), session.id)
    assert [s.text for s in saved.transcript.segments] == [s.text for s in finals]
    exported = session.export(tmp_path / "out.srt").read_text()
    assert finals[0].text in exported


def test_a_second_runner_reuses_the_loaded_model() -> None:
    first = Runner(TINY, SourceChoice("file", FIXTURES / "silence.wav", realtime=False), save=False)
    first.run()
    second = Runner(TINY, SourceChoice("file", FIXTURES / "silence.wav", realtime=False), save=False)
    second.run()
    assert first.engine is not None and second.engine is not None
    assert first.engine.backend is second.engine.backend


def test_stop_before_listening_starts_ends_cleanly_with_an_empty_session() -> None:
    runner = Runner(TINY, SourceChoice("file", SAMPLES / "sample.flac", realtime=True))
    runner.stop()
    assert runner.prepare() is None
    ended = runner.run()
    assert ended.audio_s == 0.0 and runner.session is not None and runner.session.closed
    assert len(runner.session) == 0


def test_stop_mid_stream_drains_every_word_heard() -> None:
    runner = Runner(TINY, SourceChoice("file", SAMPLES / "sample.flac", realtime=True), save=False)
    runner.prepare()
    threading.Timer(4.0, runner.stop).start()
    ended = runner.run()
    assert 3.5 <= ended.audio_s < 10 and runner.session is not None
    assert "sample recording" in " ".join(s.text for s in runner.session.segments())


def test_bad_choices_say_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(RtsttError, match="no file chosen"):
        open_choice(SourceChoice("file"), TINY)
    with pytest.raises(RtsttError, match="unknown source"):
        open_choice(SourceChoice("radio"), TINY)
    runner = Runner(TINY, SourceChoice("file", tmp_path / "missing.wav"))
    with pytest.raises(RtsttError):
        runner.prepare()
    assert runner.session is not None and runner.session.closed  # what it had is kept and closed


def test_recovery_closes_what_a_crash_left_open() -> None:
    root = TINY.sessions_path()
    crashed = SessionStore.create(root, "crashed")
    crashed.append(Segment(0.0, 1.0, "kept"))
    crashed._file_lock.release()  # as if the process had died: the OS lock is gone, no closed record
    recovered = recover_interrupted(TINY)
    assert [i.id for i in recovered] == [crashed.id] and recovered[0].n_segments == 1
    assert SessionStore.open(root, crashed.id).recovered
    assert recover_interrupted(TINY) == []
