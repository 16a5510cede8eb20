"""The commit policy, driven by a scripted recogniser so every decision is checkable.

The fake backend "hears" a known script: the audio it receives encodes absolute time in its sample
values, so it knows which words the window contains, just like Whisper would.
"""

from __future__ import annotations

import itertools

import numpy as np

from rtstt.events import Final, Partial, Word
from rtstt.stt.streaming import PolicyConfig, StreamingTranscriber, _break_after, _drop_hallucinated
from rtstt.stt.whisper import Hypothesis, HypWord
from rtstt.vad import VadEvent, VadEventKind

SR = 16000
SCRIPT = ["one", "two", "three", "four", "five.", "six", "seven", "eight", "nine", "ten.", "eleven", "twelve"]
WORD_S = 0.4  # each word takes 0.4 s, starting at 1.0 s


def word_times(i: int) -> tuple[float, float]:
    start = 1.0 + i * WORD_S
    return start, start + WORD_S - 0.05


class ScriptedBackend:
    def __init__(self, compute_s: float = 0.05, unstable_tail: bool = True) -> None:
        self.compute_s = compute_s
        self.unstable_tail = unstable_tail
        self.calls = 0

    def transcribe(self, audio: np.ndarray, *, prompt: str = "", prefix: str = "", words: bool = True) -> Hypothesis:
        self.calls += 1
        offset = float(audio[0]) if len(audio) else 0.0
        end = offset + len(audio) / SR
        n_prefix = len(prefix.split())
        heard = []
        for i, text in enumerate(SCRIPT):
            start, stop = word_times(i)
            if stop <= end + 1e-6:
                heard.append(HypWord(" " + text, start - offset, stop - offset, 0.9))
        # Whisper's last word is often wrong while the speaker is mid-word: garble it on odd calls.
        if self.unstable_tail and heard and self.calls % 2 and end - (heard[-1].end + offset) < 0.15:
            last = heard[-1]
            heard[-1] = HypWord(last.text + "ish", last.start, last.end, 0.3)
        return Hypothesis(words=heard[n_prefix:], compute_s=self.compute_s)


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def timed_audio(start_sample: int, n: int) -> np.ndarray:
    """Samples whose value is their absolute time in seconds (the fake backend reads it back)."""
    return (np.arange(start_sample, start_sample + n) / SR).astype(np.float32)


def run_stream(backend: ScriptedBackend, config: PolicyConfig | None = None, total_s: float = 7.0):
    clock = Clock()
    policy = StreamingTranscriber(backend, now=clock, config=config, realtime=True)
    speech_end = word_times(len(SCRIPT) - 1)[1]
    events: list[Partial | Final] = []
    block = SR // 50
    pos = 0
    while pos < total_s * SR:
        policy.add_audio(timed_audio(pos, block))
        pos += block
        clock.t = pos / SR
        if abs(clock.t - 0.9) < 1e-9:
            events += policy.on_vad(VadEvent(VadEventKind.SPEECH_START, int(0.9 * SR)))
        if abs(clock.t - (speech_end + 0.3)) < 0.01:
            events += policy.on_vad(VadEvent(VadEventKind.SPEECH_END, int((speech_end + 0.2) * SR)))
        events += policy.maybe_pass()
    events += policy.finish()
    return policy, events


def finals(events) -> list[Final]:
    return [e for e in events if isinstance(e, Final)]


def test_every_word_is_final_exactly_once_and_in_order():
    _, events = run_stream(ScriptedBackend())
    text = " ".join(f.segment.text for f in finals(events))
    assert text.split() == SCRIPT
    ids = [f.segment.id for f in finals(events)]
    assert ids == sorted(set(ids))


def test_sentences_become_final_before_the_speaker_pauses():
    _, events = run_stream(ScriptedBackend(), PolicyConfig(max_hold_s=0))  # breaks at sentence ends only
    first = finals(events)[0]
    assert first.segment.text == "one two three four five."
    # final while "six seven ..." is still being spoken, well before the pause at ~5.8 s
    assert first.emitted_at < word_times(7)[1]
    assert first.latency_s < 1.0


def test_continuous_speech_becomes_final_word_by_word_not_at_the_pause():
    """No sentence end for 12 words: every word is final within about a second of being spoken."""
    global SCRIPT
    saved, SCRIPT = SCRIPT, [t.rstrip(".") for t in SCRIPT]
    try:
        _, events = run_stream(ScriptedBackend())
    finally:
        SCRIPT = saved
    words = [(f.emitted_at, wd) for f in finals(events) for wd in f.segment.words]
    assert [wd.text.strip() for _, wd in words] == [t.rstrip(".") for t in SCRIPT]  # none dropped or doubled
    speech_end = word_times(len(SCRIPT) - 1)[1]
    spoken_before_pause = [at - wd.end for at, wd in words if wd.end < speech_end - 1.0]
    assert spoken_before_pause and max(spoken_before_pause) < 1.2
    assert len(finals(events)) < len(SCRIPT)  # lines, not one word each


def test_a_clause_or_a_dip_between_words_ends_a_line_once_it_is_long_enough():
    cfg = PolicyConfig(clause_min_words=3, dip_s=0.2)
    said = [w(" so", 0.0, 0.2), w(" we", 0.2, 0.4), w(" agreed,", 0.4, 0.8), w(" and", 0.8, 1.0)]
    assert _break_after(said, cfg) == 3
    assert _break_after([w(" yes,", 0.0, 0.3), w(" we", 0.3, 0.5), w(" did", 0.5, 0.7)], cfg) == 0  # too short
    dip = [w(" the", 0.0, 0.2), w(" new", 0.2, 0.4), w(" release", 0.4, 0.8), w(" went", 1.1, 1.3)]
    assert _break_after(dip, cfg) == 3
    assert _break_after([w(" it", 0.0, 0.2), w(" works.", 0.2, 0.5), w(" ok", 0.5, 0.7)], cfg) == 2


def test_partials_show_the_words_as_they_are_spoken():
    _, events = run_stream(ScriptedBackend())
    partials = [e for e in events if isinstance(e, Partial) and e.text]
    assert len(partials) >= 5
    assert any("three" in p.text for p in partials if p.emitted_at < word_times(4)[1])
    last_final = max(i for i, e in enumerate(events) if isinstance(e, Final))
    assert not any(isinstance(e, Partial) and e.text for e in events[last_final:])


def test_a_garbled_tail_never_reaches_a_final():
    _, events = run_stream(ScriptedBackend(unstable_tail=True))
    assert not any("ish" in f.segment.text for f in finals(events))


def test_word_timestamps_are_absolute_and_monotonic():
    _, events = run_stream(ScriptedBackend())
    words = [w for f in finals(events) for w in f.segment.words]
    for i, w in enumerate(words):
        start, stop = word_times(i)
        assert abs(w.start - start) < 0.02 and abs(w.end - stop) < 0.02
    assert all(a.end <= b.start + 1e-6 for a, b in itertools.pairwise(words))


def test_slow_compute_widens_the_step_instead_of_building_a_backlog():
    fast, _ = run_stream(ScriptedBackend(compute_s=0.05))
    slow, _ = run_stream(ScriptedBackend(compute_s=0.6))
    assert fast.step_s < 0.3
    assert slow.step_s > 0.8


def test_rejected_passes_emit_nothing():
    class Silent:
        def transcribe(self, audio, **kw):
            return Hypothesis(words=[HypWord(" Thank you.", 0.0, 1.0, 0.2)], rejected="no speech")

    clock = Clock()
    policy = StreamingTranscriber(Silent(), now=clock)
    policy.on_vad(VadEvent(VadEventKind.SPEECH_START, 0))
    policy.add_audio(np.zeros(SR * 2, dtype=np.float32))
    clock.t = 2.0
    out = policy.maybe_pass() + policy.on_vad(VadEvent(VadEventKind.SPEECH_END, SR * 2))
    assert finals(out) == []
    assert policy.stats.rejected >= 1


def w(text: str, start: float, end: float) -> Word:
    return Word(start=start, end=end, text=text)


def test_an_echo_of_the_committed_tail_is_dropped():
    committed = [w(" see", 0.0, 0.3), w(" you", 0.3, 0.5), w(" soon.", 0.5, 0.9)]
    echo = [w(" you", 1.0, 1.2), w(" soon.", 1.2, 1.5)]
    assert _drop_hallucinated(echo, committed) == []


def test_a_pass_with_nothing_new_after_the_committed_prefix_is_not_an_error():
    assert _drop_hallucinated([], [w(" see", 0.0, 0.3)]) == []


def test_a_single_echoed_word_is_dropped_only_when_squeezed():
    committed = [w(" Sure.", 9.51, 9.79)]
    assert _drop_hallucinated([w(" Sure.", 9.95, 9.97)], committed) == []
    real = [w(" sure.", 10.2, 10.6)]
    assert _drop_hallucinated(real, committed) == real


def test_words_crammed_into_a_sliver_are_cut_but_real_words_before_them_stay():
    words = [w(" thanks", 0.0, 0.46), w(" for", 0.46, 0.66), w(" trying", 0.66, 0.82)]
    crammed = [w(" thanks", 0.82, 0.84), w(" for", 0.84, 0.86), w(" trying", 0.86, 0.88)]
    assert _drop_hallucinated(words + crammed, []) == words


def test_a_new_utterance_that_only_echoes_the_last_one_in_a_sliver_is_dropped():
    from rtstt.events import Word
    from rtstt.stt.streaming import _drop_previous_echo

    previous = [Word(8.9, 9.3, " Well,"), Word(9.51, 9.79, " Sure.")]
    echo = [Word(9.952, 9.972, " Sure."), Word(10.18, 10.42, " The"), Word(10.42, 10.70, " login")]
    assert [w.text for w in _drop_previous_echo(echo, previous)] == [" The", " login"]
    assert _drop_previous_echo(echo[:1], previous) == []
    said_again = [Word(12.0, 12.4, " Sure.")]  # a real repeat, at the pace of speech
    assert _drop_previous_echo(said_again, previous) == said_again


def test_a_word_repeated_in_a_sliver_within_one_pass_is_dropped():
    from rtstt.events import Word
    from rtstt.stt.streaming import _drop_hallucinated

    words = [Word(9.512, 9.792, " Sure."), Word(9.952, 9.972, " Sure."), Word(10.18, 10.42, " The")]
    assert [w.text for w in _drop_hallucinated(words, [])] == [" Sure.", " The"]
    real = [Word(1.0, 1.3, " no,"), Word(1.4, 1.7, " no.")]
    assert _drop_hallucinated(real, []) == real


def test_the_next_utterance_is_decoded_with_the_last_ones_tail_as_context():
    """A short pause splits "ask" from "not": "not" is decoded after the audio and words of "ask"."""
    backend = ScriptedBackend(unstable_tail=False)
    seen: list[tuple[float, float, str]] = []
    transcribe = backend.transcribe

    def recording(audio, **kw):
        seen.append((clock.t, float(audio[0]), kw.get("prefix", "")))
        return transcribe(audio, **kw)

    backend.transcribe = recording
    clock = Clock()
    policy = StreamingTranscriber(backend, now=clock, realtime=True)
    events: list[Partial | Final] = []
    pause = (word_times(2)[1], word_times(3)[0])  # the VAD hears a pause between "three" and "four"
    block = SR // 50
    for pos in range(0, int(6.0 * SR), block):
        policy.add_audio(timed_audio(pos, block))
        clock.t = (pos + block) / SR
        if abs(clock.t - 0.9) < 1e-9:
            events += policy.on_vad(VadEvent(VadEventKind.SPEECH_START, int(0.9 * SR)))
        if abs(clock.t - (pause[0] + 0.25)) < 0.01:
            events += policy.on_vad(VadEvent(VadEventKind.SPEECH_END, int(pause[0] * SR)))
        if abs(clock.t - (pause[1] + 0.3)) < 0.01:
            events += policy.on_vad(VadEvent(VadEventKind.SPEECH_START, int(pause[1] * SR)))
        events += policy.maybe_pass()
    events += policy.finish()
    second = [(start, prefix) for at, start, prefix in seen if at > pause[1] + 0.3]
    assert second and second[0][0] < pause[0]  # the audio reaches back into the first utterance...
    assert second[0][1].split()[-1] == "three"  # ...and its words are the decoder's prefix
    text = " ".join(f.segment.text for f in finals(events)).split()
    assert text == SCRIPT[: len(text)] and len(text) >= 8  # nothing dropped or doubled at the seam


class PrefixIgnoringBackend(ScriptedBackend):
    """Whisper does not always continue its forced prefix: this one says every word whose audio ends in the
    window, from the start, whatever it was given (including words cut at the window's left edge)."""

    def transcribe(self, audio: np.ndarray, *, prompt: str = "", prefix: str = "", words: bool = True) -> Hypothesis:
        hyp = super().transcribe(audio, prompt=prompt, prefix="", words=words)
        return Hypothesis(words=hyp.words, compute_s=hyp.compute_s)


def test_a_word_already_final_is_never_final_again_after_the_buffer_is_trimmed():
    """Trimming the buffer after emitted text empties the agreed prefix; the words before the cut must still
    count as said (live, a meeting's clause came out twice: "...a KML goo. ... a KML goo.")."""
    config = PolicyConfig(max_buffer_s=2.0, redecide_on_close=False)
    _, events = run_stream(PrefixIgnoringBackend(unstable_tail=False), config)
    text = " ".join(f.segment.text for f in finals(events))
    assert text.split() == SCRIPT
