"""Where the voice changes without a pause: the ONNX segmentation network (exported by ./run.sh from the
whisperx wheel) on real synthesized voices, and the speaker stage closing a unit there, so one voice print
never mixes two people (benchmarks/diarization.py: quick turn-taking found 6 speakers for 2 without it)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from rtstt.models.speaker_models import segmentation_onnx_path
from rtstt.session.transcript import Segment
from rtstt.speakers.turns import SpeakerTurns
from rtstt.stages import SpeakersStage
from tests.conftest import FIXTURES, fixture_meta

pytestmark = pytest.mark.integration

MODEL = segmentation_onnx_path()
needs_model = pytest.mark.skipif(MODEL is None, reason="./run.sh exports the segmentation model into models/")


def speech(name: str) -> np.ndarray:
    """The fixture's speech without its leading and trailing silence."""
    meta = fixture_meta(name)
    audio, rate = sf.read(str(FIXTURES / meta["audio"]), dtype="float32")
    return audio[int(meta["speech_start"] * rate) : int(meta["speech_end"] * rate)]


@pytest.fixture(scope="module")
def turns() -> SpeakerTurns:
    assert MODEL is not None
    return SpeakerTurns(MODEL)


@needs_model
def test_another_voice_straight_after_is_a_change(turns: SpeakerTurns):
    for first, second in [("utt_piper_1", "utt_festival_1"), ("utt_festival_2", "utt_piper_2")]:
        check = turns.check(speech(first), speech(second))
        assert check is not None and check.changed, (first, second, check)


@needs_model
def test_the_same_voice_going_on_is_no_change(turns: SpeakerTurns):
    piper = speech("utt_piper_1")
    middle = len(piper) // 2
    for before, after in [(piper[:middle], piper[middle:]), (piper, speech("utt_piper_2"))]:
        check = turns.check(before, after)
        assert check is not None and not check.changed, check
    assert turns.check(piper, piper[:1600]) is None  # 0.1 s after the point: too little to judge


@needs_model
def test_the_stage_closes_a_unit_where_the_voice_changes(tmp_path: Path):
    """Two lines 0.05 s apart (a reply with no pause) become two units with two labels."""
    man, woman = speech("utt_piper_1")[:38400], speech("utt_festival_1")[:38400]  # 2.4 s each: one unit's length
    first = Segment(0.0, len(man) / 16000, "the quick brown fox", id=1)
    second = Segment(first.end + 0.05, first.end + 0.05 + len(woman) / 16000, "jumps over the lazy dog", id=2)
    labels: dict[int, str] = {}
    stage = SpeakersStage(lambda event: labels.update(getattr(event, "labels", {})))
    stage.load()
    assert stage.turns is not None
    stage.submit(first, man)
    stage.submit(second, woman)
    stage.update([first, second], final=True)
    assert stage.turn_checks == 1 and stage.turn_changes == 1
    assert stage.unit_of[1] != stage.unit_of[2]
    assert labels[1] != labels[2]


@needs_model
def test_without_the_network_a_pause_still_ends_units():
    """The stage works as before when no segmentation model is installed (units end at pauses only)."""
    man, woman = speech("utt_piper_1")[:38400], speech("utt_festival_1")[:38400]  # 2.4 s each: one unit's length
    first = Segment(0.0, len(man) / 16000, "a", id=1)
    second = Segment(first.end + 0.05, first.end + 0.05 + len(woman) / 16000, "b", id=2)
    stage = SpeakersStage(lambda event: None)
    stage.load()
    stage.turns = None
    stage.submit(first, man)
    stage.submit(second, woman)
    stage.update([first, second], final=True)
    assert stage.unit_of[1] == stage.unit_of[2] and stage.turn_checks == 0


def one_sentence_two_voices(path: Path) -> Path:
    """ "The quick brown fox jumps over" in piper's male voice, then "the lazy dog near the river bank." in
    festival's female one, 0.05 s apart: one sentence, so Whisper makes it one line, and no pause for the
    speaker stage to end a unit at. The cut points are the fixtures' word times (tiny.en, word timestamps)."""
    man, woman = speech("utt_piper_1"), speech("utt_festival_1")
    audio = np.concatenate(
        [
            np.zeros(8000, np.float32),
            man[: int(1.75 * 16000)],  # "... jumps over" ends at 1.72 s
            np.zeros(800, np.float32),
            woman[int(1.97 * 16000) :],  # "the lazy dog ..." starts at 2.00 s
            np.zeros(16000, np.float32),
        ]
    )
    sf.write(str(path), audio, 16000)
    return path


def lines_of(path: Path, whisper_backend, split: bool) -> tuple[list[Segment], dict[int, str]]:
    from rtstt.audio.sources import FileSource
    from rtstt.config import Settings
    from rtstt.events import Final, SpeakerLabels
    from rtstt.pipeline import Engine

    settings = Settings().with_overrides(speakers__enabled=True)
    engine = Engine(settings, FileSource(path, realtime=False), whisper_backend)
    stage = next(s for s in engine.stages if isinstance(s, SpeakersStage))
    stage.split_lines = split
    lines: list[Segment] = []
    labels: dict[int, str] = {}

    def collect(event) -> None:
        if isinstance(event, Final):
            lines.append(event.segment)
        elif isinstance(event, SpeakerLabels):
            labels.update(event.labels)

    engine.subscribe(collect)
    engine.run()
    assert engine.error is None and stage.error is None
    assert [s.id for s in engine.session.transcript.segments] == [s.id for s in lines]  # journalled as shown
    return lines, labels


@needs_model
def test_a_line_in_which_the_voice_changes_becomes_one_line_per_voice(tmp_path: Path, whisper_backend):
    path = one_sentence_two_voices(tmp_path / "two_voices.flac")
    lines, labels = lines_of(path, whisper_backend, split=True)
    texts = [s.text.lower().strip(".") for s in lines]
    assert len(lines) == 2, texts
    assert texts[0].endswith("jumps over") and texts[1].startswith("the lazy dog"), texts
    assert labels[lines[0].id] != labels[lines[1].id]  # each line its own voice, so its own label
    assert lines[0].end <= lines[1].start and all(w.start >= lines[1].start for w in lines[1].words)
    # without the cut the sentence stays one line, and one of the two people gets the other's words
    whole, _ = lines_of(path, whisper_backend, split=False)
    assert len(whole) == 1 and " ".join(texts) == whole[0].text.lower().strip(".")
