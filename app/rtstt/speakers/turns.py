"""Where the voice changes inside a run of speech: pyannote's segmentation network (rtstt.models.
segmentation_export) run by onnxruntime on a few seconds of audio around a point.

Live lines are clauses of about a second, and the speaker stage joins clauses with no pause between them
into one unit with one voice print; people answer without pausing, so a unit could hold two voices and
give the second one the first one's label. The network says, frame by frame (16.9 ms), which of up to three
local speakers is talking in a window of a few seconds. Within one window the local speakers are consistent,
so "is the voice after this point the one before it" is a question one window answers; which global speaker
each is stays the voice prints' job.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rtstt.errors import ModelNotFound
from rtstt.models.speaker_models import SEGMENTATION_MODEL_FILE
from rtstt.onnx_session import cpu_session
from rtstt.vocab import SAMPLE_RATE

CONTEXT_S = 2.5  # audio taken on each side of a point (the network was trained on 5 s chunks)
EDGE_S = 0.1  # frames this close to the point are not counted on either side (the change itself)
ACTIVE = 0.5  # a local speaker with at least this activity is talking
WINDOW_S = 2 * CONTEXT_S  # one network run: the span within which its local speakers are consistent
SIDE_S = 1.0  # inside a line, the speech on each side of a word gap that says whether the voice changed there
MIN_SIDE_S = 0.2  # less than this of frames on a side is too little to judge


@dataclass(frozen=True, slots=True)
class TurnCheck:
    """What the network heard on both sides of a point: each side's main local speaker and its activity."""

    before: int
    after: int
    before_activity: float
    after_activity: float
    previous_after: float  # how much the speaker before still talks after the point
    next_before: float = 0.0  # how much the speaker after already talked before the point

    @property
    def changed(self) -> bool:
        """Another voice after the point: both sides hold speech, their main local speakers differ, and the
        voice before is not still talking after it (an overlap of the same voice is no change)."""
        return (
            self.before != self.after
            and min(self.before_activity, self.after_activity) >= ACTIVE
            and self.previous_after < ACTIVE
        )

    @property
    def contrast(self) -> float:
        """How clearly the voice changes here: each side's main speaker, less what it says on the other side
        (of neighbouring word gaps that all hear the same change, the clearest is where it happens)."""
        return self.before_activity - self.previous_after + self.after_activity - self.next_before


class SpeakerTurns:
    """`check(before, after)`: did the voice change between two pieces of audio that follow each other?"""

    runtime = "onnx"

    def __init__(self, folder: Path, threads: int = 1) -> None:
        folder = Path(folder)
        if not (folder / SEGMENTATION_MODEL_FILE).is_file():
            raise ModelNotFound(
                f"'{folder}' holds no speaker segmentation model ({SEGMENTATION_MODEL_FILE})",
                "export it again with `python -m rtstt.models.segmentation_export`",
            )
        info = json.loads((folder / "export.json").read_text(encoding="utf-8"))
        self.frame_step_s = float(info["frame_step_s"])
        self.first_centre_s = float(info["first_frame_centre_s"])
        self.session = cpu_session(folder / SEGMENTATION_MODEL_FILE, threads)  # ~15 ms per 5 s on one thread
        self._input = self.session.get_inputs()[0].name
        self.activities(np.zeros(SAMPLE_RATE, dtype=np.float32))  # first-run allocations now, not mid-meeting

    def activities(self, audio: np.ndarray) -> np.ndarray:
        """[frames, 3] activity of each local speaker; frame i is centred at `frame_times(n)[i]` seconds."""
        wav = np.asarray(audio, dtype=np.float32).reshape(1, 1, -1)
        (out,) = self.session.run(None, {self._input: wav})
        return np.asarray(out[0], dtype=np.float32)

    def frame_times(self, n_frames: int) -> np.ndarray:
        return self.first_centre_s + self.frame_step_s * np.arange(n_frames)

    def check(self, before: np.ndarray, after: np.ndarray) -> TurnCheck | None:
        """Compare the last CONTEXT_S of `before` with the first CONTEXT_S of `after` in one window; None when
        a side is too short to judge (under MIN_SIDE_S of frames away from the point)."""
        context = int(CONTEXT_S * SAMPLE_RATE)
        left, right = before[-context:], after[:context]
        point = len(left) / SAMPLE_RATE
        activity = self.activities(np.concatenate([left, right]))
        return _compare(activity, self.frame_times(len(activity)), self.frame_step_s, point, 0.0, float("inf"))

    def checks_inside(self, audio: np.ndarray, points: Sequence[float], lo: float, hi: float) -> list[TurnCheck | None]:
        """A `TurnCheck` at each of `points` (seconds into `audio`, e.g. a line's word gaps), each side taking at
        most SIDE_S of frames and none outside [lo, hi] (the line's own speech: silence after a short last
        word would dilute its side). The audio runs through the network in WINDOW_S windows, half
        overlapping; a point is judged in the window where it is most central. None where a side is too short."""
        n = len(audio)
        window = int(WINDOW_S * SAMPLE_RATE)
        starts = list(range(0, max(n - window, 0) + 1, window // 2))
        if starts[-1] + window < n:
            starts.append(n - window)  # the last window ends with the audio
        activities: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        out: list[TurnCheck | None] = []
        for point in points:
            centre = point * SAMPLE_RATE
            start = min(starts, key=lambda s: abs(s + min(window, n) / 2 - centre))
            if start not in activities:
                activity = self.activities(audio[start : start + window])
                activities[start] = (activity, self.frame_times(len(activity)) + start / SAMPLE_RATE)
            activity, times = activities[start]
            side = (max(lo, point - SIDE_S), min(hi, point + SIDE_S))
            out.append(_compare(activity, times, self.frame_step_s, point, *side))
        return out


def _compare(
    activity: np.ndarray, times: np.ndarray, step: float, point: float, lo: float, hi: float
) -> TurnCheck | None:
    """Each side's main local speaker and activities, from the frames in [lo, point - EDGE_S) and
    (point + EDGE_S, hi]; None when a side holds under MIN_SIDE_S of frames."""
    sides = (
        activity[(times >= lo) & (times < point - EDGE_S)],
        activity[(times > point + EDGE_S) & (times <= hi)],
    )
    if min(len(side) for side in sides) * step < MIN_SIDE_S:
        return None
    means = [side.mean(axis=0) for side in sides]
    first, second = (int(np.argmax(m)) for m in means)
    return TurnCheck(
        before=first,
        after=second,
        before_activity=float(means[0][first]),
        after_activity=float(means[1][second]),
        previous_after=float(means[1][first]),
        next_before=float(means[0][second]),
    )


def open_speaker_turns() -> SpeakerTurns | None:
    """The exported segmentation model (bundled, ./run.sh's, or the user's), or None where there is none:
    units then join clauses across a change of voice, as before."""
    from rtstt.models.speaker_models import segmentation_onnx_path

    folder = segmentation_onnx_path()
    return SpeakerTurns(folder) if folder is not None else None
