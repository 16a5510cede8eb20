"""One line, one voice: a final line in which the speaker changes becomes two lines, cut between the words
where the segmentation network hears the change (rtstt.speakers.turns).

Whisper cuts lines at pauses and punctuation, not at voices: in a meeting people answer without pausing and
talk over each other, and a line that holds two people can carry only one label (on the AMI excerpts about
a third of the live lines spanned two speakers). The engine asks this before a line is numbered and shown,
so the transcript, the journal, the exports and the speaker stage only ever see lines of one voice.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from rtstt.events import Segment, Word
from rtstt.speakers.turns import SpeakerTurns, TurnCheck
from rtstt.vocab import SAMPLE_RATE

CONTEXT_BEFORE_S = 1.0  # audio before the line the network also hears (a side never reaches into it)
CONTEXT_AFTER_S = 0.3  # and after it, so its last word is whole
MIN_PART_S = 0.25  # a part shorter than this (a clipped word) is never cut off on its own


def word_gaps(words: Sequence[Word]) -> list[float]:
    """The points between consecutive words (the middle of the pause, or the shared edge)."""
    return [(a.end + b.start) / 2 for a, b in itertools.pairwise(words)]


def choose_cuts(checks: Sequence[TurnCheck | None]) -> list[int]:
    """Which word gaps to cut at: of each run of neighbouring gaps that all hear a change (the frames around a
    change overlap them all), the one with the clearest contrast."""
    cuts: list[int] = []
    run: list[int] = []
    for i, check in enumerate([*checks, None]):
        if check is not None and check.changed:
            run.append(i)
            continue
        if run:
            cuts.append(max(run, key=lambda j: checks[j].contrast))  # type: ignore[union-attr]
            run = []
    return cuts


def split_segment(segment: Segment, cuts: Sequence[int]) -> list[Segment]:
    """`segment` cut after each word index in `cuts` (gap i lies between word i and word i + 1); each part
    keeps its words' times and text and everything else of the line (the session numbers them)."""
    parts: list[Segment] = []
    words = segment.words
    bounds = [0, *(i + 1 for i in sorted(cuts)), len(words)]
    for lo, hi in itertools.pairwise(bounds):
        chunk = words[lo:hi]
        if not chunk:
            continue
        text = "".join(w.text for w in chunk).strip()
        parts.append(replace(segment, start=chunk[0].start, end=chunk[-1].end, text=text, words=tuple(chunk)))
    return parts


class LineSplitter:
    """Cuts a line where the voice changes inside it (`split`); counts what it checked for the benchmarks."""

    def __init__(self, turns: SpeakerTurns) -> None:
        self.turns = turns
        self.lines_checked = 0
        self.lines_split = 0
        self.seconds = 0.0  # spent in the network, on the engine thread (the benchmarks report it per line)

    def split(self, segment: Segment, audio: np.ndarray, audio_start: float) -> list[Segment]:
        """`audio`: the line's audio with up to CONTEXT_BEFORE_S before it and CONTEXT_AFTER_S after, starting
        at `audio_start` seconds of the stream. Returns [segment] when nothing changes (or it cannot be judged:
        one word, no word times, a translation whose word times are approximate)."""
        words = segment.words
        if len(words) < 2 or segment.translated or audio.size < MIN_PART_S * SAMPLE_RATE:
            return [segment]
        gaps = word_gaps(words)
        # a part must hold at least MIN_PART_S of speech: no cut that leaves a clipped fragment alone
        candidates = [
            i for i, p in enumerate(gaps) if p - words[0].start >= MIN_PART_S and words[-1].end - p >= MIN_PART_S
        ]
        if not candidates:
            return [segment]
        self.lines_checked += 1
        offset = audio_start
        t0 = time.perf_counter()
        checks = self.turns.checks_inside(
            audio,
            [gaps[i] - offset for i in candidates],
            lo=segment.start - offset,  # the sides hold the line's own speech; the network hears more
            hi=segment.end - offset,
        )
        self.seconds += time.perf_counter() - t0
        chosen = choose_cuts(checks)
        if not chosen:
            return [segment]
        self.lines_split += 1
        return split_segment(segment, [candidates[j] for j in chosen])
