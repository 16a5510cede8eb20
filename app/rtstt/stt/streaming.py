"""The streaming commit policy: which words are final, which are still tentative.

Shape of the policy (LocalAgreement-2, tightened for latency):
- Only speech reaches Whisper: the VAD opens an utterance; its audio is buffered from the
  utterance start (with padding) and re-transcribed every `partial_interval_s` while it grows.
- A word is *committed* when two consecutive passes agree on it (longest common prefix). Committed
  words are fed back as the decoder prefix, so later passes continue them instead of re-deciding
  them, and the seam between committed and new text never duplicates or drops a word.
- Committed words are *emitted* as a Final segment at the first natural break: a sentence end; a
  clause end (comma, or a dip of `dip_s` between two words) once the line has `clause_min_words`;
  when the oldest has waited `max_hold_s` (with `min_line_words` waiting) or `max_wait_s` (whatever
  waits); or when the utterance closes (the VAD saw `min_silence_ms` of silence). Real people rarely
  pause or end sentences cleanly: waiting for a sentence end or a pause kept words 1.9 s (p50) and
  8.3 s (p95) from their end to final on real speech; with these breaks 0.7 s and 1.2 s.
  The window joins consecutive lines of one speaker into paragraphs, so short lines stay readable.
- An utterance is decoded after the last few seconds of the previous one (`left_context_s`), whose
  words are forced as the prefix: alone, a short utterance is a guess ("not" became "knock" in
  "ask / not"); on real speech this took streaming WER from offline + 3.7 points to offline + 0.
  When the prefix makes Whisper hear nothing new (another voice follows), the pass is decoded
  again without it.
- At the close, the words not yet final are decoded once more with the whole utterance in view
  (`redecide_on_close`): words agreed on mid-speech are sometimes wrong ("when" for "went"), and
  one extra pass at a pause cost ~0.05 s of median latency and made streaming WER stable at the
  offline level plus ~1.7 points (it varied from 1.7 to 3.4 without it, run to run).
- Emitted text leaves the buffer: it becomes the prompt (context) and the audio before it is
  trimmed once the buffer exceeds `max_buffer_s`, keeping every pass short.
- When passes take longer than the interval, the interval widens (`step_s`), so a slow machine
  refreshes less often instead of building a backlog.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Protocol

import numpy as np

from rtstt.events import Final, Partial, Segment, Word
from rtstt.stt.whisper import Hypothesis, HypWord
from rtstt.vad import VadEvent, VadEventKind
from rtstt.vocab import SAMPLE_RATE

SENTENCE_END = re.compile(r"[.!?…。！？]['\")\]]*$")
CLAUSE_END = re.compile(r"[,;:—–，；：、]['\")\]]*$")


class Backend(Protocol):
    def transcribe(
        self, audio: np.ndarray, *, prompt: str = "", prefix: str = "", words: bool = True, beam_size: int = 0
    ) -> Hypothesis: ...


@dataclass
class PolicyConfig:
    partial_interval_s: float = 0.25
    min_pass_audio_s: float = 0.4  # Whisper guesses wildly on less speech than this
    max_buffer_s: float = 15.0
    max_pending_words: int = 30  # emit a long run without a sentence end anyway
    min_context_s: float = 0.0  # a word commits only if the agreeing pass heard this much after it
    left_context_s: float = 4.0  # audio (and its words, as prefix) of the last utterance kept for the next
    context_gap_s: float = 2.0  # ...unless the pause between them is longer than this
    max_hold_s: float = 0.6  # committed words wait at most this long (after their end) for a break...
    min_line_words: int = 2  # ...when at least this many are waiting (no one-word lines)...
    max_wait_s: float = 1.2  # ...and never longer than this
    clause_min_words: int = 3  # a clause break (comma, a dip between words) ends a segment this long
    dip_s: float = 0.2  # a gap between two committed words this long is a clause break
    prompt_chars: int = 200
    preroll_s: float = 1.0  # audio kept while idle, so the VAD's padded start can reach back
    compute_budget: float = 0.6  # passes may use at most this share of wall time
    offline_step_s: float = 5.0  # audio between passes when a file is read as fast as possible
    redecide_on_close: bool = True  # at a pause, re-decode the words not yet final (one more pass)


@dataclass
class StreamStats:
    passes: int = 0
    compute_s: float = 0.0
    partials: int = 0
    finals: int = 0
    rejected: int = 0
    context_dropped: int = 0
    words: int = 0
    latencies: list[float] = field(default_factory=list)


def _key(word: str) -> str:
    return re.sub(r"[^\w']", "", word.lower())


class StreamingTranscriber:
    """Turns 16 kHz audio plus VAD boundaries into Partial and Final events.

    Single-threaded by design: the engine thread calls `add_audio`, `on_vad`, `maybe_pass` and
    `finish` in order. `now` gives wall seconds since the stream started (for `emitted_at`).
    """

    def __init__(
        self,
        backend: Backend,
        now: Callable[[], float],
        config: PolicyConfig | None = None,
        realtime: bool = True,
    ) -> None:
        self.backend = backend
        self.now = now
        self.cfg = config or PolicyConfig()
        self.realtime = realtime
        self.stats = StreamStats()
        self._audio = np.zeros(0, dtype=np.float32)
        self._buf_start = 0  # absolute sample index of self._audio[0]
        self._total = 0  # absolute samples received
        self._utt_start: int | None = None
        self._utt_end: int | None = None  # set by the VAD's end event until the utterance is closed
        self._committed: list[Word] = []  # agreed words whose audio is in the buffer: the decoder prefix
        self._previous_tail: list[Word] = []  # the last final words of the previous utterance
        self._emitted = 0  # how many of `_committed` were already emitted as Final segments
        self._final_until = 0.0  # end of the last word emitted as Final (seconds): no later pass may say it again
        self._tentative: list[Word] = []
        self._last_pass_at = -1.0
        self._last_pass_end = 0  # absolute sample up to which the last pass saw audio
        self._last_partial = ""
        self._context = ""
        self._step_s = self.cfg.partial_interval_s
        self._next_id = 1
        self.passes_enabled = True  # False once the model failed: closing then finalises what is there

    # ---- input -------------------------------------------------------------------------------
    def add_audio(self, samples: np.ndarray) -> None:
        self._audio = np.concatenate([self._audio, samples.astype(np.float32, copy=False)])
        self._total += len(samples)
        if self._utt_start is None:
            if self._committed and self._total / SAMPLE_RATE - self._committed[-1].end > self.cfg.context_gap_s:
                self._committed = []  # a long silence: the next utterance starts afresh
                self._emitted = 0
            if self._committed:
                return  # the last utterance's tail stays as the next one's left context
            keep = int(self.cfg.preroll_s * SAMPLE_RATE)
            if len(self._audio) > keep:
                self._drop_before(self._total - keep)

    def on_vad(self, event: VadEvent) -> list[Partial | Final]:
        if event.kind == VadEventKind.SPEECH_START:
            if self._utt_start is None:
                if begin := getattr(self.backend, "new_utterance", None):
                    begin()  # e.g. detect the language afresh ("auto")
                self._utt_start = max(event.sample, self._buf_start)
                if not self._committed:
                    self._drop_before(self._utt_start)
                self._last_pass_end = 0
            self._utt_end = None
            return []
        self._utt_end = event.sample
        return self._close_utterance()

    # ---- passes ------------------------------------------------------------------------------
    @property
    def step_s(self) -> float:
        """The current refresh interval (widened when the machine is slow)."""
        return self._step_s

    @property
    def pending_since_s(self) -> float | None:
        """The earliest time (stream seconds) a line not yet final can start: its first undecided word, or the
        open utterance's start; None when nothing is pending. A call's engine orders the tracks' finals by it."""
        words = self._committed[self._emitted :] + self._tentative
        if words:
            return words[0].start
        return None if self._utt_start is None else self._utt_start / SAMPLE_RATE

    def maybe_pass(self) -> list[Partial | Final]:
        """Run a partial pass if speech is ongoing and the step has elapsed."""
        if self._utt_start is None:
            return []
        utt_audio = (self._total - self._utt_start) / SAMPLE_RATE
        if utt_audio < self.cfg.min_pass_audio_s:
            return []
        if self.realtime:
            if self.now() - self._last_pass_at < self._step_s:
                return self._emit_held()
        elif (self._total - max(self._last_pass_end, self._utt_start)) / SAMPLE_RATE < self.cfg.offline_step_s:
            # Offline, partials are invisible: passes only keep a long utterance's buffer short.
            return []
        return self._partial_pass()

    def finish(self) -> list[Partial | Final]:
        """The stream ended: close any open utterance."""
        if self._utt_start is None:
            return []
        self._utt_end = self._total
        return self._close_utterance()

    # ---- internals ---------------------------------------------------------------------------
    def _run(self, end_sample: int) -> list[Word]:
        words = self._decode(end_sample)
        if words or not self._forget_context(end_sample):
            return words
        return self._decode(end_sample)

    def _forget_context(self, end_sample: int) -> bool:
        """A pass after the last utterance's words heard nothing new in a second of speech: Whisper took the
        prefix for the whole window (it happens when another voice follows). Decode this utterance alone."""
        if self._utt_start is None:
            return False
        start = self._utt_start / SAMPLE_RATE
        context = [w for w in self._committed[: self._emitted] if w.end <= start + 0.05]
        heard_after = end_sample / SAMPLE_RATE - (self._committed[-1].end if self._committed else start)
        if not context or heard_after < 1.0:
            return False
        self._committed = self._committed[len(context) :]
        self._emitted -= len(context)
        self._drop_before(self._utt_start)
        self.stats.context_dropped += 1
        return True

    def _decode(self, end_sample: int) -> list[Word]:
        audio = self._audio[: max(0, end_sample - self._buf_start)]
        prefix = "".join(w.text for w in self._committed)
        hyp = self.backend.transcribe(audio, prompt=self._context, prefix=prefix, words=True)
        self.stats.passes += 1
        self.stats.compute_s += hyp.compute_s
        self._last_pass_at = self.now()
        self._last_pass_end = end_sample
        if self.realtime:
            wanted = hyp.compute_s / self.cfg.compute_budget
            self._step_s = max(self.cfg.partial_interval_s, 0.7 * self._step_s + 0.3 * wanted)
        if hyp.rejected:
            self.stats.rejected += 1
            return []
        offset = self._buf_start / SAMPLE_RATE
        limit = end_sample / SAMPLE_RATE
        words = [_abs_word(w, offset, limit) for w in hyp.words]
        # Words already agreed or final are not heard again: after a trim or a long silence `_committed` can be
        # empty while the buffer still starts inside the last final word, so the floor also remembers finals.
        floor = max(self._committed[-1].end if self._committed else 0.0, self._final_until)
        words = [w for w in words if (w.start + w.end) / 2 > floor - 0.01 and _key(w.text)]
        words = _drop_previous_echo(words, self._committed[-4:] or self._previous_tail)
        return _drop_hallucinated(words, self._committed)

    def _partial_pass(self) -> list[Partial | Final]:
        words = self._run(self._total)
        agreed = 0
        # Punctuation must agree too: a "." guessed at the buffer's edge is not a sentence end.
        heard = self._total / SAMPLE_RATE
        for old, new in zip(self._tentative, words[:-1], strict=False):
            if old.text.strip().lower() != new.text.strip().lower():
                break
            if heard - new.end < self.cfg.min_context_s:
                break  # the pass heard too little after this word to be sure of it
            agreed += 1
        self._committed.extend(words[:agreed])
        self._tentative = words[agreed:]
        out: list[Partial | Final] = self._emit_ready(closing=False)
        partial = self._partial_event()
        if partial:
            out.append(partial)
        self._trim()
        return out

    def _close_utterance(self) -> list[Partial | Final]:
        assert self._utt_end is not None
        end = min(self._utt_end, self._total)
        long_enough = self._utt_start is not None and (end - self._utt_start) / SAMPLE_RATE >= 0.2
        if not self.passes_enabled:
            pass  # the model failed: what was heard so far becomes final as it stands
        elif long_enough and (
            self._last_pass_end < end or (self.cfg.redecide_on_close and self._emitted < len(self._committed))
        ):
            if self.cfg.redecide_on_close:
                # The speaker paused: decode everything not yet final once more with the whole utterance in view,
                # instead of keeping words agreed on while they were still being spoken.
                pending = self._committed[self._emitted :] + self._tentative
                committed = self._committed
                self._committed = self._committed[: self._emitted]
                try:
                    redecided = self._run(end)
                except Exception:
                    self._committed = committed  # nothing heard is dropped when the pass fails
                    raise
                keep_old = len(redecided) < len(pending) - 2 and pending
                self._tentative = pending if keep_old else redecided
            else:
                self._tentative = self._run(end)
        elif not long_enough and self._last_pass_end < end:
            self._tentative = []
        self._committed.extend(self._tentative)
        self._tentative = []
        out = self._emit_ready(closing=True)
        # Whisper hears a short utterance ("not") badly on its own: the next one is decoded with the last
        # few seconds of this one before it, their words forced as the decoder prefix.
        cutoff = end / SAMPLE_RATE - self.cfg.left_context_s
        self._committed = [w for w in self._committed if w.start >= cutoff] if self.passes_enabled else []
        self._emitted = len(self._committed)
        self._utt_start = None
        self._utt_end = None
        self._last_pass_end = 0
        self._drop_before(int(self._committed[0].start * SAMPLE_RATE) if self._committed else end)
        if self._last_partial:
            self._last_partial = ""
            out.append(Partial(text="", start=end / SAMPLE_RATE, end=end / SAMPLE_RATE, emitted_at=self.now()))
            self.stats.partials += 1
        return out

    def _emit_ready(self, closing: bool) -> list[Partial | Final]:
        """Emit committed words as Final segments at the best break: a sentence end; a clause end
        (a comma, or a short dip between words) once a line has `clause_min_words`; when the oldest
        waited `max_hold_s`; all of them when closing."""
        out: list[Partial | Final] = []
        while self._emitted < len(self._committed):
            pending = self._committed[self._emitted :]
            cut = _break_after(pending, self.cfg)
            if not cut and (closing or len(pending) >= self.cfg.max_pending_words or self._held_too_long(pending)):
                cut = len(pending)
            if not cut:
                break
            out.append(self._final(pending[:cut]))
            self._emitted += cut
        return out

    def _emit_held(self) -> list[Partial | Final]:
        """Between passes: committed words that waited `max_hold_s` go out, the rest stays tentative."""
        out = self._emit_ready(closing=False)
        if out and (partial := self._partial_event()):
            out.append(partial)
        return out

    def _held_too_long(self, pending: list[Word]) -> bool:
        """Real-time only: the oldest committed word ended `max_hold_s` of stream time ago (a line's worth
        waiting) or `max_wait_s` ago (whatever is waiting)."""
        if not self.realtime or self.cfg.max_hold_s <= 0:
            return False
        waited = self._total / SAMPLE_RATE - pending[0].end
        if len(pending) >= self.cfg.min_line_words and waited >= self.cfg.max_hold_s:
            return True
        return waited >= max(self.cfg.max_wait_s, self.cfg.max_hold_s)

    def _final(self, words: list[Word]) -> Final:
        text = "".join(w.text for w in words).strip()
        self._final_until = max(self._final_until, words[-1].end)
        self._previous_tail = list(words[-4:])
        seg = Segment(start=words[0].start, end=words[-1].end, text=text, words=tuple(words), id=self._next_id)
        translated = getattr(self.backend, "task", "transcribe") == "translate"  # English text of the spoken language
        seg = replace(seg, language=getattr(self.backend, "detected_language", None), translated=translated)
        self._next_id += 1
        final = Final(segment=seg, emitted_at=self.now())
        self.stats.finals += 1
        self.stats.words += len(words)
        if self.realtime:
            self.stats.latencies.append(final.latency_s)
        self._context = (self._context + " " + text).strip()[-self.cfg.prompt_chars :]
        self._last_partial = ""
        return final

    def _partial_event(self) -> Partial | None:
        words = self._committed[self._emitted :] + self._tentative
        text = "".join(w.text for w in words).strip()
        if text == self._last_partial:
            return None
        self._last_partial = text
        self.stats.partials += 1
        start = words[0].start if words else self._total / SAMPLE_RATE
        end = words[-1].end if words else start
        return Partial(text=text, start=start, end=end, emitted_at=self.now())

    def _trim(self) -> None:
        """Keep passes short: once the buffer exceeds `max_buffer_s`, cut it after emitted text."""
        if (self._total - self._buf_start) / SAMPLE_RATE <= self.cfg.max_buffer_s:
            return
        if self._emitted:
            cut_at = self._committed[self._emitted - 1].end
            self._committed = self._committed[self._emitted :]
            self._emitted = 0
            self._drop_before(int(cut_at * SAMPLE_RATE))
        elif not self._committed and self._tentative:
            # Nothing agreed for a whole buffer: trust the older half of the hypothesis.
            cutoff = self._total / SAMPLE_RATE - self.cfg.max_buffer_s / 2
            older = [w for w in self._tentative if w.end <= cutoff]
            self._committed.extend(older)
            self._tentative = self._tentative[len(older) :]
        elif not self._committed:
            self._drop_before(self._total - int(self.cfg.max_buffer_s / 2 * SAMPLE_RATE))

    def _drop_before(self, sample: int) -> None:
        cut = sample - self._buf_start
        if cut <= 0:
            return
        cut = min(cut, len(self._audio))
        self._audio = self._audio[cut:]
        self._buf_start += cut


def _break_after(pending: list[Word], cfg: PolicyConfig) -> int:
    """How many of `pending` make a segment that ends at a natural break (0: no break yet).

    A sentence end always breaks; a clause end (comma, semicolon, colon, dash) or a dip of `dip_s`
    before the next word breaks once the line has `clause_min_words` words, so lines stay readable.
    """
    for i, w in enumerate(pending):
        text = w.text.strip()
        if SENTENCE_END.search(text):
            return i + 1
        if i + 1 < cfg.clause_min_words:
            continue
        if CLAUSE_END.search(text):
            return i + 1
        if i + 1 < len(pending) and pending[i + 1].start - w.end >= cfg.dip_s:
            return i + 1
    return 0


MIN_WORD_S = 0.08  # nobody speaks faster than ~12 words a second


def _drop_hallucinated(words: list[Word], committed: list[Word]) -> list[Word]:
    """Drop what Whisper invents after a forced prefix: an echo of the committed tail, or a run of
    words crammed into a sliver of audio (it read them from the prompt, not the speech)."""
    # One repeated word can be real speech ("no, no"); one squeezed into a sliver of audio is not.
    if _echoes(words, committed) and (len(words) >= 2 or _crammed(words)):
        return []
    # "Sure. Sure." with the second in 20 ms: a stutter of the decoder, not of the speaker.
    words = [w for i, w in enumerate(words) if not (i and _stutter(words[i - 1], w))]
    for i in range(len(words) - 1):
        run = words[i:]
        # The run must start with a crammed word: real words before it would otherwise be cut too.
        if run[0].end - run[0].start < MIN_WORD_S and (run[-1].end - run[0].start) / len(run) < MIN_WORD_S:
            return words[:i]
    return words


def _stutter(before: Word, word: Word) -> bool:
    return word.end - word.start < MIN_WORD_S / 2 and _key(word.text) == _key(before.text)


def _drop_previous_echo(words: list[Word], previous: list[Word]) -> list[Word]:
    """A new utterance that opens by repeating the end of the last one, crammed into a sliver of audio:
    Whisper read it from the prompt ("Sure." final, then "Sure." again in 20 ms). Said again at a normal
    pace, it stays ("Thank you. ... Thank you.")."""
    for k in range(min(len(words), len(previous)), 0, -1):
        if _crammed(words[:k]) and _echoes(words[:k], previous):
            return words[k:]
    return words


def _echoes(words: list[Word], tail: list[Word]) -> bool:
    """`words` say again what `tail` ended with (compared as `_key`s); nothing is no echo."""
    n = len(words)
    return 0 < n <= len(tail) and [_key(w.text) for w in tail[-n:]] == [_key(w.text) for w in words]


def _crammed(words: list[Word]) -> bool:
    """Faster than anyone speaks: under `MIN_WORD_S` a word on average (`words` not empty)."""
    return words[-1].end - words[0].start < MIN_WORD_S * len(words)


def _abs_word(w: HypWord, offset: float, limit: float) -> Word:
    start = min(offset + w.start, limit)
    end = min(max(offset + w.end, start), limit)
    return Word(start=round(start, 3), end=round(end, 3), text=w.text, probability=round(w.probability, 4))
