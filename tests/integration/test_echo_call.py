"""The call fixture's microphone track, echo-suppressed with the system track as reference, through the
real engine and tiny.en: the others' words are not transcribed a second time, the user's are."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from rtstt.audio.echo import EchoSuppressor
from rtstt.audio.sources import FileSource
from rtstt.config import Settings
from rtstt.events import Final
from rtstt.pipeline import Engine
from tests.conftest import FIXTURES, fixture_meta
from tests.fixtures.make_call_fixture import score_mic_words

pytestmark = pytest.mark.integration

# tiny.en on the user's lines alone (benchmarks/echo.py, "clean"): 4.4% WER; the issue allows 3 points more
CLEAN_WER = 0.044


def transcribe(backend, audio: np.ndarray, tmp_path) -> list[tuple[float, float, str]]:
    path = tmp_path / "mic.wav"
    sf.write(str(path), audio, 16000, subtype="FLOAT")
    engine = Engine(Settings(), FileSource(path, realtime=False), backend)
    finals: list[Final] = []
    engine.subscribe(lambda e: finals.append(e) if isinstance(e, Final) else None)
    engine.run()
    return [(w.start, w.end, w.text) for f in finals for w in f.segment.words]


def suppress(system: np.ndarray, mic: np.ndarray) -> np.ndarray:
    """Both tracks in 100 ms blocks on one clock, the system's 20 ms behind; output re-aligned."""
    es = EchoSuppressor(16000)
    out = []
    block = 1600
    for i in range(0, len(mic), block):
        if i >= block:
            es.reference(system[i - block : i], (i - block) / 16000 + 0.02)
        out.append(es.process(mic[i : i + block], i / 16000))
    y = np.concatenate(out)
    aligned = np.zeros_like(y)
    aligned[: len(y) - es.latency] = y[es.latency :]
    return aligned


def test_echo_is_not_transcribed_twice_and_the_user_is(whisper_backend, tmp_path):
    meta = fixture_meta("call")
    mic, _ = sf.read(str(FIXTURES / "call_mic.flac"), dtype="float32")
    system, _ = sf.read(str(FIXTURES / "call_system.flac"), dtype="float32")

    raw = score_mic_words(transcribe(whisper_backend, mic, tmp_path), meta)
    assert raw["duplicated_pct"] >= 30  # without suppression the others come back on the mic track

    done = score_mic_words(transcribe(whisper_backend, suppress(system, mic), tmp_path), meta)
    assert done["duplicated_pct"] <= 2.0, done["duplicated_words"]
    assert done["user_wer"] <= CLEAN_WER + 0.03, done["user_hyp"]
