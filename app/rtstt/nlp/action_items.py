"""Action items: the meeting's own commitment sentences, plus the model's list where it rests on them.

The deterministic pass over commitment cues ("I will", "let's", "by Friday") means a real item is never
missed because the model missed it; a model's item is kept only if something said supports it, because
small models list finished work as tasks or invent work nobody mentioned.
"""

from __future__ import annotations

import re

from rtstt.nlp.sentences import content_words, norm, split_sentences
from rtstt.nlp.summary_text import BULLET, CLOSING, ECHO_HEADERS, JUNK, LABEL, cut_word_loop

MAX_ITEMS = 10

_DAY = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|tomorrow|tonight|today|eod|noon)"
_CUE = re.compile(
    r"\b(?:"
    r"i(?:'ll|\s+will|\s+shall|\s+can\s+(?:take|do|handle|send|look|check|help|own|lead|write|prepare|fix|review)|"
    r"\s+am\s+going\s+to|'m\s+going\s+to|\s+would\s+like|\s+need\s+to|\s+have\s+to|\s+should|\s+must)"
    r"|we(?:'ll|\s+will|\s+need\s+to|\s+have\s+to|\s+should|\s+must|\s+are\s+going\s+to|'re\s+going\s+to)"
    r"|let's|let\s+us|next\s+steps?|action\s+items?|follow[\s-]up|to-?do"
    r"|take\s+(?:the\s+)?lead|take\s+care\s+of|in\s+charge\s+of|(?:is|are)\s+responsible"
    r"|[^\W_]+\s+(?:can|could|will|'ll)\s+(?:join|take|help|do|handle|look\s+into|check|send|write|prepare|fix|"
    r"review|own|lead|follow|set\s+up|schedule|share|update|test)"
    rf"|(?:by|before|until|no\s+later\s+than)\s+(?:the\s+end\s+of|end\s+of|next|this|{_DAY})"
    r"|deadline|due\s+(?:on|by)"
    r")\b",
    re.IGNORECASE,
)
_FUTURE = re.compile(r"\b(?:will|'ll|going\s+to|need|needs|should|must|can|could|let's|plan|next|by)\b", re.I)
_FILLER = re.compile(
    r"^(?:okay|ok|so|well|great|good|sure|yes|yeah|right|alright|all right|and|but|then|also|now|maybe|"
    r"i think|i guess)\b[,\s]+",
    re.IGNORECASE,
)


def _tidy_item(text: str) -> str:
    item = text.strip().strip("\"'")
    while True:
        shorter = _FILLER.sub("", item)
        if shorter == item:
            break
        item = shorter
    item = item.strip(" ,;:-")
    if not item:
        return ""
    item = item[0].upper() + item[1:]
    return item if re.search(r"[.!?]$", item) else item + "."


def find_action_items(text: str) -> list[str]:
    """Sentences with a commitment cue ("I will", "I can take", "let's", "we need to", "by Friday"): the
    deterministic half of the action items, so a real one is never missed because the model missed it.

    Questions are not items, but an answer keeps its question ("Who can take the lead on the
    performance work? I can take it ...") or it would read as "I can take it".
    """
    items: list[str] = []
    sentences = split_sentences(text)
    for i, sentence in enumerate(sentences):
        if sentence.endswith("?") or CLOSING.match(sentence) or not _CUE.search(sentence):
            continue
        item = _tidy_item(sentence)
        previous = sentences[i - 1] if i else ""
        if previous.endswith("?") and re.match(r"^\W*(?:\w+\W+){0,2}(?:i|we)\b", item, re.I):
            item = f"{_tidy_item(previous)} {item}"
        if item and all(not _same_item(item, seen) for seen in items):
            items.append(item)
    return items


def parse_items(text: str) -> list[str]:
    """Action items from a model's list answer: one per line, bullets and numbers removed, loops dropped."""
    items: list[str] = []
    for raw in text.replace("\r", "").split("\n"):
        line = LABEL.sub("", BULLET.sub("", raw.replace("**", "")).strip()).strip()
        if ECHO_HEADERS.match(line) or not line or line.endswith(":"):
            continue
        item = _tidy_item(cut_word_loop(line))
        if not 3 <= len(item.split()) <= 40 or JUNK.search(item) or re.match(r"^(?:none|no action)", item, re.I):
            continue
        if all(not _same_item(item, seen) for seen in items):
            items.append(item)
    return items


def _same_item(a: str, b: str) -> bool:
    wa, wb = set(content_words(a)), set(content_words(b))
    if not wa or not wb:
        return norm(a) == norm(b)
    return len(wa & wb) / min(len(wa), len(wb)) >= 0.6


def anchored(item: str, transcript: str) -> bool:
    """A model's action item counts only if it rests on one thing that was said, and that sentence looks
    ahead (a plan, a promise, a deadline) rather than reporting what is done: small models list "the
    login problem is fixed" as a task, or invent work nobody mentioned."""
    topic = set(content_words(item))
    if not topic:
        return False
    for sentence in split_sentences(transcript):
        overlap = len(topic & set(content_words(sentence)))
        if overlap >= max(1, 0.5 * len(topic)) and (_CUE.search(sentence) or _FUTURE.search(sentence)):
            return True
    return False


def merge_items(found: list[str], proposed: list[str], transcript: str, limit: int = MAX_ITEMS) -> list[str]:
    """The commitment sentences first (the meeting's own words, in order), then the model's items that
    are anchored in the transcript and not already listed."""
    items = list(found)
    for item in proposed:
        if anchored(item, transcript) and all(not _same_item(item, seen) for seen in items):
            items.append(item)
    return items[:limit]
