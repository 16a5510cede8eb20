"""Questions asked during a session, listed as insights: sentences the recogniser punctuated with "?".

Whisper punctuates questions reliably on clear speech; a sentence split keeps "Can we go over the action
items? Sure." from turning the answer into part of the question.
"""

from __future__ import annotations

from dataclasses import dataclass

from rtstt.nlp.sentences import SENTENCE


@dataclass(frozen=True, slots=True)
class Question:
    text: str
    segment_id: int
    start: float
    speaker: str | None = None


def questions_in(text: str) -> list[str]:
    return [s.strip() for s in SENTENCE.findall(text) if s.strip().rstrip("\"')]").endswith("?")]


def find_questions(segments) -> list[Question]:
    """Questions in finalized segments (objects with id, start, text, speaker), in order of time."""
    found = []
    for seg in segments:
        for q in questions_in(seg.text):
            if len(q.split()) >= 2:  # "Right?" alone is a tag, not a question worth listing
                found.append(Question(q, seg.id, seg.start, seg.speaker))
    return found
