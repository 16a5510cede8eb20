"""A call as two tracks through the real engine and tiny.en: the call fixture's microphone (the user, with
the others' echo) and system audio (the others), each line tagged with its track, the echo not transcribed
a second time, and one track failing mid-call while the other goes on."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from rtstt.audio.call import CallSource
from rtstt.audio.sources import FileSource
from rtstt.config import Settings
from rtstt.errors import AudioDeviceError
from rtstt.events import EngineError, Final, StreamEnded
from rtstt.pipeline import Engine
from rtstt.wer import word_error_rate
from tests.conftest import FIXTURES, fixture_meta
from tests.fixtures.make_call_fixture import score_mic_words
from tests.integration.test_echo_call import CLEAN_WER

pytestmark = pytest.mark.integration


class FailingSource:
    """A file source whose device goes away after `fail_after_s` of audio: `read` then says None with
    `error` set, as a live source does when its device is unplugged."""

    def __init__(self, inner: FileSource, fail_after_s: float) -> None:
        self.inner = inner
        self.name = inner.name
        self.realtime = inner.realtime
        self.error: AudioDeviceError | None = None
        self._left = int(fail_after_s * 16000)

    def start(self) -> None:
        self.inner.start()

    def stop(self) -> None:
        self.inner.stop()

    def read(self, timeout: float = 0.0) -> np.ndarray | None:
        if self._left <= 0:
            self.error = AudioDeviceError("USB headset was unplugged", "plug it in again")
            return None
        block = self.inner.read(timeout)
        if block is not None:
            self._left -= len(block)
        return block


def run_call(backend, mic, system) -> tuple[Engine, list]:
    engine = Engine(Settings(), CallSource(mic, system), backend)
    events: list = []
    engine.subscribe(events.append)
    engine.run()
    return engine, events


def finals(events, track: str | None = None) -> list[Final]:
    return [e for e in events if isinstance(e, Final) and (track is None or e.segment.track == track)]


def words(found: list[Final]) -> list[tuple[float, float, str]]:
    return [(w.start, w.end, w.text) for f in found for w in f.segment.words]


def test_a_call_gives_the_user_and_the_others_their_own_lines(whisper_backend):
    meta = fixture_meta("call")
    engine, events = run_call(
        whisper_backend, FileSource(FIXTURES / "call_mic.flac"), FileSource(FIXTURES / "call_system.flac")
    )
    assert isinstance(events[-1], StreamEnded)
    assert engine.error is None
    assert {f.segment.track for f in finals(events)} == {"mic", "system"}

    # the user's own words on the microphone track, the others' echo not transcribed a second time
    mic = score_mic_words(words(finals(events, "mic")), meta)
    assert mic["duplicated_pct"] <= 2.0, mic["duplicated_words"]
    assert mic["user_wer"] <= CLEAN_WER + 0.03, mic["user_hyp"]
    # the others' words on the system track, and none of the user's (it never hears the microphone)
    others = " ".join(f.segment.text for f in finals(events, "system"))
    assert word_error_rate(" ".join(line["text"] for line in meta["system_lines"]), others) <= 0.25, others
    alone = [u for u in meta["user_lines"] if u["mode"] == "alone"]
    for f in finals(events, "system"):
        assert not any(u["start"] + 0.3 < f.segment.start < u["end"] - 0.5 for u in alone), f.segment

    # one transcript, both sides interleaved in time: the session's lines switch tracks again and again
    tracks = [s.track for s in engine.session.segments()]
    assert sum(a != b for a, b in itertools.pairwise(tracks)) >= 4
    starts = [s.start for s in engine.session.segments()]
    assert all(b > a - 1.0 for a, b in itertools.pairwise(starts))  # in time order, give or take a word

    stats = events[-1].stats
    assert set(stats["tracks"]) == {"mic", "system"}
    assert stats["finals"] == stats["tracks"]["mic"]["finals"] + stats["tracks"]["system"]["finals"]
    assert stats["audio_s"] == pytest.approx(meta["duration"], abs=0.6)


def test_a_microphone_that_fails_mid_call_leaves_a_banner_and_the_others_go_on(whisper_backend, tmp_path):
    meta = fixture_meta("call")
    fail_at = 14.0  # after the user's first line (5.6-10.5 s), before the second
    mic = FailingSource(FileSource(FIXTURES / "call_mic.flac"), fail_at)
    engine, events = run_call(whisper_backend, mic, FileSource(FIXTURES / "call_system.flac"))

    banners = [e for e in events if isinstance(e, EngineError)]
    assert len(banners) == 1 and not banners[0].fatal, banners
    assert banners[0].message.startswith("microphone disconnected: USB headset was unplugged")
    assert "system audio only" in banners[0].message
    assert engine.error is None and isinstance(events[-1], StreamEnded)

    # what the microphone heard before it went is kept; the others' words keep coming after the banner
    heard = " ".join(f.segment.text for f in finals(events, "mic"))
    first = meta["user_lines"][0]["text"]
    assert word_error_rate(first, heard) <= 0.2, heard
    after = events[events.index(banners[0]) :]
    late = [f for f in finals(after, "system") if f.segment.start > fail_at + 5]
    assert len(late) >= 3
    assert events[-1].stats["tracks"]["mic"]["audio_s"] == pytest.approx(fail_at, abs=0.6)

    # the session keeps every line with its track; the JSON export says which side each came from
    out = engine.session.export(tmp_path / "call.json")
    exported = json.loads(out.read_text(encoding="utf-8"))["segments"]
    assert {s["track"] for s in exported} == {"mic", "system"}
    assert {s["speaker"] for s in exported} == {"You", "Others"}


def test_system_audio_that_fails_mid_call_leaves_the_user_talking(whisper_backend):
    meta = fixture_meta("call")
    system = FailingSource(FileSource(FIXTURES / "call_system.flac"), 12.0)
    engine, events = run_call(whisper_backend, FileSource(FIXTURES / "call_mic.flac"), system)
    (banner,) = [e for e in events if isinstance(e, EngineError)]
    assert banner.message.startswith("system audio disconnected: ") and not banner.fatal
    assert banner.message.endswith("the call goes on with microphone only")
    # without its reference the suppressor lets the microphone through: the user's last line (alone) is there
    last = meta["user_lines"][-1]
    heard = " ".join(f.segment.text for f in finals(events, "mic") if f.segment.start >= last["start"] - 0.5)
    assert word_error_rate(last["text"], heard) <= 0.25, heard
    assert events.index(banner) < events.index(finals(events, "mic")[-1])
    assert isinstance(events[-1], StreamEnded) and engine.error is None


def test_the_speaker_stage_tells_the_others_apart_and_leaves_the_user_alone(whisper_backend):
    settings = Settings().with_overrides(speakers__enabled=True)
    source = CallSource(FileSource(FIXTURES / "call_mic.flac"), FileSource(FIXTURES / "call_system.flac"))
    engine = Engine(settings, source, whisper_backend)
    engine.warm_up_stages()
    engine.run()
    segments = engine.session.segments()
    assert all(s.speaker is None for s in segments if s.track == "mic")  # the user is "You", not S1
    others = [s.speaker for s in segments if s.track == "system"]
    assert all(others) and len(set(others)) >= 2, others  # two voices take turns on the system track
    names = {engine.session.transcript.display_name(s) for s in segments}
    assert "You" in names and "Others" not in names
