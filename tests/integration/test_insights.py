"""Key phrases and questions with the real KeyBERT + all-MiniLM-L6-v2 on the synthesized meeting."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import docx
import pytest

from rtstt.events import Keywords, Questions, Segment, StageStatus
from rtstt.stages import InsightsStage, Stage
from tests.conftest import FIXTURES, fixture_meta

pytestmark = pytest.mark.integration


def meeting_segments() -> list[Segment]:
    meta = fixture_meta("conversation")
    return [
        Segment(t["start"], t["end"], t["text"], id=i, speaker=t["speaker"]) for i, t in enumerate(meta["turns"], 1)
    ]


def test_insights_stage_finds_topics_and_questions():
    events: list = []
    stage = InsightsStage(events.append, interval_s=1.0)
    stage.start()
    for segment in meeting_segments():
        stage.submit(segment)
    stage.finish()
    assert stage.ready and stage.error is None
    session = [e for e in events if isinstance(e, Keywords) and e.scope == "session"][-1]
    phrases = {p for p, _ in session.phrases}
    assert len(phrases) >= 5
    assert phrases & {"release", "database", "mobile", "search", "performance", "testing"}, phrases
    questions = [e for e in events if isinstance(e, Questions)][-1]
    texts = [q[3] for q in questions.items]
    assert "Did customers say anything about the new search page?" in texts
    assert any(t.startswith("Who can take the lead") for t in texts)
    assert [e.state for e in events if isinstance(e, StageStatus)][:2] == ["loading model", "ready"]


def test_key_phrases_are_noun_phrases_without_filler():
    from rtstt.nlp.keywords import KeywordExtractor
    from rtstt.nlp.phrases import lemma, noun_phrases

    text = fixture_meta("conversation")["text"]
    found = KeywordExtractor().extract(text, top_n=8)
    phrases = [p for p, _ in found]
    assert len(phrases) == 8 and all(0 < s <= 1 for _, s in found), found
    assert set(phrases) <= {p.text for p in noun_phrases(text)}  # each one a noun phrase of the text
    filler = {"went", "weekly", "new", "sure", "okay", "thank", "planned", "upload", "maybe", "joining", "week"}
    assert not filler & set(phrases), phrases
    words = [frozenset(lemma(w) for w in p.split()) for p in phrases]
    assert not [(a, b) for a in words for b in words if a is not b and (a <= b or b <= a)], phrases  # no variants
    assert len(set(phrases) & {"release", "new release", "search page", "performance work", "mobile phones"}) >= 2


def test_a_slow_stage_never_blocks_the_caller():
    class Slow(Stage):
        name = "slow"

        def load(self) -> None:
            time.sleep(1.0)

        def update(self, segments, final) -> None:
            time.sleep(0.5)

    stage = Slow(lambda e: None, interval_s=0.1)
    stage.start()
    t0 = time.perf_counter()
    for segment in meeting_segments() * 20:
        stage.submit(segment)
    assert time.perf_counter() - t0 < 0.1  # submit only appends: the transcript never waits for a stage
    done = threading.Event()
    threading.Thread(target=lambda: (stage.finish(), done.set())).start()
    assert done.wait(10)


def test_transcribe_with_insights_writes_keywords_and_questions(tmp_path: Path):
    out = tmp_path / "meeting.json"
    cmd = [sys.executable, "-m", "rtstt", "transcribe", str(FIXTURES / "conversation.flac"), "-o", str(out)]
    done = subprocess.run([*cmd, "--insights", "--threads", "2"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    data = json.loads(out.read_text())
    assert {"segments", "keywords", "questions", "summary"} <= set(data)
    assert len(data["keywords"]) >= 5 and all(0 < k["score"] <= 1 for k in data["keywords"])
    assert any("search page" in q[3] for q in data["questions"])
    docx_out = tmp_path / "meeting.docx"
    done = subprocess.run([*cmd[:-1], str(docx_out), "--insights", "--threads", "2"], capture_output=True, timeout=300)
    assert done.returncode == 0
    headings = [p.text for p in docx.Document(str(docx_out)).paragraphs if p.style.name.startswith("Heading")]
    assert "Keywords" in headings and "Transcript" in headings
