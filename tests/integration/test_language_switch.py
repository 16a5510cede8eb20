"""Language "auto" with the multilingual base model: a speaker who switches language mid-session is followed.

multilingual.mp3 is a real voice reading the MIT licence in English (first ~30 s), then in German. It lives
in the shared real-speech data, which a user's clone lacks: those tests skip then.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rtstt.audio.sources import FileSource
from rtstt.config import Settings
from rtstt.events import Final
from rtstt.model_cache import load_backend
from rtstt.pipeline import Engine
from rtstt.wer import word_error_rate
from tests.conftest import REPO, SAMPLES
from tests.integration.test_live_transcription import _Proxy

pytestmark = pytest.mark.integration

REAL = REPO.parent / "shared" / "data" / "real"
MULTILINGUAL = REAL / "multilingual.mp3"
SWITCH_S = 30.0  # the English reading ends before this, the German one starts after it
GERMAN_WORDS = {"der", "die", "das", "und", "oder", "ist", "nicht", "zu", "mit", "von", "den", "dem", "werden", "sind"}


def load(language: str):
    settings = Settings().with_overrides(stt__model="base", stt__language=language, stt__device="cpu")
    backend = load_backend(settings.with_overrides(stt__compute_type="int8"))
    backend.warm_up()
    return backend


def run_engine(backend, path: Path) -> list:
    engine = Engine(Settings(), FileSource(path, realtime=False), backend)
    events: list = []
    engine.subscribe(events.append)
    engine.run()
    return [e for e in events if isinstance(e, Final)]


@pytest.fixture(scope="module")
def switched_session():
    """The file streamed once as fast as possible, language auto: (backend, finals)."""
    if not MULTILINGUAL.exists():
        pytest.skip(f"{MULTILINGUAL} is missing (the shared real-speech data is not part of a clone)")
    backend = load("auto")
    return backend, run_engine(backend, MULTILINGUAL)


def test_the_german_part_comes_out_german(switched_session):
    backend, finals = switched_session
    german = " ".join(f.segment.text for f in finals if f.segment.start >= SWITCH_S + 2)
    words = re.findall(r"\w+", german.lower())
    assert len(words) >= 20, german
    common = [w for w in words if w in GERMAN_WORDS]
    assert len(set(common)) >= 4 and len(common) >= 8, german
    assert backend.current_language == "de"
    assert backend.detections >= 2  # detected per utterance, not locked on the first answer


def test_the_english_part_stays_english(switched_session):
    _, finals = switched_session
    english = " ".join(f.segment.text for f in finals if f.segment.end <= SWITCH_S)
    reference = (REAL / "multilingual.en.txt").read_text(encoding="utf-8")
    assert word_error_rate(reference, english) <= 0.15, english


def test_a_locked_language_never_runs_detection():
    backend = load("en")
    calls = {"n": 0}
    real = backend.model.model.detect_language

    def detect_language(*args, **kwargs):
        calls["n"] += 1
        return real(*args, **kwargs)

    backend.model.model = _Proxy(backend.model.model, detect_language=detect_language)
    backend.model.detect_language = detect_language  # the 30 s WhisperModel.detect_language too
    finals = run_engine(backend, SAMPLES / "sample.flac")
    text = " ".join(f.segment.text for f in finals)
    assert word_error_rate(fixture_meta_sample()["text"], text) <= 0.15, text
    assert calls["n"] == 0 and backend.detections == 0
    assert backend.current_language == "en"


def fixture_meta_sample() -> dict:
    import json

    return json.loads((SAMPLES / "sample.json").read_text(encoding="utf-8"))
