"""Exporters: SRT, WebVTT, plain text, JSON and DOCX from a Transcript.

`render` builds the bytes and `export` writes them atomically, so an export that fails half-way (a full
disk) never leaves a truncated file where a good one was. Speaker names always go through the
transcript's `speaker_names`, so a rename in the window shows up in every format.

A translated session (Whisper's translate task) says so once: JSON per segment ("language", the spoken one,
and "translated"), TXT in a first line, DOCX in a subtitle under the title, WebVTT in a NOTE block. SRT has
no place for metadata outside the cues (a cue would show on screen), so it carries none.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from rtstt.atomic import write_bytes_atomic
from rtstt.errors import OutputError
from rtstt.events import NOTE_HEADINGS, Segment
from rtstt.session.paragraphs import cues, merged, paragraphs
from rtstt.session.transcript import Transcript
from rtstt.timefmt import clock
from rtstt.vocab import EXPORT_FORMATS

FORMATS = EXPORT_FORMATS
MIN_CUE_S = 0.1  # subtitle players drop cues whose end is not after their start
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True, slots=True)
class ExportOptions:
    """What to include besides the text. Subtitle formats always carry their cue times."""

    timestamps: bool = True
    speakers: bool = True
    vocabulary: str = ""  # the words to expect the session was transcribed with (JSON records them)


def export(
    transcript: Transcript, path: Path | str, fmt: str | None = None, options: ExportOptions | None = None
) -> Path:
    """Write `transcript` to `path` in `fmt` (taken from the suffix when None); returns the path written."""
    path = Path(path).expanduser()
    fmt = _format(fmt if fmt is not None else path.suffix)
    if path.is_dir():
        raise OutputError(f"cannot write {path}: it is a folder", f"give a file name ending in .{fmt}")
    write_bytes_atomic(path, render(transcript, fmt, options))
    return path


def render(transcript: Transcript, fmt: str, options: ExportOptions | None = None) -> bytes:
    """The file content of `transcript` in `fmt`."""
    options = options or ExportOptions()
    renderer = {"srt": _srt, "vtt": _vtt, "txt": _txt, "json": _json, "docx": _docx}[_format(fmt)]
    return renderer(transcript, options)


def _format(fmt: str) -> str:
    name = fmt.strip().lower().lstrip(".")
    if name not in FORMATS:
        shown = repr(fmt) if fmt else "(no file extension)"
        raise OutputError(f"unknown export format {shown}", f"use one of: {', '.join(FORMATS)}")
    return name


# -- helpers ---------------------------------------------------------------------------------------------


def _speaker(transcript: Transcript, segment: Segment, options: ExportOptions) -> str | None:
    return transcript.display_name(segment) if options.speakers else None


def _cue_times(segment: Segment) -> tuple[float, float]:
    start = max(0.0, segment.start)
    return start, max(segment.end, start + MIN_CUE_S)


def _spoken(transcript: Transcript) -> list[Segment]:
    return [s for s in transcript.segments if s.text.strip()]


def _paragraphs(transcript: Transcript) -> list[Segment]:
    """Short final lines joined into paragraphs for reading (TXT, DOCX), as the window shows them."""
    return [merged(group) for group in paragraphs(_spoken(transcript))]


def _cues(transcript: Transcript) -> list[Segment]:
    """Short final lines joined into subtitle cues of at most two lines and 7 s (SRT, VTT)."""
    return [merged(group) for group in cues(_spoken(transcript))]


def _one_line(text: str) -> str:
    return " ".join(text.split())


def translation_note(transcript: Transcript) -> str:
    """ "Translated to English from de" when the text is Whisper's English translation (some of it: "Partly
    translated ..."), with the spoken languages recorded on the segments; "" for a plain transcript."""
    spoken = _spoken(transcript)
    translated = [s for s in spoken if s.translated]
    if not translated:
        return ""
    languages = sorted({s.language for s in translated if s.language and s.language != "en"})
    note = "Translated to English" if len(translated) == len(spoken) else "Partly translated to English"
    return f"{note} from {', '.join(languages)}" if languages else note


# -- formats ---------------------------------------------------------------------------------------------


def _srt(transcript: Transcript, options: ExportOptions) -> bytes:
    import srt

    subtitles = []
    for segment in _cues(transcript):
        start, end = _cue_times(segment)
        speaker = _speaker(transcript, segment, options)
        text = _one_line(segment.text)
        subtitles.append(
            srt.Subtitle(
                index=segment.id,
                start=timedelta(seconds=start),
                end=timedelta(seconds=end),
                content=f"{speaker}: {text}" if speaker else text,
            )
        )
    return srt.compose(subtitles, reindex=True).encode("utf-8")


def _vtt_time(seconds: float) -> str:
    millis = round(seconds * 1000)
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


def _vtt_escape(text: str) -> str:
    # Escaping < and > also keeps "-->" out of cue text, which would end the cue early.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _vtt(transcript: Transcript, options: ExportOptions) -> bytes:
    blocks = ["WEBVTT"]
    if note := translation_note(transcript):  # a comment block: players do not show it
        blocks.append(f"NOTE {_one_line(note).replace('-->', '->')}")
    for segment in sorted(_cues(transcript), key=lambda s: (s.start, s.id)):
        start, end = _cue_times(segment)
        speaker = _speaker(transcript, segment, options)
        text = _vtt_escape(_one_line(segment.text))
        if speaker:  # a voice span: players can style it and tools can read who spoke
            text = f"<v {_vtt_escape(_one_line(speaker))}>{text}"
        cue_id = f"{segment.id}\n" if segment.id else ""
        blocks.append(f"{cue_id}{_vtt_time(start)} --> {_vtt_time(end)}\n{text}")
    return ("\n\n".join(blocks) + "\n").encode("utf-8")


def _txt(transcript: Transcript, options: ExportOptions) -> bytes:
    lines = []
    for segment in _paragraphs(transcript):
        parts = []
        if options.timestamps:
            parts.append(f"[{clock(segment.start)}]")
        speaker = _speaker(transcript, segment, options)
        if speaker:
            parts.append(f"{speaker}:")
        parts.append(segment.text.strip())
        lines.append(" ".join(parts))
    if lines and (note := translation_note(transcript)):
        lines[:0] = [f"({note})", ""]
    return ("\n".join(lines) + "\n" if lines else "").encode("utf-8")


def _json(transcript: Transcript, options: ExportOptions) -> bytes:
    starts = {s.id: s.start for s in transcript.segments}
    segments = [
        {
            "id": s.id,
            "start": s.start,
            "end": s.end,
            "text": s.text,
            "speaker": _speaker(transcript, s, options),
            **({"track": s.track} if s.track else {}),  # a call's side: "mic" (the user) or "system"
            "language": s.language,  # the spoken language
            "translated": s.translated,  # the text is its English translation
            "words": [{"start": w.start, "end": w.end, "word": w.text, "probability": w.probability} for w in s.words],
        }
        for s in transcript.segments
    ]
    document = {
        "title": transcript.title,
        "vocabulary": options.vocabulary,  # the words to expect it was transcribed with
        "duration_s": transcript.duration_s,
        "segments": segments,
        "speakers": transcript.speakers() if options.speakers else {},
        "speakers_uncertain": transcript.insights.speakers_uncertain if options.speakers else False,
        "keywords": [{"phrase": p, "score": sc} for p, sc in transcript.insights.keywords],
        "questions": [list(q) for q in transcript.insights.questions],
        "summary": transcript.insights.summary,
        "action_items": list(transcript.insights.action_items),
        # decisions, actions and open questions, each with the segment ids (and time) it rests on
        "notes": [
            {
                "kind": n.kind,
                "text": n.text,
                "owner": n.owner,
                "due": n.due,
                "segments": list(n.lines),
                "start": starts[n.lines[0]] if n.lines and n.lines[0] in starts else None,
            }
            for n in transcript.insights.notes
        ],
    }
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _xml_safe(text: str) -> str:
    # python-docx refuses control characters; a stray one from a model must not fail the export.
    return _XML_INVALID.sub("", text)


def _docx(transcript: Transcript, options: ExportOptions) -> bytes:
    import docx
    from docx.shared import RGBColor

    document = docx.Document()
    title = _xml_safe(transcript.title.strip()) or "Transcript"
    document.core_properties.title = title
    document.add_heading(title, level=1)
    if note := translation_note(transcript):
        document.add_paragraph(note, style="Subtitle")
    summary = transcript.insights.summary
    if summary:
        document.add_heading("Summary", level=2)
        document.add_paragraph(_xml_safe(summary))
    action_items = transcript.insights.action_items
    notes = transcript.insights.notes
    starts = {s.id: s.start for s in transcript.segments}
    for kind, heading in NOTE_HEADINGS:
        items = [n for n in notes if n.kind == kind]
        if items:
            document.add_heading(heading, level=2)
        for n in items:
            at = f" [{clock(starts[n.lines[0]])}]" if n.lines and n.lines[0] in starts else ""
            document.add_paragraph(_xml_safe(n.plain() + at), style="List Bullet")
    if action_items and not notes:  # sessions from before the structured notes
        document.add_heading("Action items", level=2)
        for item in action_items:
            document.add_paragraph(_xml_safe(str(item)), style="List Bullet")
    keywords = transcript.insights.keywords
    if keywords:
        document.add_heading("Keywords", level=2)
        document.add_paragraph(_xml_safe(", ".join(p for p, _score in keywords)))
    if summary or action_items or keywords:
        document.add_heading("Transcript", level=2)
    for segment in _paragraphs(transcript):
        paragraph = document.add_paragraph()
        if options.timestamps:
            stamp = paragraph.add_run(f"[{clock(segment.start)}] ")
            stamp.font.color.rgb = RGBColor(0x80, 0x80, 0x80)
        speaker = _speaker(transcript, segment, options)
        if speaker:
            paragraph.add_run(f"{_xml_safe(speaker)}: ").bold = True
        paragraph.add_run(_xml_safe(segment.text.strip()))
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
