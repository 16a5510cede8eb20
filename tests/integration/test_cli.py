"""The `rtstt` command as a user runs it: real subprocesses, real files, one-line errors."""

from __future__ import annotations

import json
import os
import re
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
    said = " ".join(line.removeprefix("smoke: ") for line in done.stdout.splitlines() if line.startswith("smoke: "))
    assert "short sample recording" in said


def damaged_conversation(tmp_path: Path, how: str) -> Path:
    """conversation.flac cut off a fifth of the way in (about 12 s of its 60), or with bytes garbled there."""
    data = bytearray((FIXTURES / "conversation.flac").read_bytes())
    at = len(data) // 5
    if how == "truncated":
        data = data[:at]
    else:
        data[at : at + 2048] = bytes((i * 37 + 11) % 256 for i in range(2048))
    path = tmp_path / f"conversation-{how}.flac"
    path.write_bytes(bytes(data))
    return path


def ended_at(stderr: str) -> float:
    match = re.search(r"ended early at (\d+\.\d) s: the file is damaged \(.+\)", stderr)
    assert match, stderr
    return float(match.group(1))


def words_before(at_s: float) -> list[str]:
    turns = json.loads((FIXTURES / "conversation.json").read_text())["turns"]
    text = " ".join(t["text"] for t in turns if t["end"] <= at_s)
    return re.findall(r"[a-z']+", text.lower())


@pytest.mark.parametrize("how", ["truncated", "garbled"])
def test_a_file_damaged_part_way_is_transcribed_up_to_the_damage(tmp_path: Path, how: str):
    out = tmp_path / "part.txt"
    done = rtstt("transcribe", str(damaged_conversation(tmp_path, how)), "-o", str(out), "--threads", "2")
    assert_clean_error(done, "rtstt: error: ended early at ", "the transcript up to there is in", str(out))
    at = ended_at(done.stderr)
    assert 6.0 < at < 30.0, done.stderr
    heard = set(re.findall(r"[a-z']+", out.read_text().lower()))
    expected = words_before(at)
    assert len(expected) >= 10  # the first two turns at least
    assert sum(w in heard for w in expected) >= 0.8 * len(expected), (expected, heard)


def test_live_on_a_damaged_file_keeps_the_transcript_and_reports_where_it_ended(tmp_path: Path):
    out = tmp_path / "live.srt"
    damaged = damaged_conversation(tmp_path, "truncated")
    done = rtstt("live", "--input", str(damaged), "--json", "-o", str(out), "--threads", "2")
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    objs = [json.loads(line) for line in done.stdout.splitlines()]
    errors = [o for o in objs if o["type"] == "error"]
    assert len(errors) == 1 and errors[0]["fatal"], errors
    at = ended_at(errors[0]["message"])
    assert objs[-1]["type"] == "stats" and objs[-1]["audio_s"] == pytest.approx(at, abs=0.1)
    finals = " ".join(o["text"] for o in objs if o["type"] == "final").lower()
    assert "good morning" in finals and "planning meeting" in finals
    assert "planning meeting" in out.read_text().lower()


@pytest.mark.parametrize("command", ["transcribe", "live"])
def test_an_unknown_language_lists_the_valid_codes_before_any_work(tmp_path: Path, command: str):
    out = tmp_path / "x.txt"
    args = ["-o", str(out), "--language", "xx"]
    done = rtstt(command, *([str(SAMPLES / "sample.flac")] if command == "transcribe" else ["--no-save"]), *args)
    assert_clean_error(done, "unknown language 'xx'", "valid codes: af, am, ar, ", ", en, ", "or auto")
    assert not out.exists()
