"""Live translation to English (Whisper's translate task) with the multilingual base model.

utt_espeak_de.flac is synthesized German ("Heute sprechen wir über das neue Projekt und die Planung für
die nächste Woche."): translated, English words come out and each segment records that it was German
speech and that its text is the translation. An English-only model refuses to translate, in one line.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rtstt.audio.sources import FileSource
from rtstt.config import Settings
from rtstt.errors import RtsttError, SettingsError
from rtstt.events import Final, Segment
from rtstt.model_cache import load_backend
from rtstt.pipeline import Engine
from tests.conftest import FIXTURES, fixture_meta

pytestmark = pytest.mark.integration

GERMAN = FIXTURES / "utt_espeak_de.flac"
ENGLISH_WORDS = {"today", "we", "talk", "new", "project", "planning", "next", "week"}
GERMAN_WORDS = {"heute", "sprechen", "wir", "über", "neue", "projekt", "planung", "nächste", "woche"}


def words_of(text: str) -> set[str]:
    return {w.strip(".,!?").lower() for w in text.split()}


@pytest.fixture(scope="module")
def base():
    """The multilingual base model (installed offline), language "auto"."""
    settings = Settings().with_overrides(stt__model="base", stt__language="auto", stt__device="cpu")
    backend = load_backend(settings.with_overrides(stt__compute_type="int8", stt__threads=2))
    backend.warm_up()
    return backend


def finals_of(backend, task: str) -> list[Segment]:
    backend.task = task  # what the runner does per run: the loaded model is shared
    try:
        settings = Settings().with_overrides(stt__task=task)
        engine = Engine(settings, FileSource(GERMAN, realtime=False), backend)
        events: list = []
        engine.subscribe(events.append)
        engine.run()
    finally:
        backend.task = "transcribe"
    return [e.segment for e in events if isinstance(e, Final)]


def test_german_speech_comes_out_in_english(base):
    segments = finals_of(base, "translate")
    text = " ".join(s.text for s in segments)
    said = words_of(text)
    assert len(said & ENGLISH_WORDS) >= 5, text
    assert len(said & GERMAN_WORDS) <= 1, text  # "wir" alone may survive; the rest is English
    assert segments and all(s.language == "de" and s.translated for s in segments), segments
    # word times are approximate for translated text, but ordered and inside the audio
    words = [w for s in segments for w in s.words]
    duration = fixture_meta("utt_espeak_de")["duration"]
    assert all(a.end <= b.start + 1e-6 for a, b in itertools.pairwise(words))
    assert words[0].start >= 0.0 and words[-1].end <= duration + 0.5


def test_the_same_model_transcribes_again_after_translating(base):
    """The task is per run (the tokenizers are per task and language): after translating, German is German again."""
    segments = finals_of(base, "transcribe")
    text = " ".join(s.text for s in segments)
    assert len(words_of(text) & GERMAN_WORDS) >= 5, text
    assert all(s.language == "de" and not s.translated for s in segments)


def test_task_setting_and_old_segments():
    assert Settings().stt.task == "transcribe"
    assert Settings().with_overrides(stt__task="translate").stt.task == "translate"
    with pytest.raises(SettingsError, match=r"stt\.task"):
        Settings().with_overrides(stt__task="summarize")
    # a session saved before segments recorded their language still loads; new ones round-trip
    old = {"start": 0.0, "end": 1.0, "text": "Hello.", "words": [], "speaker": None, "id": 1}
    assert Segment.from_dict(old).language is None and not Segment.from_dict(old).translated
    new = Segment(0.0, 1.0, "Today.", language="de", translated=True, id=2)
    assert Segment.from_dict(new.to_dict()) == new


def test_english_only_model_refuses_to_translate(whisper_backend):
    with pytest.raises(RtsttError, match="English-only model and cannot translate") as info:
        whisper_backend.task = "translate"
    assert "base" in info.value.hint
    assert whisper_backend.task == "transcribe"


def rtstt(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rtstt", *args], capture_output=True, text=True, timeout=300, env=os.environ.copy()
    )


def test_cli_translate(tmp_path: Path):
    """`--translate` alone picks the multilingual default model (base) and detects the spoken language."""
    out = tmp_path / "de.json"
    done = rtstt("transcribe", str(GERMAN), "-o", str(out), "--translate", "--threads", "2")
    assert done.returncode == 0, done.stderr
    segments = json.loads(out.read_text(encoding="utf-8"))["segments"]
    assert len(words_of(" ".join(s["text"] for s in segments)) & ENGLISH_WORDS) >= 5, segments
    assert all(s["language"] == "de" and s["translated"] is True for s in segments)


@pytest.mark.parametrize("command", ["transcribe", "live"])
def test_cli_english_only_model_cannot_translate(tmp_path: Path, command: str):
    if command == "transcribe":
        done = rtstt("transcribe", str(GERMAN), "-o", str(tmp_path / "x.txt"), "--model", "tiny.en", "--translate")
    else:
        done = rtstt("live", "--input", str(GERMAN), "--no-save", "--model", "tiny.en", "--translate")
    assert done.returncode == 2, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert "tiny.en is an English-only model and cannot translate" in lines[0]
    assert "--model base" in lines[0]
    assert not (tmp_path / "x.txt").exists()


def test_toolbar_translate_toggle(qtbot):
    """A checkable Translate in the toolbar: the user's click says so, showing the setting does not; it is
    fixed while a session runs (the task applies at the next Start, like the model and language)."""
    from rtstt.gui.toolbar import SessionToolbar

    bar = SessionToolbar()
    qtbot.addWidget(bar)
    seen: list[bool] = []
    bar.translateToggled.connect(seen.append)
    bar.set_translate(True)
    assert bar.translate() and bar.task() == "translate" and seen == []
    bar.widgetForAction(bar.translate_action).click()
    assert seen == [False] and bar.task() == "transcribe"
    bar.set_running(True)
    assert not bar.translate_action.isEnabled()
    bar.set_running(False)
    assert bar.translate_action.isEnabled()
