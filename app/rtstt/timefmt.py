"""How times are shown to people: one format for the window, the terminal and TXT/DOCX exports."""

from __future__ import annotations


def clock(seconds: float) -> str:
    """`mm:ss`, or `h:mm:ss` past the first hour: the short time marks the window and TXT export show."""
    total = int(max(0.0, seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"
