"""EchoSuppressor when a call starts with digital silence, as live capture does: the wall clock fills the
time before parec's first bytes with zeros (pulseaudio's null sinks, tests/integration/test_pulse_call.py,
and real devices alike), and a sink with nothing playing gives zeros too, but for a 16-bit step now and
then. Learnt from, such frames pinned the microphone's noise floor near zero (it rises only 1 dB/s) and
the others' echo went through as the user's words (benchmarks/call.py --pulse: 13% of their words)."""

from __future__ import annotations

import numpy as np

from tests.fixtures.make_call_fixture import SR
from tests.unit.test_echo import call, scores, stream  # noqa: F401 (call: the module's fixture)

LEAD_S = 3.0


def with_silent_lead(x: np.ndarray, last_bit: bool = False) -> np.ndarray:
    lead = np.zeros(int(LEAD_S * SR), np.float32)
    if last_bit:  # a converter's last bit, just before the sound starts
        lead[-2000::50] = 1 / 32768
    return np.concatenate([lead, x]).astype(np.float32)


def test_echo_is_silenced_after_a_silent_start(call):  # noqa: F811
    padded, _ = stream(with_silent_lead(call.system), with_silent_lead(call.mic, last_bit=True))
    out = padded[int(LEAD_S * SR) :]
    user_kept, echo_kept, longest = scores(call, out)
    assert user_kept >= 0.98
    assert echo_kept <= 0.03  # learning from the zeros: 0.19
    assert longest < 0.3  # one onset of the others' (0.24 s; from the start without zeros: none)


def test_a_muted_microphone_teaches_it_nothing(call):  # noqa: F811
    """The microphone muted (zeros) while the others talk, then unmuted: the echo is still silenced."""
    # Where in the call, from its metadata (the generator's layout differs where ../shared/data is missing):
    # muted over the others' second line, then heard while the others go on and the user is not speaking yet.
    second, third = call.meta["system_lines"][1:3]
    user_next = min(u["start"] for u in call.meta["user_lines"] if u["start"] > second["end"])
    assert not any(u["start"] < third["start"] and u["end"] > second["start"] for u in call.meta["user_lines"])
    mic = call.mic.copy()
    muted = slice(int((second["start"] - 0.6) * SR), int((third["start"] - 0.15) * SR))
    mic[muted] = 0.0
    out, es = stream(call.system, mic)
    assert float(es.log_gain.min()) > -40.0  # a zero microphone is no evidence of a faint echo path (-60)
    after = slice(int((third["start"] + 0.05) * SR), int(min(third["start"] + 1.15, user_next - 0.05) * SR))
    # 0.13 as without the mute; learning from the zeros: 1.0, the echo passes whole
    assert float(np.sqrt(np.mean(out[after] ** 2))) < 0.3 * float(np.sqrt(np.mean(call.mic[after] ** 2)))
