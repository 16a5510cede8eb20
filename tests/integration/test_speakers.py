"""Who spoke: the GE2E voice encoder (resemblyzer) and online clustering on the two-voice meeting."""

from __future__ import annotations

import json
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


def test_two_voices_get_two_consistent_labels(tmp_path: Path):
    out = tmp_path / "meeting.json"
    cmd = [sys.executable, "-m", "rtstt", "transcribe", str(FIXTURES / "conversation.flac"), "-o", str(out)]
    done = subprocess.run([*cmd, "--speakers", "--threads", "2"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    segments = json.loads(out.read_text())["segments"]
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
    assert {sub.content.split(":")[0] for sub in subs} == {"S1", "S2"}
