"""The `rtstt` command as a user runs it: real subprocesses, real files, one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import docx
import pytest
import srt

from rtstt.wer import word_error_rate
from tests.conftest import FIXTURES, SAMPLES

pytestmark = pytest.mark.integration
SAMPLE_TEXT = json.loads((SAMPLES / "sample.json").read_text())["text"]


def rtstt(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rtstt", *args], capture_output=True, text=True, timeout=timeout, env=os.environ.copy()
    )


def assert_clean_error(done: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def test_help_is_fast_and_lists_the_commands():
    done = rtstt("--help")
    assert done.returncode == 0
    for command in ("transcribe", "live", "devices", "models", "doctor"):
        assert command in done.stdout


def test_transcribe_writes_every_format(tmp_path: Path):
    for fmt in ("srt", "vtt", "txt", "json", "docx"):
        out = tmp_path / f"sample.{fmt}"
        done = rtstt("transcribe", str(SAMPLES / "sample.flac"), "-o", str(out), "--threads", "2")
        assert done.returncode == 0, done.stderr
        assert out.exists()
    subs = list(srt.parse((tmp_path / "sample.srt").read_text()))
    assert word_error_rate(SAMPLE_TEXT, " ".join(s.content for s in subs)) <= 0.1
    assert subs[0].start.total_seconds() == pytest.approx(0.5, abs=0.4)
    vtt = (tmp_path / "sample.vtt").read_text()
    assert vtt.startswith("WEBVTT") and " --> " in vtt
    data = json.loads((tmp_path / "sample.json").read_text())
    words = [w for seg in data["segments"] for w in seg["words"]]
    assert len(words) >= 60 and all(w["end"] >= w["start"] for w in words)
    doc_text = " ".join(p.text for p in docx.Document(str(tmp_path / "sample.docx")).paragraphs)
    assert "short sample recording" in doc_text
    assert "short sample recording" in (tmp_path / "sample.txt").read_text()


def test_live_json_contract_on_a_real_time_replay():
    clip = FIXTURES / "utt_piper_2.flac"
    done = rtstt("live", "--input", str(clip), "--realtime", "--json", "--no-save", "--threads", "2")
    assert done.returncode == 0, done.stderr
    objs = [json.loads(line) for line in done.stdout.splitlines()]
    kinds = [o["type"] for o in objs]
    assert kinds[-1] == "stats" and "final" in kinds and "partial" in kinds
    assert kinds.index("partial") < kinds.index("final")
    for o in objs:
        if o["type"] == "final":
            assert o["end"] >= o["start"] and o["words"]
            assert o["end"] == o["words"][-1]["end"]
            assert o["latency_s"] == pytest.approx(o["emitted_at"] - o["end"], abs=0.002)
    text = " ".join(o["text"] for o in objs if o["type"] == "final")
    assert word_error_rate(json.loads(clip.with_suffix(".json").read_text())["text"], text) <= 0.1


def test_corrupt_audio_is_one_clear_line(tmp_path: Path):
    assert_clean_error(rtstt("transcribe", str(FIXTURES / "corrupt.wav"), "-o", str(tmp_path / "x.srt")), "corrupt")


def test_missing_file_is_one_clear_line(tmp_path: Path):
    assert_clean_error(rtstt("transcribe", str(tmp_path / "nope.wav"), "-o", str(tmp_path / "x.srt")), "nope.wav")


def test_missing_model_says_how_to_get_it(tmp_path: Path):
    done = rtstt("transcribe", str(SAMPLES / "sample.flac"), "-o", str(tmp_path / "x.srt"), "--model", "large-v3")
    assert_clean_error(done, "large-v3", "rtstt models fetch")


def test_a_folder_that_is_not_a_model(tmp_path: Path):
    done = rtstt("transcribe", str(SAMPLES / "sample.flac"), "-o", str(tmp_path / "x.srt"), "--model", str(tmp_path))
    assert_clean_error(done, "not a faster-whisper model")


def test_unwritable_output_fails_before_any_work(tmp_path: Path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert_clean_error(
        rtstt("transcribe", str(SAMPLES / "sample.flac"), "-o", str(blocker / "out.srt")), "cannot write"
    )
    assert_clean_error(rtstt("transcribe", str(SAMPLES / "sample.flac"), "-o", str(tmp_path / "out.xyz")), "format")


def test_unknown_device_lists_what_exists():
    assert_clean_error(rtstt("live", "--device", "no-such-microphone"), "no-such-microphone")


def test_bad_setting_names_the_key(tmp_path: Path):
    config = Path(os.environ["RTSTT_HOME"]) / "config" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("[stt]\nbeam_size = 99\n")
    assert_clean_error(rtstt("transcribe", str(SAMPLES / "sample.flac"), "-o", str(tmp_path / "x.srt")), "beam_size")


def test_doctor_and_models_and_devices_run():
    doctor = rtstt("doctor")
    assert "faster-whisper" in doctor.stdout and "models" in doctor.stdout
    models = rtstt("models", "list")
    assert models.returncode == 0 and "tiny.en" in models.stdout
    devices = rtstt("devices")
    assert devices.returncode in (0, 1) and "Traceback" not in devices.stderr


def test_another_language_uses_the_offline_multilingual_model(tmp_path: Path):
    clip = FIXTURES / "utt_espeak_de.flac"
    out = tmp_path / "de.json"
    done = rtstt("transcribe", str(clip), "-o", str(out), "--language", "de", "--threads", "2")
    assert done.returncode == 0, done.stderr
    text = " ".join(s["text"] for s in json.loads(out.read_text())["segments"])
    assert word_error_rate(json.loads(clip.with_suffix(".json").read_text())["text"], text) <= 0.2, text


def test_an_english_only_model_refuses_another_language(tmp_path: Path):
    clip = str(FIXTURES / "utt_espeak_de.flac")
    done = rtstt("transcribe", clip, "-o", str(tmp_path / "x.txt"), "--language", "de", "--model", "tiny.en")
    assert_clean_error(done, "English-only", "multilingual")


def test_smoke_test_opens_the_window_and_transcribes():
    done = rtstt("--smoke-test", timeout=180)
    assert done.returncode == 0, done.stderr
    assert "smoke test passed" in done.stdout
    assert "short sample recording" in done.stdout
