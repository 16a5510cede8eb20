"""The engine with the real tiny.en model on real synthesized speech."""

from __future__ import annotations

import threading
import time

import pytest

from rtstt.audio.sources import FileSource
from rtstt.config import Settings
from rtstt.events import Final, Partial, StreamEnded
from rtstt.pipeline import Engine
from rtstt.wer import word_error_rate
from tests.conftest import FIXTURES, SAMPLES, fixture_meta

pytestmark = pytest.mark.integration


def run_engine(backend, path, realtime: bool, stop_after_s: float | None = None):
    engine = Engine(Settings(), FileSource(path, realtime=realtime), backend)
    events: list = []
    engine.subscribe(events.append)
    if stop_after_s is not None:
        threading.Timer(stop_after_s, engine.stop).start()
    engine.run()
    return engine, events


def final_text(events) -> str:
    return " ".join(e.segment.text for e in events if isinstance(e, Final))


def test_live_replay_in_real_time_matches_the_reference(whisper_backend):
    """The bundled sample, replayed at the speed of speech: partials while speaking, then accurate finals."""
    meta = fixture_meta_sample()
    _, events = run_engine(whisper_backend, SAMPLES / "sample.flac", realtime=True)
    wer = word_error_rate(meta["text"], final_text(events))
    assert wer <= 0.10, final_text(events)
    finals = [e for e in events if isinstance(e, Final)]
    partials = [e for e in events if isinstance(e, Partial) and e.text]
    # the user sees text grow while it is spoken, before it becomes final: most lines were partial text first
    shown_first = [
        f
        for f in finals
        if any(p.emitted_at < f.emitted_at and f.segment.words[0].text.strip() in p.text for p in partials)
    ]
    assert len(shown_first) >= 0.7 * len(finals)
    first_final = finals[0]
    assert any(p.emitted_at < first_final.emitted_at for p in partials)
    # word timestamps land inside the spoken turns (audio time, not wall time)
    turns = meta["turns"]
    for f in finals:
        assert any(t["start"] - 0.5 <= f.segment.start and f.segment.end <= t["end"] + 0.5 for t in turns), f
    ended = events[-1]
    assert isinstance(ended, StreamEnded)
    assert ended.stats["finals"] == len(finals)
    assert ended.stats["latency_p50_s"] is not None


def fixture_meta_sample() -> dict:
    import json

    return json.loads((SAMPLES / "sample.json").read_text())


@pytest.mark.parametrize("voice", ["piper", "festival", "espeak"])
def test_each_voice_is_transcribed(whisper_backend, voice: str):
    refs, hyps = [], []
    for i in (1, 2, 3):
        meta = fixture_meta(f"utt_{voice}_{i}")
        _, events = run_engine(whisper_backend, FIXTURES / meta["audio"], realtime=False)
        refs.append(meta["text"])
        hyps.append(final_text(events))
    bound = {"piper": 0.10, "festival": 0.15, "espeak": 0.35}[voice]  # espeak's robot voice is hard for tiny.en
    assert word_error_rate(" ".join(refs), " ".join(hyps)) <= bound, hyps


def test_two_voice_conversation_offline(whisper_backend):
    meta = fixture_meta("conversation")
    _, events = run_engine(whisper_backend, FIXTURES / "conversation.flac", realtime=False)
    assert word_error_rate(meta["text"], final_text(events)) <= 0.10


@pytest.mark.parametrize("name", ["silence.wav", "noise.wav"])
def test_silence_and_noise_produce_no_text_and_never_reach_whisper(whisper_backend, name: str):
    engine, events = run_engine(whisper_backend, FIXTURES / name, realtime=False)
    assert final_text(events) == ""
    assert not [e for e in events if isinstance(e, Partial) and e.text]
    assert engine.policy.stats.passes == 0  # the VAD kept every sample away from the model


def test_stop_mid_speech_finalises_what_was_said(whisper_backend):
    """Pressing Stop halfway through a sentence keeps every word heard so far."""
    meta = fixture_meta_sample()
    stop_at = meta["turns"][1]["start"] + 2.0  # two seconds into the second sentence
    t0 = time.monotonic()
    _, events = run_engine(whisper_backend, SAMPLES / "sample.flac", realtime=True, stop_after_s=stop_at)
    assert time.monotonic() - t0 < stop_at + 5
    text = final_text(events)
    assert word_error_rate(meta["turns"][0]["text"], " ".join(text.split()[:11])) <= 0.1
    spoken_of_second = meta["turns"][1]["text"].split()[:4]  # "The words you see" is said in the first 2 s
    assert word_error_rate(" ".join(spoken_of_second), " ".join(text.split()[11:15])) <= 0.25, text


def test_out_of_memory_mid_stream_ends_cleanly_with_the_fix(whisper_backend, monkeypatch):
    """CTranslate2 reports CUDA OOM as a RuntimeError; the user gets the fix and keeps what was final."""
    calls = {"n": 0}
    real = whisper_backend.model.model.generate

    def generate(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] > 6:
            raise RuntimeError("CUDA failed with error out of memory")
        return real(*args, **kwargs)

    monkeypatch.setattr(whisper_backend.model, "model", _Proxy(whisper_backend.model.model, generate=generate))
    _, events = run_engine(whisper_backend, SAMPLES / "sample.flac", realtime=False)
    errors = [e for e in events if type(e).__name__ == "EngineError"]
    assert errors and "ran out of memory" in errors[0].message and "smaller model" in errors[0].hint
    assert isinstance(events[-1], StreamEnded)  # drained, not crashed
    assert "short sample recording" in final_text(events)


class _Proxy:
    """Wraps the CTranslate2 model object, overriding some attributes (its own are read-only)."""

    def __init__(self, inner, **overrides):
        self._inner = inner
        self.__dict__.update(overrides)

    def __getattr__(self, name):
        return getattr(self._inner, name)
