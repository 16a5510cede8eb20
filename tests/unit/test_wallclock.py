"""The wall-clock gap filler (audio/wallclock.py) against simulated devices: idle stretches, jitter,
stalls, clock drift, with and without capture times."""

from __future__ import annotations

import numpy as np
import pytest

from rtstt.audio.wallclock import WallClock

RATE = 16000
BLOCK = 320  # 20 ms


def loud(n: int = BLOCK, rng: np.random.Generator | None = None) -> np.ndarray:
    rng = rng or np.random.default_rng(0)
    return (0.3 * rng.standard_normal(n)).astype(np.float32)


def quiet(n: int = BLOCK) -> np.ndarray:
    return np.full(n, 1e-5, np.float32)  # -100 dBFS: a pause, not digital silence


def test_an_idle_stretch_becomes_silence_and_the_next_block_lands_where_it_was_captured():
    clock = WallClock(RATE)
    clock.start(0.0)
    out = [clock.block(loud(), now=0.025, captured_at=0.0)]
    t = 0.045
    while t < 3.0:  # nothing arrives; the reader asks every 20 ms
        out.append(np.zeros(clock.idle(t), np.float32))
        assert clock.offset_s(t) >= -clock.hold_s - 0.001  # never further behind than the hold
        t += 0.02
    out.append(clock.block(loud(), now=3.025, captured_at=3.0))
    stream = np.concatenate(out)
    assert len(stream) - BLOCK == 3.0 * RATE  # the second block starts at exactly 3.0 s
    assert not stream[BLOCK : 3 * RATE].any()
    assert clock.filled == 3 * RATE - BLOCK


def test_without_capture_times_a_late_start_is_estimated_from_arrival():
    """parec on an idle null sink: the first bytes come 1.7 s after it connects."""
    clock = WallClock(RATE)
    clock.start(0.0)
    for t in np.arange(0.02, 1.7, 0.02):
        clock.idle(float(t))
    out = clock.block(loud(), now=1.7)
    assert clock.position == round(1.7 * RATE)  # the block ends when it arrived
    assert len(out) > BLOCK and not out[:-BLOCK].any()


def test_delivery_jitter_and_bursts_never_insert_silence():
    """Contiguous audio delivered late by up to 45 ms, and after a 70 ms stall as one burst: the stream is
    exactly what was captured, nothing added, nothing dropped (no capture times: the Pulse case)."""
    rng = np.random.default_rng(1)
    clock = WallClock(RATE)
    clock.start(0.0)
    captured, emitted = [], []
    t_poll, k = 0.0, 0
    while k < 1500:  # 30 s
        end = (k + 1) * BLOCK / RATE
        if k % 250 == 100:  # a 70 ms stall: this block and the following three arrive together
            blocks = [loud(rng=rng) for _ in range(4)]
            k += 4
            arrival = k * BLOCK / RATE + 0.01
        else:
            blocks = [loud(rng=rng)]
            k += 1
            arrival = end + rng.uniform(0.0, 0.045)
        while t_poll + 0.02 < arrival:  # the reader found nothing in between
            t_poll += 0.02
            emitted.append(np.zeros(clock.idle(t_poll), np.float32))
        burst = np.concatenate(blocks)
        captured.append(burst)
        emitted.append(clock.block(burst, now=arrival))
    assert clock.filled == 0 and clock.drift_inserted == 0 and clock.drift_dropped == 0
    np.testing.assert_array_equal(np.concatenate(emitted), np.concatenate(captured))


def test_a_small_gap_waits_for_a_pause_and_a_fast_device_gives_back_silence():
    clock = WallClock(RATE)
    clock.start(0.0)
    t = 0.0
    for _ in range(100):  # 2 s of sound, on time
        clock.block(loud(), now=t + 0.02, captured_at=t)
        t += 0.02
    t += 0.03  # 30 ms lost: under the gap tolerance, and it is inside sound
    for _ in range(100):
        out = clock.block(loud(), now=t + 0.02, captured_at=t)
        assert len(out) == BLOCK
        t += 0.02
    assert clock.filled == 0
    out = clock.block(quiet(), now=t + 0.02, captured_at=t)  # the first pause catches up
    assert len(out) == BLOCK + 0.03 * RATE and clock.drift_inserted == 0.03 * RATE
    t += 0.02
    # the opposite: 40 ms too much (e.g. a fast device clock); sound is kept whole, the pause is shortened
    t -= 0.04
    out = clock.block(loud(), now=t + 0.02, captured_at=t)
    assert len(out) == BLOCK
    t += 0.02
    emitted = 0
    for _ in range(3):
        emitted += len(clock.block(quiet(), now=t + 0.02, captured_at=t))
        t += 0.02
    assert emitted == 3 * BLOCK - clock.drift_dropped
    assert 0.02 * RATE <= clock.drift_dropped <= 0.04 * RATE  # back within the drift tolerance (20 ms)


def test_a_discontinuity_flag_fills_a_gap_below_the_tolerance():
    clock = WallClock(RATE)
    clock.start(0.0)
    clock.block(loud(), now=0.02, captured_at=0.0)
    out = clock.block(loud(), now=0.07, captured_at=0.05, discontinuity=True)
    assert len(out) == BLOCK + 0.03 * RATE


def device_blocks(
    ppm: float, rng: np.random.Generator, idle: bool = True
) -> list[tuple[float, float, np.ndarray, bool]]:
    """Ten minutes of a loopback device as (captured_at, arrival, samples, loud) blocks: talk (2-5 s of
    sound, 0.3-1 s pauses) for 20-60 s, then nothing at all for 5-40 s, and so on; the device clock off by
    `ppm`; delivery 5-25 ms after capture, and now and then a 60 ms stall after which the blocks
    captured meanwhile arrive together."""
    rate_dev = RATE * (1 + ppm * 1e-6)  # samples the device makes per wall-clock second
    blocks: list[tuple[float, float, np.ndarray, bool]] = []
    t_dev = 0.3
    while t_dev < 600.0:
        talk_end = t_dev + rng.uniform(20, 60)
        is_loud, seg_end = True, t_dev + rng.uniform(2, 5)
        while t_dev < talk_end:
            if t_dev >= seg_end:
                is_loud = not is_loud
                seg_end = t_dev + (rng.uniform(2, 5) if is_loud else rng.uniform(0.3, 1.0))
            captured_at = t_dev
            t_dev += BLOCK / rate_dev
            arrival = t_dev + (0.06 if rng.random() < 0.002 else rng.uniform(0.005, 0.025))
            if blocks and blocks[-1][1] > t_dev:  # still held up behind a stalled block
                arrival = blocks[-1][1]
            blocks.append((captured_at, arrival, loud(rng=rng) if is_loud else quiet(), is_loud))
        if idle:
            t_dev += rng.uniform(5, 40)  # the device delivers nothing at all
    return blocks


def simulate(
    ppm: float, capture_times: bool, seed: int, idle: bool = True
) -> tuple[WallClock, list[float], list[float], int]:
    """Feed `device_blocks` to a WallClock the way a source does, the reader polling every 20 ms. Without
    capture times (Pulse), blocks that arrive together are read as one. Returns the clock, the placement
    error of every block (where its first sample was emitted minus when it was captured, s), the offsets
    seen while nothing arrived, and the number of deliveries with sound that were not emitted whole."""
    rng = np.random.default_rng(seed)
    blocks = device_blocks(ppm, rng, idle)
    deliveries: list[tuple[float, float, np.ndarray, bool]] = []
    for captured_at, arrival, samples, is_loud in blocks:
        if not capture_times and deliveries and deliveries[-1][1] == arrival:
            first, _, prev, prev_loud = deliveries[-1]
            deliveries[-1] = (first, arrival, np.concatenate([prev, samples]), prev_loud or is_loud)
        else:
            deliveries.append((captured_at, arrival, samples, is_loud))
    clock = WallClock(RATE)
    clock.start(0.0)
    errors: list[float] = []
    idle_offsets: list[float] = []
    broken = 0
    t_poll = 0.0
    for captured_at, arrival, samples, is_loud in deliveries:
        while t_poll + 0.02 < arrival:
            t_poll += 0.02
            clock.idle(t_poll)
            idle_offsets.append(clock.offset_s(t_poll))
        before = clock.position
        out = clock.block(samples, now=arrival, captured_at=captured_at if capture_times else None)
        errors.append((before + max(0, len(out) - len(samples))) / RATE - captured_at)
        if is_loud and not np.array_equal(out[max(0, len(out) - len(samples)) :], samples):
            broken += 1
    return clock, errors, idle_offsets, broken


@pytest.mark.parametrize(
    "ppm, capture_times",
    [(0.0, True), (100.0, True), (-100.0, True), (0.0, False), (100.0, False), (-100.0, False)],
)
def test_ten_minutes_with_idle_stretches_stay_within_50_ms_of_the_wall_clock(ppm: float, capture_times: bool):
    clock, errors, idle_offsets, broken = simulate(
        ppm, capture_times, seed=int(abs(ppm)) * 2 + capture_times + (ppm < 0)
    )
    assert clock.filled > 60 * RATE  # minutes of idle time came back as silence
    assert max(abs(e) for e in errors) <= 0.05, (min(errors), max(errors))
    assert min(idle_offsets) >= -clock.hold_s - 0.021  # while nothing arrives: behind by the hold at most
    assert broken == 0  # no sound was split or shortened: corrections happen in pauses


@pytest.mark.parametrize("ppm", [200.0, -200.0])
@pytest.mark.parametrize("capture_times", [True, False])
def test_a_drifting_device_that_never_goes_idle_is_corrected_in_the_pauses(ppm: float, capture_times: bool):
    """Ten minutes of talk with no idle stretch: 200 ppm is 120 ms by the end, taken back in the pauses."""
    clock, errors, _, broken = simulate(ppm, capture_times, seed=7, idle=False)
    assert clock.filled <= 0.4 * RATE  # only the 0.3 s before the device started
    assert (clock.drift_dropped if ppm > 0 else clock.drift_inserted) >= 0.08 * RATE
    assert max(abs(e) for e in errors) <= 0.05, (min(errors), max(errors))
    assert broken == 0
