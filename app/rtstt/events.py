"""The engine's vocabulary: immutable events that flow left to right.

Every stage publishes these and nothing else, so the CLI, the window and the tests all consume the
same objects. They are frozen dataclasses: safe to hand across threads (and Qt signals) unchanged.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class StageState(StrEnum):
    """Where a downstream stage is; plain strings before, so the values stay what journals and tests saw."""

    LOADING = "loading model"
    READY = "ready"
    OFF = "off"
    NEEDS_SETUP = "needs setup"


class KeywordScope(StrEnum):
    RECENT = "recent"  # the last few minutes: what the talk is about now
    SESSION = "session"  # the whole session: what the session keeps and exports


@dataclass(frozen=True, slots=True)
class Word:
    """One recognised word with audio-time bounds in seconds from the stream's start."""

    start: float
    end: float
    text: str
    probability: float = 1.0


@dataclass(frozen=True, slots=True)
class Segment:
    """A span of committed text. `end` is the end of its last word.

    `language`: the spoken language Whisper decoded it in (a code such as "de"; None when unknown, as in
    sessions saved before it was recorded). `translated`: `text` is Whisper's English translation of that
    speech, not what was said (its word times are then approximate). `track`: which side of a call it was
    heard on ("mic": the user, "system": the others); None for a single-source session, and then it is
    left out of `to_dict`, so single-source journals and exports read as before."""

    start: float
    end: float
    text: str
    words: tuple[Word, ...] = ()
    speaker: str | None = None
    id: int = 0
    language: str | None = None
    translated: bool = False
    track: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["words"] = [asdict(w) for w in self.words]
        if self.track is None:
            del data["track"]
        return data

    @staticmethod
    def from_dict(data: dict[str, Any]) -> Segment:
        words = tuple(Word(**w) for w in data.get("words", ()))
        return Segment(
            start=float(data["start"]),
            end=float(data["end"]),
            text=str(data["text"]),
            words=words,
            speaker=data.get("speaker"),
            id=int(data.get("id", 0)),
            language=data.get("language"),
            translated=bool(data.get("translated", False)),
            track=data.get("track"),
        )


@dataclass(frozen=True, slots=True)
class Partial:
    """Tentative text after the last final segment; replaced by the next Partial or Final (of the same
    `track` in a call: each side has its own tentative line)."""

    text: str
    start: float
    end: float
    emitted_at: float
    track: str | None = None


@dataclass(frozen=True, slots=True)
class Final:
    """A segment that will not change any more (except by user edits).

    `emitted_at` is wall-clock seconds since the stream started; for a real-time source
    `latency_s = emitted_at - segment.end` is how long the user waited for the final text.
    """

    segment: Segment
    emitted_at: float

    @property
    def latency_s(self) -> float:
        return self.emitted_at - self.segment.end


@dataclass(frozen=True, slots=True)
class SpeakerLabels:
    """Speaker ids for segment ids, possibly relabelling earlier segments. `uncertain`: the speaker stage
    could not tell the voices apart with confidence (too few voice prints, or speakers that are not
    clearly separated): the labels so far may merge different people or split one. It describes the
    whole session as of this event (the latest event's value holds), not just these labels. `renumbered`:
    ids given new numbers (old -> new) when the session ends, so that the speakers are S1..Sk without gaps;
    a name the user gave an old id moves with it."""

    labels: dict[int, str]
    uncertain: bool = False
    renumbered: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Keywords:
    """Key phrases with their weights, for the recent talk or the whole session."""

    phrases: tuple[tuple[str, float], ...]
    scope: KeywordScope = KeywordScope.RECENT


@dataclass(frozen=True, slots=True)
class Questions:
    """Questions asked so far: (segment id, start seconds, speaker or None, text), in time order."""

    items: tuple[tuple[int, float, str | None, str], ...]


@dataclass(frozen=True, slots=True)
class StageStatus:
    """A downstream stage's state for the window."""

    stage: str  # "insights" | "speakers" | "summary"
    state: StageState
    detail: str = ""


NOTE_HEADINGS = (("decision", "Decisions"), ("action", "Action items"), ("question", "Open questions"))
"""The kinds of `NoteItem`, in the order every face lists them, with their headings."""


@dataclass(frozen=True, slots=True)
class NoteItem:
    """One decision, action item or open question of the meeting notes, with the transcript lines (segment
    ids) it rests on: the window jumps there on a click, and an item that rests on nothing is never shown."""

    kind: str  # "decision" | "action" | "question"
    text: str
    owner: str = ""  # who takes an action, when it was said
    due: str = ""  # by when, as it was said ("Friday", "the 4th of March")
    lines: tuple[int, ...] = ()

    def plain(self) -> str:
        """ "Maria: send the budget (due Friday)" for an action; the text itself for the rest."""
        if self.kind != "action":
            return self.text
        who = f"{self.owner}: " if self.owner else ""
        when = f" (due {self.due})" if self.due else ""
        return f"{who}{self.text.rstrip('.')}{when}"


@dataclass(frozen=True, slots=True)
class Summary:
    """The rolling summary so far; `final` at stop, with the action items the meeting produced.

    `items` are the structured notes (decisions, actions with owner and due date, open questions), each
    linked to its lines; `action_items` stays the plain-text list older faces and journals read."""

    text: str
    final: bool = False
    action_items: tuple[str, ...] = ()
    items: tuple[NoteItem, ...] = ()


@dataclass(frozen=True, slots=True)
class Metric:
    """One observation: `name` like "latency_s", "rtf", "backlog_s", "rss_mb", "level_dbfs"."""

    name: str
    value: float
    at: float


@dataclass(frozen=True, slots=True)
class EngineReady:
    """The model is loaded and listening starts: what the faces show about it. It replaces the loaded
    backend object that used to cross threads; this one is immutable and holds only what is shown."""

    model: str
    device: str  # "CPU (int8, 2 threads)", "NVIDIA H100 ..."
    compute_type: str
    source: str  # the source's label


@dataclass(frozen=True, slots=True)
class EngineError:
    """A problem the user should see; `fatal` means the stream stopped."""

    message: str
    hint: str = ""
    fatal: bool = False


@dataclass(frozen=True, slots=True)
class StreamEnded:
    """The source is exhausted or stopped and every final segment has been emitted."""

    audio_s: float
    wall_s: float
    stats: dict[str, Any] = field(default_factory=dict)


Event = (
    Partial
    | Final
    | SpeakerLabels
    | Keywords
    | Questions
    | StageStatus
    | Summary
    | Metric
    | EngineReady
    | EngineError
    | StreamEnded
)
