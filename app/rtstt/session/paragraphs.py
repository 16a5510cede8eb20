"""How short final lines group for reading: paragraphs (the window, TXT, DOCX) and subtitle cues (SRT, VTT).

The streaming policy makes words final within about a second, at clause breaks, so one final segment
is often 2-6 words. Shown or written one per line, a meeting becomes a column of fragments; grouped
here, the same segments read as paragraphs and as subtitles of a sensible length. Grouping never
changes the segments themselves (JSON keeps them, edits and speaker labels address them).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rtstt.events import Segment

PARAGRAPH_GAP_S = 2.0  # a longer pause between two segments starts a new paragraph
PARAGRAPH_SOFT_CHARS = 400  # past this a paragraph ends at the next sentence end
PARAGRAPH_HARD_CHARS = 1200  # ... and at this it ends anyway (speech without punctuation)
CUE_MAX_CHARS = 84  # two subtitle lines of 42 characters
CUE_MAX_S = 7.0  # longer cues stay on screen after their words are gone
CUE_GAP_S = 1.0
SENTENCE_ENDS = (".", "?", "!", "…")
_CLOSERS = "\"')]”’»"


def ends_sentence(text: str) -> bool:
    return text.rstrip().rstrip(_CLOSERS).endswith(SENTENCE_ENDS)


def continues_paragraph(prev: Segment, segment: Segment, length: int) -> bool:
    """Whether `segment` joins the paragraph that ends with `prev` and holds `length` characters."""
    if not _same_voice(prev, segment) or segment.start - prev.end > PARAGRAPH_GAP_S:
        return False
    if length < PARAGRAPH_SOFT_CHARS:
        return True
    return length < PARAGRAPH_HARD_CHARS and not ends_sentence(prev.text)


def continues_cue(group: Sequence[Segment], segment: Segment, length: int) -> bool:
    """Whether `segment` joins the subtitle cue `group` (its segments so far), which has `length` chars."""
    first, prev = group[0], group[-1]
    return (
        _same_voice(prev, segment)
        and not ends_sentence(prev.text)
        and segment.start - prev.end <= CUE_GAP_S
        and segment.end - first.start <= CUE_MAX_S
        and length + 1 + len(segment.text.strip()) <= CUE_MAX_CHARS
    )


def _same_voice(a: Segment, b: Segment) -> bool:
    """The same speaker on the same side of a call (the two tracks of a call never share a paragraph)."""
    return a.speaker == b.speaker and a.track == b.track


def paragraphs(segments: Sequence[Segment]) -> list[list[Segment]]:
    return _grouped(segments, lambda group, segment, length: continues_paragraph(group[-1], segment, length))


def cues(segments: Sequence[Segment]) -> list[list[Segment]]:
    return _grouped(segments, continues_cue)


def _grouped(
    segments: Sequence[Segment], continues: Callable[[Sequence[Segment], Segment, int], bool]
) -> list[list[Segment]]:
    """Consecutive segments in groups: each joins the group before it while `continues(group, segment, length)`."""
    groups: list[list[Segment]] = []
    length = 0
    for segment in segments:
        if groups and continues(groups[-1], segment, length):
            groups[-1].append(segment)
            length += 1 + len(segment.text.strip())
        else:
            groups.append([segment])
            length = len(segment.text.strip())
    return groups


def merged(group: Sequence[Segment]) -> Segment:
    """One segment spanning `group` (its first segment's id, speaker and track; the words of all)."""
    first = group[0]
    return Segment(
        start=first.start,
        end=max(s.end for s in group),
        text=" ".join(s.text.strip() for s in group if s.text.strip()),
        words=tuple(w for s in group for w in s.words),
        speaker=first.speaker,
        id=first.id,
        track=first.track,
    )
