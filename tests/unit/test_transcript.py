"""Transcript: ids, replacement, user edits, speaker names and the dict round trip."""

from __future__ import annotations

import pytest

from rtstt.errors import SessionError
from rtstt.events import Segment, Word
from rtstt.session.transcript import Transcript


def seg(i: int, start: float, text: str, speaker: str | None = None) -> Segment:
    words = tuple(Word(start + k * 0.3, start + k * 0.3 + 0.25, w) for k, w in enumerate(text.split()))
    return Segment(start=start, end=start + 0.3 * len(words), text=text, words=words, speaker=speaker, id=i)


def test_add_keeps_order_and_numbers_unnumbered_segments() -> None:
    t = Transcript()
    t.add(seg(1, 0.0, "hello there"))
    t.add(seg(2, 1.0, "general kenobi"))
    third = t.add(seg(0, 2.0, "you are a bold one"))
    assert third.id == 3
    assert [s.id for s in t.segments] == [1, 2, 3]
    assert t.text() == "hello there general kenobi you are a bold one"
    assert t.duration_s == pytest.approx(2.0 + 0.3 * 5)
    assert Transcript().duration_s == 0.0


def test_same_id_replaces_in_place() -> None:
    t = Transcript(segments=[seg(1, 0.0, "one"), seg(2, 1.0, "two")])
    t.add(seg(1, 0.0, "one again", speaker="S1"))
    assert len(t) == 2
    assert t.segments[0].text == "one again"
    assert t.segments[0].speaker == "S1"


def test_edit_replaces_text_keeps_words_and_survives_relabelling() -> None:
    t = Transcript(segments=[seg(1, 0.0, "wreck a nice beach")])
    edited = t.edit(1, " recognize speech ")
    assert edited.text == "recognize speech"
    assert [w.text for w in edited.words] == ["wreck", "a", "nice", "beach"]
    # A later relabelling re-adds the engine's segment: the user's text must win.
    t.add(seg(1, 0.0, "wreck a nice beach", speaker="S2"))
    assert t.segments[0].text == "recognize speech"
    assert t.segments[0].speaker == "S2"
    with pytest.raises(SessionError):
        t.edit(99, "nope")


def test_rename_speaker_by_raw_id_or_current_name() -> None:
    t = Transcript(segments=[seg(1, 0.0, "hi", "S1"), seg(2, 1.0, "hello", "S2"), seg(3, 2.0, "bye", "S1")])
    t.rename_speaker("S1", "Alice")
    assert t.speaker_name("S1") == "Alice"
    assert t.speaker_name("S2") == "S2"
    assert t.speaker_name(None) is None
    t.rename_speaker("Alice", "Alicia")
    assert t.speakers() == {"S1": "Alicia", "S2": "S2"}
    t.rename_speaker("Alicia", "")
    assert t.speakers() == {"S1": "S1", "S2": "S2"}


def test_apply_labels() -> None:
    t = Transcript(segments=[seg(1, 0.0, "a"), seg(2, 1.0, "b")])
    changed = t.apply_labels({2: "S1", 7: "S9"})
    assert [s.id for s in changed] == [2]
    assert [s.speaker for s in t.segments] == [None, "S1"]


def test_dict_round_trip() -> None:
    t = Transcript(title="Standup", segments=[seg(1, 0.0, "a b", "S1"), seg(2, 1.0, "c d")])
    t.edit(2, "see dee")
    t.rename_speaker("S1", "Bob")
    back = Transcript.from_dict(t.to_dict())
    assert back.title == "Standup"
    assert back.segments == t.segments
    assert back.speaker_names == {"S1": "Bob"}
    assert back.edited == {2}
    assert back.add(seg(0, 3.0, "e")).id == 3
