"""LiveSession: the one owner of a session's transcript. Engine events in, change events out, commands
from the faces, exports and the journal reading the very same object."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import pytest

from rtstt.errors import RtsttError, SessionError
from rtstt.events import Keywords, KeywordScope, Questions, Segment, SpeakerLabels, Summary
from rtstt.session.insights import Insights
from rtstt.session.live import (
    InsightsChanged,
    LiveSession,
    SegmentAdded,
    SegmentsChanged,
    SpeakersChanged,
)
from rtstt.session.store import SessionStore


def seg(start: float, text: str) -> Segment:
    return Segment(start, start + 1.0, text)


def journal(session: LiveSession) -> list[dict]:
    assert session.path is not None
    return [json.loads(line) for line in (session.path / "journal.jsonl").read_text().splitlines()]


def test_finals_are_numbered_journalled_and_announced(tmp_path: Path) -> None:
    session = LiveSession.start(tmp_path, "Standup", {"source": "mic"})
    changes: list = []
    session.subscribe(changes.append)
    first = session.add_final(seg(0.0, "Good morning."))
    second = session.add_final(seg(1.5, "Let's start."))
    assert (first.id, second.id) == (1, 2)
    assert changes == [SegmentAdded(first), SegmentAdded(second)]
    assert [r["kind"] for r in journal(session)] == ["header", "segment", "segment"]
    session.close()
    assert [s.text for s in SessionStore.open(tmp_path, session.id).transcript.segments] == [
        "Good morning.",
        "Let's start.",
    ]


def test_labels_edits_and_names_reach_the_export_from_the_same_object(tmp_path: Path) -> None:
    session = LiveSession.start(tmp_path, "Review")
    changes: list = []
    session.subscribe(changes.append)
    a = session.add_final(seg(0.0, "We ship on Friday."))
    b = session.add_final(seg(2.0, "Sounds good."))
    session.apply(SpeakerLabels({a.id: "S1", b.id: "S2"}))
    relabel = [c for c in changes if isinstance(c, SegmentsChanged)][-1]
    assert [s.speaker for s in relabel.segments] == ["S1", "S2"]
    assert [c for c in changes if isinstance(c, SpeakersChanged)][-1].talk == {"S1": 1.0, "S2": 1.0}

    edited = session.edit(a.id, "We ship on Monday. ")
    assert edited.text == "We ship on Monday." and changes[-1] == SegmentsChanged((edited,))
    session.rename_speaker("S1", "Ana")
    assert changes[-1] == SpeakersChanged({"S1": "Ana"}, {"S1": 1.0, "S2": 1.0})
    session.apply(SpeakerLabels({a.id: "S2"}))  # a late relabelling keeps the user's words
    assert session.get(a.id).text == "We ship on Monday."

    out = session.export(tmp_path / "review.txt", "txt")
    text = out.read_text()
    assert "We ship on Monday." in text and "Friday" not in text
    session.close()
    reopened = LiveSession.open(tmp_path, session.id)
    assert reopened.get(a.id).text == "We ship on Monday." and reopened.speaker_name("S1") == "Ana"


def test_renumbered_speakers_keep_the_names_the_user_gave(tmp_path: Path) -> None:
    session = LiveSession.start(tmp_path, "Review")
    changes: list = []
    session.subscribe(changes.append)
    a, b, c = (session.add_final(seg(t, "Words here.")) for t in (0.0, 2.0, 4.0))
    session.apply(SpeakerLabels({a.id: "S1", b.id: "S2", c.id: "S4"}))
    session.rename_speaker("S2", "Bob")  # S2 then merges into S1: its name must not stick to a new S2
    session.rename_speaker("S4", "Alice")
    session.apply(SpeakerLabels({b.id: "S1", c.id: "S2"}, renumbered={"S4": "S2"}))
    now = SpeakersChanged({"S2": "Alice"}, {"S1": 2.0, "S2": 1.0})
    assert session.speakers() == now and changes[-1] == now
    session.close()
    assert LiveSession.open(tmp_path, session.id).speakers() == now


def test_insights_are_typed_journalled_once_and_survive_a_reopen(tmp_path: Path) -> None:
    session = LiveSession.start(tmp_path, "Planning")
    changes: list = []
    session.subscribe(changes.append)
    session.apply(Keywords((("release plan", 0.8),), KeywordScope.RECENT))  # the faces' business only
    assert not changes and not session.insights
    phrases = (("release plan", 0.8), ("mobile app", 0.6))
    session.apply(Keywords(phrases, KeywordScope.SESSION))
    session.apply(Keywords(phrases, KeywordScope.SESSION))  # unchanged: no second record
    session.apply(Questions(((1, 0.0, None, "Who tests it?"),)))
    session.apply(Summary("We plan the release.", final=True, action_items=("Ana tests on Friday.",)))
    kinds = [r["kind"] for r in journal(session)]
    assert kinds.count("insights") == 3
    assert isinstance(changes[-1], InsightsChanged)
    expected = Insights(
        keywords=phrases,
        questions=((1, 0.0, None, "Who tests it?"),),
        summary="We plan the release.",
        summary_final=True,
        action_items=("Ana tests on Friday.",),
    )
    assert session.insights == expected
    session.close()
    assert LiveSession.open(tmp_path, session.id).insights == expected
    data = json.loads(LiveSession.open(tmp_path, session.id).export(tmp_path / "p.json").read_text())
    assert data["summary"] == "We plan the release." and data["keywords"][0] == {"phrase": "release plan", "score": 0.8}


def test_an_in_memory_session_writes_nothing_and_still_exports(tmp_path: Path) -> None:
    session = LiveSession.start(None, "scratch")
    session.add_final(seg(0.0, "Nothing is saved."))
    session.edit(1, "Nothing is saved here.")
    session.close()
    assert not session.saved and session.path is None
    assert "Nothing is saved here." in session.export(tmp_path / "s.srt").read_text()
    assert list(tmp_path.iterdir()) == [tmp_path / "s.srt"]


def test_a_full_disk_is_reported_and_no_word_is_lost(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    session = LiveSession.start(tmp_path, "disk")
    problems: list[RtsttError] = []
    session.on_error = problems.append
    session.add_final(seg(0.0, "kept"))

    def disk_full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    stored = session.add_final(seg(1.0, "heard while the disk was full"))
    monkeypatch.undo()
    assert stored.id == 2 and [s.text for s in session.segments()][-1] == "heard while the disk was full"
    assert len(problems) == 1 and "No space left" in problems[0].message
    session.add_final(seg(2.0, "disk is back"))
    session.close()
    reopened = SessionStore.open(tmp_path, session.id).transcript.text()
    assert reopened == "kept heard while the disk was full disk is back"


def test_commands_on_unknown_segments_and_closed_sessions_say_what_is_wrong(tmp_path: Path) -> None:
    session = LiveSession.start(tmp_path, "x")
    with pytest.raises(SessionError, match="no segment 7"):
        session.edit(7, "text")
    session.close()
    session.close()  # idempotent
    assert session.closed


def test_the_speakers_uncertain_flag_reaches_the_json_line_the_journal_and_the_export(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from rtstt.cli.printers import JsonPrinter

    printer = JsonPrinter(realtime=True)
    printer(SpeakerLabels({1: "S1"}, uncertain=True))
    printer(SpeakerLabels({}, uncertain=False))
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines == [
        {"type": "speakers", "labels": {"1": "S1"}, "uncertain": True},
        {"type": "speakers", "labels": {}, "uncertain": False},
    ]

    session = LiveSession.start(tmp_path, "Call")
    changes: list = []
    session.subscribe(changes.append)
    a = session.add_final(seg(0.0, "Hello there."))
    session.apply(SpeakerLabels({a.id: "S1"}, uncertain=True))
    assert session.insights.speakers_uncertain and session.get(a.id).speaker == "S1"
    assert isinstance(changes[-1], InsightsChanged) and changes[-1].insights.speakers_uncertain
    session.apply(SpeakerLabels({a.id: "S1"}, uncertain=True))  # unchanged: journalled once
    assert [r["kind"] for r in journal(session)].count("insights") == 1
    data = json.loads(session.export(tmp_path / "c.json").read_text())
    assert data["speakers_uncertain"] is True
    session.close()
    assert LiveSession.open(tmp_path, session.id).insights.speakers_uncertain  # survives a reopen

    later = LiveSession.start(tmp_path, "Call 2")
    later.apply(SpeakerLabels({}, uncertain=True))
    later.apply(SpeakerLabels({}, uncertain=False))  # a later, surer clustering clears it
    assert not later.insights.speakers_uncertain
    later.close()


def test_a_session_journalled_before_the_flag_existed_loads_as_not_uncertain(tmp_path: Path) -> None:
    session = LiveSession.start(tmp_path, "Old")
    session.add_final(seg(0.0, "Hello."))
    session.apply(Summary("A greeting.", final=True))
    session.close()
    assert session.path is not None
    path = session.path / "journal.jsonl"
    records = [json.loads(line) for line in path.read_text().splitlines()]
    for r in records:  # as an older version wrote it: no speakers_uncertain key anywhere
        if r["kind"] == "insights":
            r["data"].pop("speakers_uncertain", None)
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    reopened = LiveSession.open(tmp_path, session.id)
    assert reopened.insights.summary == "A greeting." and reopened.insights.speakers_uncertain is False
    assert json.loads(reopened.export(tmp_path / "o.json").read_text())["speakers_uncertain"] is False


def test_lines_heard_after_the_journal_stopped_each_stay_in_their_own_place(tmp_path: Path) -> None:
    """The engine's segment ids are not the session's (the two parts of a line cut where the voice changes
    share one): a line the journal refused is numbered by the session, never put in another line's place."""
    session = LiveSession.start(tmp_path, "stopped")
    problems: list[RtsttError] = []
    session.on_error = problems.append
    session.add_final(seg(0.0, "kept"))
    session._store.closed = True  # the journal no longer records (what a closed session's store says)
    first = session.add_final(Segment(1.0, 1.5, "the quick brown fox", id=1))
    second = session.add_final(Segment(1.6, 2.0, "jumps over", id=1))
    assert [s.text for s in session.segments()] == ["kept", "the quick brown fox", "jumps over"]
    assert len({first.id, second.id, 1}) == 3 and len(problems) == 2
