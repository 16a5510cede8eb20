"""Sentences and words: the units every text rule in the nlp package counts in, defined once.

The recogniser punctuates its text, so a sentence is a run up to ".", "!", "?" or "…" (with any closing
quote or bracket), and a trailing run without one is a sentence too: it is still being said.
"""

from __future__ import annotations

import re

SENTENCE = re.compile(r"[^.!?…]+[.!?…]+[\"')\]]*|[^.!?…]+$")
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?")
_STOP_WORDS = """
    a about after again all also am an and any are as at be because been before being both but by can could
    did do does doing done for from get got had has have having he her here hers him his how i i'm i'll if in
    into is it it's its just let's like me more most my no not now of off on once one only or other our out over
    own really same she should so some such than that that's the their them then there these they this those
    through to too under until up us very was we we'll were what when where which while who whom why will with
    would yes yeah you your okay ok well sure good great thanks thank maybe think know going go make makes"""
_STOP = frozenset(_STOP_WORDS.split())


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in SENTENCE.findall(" ".join(text.split())) if s.strip()]


def words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def content_words(text: str) -> list[str]:
    """Words that carry the topic: no stop words, nothing shorter than three letters."""
    return [w for w in words(text) if len(w) >= 3 and w not in _STOP and not w.isdigit()]


def norm(text: str) -> str:
    """`text` as lower-case words only: two sayings that differ in case or punctuation compare equal."""
    return " ".join(words(text))
