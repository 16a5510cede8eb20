"""Checks and repairs of a small model's summary, and the extractive summary that stands in for it.

A 135M model echoes prompts, loops, drops what it was told to keep and invents: `clean_output` turns its
answer into plain sentences and `is_useful` decides whether they are worth showing; when they are not,
`rolling_extract` shows the most central sentences that were actually said. No model here: these decide
what the user sees when the model is weak.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from math import sqrt

from rtstt.nlp.sentences import content_words, norm, split_sentences, words

# Patterns of a small model's answer; the public ones clean its action items too (action_items.py).
LABEL = re.compile(
    r"^\s*(?:here\s+is\s+|here's\s+)?(?:an?\s+|the\s+)?(?:updated\s+|new\s+|final\s+|short\s+)?"
    r"(?:summary(?:\s+of\s+(?:the|this)\s+meeting)?(?:\s+so\s+far)?|meeting\s+(?:transcript|summary)|transcript|"
    r"answer|response|action\s+items?|tasks?)\s*:\s*",
    re.IGNORECASE,
)
ECHO_HEADERS = re.compile(
    r"^\s*(?:summary\s+of\s+the\s+meeting\s+so\s+far|the\s+meeting\s+continued|meeting\s+transcript|"
    r"summary\s+so\s+far)\b\s*:",
    re.IGNORECASE,
)
BULLET = re.compile(r"^\s*(?:[-*•–]|\d{1,2}[.)])\s+")
JUNK = re.compile(r"\b(?:as an ai|i'm sorry|i cannot|i can't help|language model)\b", re.IGNORECASE)
CLOSING = re.compile(r"^\s*(?:thank(?:s| you)|see you|bye|goodbye|talk soon)\b", re.IGNORECASE)
_PREAMBLE = re.compile(
    r"^\s*(?:here(?:'s|\s+is|\s+are)|below\s+is|sure|certainly|of\s+course)\b[^:\n]{0,120}:\s*", re.IGNORECASE
)
_GREETING = re.compile(r"^\s*(?:good\s+(?:morning|afternoon|evening)|hello|hi)\b", re.IGNORECASE)


def keep_newest(text: str, budget: int, count: Callable[[str], int]) -> str:
    """The newest part of `text` that fits `budget` tokens, cut at a sentence start where possible.

    Rolling updates care about what was said last; the older part is already in the previous summary.
    """
    if budget <= 0 or not text.strip():
        return ""
    if count(text) <= budget:
        return text.strip()
    kept: list[str] = []
    used = 0
    for sentence in reversed(split_sentences(text)):
        cost = count(sentence) + 1
        if used + cost > budget:
            if not kept:  # one sentence longer than the budget: keep its last words
                tail = sentence.split()
                lo, hi = 0, len(tail)
                while lo < hi:  # fewest words dropped from the front so that the rest fits
                    mid = (lo + hi) // 2
                    if count(" ".join(tail[mid:])) <= budget:
                        hi = mid
                    else:
                        lo = mid + 1
                kept.append(" ".join(tail[lo:]))
            break
        kept.append(sentence)
        used += cost
    return " ".join(reversed(kept)).strip()


def cut_word_loop(text: str, max_n: int = 8) -> str:
    """Cut a phrase that repeats three times in a row ("the team the team the team") after its first time."""
    tokens = text.split()
    for i in range(len(tokens)):
        for n in range(1, max_n + 1):
            if i + 3 * n > len(tokens):
                break
            a, b, c = (norm(" ".join(tokens[i + k * n : i + (k + 1) * n])) for k in range(3))
            if a and a == b == c:
                return " ".join(tokens[: i + n])
    return text


def _same_sentence(a: str, b: str) -> bool:
    """Nearly all of `a`'s topic words already said in `b`: the model saying the same thing again."""
    wa = set(content_words(a))
    return len(wa) >= 3 and len(wa & set(content_words(b))) >= 0.7 * len(wa)


def clean_output(text: str, echo: tuple[str, ...] = ()) -> str:
    """Turn a small model's raw answer into plain sentences.

    Drops a preamble ("Here's the summary:"), labels ("Summary:"), greetings and thanks, lines that
    repeat the prompt's headers or its instruction (`echo`), markdown, loops (a sentence said again means
    the model is going round: stop there; one that only rephrases an earlier one is dropped; a phrase
    repeated three times in a row is cut), and an unfinished last sentence (max_new_tokens ran out).
    """
    echoed = {norm(e) for e in echo if e.strip()}
    text = _PREAMBLE.sub("", text.strip(), count=1)
    lines: list[str] = []
    for raw in text.replace("\r", "").split("\n"):
        line = raw.replace("**", "").replace("__", "").replace("#", "").strip()
        line = BULLET.sub("", line)
        header = ECHO_HEADERS.match(line)
        if header:
            if lines:  # the model starts writing the prompt again: it is looping
                break
            line = line[header.end() :].strip()
        line = LABEL.sub("", line).strip()
        if not line or norm(line) in echoed:
            continue
        lines.append(line)
    sentences: list[str] = []
    seen: set[str] = set()
    for sentence in split_sentences(" ".join(lines)):
        key = norm(sentence)
        if not key:
            continue
        if key in seen or key in echoed:
            break
        if any(_same_sentence(sentence, kept) for kept in sentences):
            continue
        seen.add(key)
        if _GREETING.match(sentence) or CLOSING.match(sentence):  # "Good morning everyone" is not a point
            continue
        looped = cut_word_loop(sentence)
        sentences.append(looped)
        if looped != sentence:
            break
    out = " ".join(sentences).strip()
    if not out:
        return ""
    if not re.search(r"[.!?…][\"')\]]*$", out):
        finished = re.search(r"^.*[.!?…][\"')\]]*(?=\s)", out)
        out = finished.group(0) if finished else out + "."
    return out


def is_useful(summary: str, source: str, keep: str = "") -> bool:
    """Whether a model's summary is worth showing rather than the extractive one.

    It must say something (five words or more, not a refusal, not one word over and over), stay on the
    meeting's vocabulary (most of its topic words were said; a 135M model otherwise invents), not be the
    transcript copied back (the extractive summary picks better sentences than its first ones), and, when
    `keep` (the previous summary) is given, still carry some of it: an update must not forget the meeting.
    """
    said = words(summary)
    if len(said) < 5 or JUNK.search(summary) or len(set(said)) < 0.4 * len(said):
        return False
    topic = set(content_words(summary))
    if not topic:
        return False
    vocabulary = set(content_words(source))
    if len(topic & vocabulary) < max(2, 0.5 * len(topic)):
        return False
    sentences = split_sentences(summary)
    copied = sum(1 for s in sentences if norm(s) in norm(source))
    if len(sentences) >= 2 and copied >= 0.8 * len(sentences):  # the transcript echoed back, from its start
        return False
    if keep:
        earlier = set(content_words(keep))
        if earlier and len(topic & earlier) < min(3, max(1, len(earlier) // 4)):
            return False
    return True


def extractive_summary(text: str, max_sentences: int = 3) -> str:
    """The most central sentences of `text`, in the order they were said.

    The fallback when the model's answer fails `is_useful`: it can never invent anything, and it is never
    empty while something was said. A sentence scores by how often its topic words recur in the whole
    text (what the meeting keeps talking about), normalised so long sentences do not win by length;
    questions and very short sentences score lower, greetings and goodbyes not at all.
    """
    sentences = split_sentences(text)
    said = [s for s in sentences if not (_GREETING.match(s) or CLOSING.match(s))]
    sentences = said or sentences
    if len(sentences) <= max_sentences:
        return " ".join(sentences)
    freq = Counter(content_words(text))
    scored = []
    for i, sentence in enumerate(sentences):
        topic = set(content_words(sentence))
        score = sum(freq[w] for w in topic) / sqrt(len(topic)) if topic else 0.0
        if sentence.endswith("?"):
            score *= 0.5
        if len(sentence.split()) < 6:
            score *= 0.3
        scored.append((score, -i, sentence))
    best = sorted(scored, reverse=True)[:max_sentences]
    return " ".join(s for _score, _neg_i, s in sorted(best, key=lambda t: -t[1]))


def rolling_extract(previous: str, new_text: str) -> str:
    """The extractive update: the gist of the previous summary, then the central sentences of the new text,
    so the summary still builds on what came before instead of forgetting it."""
    parts = [extractive_summary(previous, 2), extractive_summary(new_text, 3)]
    return " ".join(p for p in parts if p)


def limit_sentences(text: str, n: int) -> str:
    return " ".join(split_sentences(text)[:n])
