"""The transcript of one session: finalized segments, speaker display names and the user's edits.

It is the single in-memory model that the CLI, the window, the session journal and the exporters share.
Segments are immutable (rtstt.events.Segment); a change replaces the segment that has the same id, so a
late speaker relabelling or a user correction never duplicates text.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

from rtstt.errors import SessionError
from rtstt.events import Segment
from rtstt.session.insights import Insights
from rtstt.vocab import MIC_TRACK, SYSTEM_TRACK

TRACK_NAMES = {MIC_TRACK: "You", SYSTEM_TRACK: "Others"}
"""How a call's lines are shown when no speaker label or name says otherwise."""


def line_name(segment: Segment, names: Mapping[str, str]) -> str | None:
    """Who said a line: its speaker's name; else, in a call, its track's ("You" for the microphone, "Others"
    for system audio; a name the user gave, keyed "mic"/"system", wins); else None. `names`: raw id -> name."""
    if segment.speaker:
        return names.get(segment.speaker, segment.speaker)
    if segment.track:
        return names.get(segment.track, TRACK_NAMES.get(segment.track, segment.track))
    return None


class Transcript:
    """Ordered segments keyed by id, plus speaker names and the set of user-edited segment ids.

    Segment ids are positive; a segment added with id 0 (not yet numbered) gets the next free id, so
    a transcript fed straight from the engine without a session store still has stable ids.
    """

    def __init__(self, title: str = "", segments: Iterable[Segment] = ()) -> None:
        self.title: str = title
        self.segments: list[Segment] = []
        # raw speaker id ("S1") -> name the user gave it ("Alice"); unnamed speakers show their raw id. A call's
        # track ("mic", "system") may have a name too: the microphone's is the user's own (a setting).
        self.speaker_names: dict[str, str] = {}
        # ids of segments whose text the user corrected: a later re-add (e.g. relabelling) keeps that text.
        self.edited: set[int] = set()
        # what the downstream stages concluded: key phrases, questions, summary, action items
        self.insights = Insights()
        self._pos: dict[int, int] = {}
        self._max_id = 0
        for segment in segments:
            self.add(segment)

    # -- segments ------------------------------------------------------------------------------------

    def add(self, segment: Segment) -> Segment:
        """Add a segment, or replace the one with the same id in place; returns the segment as stored."""
        if segment.id <= 0:
            segment = dataclasses.replace(segment, id=self.next_id)
        self._max_id = max(self._max_id, segment.id)
        pos = self._find(segment.id)
        if pos is None:
            self._pos[segment.id] = len(self.segments)
            self.segments.append(segment)
            return segment
        old = self.segments[pos]
        if segment.id in self.edited and segment.text != old.text:
            segment = dataclasses.replace(segment, text=old.text)
        self.segments[pos] = segment
        return segment

    def get(self, segment_id: int) -> Segment | None:
        pos = self._find(segment_id)
        return None if pos is None else self.segments[pos]

    def edit(self, segment_id: int, text: str) -> Segment:
        """Replace a segment's text with the user's correction; its words keep their timing for alignment."""
        pos = self._find(segment_id)
        if pos is None:
            raise SessionError(f"there is no segment {segment_id} in this transcript")
        segment = dataclasses.replace(self.segments[pos], text=text.strip())
        self.segments[pos] = segment
        self.edited.add(segment_id)
        return segment

    def apply_labels(self, labels: Mapping[int, str | None]) -> list[Segment]:
        """Set speaker ids for segment ids (a SpeakerLabels event); unknown ids are ignored."""
        changed = []
        for segment_id, speaker in labels.items():
            pos = self._find(int(segment_id))
            if pos is not None and self.segments[pos].speaker != speaker:
                self.segments[pos] = dataclasses.replace(self.segments[pos], speaker=speaker)
                changed.append(self.segments[pos])
        return changed

    @property
    def next_id(self) -> int:
        return self._max_id + 1

    def _find(self, segment_id: int) -> int | None:
        # `segments` is a public list: if someone changed it behind our back, rebuild the index.
        pos = self._pos.get(segment_id)
        if pos is not None and pos < len(self.segments) and self.segments[pos].id == segment_id:
            return pos
        if len(self._pos) != len(self.segments) or pos is not None:
            self._pos = {s.id: i for i, s in enumerate(self.segments)}
            return self._pos.get(segment_id)
        return None

    # -- speakers ------------------------------------------------------------------------------------

    def rename_speaker(self, old: str, new: str) -> None:
        """Give a speaker a display name. `old` may be the raw id or its current name; an empty `new` resets it."""
        new = new.strip()
        raw_ids = {s.speaker for s in self.segments if s.speaker} | set(self.speaker_names)
        targets = {old} if old in raw_ids else {raw for raw, name in self.speaker_names.items() if name == old}
        for raw in targets or {old}:
            if new and new != raw:
                self.speaker_names[raw] = new
            else:
                self.speaker_names.pop(raw, None)

    def speaker_name(self, speaker: str | None) -> str | None:
        """The name to show for a raw speaker id, or a call's track id ("mic", "system"); None stays None."""
        if speaker is None:
            return None
        return self.speaker_names.get(speaker, TRACK_NAMES.get(speaker, speaker))

    def display_name(self, segment: Segment) -> str | None:
        """Who said a line (see `line_name`)."""
        return line_name(segment, self.speaker_names)

    def talk_time(self) -> dict[str, float]:
        """Seconds each raw speaker id spoke, in order of first appearance."""
        talk: dict[str, float] = {}
        for segment in self.segments:
            if segment.speaker:
                talk[segment.speaker] = talk.get(segment.speaker, 0.0) + segment.end - segment.start
        return talk

    def speakers(self) -> dict[str, str]:
        """Raw id -> display name for every speaker present, in order of first appearance."""
        out: dict[str, str] = {}
        for segment in self.segments:
            if segment.speaker and segment.speaker not in out:
                out[segment.speaker] = self.speaker_names.get(segment.speaker, segment.speaker)
        return out

    # -- views ---------------------------------------------------------------------------------------

    def text(self, separator: str = " ") -> str:
        """Plain text of all segments (no timestamps, no speakers): what keywords and summaries read."""
        return separator.join(t for t in (s.text.strip() for s in self.segments) if t)

    @property
    def duration_s(self) -> float:
        """Audio time covered: the end of the last segment, 0.0 when empty."""
        return max((s.end for s in self.segments), default=0.0)

    def __len__(self) -> int:
        return len(self.segments)

    def __repr__(self) -> str:
        return f"Transcript(title={self.title!r}, segments={len(self.segments)}, duration_s={self.duration_s:.1f})"

    # -- persistence ---------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "segments": [s.to_dict() for s in self.segments],
            "speaker_names": dict(self.speaker_names),
            "edited": sorted(self.edited),
            "insights": self.insights.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Transcript:
        transcript = cls(title=str(data.get("title", "")))
        for item in data.get("segments", ()):
            transcript.add(Segment.from_dict(item))
        transcript.speaker_names = {str(k): str(v) for k, v in dict(data.get("speaker_names", {})).items()}
        transcript.edited = {int(i) for i in data.get("edited", ())}
        transcript.insights = Insights.from_dict(data.get("insights"))
        return transcript
