"""A call's two tracks without a model: the track on segments (and old journals without it), names per
track in the transcript and every export format, the speaker stage leaving the user's lines alone, the
runner's call source and `rtstt live --call`'s arguments."""

from __future__ import annotations

import io
import json
from pathlib import Path

import docx
import pytest
import srt

from rtstt.audio.call import CallSource
from rtstt.cli import build_parser, live_source_problem, main
from rtstt.config import Settings
from rtstt.events import Final, Segment, Word
from rtstt.runner import Runner, SourceChoice, open_choice
from rtstt.session.export import render
from rtstt.session.paragraphs import cues, paragraphs
from rtstt.session.transcript import Transcript
from rtstt.stages import SpeakersStage
from rtstt.vocab import SOURCE_KINDS, SOURCE_LABELS

# ---- the track on a segment ------------------------------------------------------------------------


def test_a_segment_keeps_its_track_and_old_segments_load_without_one():
    seg = Segment(1.0, 2.0, "hello", (Word(1.0, 2.0, "hello"),), id=3, track="mic")
    assert Segment.from_dict(seg.to_dict()) == seg
    single = Segment(1.0, 2.0, "hello", id=3)
    assert "track" not in single.to_dict()  # single-source journals and exports read as before
    old = {"start": 1.0, "end": 2.0, "text": "hello", "id": 3, "speaker": "S1"}
    assert Segment.from_dict(old).track is None


# ---- names per track ---------------------------------------------------------------------------------


@pytest.fixture
def call() -> Transcript:
    t = Transcript(title="Call")
    t.add(Segment(1.0, 3.0, "Good morning everyone.", id=1, track="system"))
    t.add(Segment(3.2, 5.0, "Morning, can you hear me?", id=2, track="mic"))
    t.add(Segment(5.5, 7.0, "Yes, loud and clear.", id=3, track="system", speaker="S1"))
    return t


def test_lines_show_the_user_for_the_microphone_and_others_for_system_audio(call: Transcript):
    names = [call.display_name(s) for s in call.segments]
    assert names == ["Others", "You", "S1"]  # the speaker stage's label wins on the system track
    call.rename_speaker("mic", "Maria")
    call.rename_speaker("S1", "Tom")
    assert [call.display_name(s) for s in call.segments] == ["Others", "Maria", "Tom"]
    assert call.display_name(Segment(0.0, 1.0, "single source")) is None
    assert (call.speaker_name("system"), call.speaker_name("mic")) == ("Others", "Maria")  # for the rename dialog
    call.rename_speaker("system", "The team")  # what the window's "Rename speaker" does on such a line
    assert call.display_name(call.segments[0]) == "The team"


def test_the_two_sides_of_a_call_never_share_a_paragraph_or_a_cue():
    a = Segment(1.0, 2.0, "so we", id=1, track="system")
    b = Segment(2.1, 3.0, "right", id=2, track="mic")
    assert [len(g) for g in paragraphs([a, b])] == [1, 1]
    assert [len(g) for g in cues([a, b])] == [1, 1]


def test_exports_carry_the_track_and_show_the_names(call: Transcript):
    call.rename_speaker("mic", "Maria")
    doc = json.loads(render(call, "json"))
    assert [(s["track"], s["speaker"]) for s in doc["segments"]] == [
        ("system", "Others"),
        ("mic", "Maria"),
        ("system", "S1"),
    ]
    subs = list(srt.parse(render(call, "srt").decode("utf-8")))
    assert [s.content.split(":")[0] for s in subs] == ["Others", "Maria", "S1"]
    assert "<v Maria>Morning" in render(call, "vtt").decode("utf-8")
    assert "Maria: Morning, can you hear me?" in " ".join(render(call, "txt").decode("utf-8").split())
    paragraphs_text = [p.text for p in docx.Document(io.BytesIO(render(call, "docx"))).paragraphs]
    assert any("Maria: " in p and "can you hear me" in p for p in paragraphs_text)
    single = Transcript(segments=[Segment(0.0, 1.0, "hi", id=1)])
    assert "track" not in json.loads(render(single, "json"))["segments"][0]


# ---- the speaker stage -------------------------------------------------------------------------------


def test_the_speaker_stage_clusters_only_the_others():
    stage = SpeakersStage(lambda event: None)
    stage.submit(Segment(0.0, 1.0, "mine", id=1, track="mic"))
    stage.submit(Segment(1.0, 2.0, "theirs", id=2, track="system"))
    stage.submit(Segment(2.0, 3.0, "single source", id=3))
    assert [s.id for s in stage.segments] == [2, 3]


# ---- the runner --------------------------------------------------------------------------------------

SAMPLE = Path(__file__).resolve().parents[2] / "resources" / "samples" / "sample.flac"


def test_a_call_opens_the_microphone_and_system_audio_as_two_tracks(monkeypatch: pytest.MonkeyPatch):
    from rtstt.audio.sources import FileSource

    opened: list[str] = []

    def fake_open(spec: str, realtime: bool = True):
        opened.append(spec)
        return FileSource(SAMPLE, realtime=True)

    monkeypatch.setattr("rtstt.runner.open_source", fake_open)
    assert "call" in SOURCE_KINDS and SOURCE_LABELS["call"] == "Call (you + others)"
    source = open_choice(SourceChoice("call", device="usb-mic", loopback_device="speakers"), Settings())
    assert isinstance(source, CallSource)
    assert opened == ["mic:usb-mic", "loopback:speakers"]
    assert list(source.tracks()) == ["system", "mic"] and source.realtime


def test_a_call_session_keeps_the_users_name(monkeypatch: pytest.MonkeyPatch):
    settings = Settings().with_overrides(speakers__my_name="  Maria ")
    session = Runner(settings, SourceChoice("call"), save=False).open_session()
    assert session.transcript.display_name(Segment(0.0, 1.0, "hi", track="mic")) == "Maria"
    assert Settings().with_overrides(speakers__my_name=" ").speakers.my_name == "You"


def test_the_source_offered_first_is_a_call_when_both_kinds_of_device_exist():
    from rtstt.audio.device_info import DeviceInfo
    from rtstt.audio.devices import default_source_kind

    mic = DeviceInfo("alsa/usb-mic", "USB Mic", "input", "ALSA", 1, 48000, is_default=True, index=3)
    monitor = DeviceInfo("pulse/speakers.monitor", "Speakers", "loopback", "PulseAudio", 2, 48000)
    assert default_source_kind([mic, monitor]) == "call"
    assert default_source_kind([monitor]) == "loopback"
    assert default_source_kind([mic]) == "mic"
    assert default_source_kind([]) == "loopback"  # what the window offered before


# ---- rtstt live --call -------------------------------------------------------------------------------


def live_args(*argv: str):
    return build_parser().parse_args(["live", *argv])


def test_live_call_arguments():
    from rtstt.cli import _live_choice

    assert live_source_problem(live_args("--call", "--device", "usb", "--loopback", "sink")) is None
    assert _live_choice(live_args("--call", "--device", "usb", "--loopback", "sink")) == SourceChoice(
        "call", device="usb", loopback_device="sink"
    )
    assert _live_choice(live_args("--call")) == SourceChoice("call")
    assert "--call" in (live_source_problem(live_args("--device", "usb", "--loopback")) or "")
    assert "--input" in (live_source_problem(live_args("--input", "a.wav", "--call")) or "")
    assert "--input" in (live_source_problem(live_args("--input", "a.wav", "--device", "usb")) or "")
    assert live_source_problem(live_args("--device", "usb")) is None


def test_live_rejects_a_file_with_a_call(capsys: pytest.CaptureFixture[str]):
    with pytest.raises(SystemExit) as exc:
        main(["live", "--input", "a.wav", "--call"])
    assert exc.value.code == 2
    assert "not allowed with --call" in capsys.readouterr().err


# ---- finals in time order across the tracks ----------------------------------------------------------


def fake_track(name: str, pending: float | None):
    from types import SimpleNamespace

    return SimpleNamespace(name=name, closed=False, policy=SimpleNamespace(pending_since_s=pending))


def final(track: str, start: float) -> Final:
    return Final(Segment(start, start + 1.0, f"{track} at {start}", track=track), emitted_at=0.0)


def test_a_final_waits_for_the_other_tracks_earlier_line_but_not_for_ever():
    from rtstt.events import Partial
    from rtstt.tracks import TimeOrder

    mic, system = fake_track("mic", None), fake_track("system", 10.0)
    out: list = []
    clock = [0.0]
    order = TimeOrder([system, mic], out.append, lambda: clock[0], max_hold_s=1.5)  # type: ignore[list-item]
    order.add(final("mic", 12.0))  # the others are still saying something that began at 10 s
    order.add(Partial("and then", 13.0, 14.0, 0.0, track="mic"))  # it waits with the mic's held line
    order.add(Partial("so", 10.0, 11.0, 0.0, track="system"))  # the other side's partial goes out
    assert [type(e).__name__ for e in out] == ["Partial"] and out[0].track == "system"
    system.policy.pending_since_s = None
    order.add(final("system", 10.0))
    assert [e.segment.start for e in out[1:] if hasattr(e, "segment")] == [10.0, 12.0]
    assert out[-1].text == "and then"  # the held partial follows its final

    out.clear()
    system.policy.pending_since_s = 20.0
    order.add(final("mic", 21.0))
    order.release()
    assert out == []
    clock[0] = 2.0  # held longer than max_hold_s: the user's line goes out anyway
    order.release()
    assert [e.segment.start for e in out] == [21.0]
    system.closed = True  # a closed (or failed) track holds nothing back
    order.add(final("mic", 30.0))
    assert [e.segment.start for e in out] == [21.0, 30.0]


def test_call_lines_in_the_terminal_say_who_spoke(capsys: pytest.CaptureFixture[str]):
    from rtstt.cli.printers import JsonPrinter, TerminalPrinter

    printer = TerminalPrinter(names={"mic": "Maria"})
    printer(final("mic", 1.0))
    printer(final("system", 2.0))
    printer(Final(Segment(3.0, 4.0, "single"), 0.0))
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith("Maria: mic at 1.0") and lines[1].endswith("Others: system at 2.0")
    assert lines[2].endswith("] single")
    JsonPrinter(realtime=False)(final("mic", 1.0))
    JsonPrinter(realtime=False)(Final(Segment(3.0, 4.0, "single"), 0.0))
    first, second = (json.loads(line) for line in capsys.readouterr().out.splitlines())
    assert first["track"] == "mic" and "track" not in second
