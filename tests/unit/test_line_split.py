"""One line, one voice: where a line is cut (rtstt.speakers.line_split), without the network. The network
itself is tested on real voices in tests/integration/test_speaker_turns.py."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from rtstt.events import Segment, Word
from rtstt.speakers.line_split import LineSplitter, choose_cuts, split_segment, word_gaps
from rtstt.speakers.turns import TurnCheck
from rtstt.stages import SpeakersStage


def check(changed: bool, contrast: float = 1.0) -> TurnCheck:
    """A check that hears a change (or not) with the given contrast."""
    if not changed:
        return TurnCheck(0, 0, 0.9, 0.9, 0.9)
    return TurnCheck(0, 1, 0.9, 0.9, 0.1, next_before=1.7 - contrast)


def line(*spans: tuple[str, float, float], **extra) -> Segment:
    words = tuple(Word(a, b, f" {t}") for t, a, b in spans)
    text = "".join(w.text for w in words).strip()
    return Segment(words[0].start, words[-1].end, text, words=words, **extra)


def test_one_cut_per_change_at_its_clearest_gap():
    # gaps 1-3 all hear the change (their frames overlap it); gap 2 hears it most clearly
    checks = [check(False), check(True, 0.8), check(True, 1.4), check(True, 0.9), check(False), check(True, 1.0)]
    assert choose_cuts(checks) == [2, 5]
    assert choose_cuts([None, check(False), None]) == []
    assert choose_cuts([check(True), None, check(True)]) == [0, 2]  # a gap that cannot be judged ends a run


def test_a_cut_keeps_every_word_its_time_and_the_line_s_other_fields():
    seg = line(("yes", 0.0, 0.4), ("I", 0.45, 0.6), ("agree", 0.6, 1.0), ("no", 1.3, 1.6), ("wait", 1.6, 2.0))
    seg = Segment(seg.start, seg.end, seg.text, seg.words, language="en", track="system")
    parts = split_segment(seg, [2])
    assert [p.text for p in parts] == ["yes I agree", "no wait"]
    assert [(p.start, p.end) for p in parts] == [(0.0, 1.0), (1.3, 2.0)]
    assert sum(len(p.words) for p in parts) == len(seg.words)
    assert all(p.language == "en" and p.track == "system" for p in parts)
    assert [p.text for p in split_segment(seg, [0, 3])] == ["yes", "I agree no", "wait"]
    assert word_gaps(seg.words) == pytest.approx([0.425, 0.6, 1.15, 1.6])


class Unchanged:
    """A network that hears no change; counts what it is asked (the cut rules are the splitter's own)."""

    def __init__(self) -> None:
        self.asked: list[list[float]] = []

    def checks_inside(self, audio, points, lo, hi):
        self.asked.append(list(points))
        return [check(False) for _ in points]


def test_lines_that_cannot_be_judged_are_not_sent_to_the_network():
    turns = Unchanged()
    splitter = LineSplitter(turns)  # type: ignore[arg-type]
    audio = np.zeros(48000, np.float32)
    one_word = line(("hello", 1.0, 1.5))
    assert splitter.split(one_word, audio, 0.0) == [one_word]
    clipped = line(("a", 1.0, 1.1), ("b", 1.1, 1.2), ("c", 1.2, 1.3))  # every part would be under MIN_PART_S
    assert splitter.split(clipped, audio, 0.0) == [clipped]
    translated = Segment(1.0, 2.0, "hello there", line(("hello", 1.0, 1.5), ("there", 1.5, 2.0)).words, translated=True)
    assert splitter.split(translated, audio, 0.0) == [translated]
    assert turns.asked == [] and splitter.lines_checked == 0
    longer = line(("hello", 1.0, 1.5), ("there", 1.5, 1.9), ("friend", 1.9, 2.4))
    assert splitter.split(longer, audio, 0.5) == [longer]
    assert turns.asked == [[1.0, 1.4]]  # the gaps, in seconds into the audio that starts at 0.5 s
    assert splitter.lines_checked == 1 and splitter.lines_split == 0


class Broken:
    def checks_inside(self, audio, points, lo, hi):
        raise RuntimeError("onnxruntime: bad input")


def test_a_failing_check_never_costs_the_line_and_the_user_s_own_lines_are_left_whole():
    stage = SpeakersStage(lambda event: None)
    stage.turns = Broken()  # type: ignore[assignment]
    seg = line(("hello", 1.0, 1.5), ("there", 1.5, 1.9), ("friend", 1.9, 2.4))
    assert stage.split_line(seg, np.zeros(48000, np.float32), 0.0) == [seg]
    mic = Segment(seg.start, seg.end, seg.text, seg.words, track="mic")
    stage.splitter = None
    assert stage.split_line(mic, np.zeros(48000, np.float32), 0.0) == [mic] and stage.splitter is None
    assert stage.split_line(seg, None, 0.0) == [seg]


class ChangeAtSecondGap:
    """A network that hears the voice change at the second word gap only."""

    def checks_inside(self, audio, points, lo, hi):
        return [check(i == 1) for i in range(len(points))]


class FixedPrints:
    """Voice prints by where the audio was cut from (its first sample's value), one per voice."""

    runtime = "test"

    def embed(self, audio):
        return np.eye(4, dtype=np.float32)[int(audio[0])]


def test_a_cut_line_starts_a_new_speaker_unit_without_asking_the_network_again():
    stage = SpeakersStage(lambda event: None)
    stage.turns = ChangeAtSecondGap()  # type: ignore[assignment]
    stage.encoder = FixedPrints()
    seg = line(("the", 0.0, 0.4), ("quick", 0.4, 0.9), ("brown", 0.9, 1.5), ("fox", 1.5, 2.4))
    first, second = stage.split_line(seg, np.zeros(3 * 16000, np.float32), 0.0)
    assert (first.text, second.text) == ("the quick", "brown fox")
    first, second = replace(first, id=7), replace(second, id=8)  # numbered by the session
    stage.submit(first, np.zeros(int(0.9 * 16000), np.float32))
    stage.submit(second, np.ones(int(1.5 * 16000), np.float32))
    stage.update([first, second], final=True)
    assert stage.unit_of[7] != stage.unit_of[8] and stage.turn_checks == 0
