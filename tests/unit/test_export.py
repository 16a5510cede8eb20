"""Exporters: every format is read back with its own parser, not compared to a golden string."""

from __future__ import annotations

import io
import json
import re
from datetime import timedelta
from pathlib import Path

import docx
import pytest
import srt

from rtstt.errors import OutputError
from rtstt.events import Segment, Word
from rtstt.session.export import FORMATS, ExportOptions, export, render
from rtstt.session.transcript import Transcript

VTT_CUE = re.compile(r"^(\d{2}):(\d{2}):(\d{2})\.(\d{3}) --> (\d{2}):(\d{2}):(\d{2})\.(\d{3})$")


@pytest.fixture
def transcript() -> Transcript:
    t = Transcript(title="Weekly sync")
    t.add(
        Segment(
            start=1.0,
            end=2.5,
            text="Hello <everyone> & welcome",
            words=(Word(1.0, 1.4, "Hello", 0.98), Word(1.5, 2.5, "everyone", 0.9)),
            speaker="S1",
            id=1,
        )
    )
    t.add(Segment(start=62.25, end=65.0, text="Thanks --> next item", speaker="S2", id=2))
    t.add(Segment(start=3725.0, end=3725.0, text="Bye\x07 now", id=3))  # zero length, control character
    t.rename_speaker("S1", "Alice")
    return t


def seconds(parts: tuple[str, ...]) -> float:
    h, m, s, ms = (int(p) for p in parts)
    return h * 3600 + m * 60 + s + ms / 1000


def test_srt_round_trip(transcript: Transcript, tmp_path: Path) -> None:
    path = export(transcript, tmp_path / "t.srt")
    subs = list(srt.parse(path.read_text(encoding="utf-8")))
    assert [s.index for s in subs] == [1, 2, 3]
    assert subs[0].start == timedelta(seconds=1) and subs[0].end == timedelta(seconds=2.5)
    assert subs[0].content == "Alice: Hello <everyone> & welcome"
    assert subs[1].content == "S2: Thanks --> next item"
    assert subs[2].end > subs[2].start  # zero-length segments still get a visible cue
    plain = list(srt.parse(render(transcript, "srt", ExportOptions(speakers=False)).decode()))
    assert plain[0].content == "Hello <everyone> & welcome"


def test_vtt_cues(transcript: Transcript, tmp_path: Path) -> None:
    text = export(transcript, tmp_path / "t.vtt").read_text(encoding="utf-8")
    assert text.startswith("WEBVTT\n\n")
    blocks = text.strip().split("\n\n")[1:]
    assert len(blocks) == 3
    cues = []
    for block in blocks:
        lines = block.split("\n")
        timing = next(i for i, line in enumerate(lines) if "-->" in line)
        match = VTT_CUE.match(lines[timing])
        assert match, lines[timing]
        start, end = seconds(match.groups()[:4]), seconds(match.groups()[4:])
        assert end > start
        payload = lines[timing + 1 :]
        assert payload and all("-->" not in line for line in payload)
        cues.append((start, end, "\n".join(payload)))
    assert cues[0][:2] == (1.0, 2.5)
    assert cues[0][2] == "<v Alice>Hello &lt;everyone&gt; &amp; welcome"
    assert cues[1][0] == 62.25 and cues[1][2] == "<v S2>Thanks --&gt; next item"
    assert cues[2][0] == 3725.0


def test_txt_timestamps_and_speakers(transcript: Transcript, tmp_path: Path) -> None:
    lines = export(transcript, tmp_path / "t.txt").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "[00:01] Alice: Hello <everyone> & welcome"
    assert lines[1] == "[01:02] S2: Thanks --> next item"
    assert lines[2].startswith("[1:02:05] Bye")
    bare = render(transcript, "txt", ExportOptions(timestamps=False, speakers=False)).decode().splitlines()
    assert bare[0] == "Hello <everyone> & welcome"


def test_json_round_trip(transcript: Transcript, tmp_path: Path) -> None:
    data = json.loads(export(transcript, tmp_path / "t.json").read_text(encoding="utf-8"))
    assert data["title"] == "Weekly sync"
    assert data["duration_s"] == 3725.0
    assert data["speakers"] == {"S1": "Alice", "S2": "S2"}
    first = data["segments"][0]
    assert {k: first[k] for k in ("id", "start", "end", "speaker")} == {
        "id": 1,
        "start": 1.0,
        "end": 2.5,
        "speaker": "Alice",
    }
    assert first["words"][1] == {"start": 1.5, "end": 2.5, "word": "everyone", "probability": 0.9}
    assert data["segments"][2]["speaker"] is None


def test_docx_reads_back(transcript: Transcript, tmp_path: Path) -> None:
    document = docx.Document(str(export(transcript, tmp_path / "t.docx")))
    paragraphs = [p for p in document.paragraphs if p.text]
    assert paragraphs[0].text == "Weekly sync"
    assert paragraphs[0].style.name.startswith("Heading")
    first = paragraphs[1]
    assert first.text == "[00:01] Alice: Hello <everyone> & welcome"
    stamp, name = first.runs[0], first.runs[1]
    assert stamp.font.color.rgb is not None and str(stamp.font.color.rgb) == "808080"
    assert name.bold and name.text == "Alice: "
    assert paragraphs[3].text == "[1:02:05] Bye now"  # the control character was dropped, not fatal
    assert document.core_properties.title == "Weekly sync"


def test_format_override_and_empty_transcript(tmp_path: Path) -> None:
    path = export(Transcript(), tmp_path / "out.data", fmt="JSON")
    assert json.loads(path.read_text(encoding="utf-8"))["segments"] == []
    for fmt in FORMATS:
        assert isinstance(render(Transcript(), fmt), bytes)


def test_unknown_format_lists_formats(transcript: Transcript, tmp_path: Path) -> None:
    with pytest.raises(OutputError) as info:
        export(transcript, tmp_path / "t.pdf")
    assert "srt" in info.value.hint and "docx" in info.value.hint
    with pytest.raises(OutputError):
        export(transcript, tmp_path / "noextension")


def test_unwritable_path_is_an_output_error(transcript: Transcript, tmp_path: Path) -> None:
    blocker = tmp_path / "regular-file"
    blocker.write_text("I am a file")
    with pytest.raises(OutputError, match="cannot write"):
        export(transcript, blocker / "sub" / "t.srt")
    with pytest.raises(OutputError):
        export(transcript, tmp_path, fmt="txt")  # a folder, not a file
    assert blocker.read_text() == "I am a file"


def test_short_final_lines_are_written_as_paragraphs_and_subtitle_cues():
    """Lines final within a second are clauses; TXT reads as paragraphs, SRT as cues of two lines at most."""
    parts = ["So I would like a", "first version by the", "end of the month.", "That makes", "sense to me."]
    speakers = ["S1", "S1", "S1", "S2", "S2"]
    transcript = Transcript(title="t")
    t = 0.0
    for i, (text, speaker) in enumerate(zip(parts, speakers, strict=True), start=1):
        transcript.add(Segment(start=t, end=t + 0.9, text=text, speaker=speaker, id=i))
        t += 1.0
    txt = render(transcript, "txt", ExportOptions(timestamps=False)).decode().splitlines()
    assert txt == ["S1: So I would like a first version by the end of the month.", "S2: That makes sense to me."]
    cues = list(srt.parse(render(transcript, "srt").decode()))
    assert " ".join(c.content.split(":", 1)[1].strip() for c in cues) == " ".join(parts)
    assert all(len(c.content) <= 84 + len("S1: ") for c in cues) and len(cues) < len(parts)
    assert [s["text"] for s in json.loads(render(transcript, "json"))["segments"]] == parts  # the data stays


@pytest.fixture
def translated() -> Transcript:
    """A session decoded with Whisper's translate task: German speech, English text."""
    t = Transcript(title="Planung")
    t.add(Segment(0.2, 2.0, "Today we talk about the new project", language="de", translated=True, id=1))
    t.add(Segment(2.2, 4.7, "and the planning for next week.", language="de", translated=True, id=2))
    return t


def test_translated_text_says_so_once_in_each_format(translated: Transcript):
    txt = render(translated, "txt").decode().splitlines()
    assert txt[0] == "(Translated to English from de)" and txt[1] == ""
    assert txt[2].startswith("[00:00] Today we talk")
    vtt = render(translated, "vtt").decode()
    assert vtt.startswith("WEBVTT\n\nNOTE Translated to English from de\n\n")
    assert vtt.count("Translated") == 1 and vtt.count(" --> ") == 1  # a comment block, not a cue
    data = json.loads(render(translated, "json"))
    assert [(s["language"], s["translated"]) for s in data["segments"]] == [("de", True), ("de", True)]
    document = docx.Document(io.BytesIO(render(translated, "docx")))
    paragraphs = [p for p in document.paragraphs if p.text]
    assert paragraphs[1].text == "Translated to English from de" and paragraphs[1].style.name == "Subtitle"
    # SRT has no metadata outside its cues, and a cue would be shown on screen: the text only
    cues = list(srt.parse(render(translated, "srt").decode()))
    assert "Translated" not in " ".join(c.content for c in cues)
    assert cues[0].content.startswith("Today we talk")


def test_a_plain_transcript_carries_no_translation_note(transcript: Transcript):
    assert "Translated" not in render(transcript, "txt").decode()
    assert "NOTE" not in render(transcript, "vtt").decode()
    data = json.loads(render(transcript, "json"))
    assert all(s["language"] is None and s["translated"] is False for s in data["segments"])


def test_partly_translated_and_language_unknown():
    t = Transcript()
    t.add(Segment(0.0, 1.0, "Hello there.", language="en", id=1))
    t.add(Segment(1.0, 2.0, "Good morning.", language="fr", translated=True, id=2))
    t.add(Segment(2.0, 3.0, "Thanks.", translated=True, id=3))  # no language recorded
    assert render(t, "txt").decode().splitlines()[0] == "(Partly translated to English from fr)"
    only_unknown = Transcript(segments=[Segment(0.0, 1.0, "Thanks.", translated=True, id=1)])
    assert render(only_unknown, "txt").decode().splitlines()[0] == "(Translated to English)"
