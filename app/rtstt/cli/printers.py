"""What `rtstt live` prints: the JSON-lines machine contract and the human terminal view."""

from __future__ import annotations

import json
import os
import sys
from typing import Any


class JsonPrinter:
    """The machine contract of `rtstt live --json`: one object per line, flushed immediately."""

    def __init__(self, realtime: bool) -> None:
        self.realtime = realtime

    def __call__(self, event: Any) -> None:
        from rtstt.events import (
            EngineError,
            EngineReady,
            Final,
            Keywords,
            Partial,
            Questions,
            SpeakerLabels,
            StreamEnded,
            Summary,
        )

        obj: dict[str, Any] | None = None
        if isinstance(event, Partial):
            obj = {"type": "partial", "text": event.text, "emitted_at": round(event.emitted_at, 3)}
            if event.track:  # a call: each side has its own tentative line
                obj["track"] = event.track
        elif isinstance(event, Final):
            seg = event.segment
            obj = {
                "type": "final",
                "id": seg.id,
                "start": seg.start,
                "end": seg.end,
                "text": seg.text,
                "language": seg.language,  # the spoken language, when known
                "translated": seg.translated,  # the text is Whisper's English translation of it
                "words": [
                    {"start": w.start, "end": w.end, "word": w.text, "probability": w.probability} for w in seg.words
                ],
                "emitted_at": round(event.emitted_at, 3),
                "latency_s": round(event.latency_s, 3) if self.realtime else None,
            }
            if seg.track:  # a call: "mic" (the user) or "system" (the others)
                obj["track"] = seg.track
        elif isinstance(event, Keywords):
            obj = {"type": "keywords", "scope": event.scope, "phrases": [list(p) for p in event.phrases]}
        elif isinstance(event, SpeakerLabels):
            labels = {str(k): v for k, v in event.labels.items()}
            obj = {"type": "speakers", "labels": labels, "uncertain": event.uncertain}
        elif isinstance(event, Questions):
            obj = {
                "type": "questions",
                "items": [{"id": i, "start": st, "speaker": sp, "text": t} for i, st, sp, t in event.items],
            }
        elif isinstance(event, Summary):
            obj = {
                "type": "summary",
                "text": event.text,
                "final": event.final,
                "action_items": list(event.action_items),
                "notes": [
                    {"kind": n.kind, "text": n.text, "owner": n.owner, "due": n.due, "segments": list(n.lines)}
                    for n in event.items
                ],
            }
        elif isinstance(event, EngineReady):
            obj = {"type": "ready", "model": event.model, "device": event.device, "source": event.source}
        elif isinstance(event, EngineError):
            obj = {"type": "error", "message": event.message, "hint": event.hint, "fatal": event.fatal}
        elif isinstance(event, StreamEnded):
            obj = {"type": "stats", **event.stats}
        if obj is not None:
            sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
            sys.stdout.flush()

    def close(self) -> None:
        pass


class TerminalPrinter:
    """Human view: final lines with timestamps; the tentative partial redrawn in place (dim) on a TTY.

    On a terminal, finals (clauses, final within about a second) run on as paragraphs, wrapped to its
    width, as the window shows them; piped, or with `show_ids`, each final is a line of its own."""

    def __init__(self, show_ids: bool = False, names: dict[str, str] | None = None) -> None:
        """`names`: raw id -> name, e.g. {"mic": "Maria"}: a call's lines start with who said them."""
        self.tty = sys.stdout.isatty()
        self.show_ids = show_ids
        self.names = dict(names or {})
        self._partial_len = 0
        self._labelled: dict[int, str | None] = {}
        self._row = ""  # paragraph mode: what the current terminal row holds, partial excluded
        self._previous = None  # paragraph mode: the last final segment, to tell whether the next continues it
        self._paragraph_chars = 0

    @property
    def _paragraphs(self) -> bool:
        return self.tty and not self.show_ids

    def _write_final_in_paragraph(self, seg) -> None:
        from rtstt.session.paragraphs import continues_paragraph

        width = max(20, _columns() - 1)
        sys.stdout.write("\r\033[2K" + self._row)  # the row without the partial
        if (
            self._previous is None
            or not self._row
            or not continues_paragraph(self._previous, seg, self._paragraph_chars)
        ):
            if self._row:
                sys.stdout.write("\n")
            self._row = f"[{_clock(seg.start)}] {self._who(seg)}"
            self._paragraph_chars = 0
            sys.stdout.write(self._row)
        indent = " " * 10
        for word in seg.text.split():
            piece = word if self._row.endswith(" ") else " " + word
            if len(self._row) + len(piece) > width and self._row.strip():
                sys.stdout.write("\n" + indent)
                self._row, piece = indent, word
            sys.stdout.write(piece)
            self._row += piece
        self._paragraph_chars += len(seg.text) + 1
        self._previous = seg
        self._partial_len = 0

    def _write_partial_in_paragraph(self, text: str) -> None:
        room = max(0, _columns() - 1 - len(self._row) - 3)
        tail = text[-room:] if text and room >= 8 else ""
        sys.stdout.write("\r\033[2K" + self._row + (f"\033[2m … {tail}\033[0m" if tail else ""))
        self._partial_len = len(tail)

    def _end_paragraph(self) -> None:
        """Something else is printed: the paragraph row ends here, the next final opens a new one."""
        if not self._paragraphs:
            return
        if self._row:
            sys.stdout.write("\r\033[2K" + self._row + "\n")
        elif self._partial_len:
            sys.stdout.write("\r\033[2K")
        self._row, self._previous, self._partial_len = "", None, 0

    def _who(self, seg) -> str:
        """ "You: " / "Others: " before a call's line; nothing for a single source (speaker labels come later)."""
        from rtstt.session.transcript import line_name

        name = line_name(seg, self.names) if seg.track else None
        return f"{name}: " if name else ""

    def _dim(self, text: str) -> str:
        return f"\033[2m{text}\033[0m" if self.tty else text

    def __call__(self, event: Any) -> None:
        from rtstt.events import NOTE_HEADINGS, EngineError, Final, Partial, SpeakerLabels, StreamEnded, Summary

        if isinstance(event, SpeakerLabels):
            new = {k: v for k, v in event.labels.items() if k not in self._labelled and v}
            self._labelled.update(event.labels)
            if new:
                self._clear()
                who = ", ".join(f"#{k} {v}" for k, v in sorted(new.items()))
                sys.stdout.write(f"{self._dim('   ↳ ' + who)}\n")
                sys.stdout.flush()
        elif isinstance(event, Summary):
            self._clear()
            title = "summary" if event.final else "summary so far"
            lines = [f"== {title}: {event.text}"]
            for kind, heading in NOTE_HEADINGS:
                items = [n for n in event.items if n.kind == kind]
                if items:
                    lines.append(f"   {heading.lower()}:")
                    lines += [f"   - {n.plain()}  [#{n.lines[0]}]" for n in items if n.lines]
            if event.action_items and not event.items:
                lines += [f"   - {item}" for item in event.action_items]
            sys.stdout.write("\n".join(lines) + "\n")
            sys.stdout.flush()
        elif isinstance(event, Partial) and self._paragraphs:
            self._write_partial_in_paragraph(event.text)
            sys.stdout.flush()
        elif isinstance(event, Final) and self._paragraphs:
            self._write_final_in_paragraph(event.segment)
            sys.stdout.flush()
        elif isinstance(event, Partial) and self.tty:
            text = event.text[-(_columns() - 12) :] if event.text else ""
            sys.stdout.write("\r\033[2K" + (f"\033[2m  … {text}\033[0m" if text else ""))
            sys.stdout.flush()
            self._partial_len = len(text)
        elif isinstance(event, Final):
            seg = event.segment
            self._clear()
            ref = f"#{seg.id} " if self.show_ids else ""  # speaker labels arrive later and name lines by id
            sys.stdout.write(f"[{_clock(seg.start)} → {_clock(seg.end)}] {ref}{self._who(seg)}{seg.text}\n")
            sys.stdout.flush()
        elif isinstance(event, EngineError):
            self._clear()
            print(
                f"rtstt: {'error' if event.fatal else 'warning'}: {event.message}"
                + (f" ({event.hint})" if event.hint else ""),
                file=sys.stderr,
            )
        elif isinstance(event, StreamEnded):
            self._clear()
            s = event.stats
            p50 = s.get("latency_p50_s")
            lat = f", final-text latency p50 {p50:.2f} s" if p50 is not None else ""
            print(
                f"-- {s.get('finals', 0)} segments, {event.audio_s:.1f} s of audio, RTF {s.get('rtf', 0):.2f}"
                f"{lat} ({s.get('model')} on {s.get('device')})",
                file=sys.stderr,
            )

    def _clear(self) -> None:
        if self._paragraphs:
            self._end_paragraph()
            return
        if self.tty and self._partial_len:
            sys.stdout.write("\r\033[2K")
            self._partial_len = 0

    def close(self) -> None:
        self._clear()


def _columns() -> int:
    try:
        return os.get_terminal_size().columns
    except OSError:
        return 100


def _clock(seconds: float) -> str:
    m, s = divmod(max(0.0, seconds), 60)
    h, m = divmod(int(m), 60)
    return f"{h:d}:{m:02d}:{s:04.1f}" if h else f"{m:02d}:{s:04.1f}"
