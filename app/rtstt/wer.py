"""Word error rate with the text normalisation that speech tests need.

Whisper writes "15%", "let's" and "Real-time," where a reference says "fifteen percent", "lets" and
"real time"; scoring raw strings would count those as errors and hide real regressions. Tests and
benchmarks share this one module so their numbers are comparable. `jiwer` does the alignment when it
is installed; a small Levenshtein fallback gives the same counts without it (the app never needs it).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["WerResult", "normalize_text", "number_to_words", "wer_details", "word_error_rate"]

_ONES = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_SCALES = ((1_000_000_000, "billion"), (1_000_000, "million"), (1_000, "thousand"))
_ORDINAL_IRREGULAR = {
    "one": "first",
    "two": "second",
    "three": "third",
    "five": "fifth",
    "eight": "eighth",
    "nine": "ninth",
    "twelve": "twelfth",
}
# Spelling variants Whisper prefers over the spoken form; mapped to the spoken form.
_VARIANTS = {"ok": "okay", "mr": "mister", "mrs": "missus", "dr": "doctor", "vs": "versus", "etc": "etcetera"}

_THOUSANDS_COMMA = re.compile(r"(?<=\d),(?=\d{3}\b)")
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*%")
_ORDINAL = re.compile(r"\b(\d+)(st|nd|rd|th)\b")
_DECIMAL = re.compile(r"\b(\d+)\.(\d+)\b")
_INTEGER = re.compile(r"\d+")
_APOSTROPHE = re.compile(r"['’‘`]")
_NON_WORD = re.compile(r"[^0-9a-z]+")


def number_to_words(n: int) -> str:
    """Spell a non-negative integer the way a speaker says it ("one hundred twenty three")."""
    if n < 0:
        return "minus " + number_to_words(-n)
    if n < 20:
        return _ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _TENS[tens] + ("" if ones == 0 else " " + _ONES[ones])
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        return _ONES[hundreds] + " hundred" + ("" if rest == 0 else " " + number_to_words(rest))
    for scale, name in _SCALES:
        if n >= scale:
            high, rest = divmod(n, scale)
            return number_to_words(high) + " " + name + ("" if rest == 0 else " " + number_to_words(rest))
    raise AssertionError("unreachable")  # pragma: no cover


def _ordinal_words(n: int) -> str:
    words = number_to_words(n).split()
    last = words[-1]
    if last in _ORDINAL_IRREGULAR:
        words[-1] = _ORDINAL_IRREGULAR[last]
    elif last.endswith("y"):
        words[-1] = last[:-1] + "ieth"
    else:
        words[-1] = last + "th"
    return " ".join(words)


def _digits_words(digits: str) -> str:
    return " ".join(_ONES[int(d)] for d in digits)


def normalize_text(text: str) -> str:
    """Lower-case, spell out numbers, drop punctuation and apostrophes, collapse whitespace."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = _THOUSANDS_COMMA.sub("", text)
    text = _PERCENT.sub(lambda m: f"{m.group(1)} percent", text)
    text = _ORDINAL.sub(lambda m: " " + _ordinal_words(int(m.group(1))) + " ", text)
    text = _DECIMAL.sub(lambda m: f" {number_to_words(int(m.group(1)))} point {_digits_words(m.group(2))} ", text)
    text = _INTEGER.sub(lambda m: " " + number_to_words(int(m.group(0))) + " ", text)
    text = _APOSTROPHE.sub("", text)
    words = _NON_WORD.sub(" ", text).split()
    return " ".join(_VARIANTS.get(w, w) for w in words)


@dataclass(frozen=True, slots=True)
class WerResult:
    """Alignment counts; `wer` is (S + D + I) / N over the normalised reference words."""

    wer: float
    substitutions: int
    deletions: int
    insertions: int
    hits: int
    reference_words: int
    hypothesis_words: int


def _as_text(value: str | Iterable[str]) -> str:
    return value if isinstance(value, str) else " ".join(value)


def _levenshtein_counts(ref: list[str], hyp: list[str]) -> tuple[int, int, int, int]:
    """(substitutions, deletions, insertions, hits) of one minimum-edit alignment.

    Ties prefer a match/substitution, then a deletion, as jiwer does, so both paths agree on counts.
    """
    rows, cols = len(ref) + 1, len(hyp) + 1
    cost = [[0] * cols for _ in range(rows)]
    for i in range(rows):
        cost[i][0] = i
    for j in range(cols):
        cost[0][j] = j
    for i in range(1, rows):
        for j in range(1, cols):
            diag = cost[i - 1][j - 1] + (ref[i - 1] != hyp[j - 1])
            cost[i][j] = min(diag, cost[i - 1][j] + 1, cost[i][j - 1] + 1)
    sub = dele = ins = hits = 0
    i, j = len(ref), len(hyp)
    while i > 0 or j > 0:
        if i > 0 and j > 0 and cost[i][j] == cost[i - 1][j - 1] + (ref[i - 1] != hyp[j - 1]):
            if ref[i - 1] == hyp[j - 1]:
                hits += 1
            else:
                sub += 1
            i, j = i - 1, j - 1
        elif i > 0 and cost[i][j] == cost[i - 1][j] + 1:
            dele += 1
            i -= 1
        else:
            ins += 1
            j -= 1
    return sub, dele, ins, hits


def wer_details(
    reference: str | Iterable[str],
    hypothesis: str | Iterable[str],
    *,
    normalize: bool = True,
    use_jiwer: bool = True,
) -> WerResult:
    """Align hypothesis to reference. Lists of strings are joined (segments of one transcript).

    An empty reference gives 0.0 for an empty hypothesis and 1.0 otherwise, instead of dividing by zero.
    """
    ref_text, hyp_text = _as_text(reference), _as_text(hypothesis)
    if normalize:
        ref_text, hyp_text = normalize_text(ref_text), normalize_text(hyp_text)
    ref, hyp = ref_text.split(), hyp_text.split()
    counts: tuple[int, int, int, int] | None = None
    if use_jiwer and ref and hyp:
        try:
            import jiwer
        except ImportError:
            pass
        else:
            out = jiwer.process_words(" ".join(ref), " ".join(hyp))
            counts = (out.substitutions, out.deletions, out.insertions, out.hits)
    if counts is None:
        counts = _levenshtein_counts(ref, hyp)
    sub, dele, ins, hits = counts
    wer = (sub + dele + ins) / len(ref) if ref else 0.0 if not hyp else 1.0
    return WerResult(wer, sub, dele, ins, hits, len(ref), len(hyp))


def word_error_rate(
    reference: str | Iterable[str], hypothesis: str | Iterable[str], *, normalize: bool = True
) -> float:
    """WER as a fraction (0.12 = 12 %); see `wer_details` for the counts."""
    return wer_details(reference, hypothesis, normalize=normalize).wer
