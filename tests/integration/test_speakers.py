"""`rtstt transcribe --speakers --insights --summary` on the two-voice meeting: who spoke (GE2E voice
prints + online clustering), what it was about, and what it means, in one JSON document."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import srt

from tests.conftest import FIXTURES, fixture_meta

pytestmark = pytest.mark.integration


def true_speaker(segment: dict, turns: list[dict]) -> str | None:
    overlaps = [(min(segment["end"], t["end"]) - max(segment["start"], t["start"]), t["speaker"]) for t in turns]
    overlap, speaker = max(overlaps)
    return speaker if overlap > 0 else None


def transcribe(out: Path, *flags: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "rtstt", "transcribe", str(FIXTURES / "conversation.flac"), "-o", str(out)]
    environ = {**os.environ, **(env or {})}
    return subprocess.run([*cmd, *flags, "--threads", "2"], capture_output=True, text=True, timeout=400, env=environ)


def test_speakers_insights_and_summary_in_one_document(tmp_path: Path, summarizer):
    out = tmp_path / "meeting.json"
    env = {"RTSTT_SUMMARY_MODEL": str(summarizer.path)}  # the fast copy; the GGUF path has its own test
    done = transcribe(out, "--speakers", "--insights", "--summary", env=env)
    assert done.returncode == 0, done.stderr
    document = json.loads(out.read_text())
    segments = document["segments"]
    turns = fixture_meta("conversation")["turns"]
    labels = {s["speaker"] for s in segments}
    assert len(labels) == 2 and None not in labels
    # map each label to the true speaker it mostly covers, then score speech time labelled right
    mapping: dict[str, dict[str, float]] = {}
    for s in segments:
        votes = mapping.setdefault(s["speaker"], {})
        truth = true_speaker(s, turns)
        votes[truth] = votes.get(truth, 0.0) + s["end"] - s["start"]
    assert len({max(v, key=v.get) for v in mapping.values()}) == 2
    total = sum(s["end"] - s["start"] for s in segments)
    right = sum(
        s["end"] - s["start"]
        for s in segments
        if max(mapping[s["speaker"]], key=mapping[s["speaker"]].get) == true_speaker(s, turns)
    )
    assert right / total >= 0.9
    # subtitles carry the names too (the same transcript, rendered as SRT)
    from rtstt.session.export import render
    from rtstt.session.transcript import Transcript

    transcript = Transcript.from_dict({"segments": [{**s, "words": []} for s in segments]})
    subs = list(srt.parse(render(transcript, "srt").decode()))
    # two voices, two names (ids stay the ones the user saw longest, so a voice split for a while may leave "S3")
    named = {sub.content.split(":")[0] for sub in subs}
    assert len(named) == 2 and all(re.fullmatch(r"S\d+", n) for n in named), named

    # what it was about, and what it means
    phrases = " ".join(k["phrase"] for k in document["keywords"])
    assert any(word in phrases for word in ("release", "search", "mobile", "performance", "database"))
    assert any("customers" in q[3] or "lead" in q[3] for q in document["questions"])
    assert len(document["summary"].split()) >= 10
    items = " ".join(document["action_items"]).lower()
    assert "friday" in items or "testing" in items or "faster" in items, document["action_items"]


def test_a_summary_model_that_is_not_a_model_turns_the_summary_off_not_the_transcript(tmp_path: Path):
    junk = tmp_path / "not-a-model"
    junk.mkdir()
    (junk / "notes.txt").write_text("hello")
    out = tmp_path / "meeting.txt"
    done = transcribe(out, "--summary", env={"RTSTT_SUMMARY_MODEL": str(junk)})
    assert done.returncode == 0, done.stderr
    assert "warning: summary turned off" in done.stderr, done.stderr
    assert str(junk) in done.stderr and "Traceback" not in done.stderr
    assert "weekly planning meeting" in out.read_text()
