"""Which language each pass decodes in when the language is "auto": detected per utterance, trusted by length.

Pure policy (no model): `WhisperBackend` asks it before each pass and gives it a detector that reads the
pass's own encoder output, so the rules are unit-tested without Whisper.
"""

from __future__ import annotations

from collections.abc import Callable

from rtstt.vocab import SAMPLE_RATE

# Language detection with language "auto" (see `LanguagePolicy`).
# Measured with base on multilingual.mp3 (English, then German), ~110 clips per length cut anywhere in the speech:
# wrong answers were 39% at 0.4 s (some at 0.95 probability), 12% at 1 s (up to 0.83), 4% at 1.5 s (up to
# 0.74), none at 2 s. Each detection costs ~13 ms on 2 CPU cores: one decoder step on the pass's encoder output.
DETECT_MIN_S = 1.0  # on less audio, reuse the session's language: detection flips, even at high probability
REDETECT_BELOW = 0.9  # an utterance's language is detected again while its probability is under this...
REDETECT_GROW_S = 1.0  # ...and the audio grew by this much since the last detection
PRIOR_PROB = 0.9  # a detection this sure, or one on `PRIOR_MIN_S` of audio, becomes the session's language
PRIOR_MIN_S = 2.0


class LanguagePolicy:
    """Which language each pass decodes in, when the language is "auto".

    Detected per utterance, so a speaker who switches language is followed: the first pass with at
    least `DETECT_MIN_S` of audio detects, and later passes of the same utterance detect again while
    the answer is unsure (under `REDETECT_BELOW`) and the audio grew. Shorter audio reuses the
    session's prior, the last confident language, instead of flipping on a second of speech.
    A locked language (`locked`) is never detected.
    """

    def __init__(self, locked: str | None) -> None:
        self.locked = locked
        self.prior: str | None = None  # the last confident language of the session
        self.language: str | None = locked  # the current utterance's language (the last one's until a pass decides)
        self.probability = 1.0 if locked else 0.0
        self._previous: str | None = None  # the language of the last utterance that produced words
        self._heard: str | None = None  # the language the current utterance produced words in
        self._detected_at = 0  # audio samples the utterance's last detection saw (on enough audio); 0 = none
        self._decided = False  # the current utterance has a language (detected, or assumed for short audio)

    def new_utterance(self) -> None:
        if self._heard:
            self._previous = self._heard
        self._heard = None
        self._decided = False
        self._detected_at = 0

    def choose(self, n_samples: int, detect: Callable[[], tuple[str, float]]) -> str:
        """The language to decode `n_samples` of the current utterance in; `detect()` -> (language, probability)."""
        if self.locked:
            return self.locked
        if n_samples >= DETECT_MIN_S * SAMPLE_RATE:
            grown = n_samples - self._detected_at >= REDETECT_GROW_S * SAMPLE_RATE
            if not self._detected_at or (self.probability < REDETECT_BELOW and grown):
                self.language, self.probability = detect()
                self._detected_at = n_samples
                self._decided = True
        if not self._decided:
            if self.prior is not None:
                self.language, self.probability = self.prior, 0.0
            else:  # the session's first words are short: a guess beats nothing, but it is not trusted
                self.language, self.probability = detect()
            self._decided = True
        assert self.language is not None
        return self.language

    def heard(self) -> None:
        """The pass decoded words: remember their language, and a confident detection becomes the prior."""
        self._heard = self.language
        sure = self.probability >= PRIOR_PROB or self._detected_at >= PRIOR_MIN_S * SAMPLE_RATE
        if self.language and self._detected_at and sure:
            self.prior = self.language

    @property
    def switched(self) -> bool:
        """The current utterance is in another language than the previous one: earlier text misleads the decoder."""
        return not self.locked and self._previous is not None and self.language != self._previous

    def prompt_for(self, prompt: str) -> str:
        """What of `prompt` (earlier text, for context) to feed the decoder after `choose`: none in an utterance
        that switched language, since text in the previous language pulls the decoder back into it."""
        return "" if self.switched else prompt
