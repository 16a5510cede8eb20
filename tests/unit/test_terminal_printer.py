"""`rtstt live` in a terminal: clause-sized finals run on as wrapped paragraphs, the partial after them."""

from __future__ import annotations

import io
import re

import pytest

from rtstt.cli import printers
from rtstt.cli.printers import TerminalPrinter
from rtstt.events import Final, Partial, Segment

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def screen(raw: str) -> list[str]:
    """What a terminal shows: carriage return + erase-line redraw the row in place."""
    rows = [""]
    for part in re.split(r"(\r|\n)", raw):
        if part == "\n":
            rows.append("")
        elif part == "\r":
            rows[-1] = ""
        else:
            rows[-1] += ANSI.sub("", part)
    return rows


def a_terminal(monkeypatch: pytest.MonkeyPatch) -> Tty:
    """Called in the test itself: pytest's capture sets sys.stdout again between a fixture and the test."""
    out = Tty()
    monkeypatch.setattr(printers.sys, "stdout", out)
    monkeypatch.setattr(printers, "_columns", lambda: 40)
    return out


def final(start: float, end: float, text: str, seg_id: int) -> Final:
    return Final(Segment(start=start, end=end, text=text, id=seg_id), emitted_at=end + 0.5)


def test_clauses_run_on_as_a_wrapped_paragraph_with_the_partial_after_them(monkeypatch):
    tty = a_terminal(monkeypatch)
    printer = TerminalPrinter()
    printer(final(0.5, 1.2, "So I would like a", 1))
    printer(Partial("first version", 1.3, 1.9, 2.0))
    printer(final(1.3, 2.2, "first version by the", 2))
    printer(final(2.3, 3.0, "end of the month.", 3))
    printer(final(6.0, 6.8, "That makes sense.", 4))  # after a 3 s pause: a new paragraph
    printer(Partial("Who can", 7.0, 7.4, 7.5))
    rows = screen(tty.getvalue())
    text = " ".join(r.strip() for r in rows)
    assert "So I would like a first version by the end of the month." in re.sub(r"\s+", " ", text)
    assert rows[0].startswith("[00:00.5] So I would like a")
    assert all(len(r) <= 40 for r in rows)  # wrapped to the terminal, so the partial redraw stays on one row
    assert rows[-1].startswith("[00:06.0] That makes sense.") and rows[-1].endswith("Who can")
    assert text.count("first version") == 1  # the partial was replaced, not left behind


def test_piped_output_keeps_one_line_per_final(monkeypatch):
    out = io.StringIO()
    monkeypatch.setattr(printers.sys, "stdout", out)
    printer = TerminalPrinter()
    printer(final(0.5, 1.2, "So I would like a", 1))
    printer(final(1.3, 2.2, "first version.", 2))
    assert out.getvalue().splitlines() == [
        "[00:00.5 → 00:01.2] So I would like a",
        "[00:01.3 → 00:02.2] first version.",
    ]
