"""Echo suppression for the microphone track of a call, with the system (loopback) audio as reference.

Without a headset the microphone hears the speakers: the others' words would be transcribed a second time
on the microphone track. `EchoSuppressor` silences the microphone wherever it only carries that echo and
passes it through unchanged wherever the user speaks, also over the others (double talk).

Chosen over a word-level filter (drop microphone words the system track also has, within 0.6 s) by
benchmarks/echo.py (results in benchmarks/results/echo.json): on the call fixture no echo word is left
(the word filter leaves about 1-3% of the others' words) and the user's lines lose less (WER +1.5 points
against the lines alone, the word filter +6: it also drops the user's own "the", "to", "software" when the
others say them, and keeps echo words Whisper heard differently), and Whisper never has to run on the
echo, which halves its work on the microphone track in a typical call.

How:

1. The echo path's delay (speaker buffer + air + the two tracks' clock offset) is found by GCC-PHAT of the
   last 2 s of microphone against the system audio, redone every 0.5 s while the others talk, searched
   from -0.1 to +0.6 s; a new value is only taken when the correlation peak stands out and repeats.
2. Per 16 ms frame, 16 mel band powers (250-6000 Hz) of the microphone are compared with an echo estimate:
   the band powers of the system audio at that delay, smeared over the room's reverberation (the largest
   of the last 0.4 s of reference frames, each weighted by an exponential decay), times a per-band
   coupling gain (the running median of mic/reference power in frames that are not the user's), plus
   the microphone's noise floor (minimum statistics).
3. A frame is the user's when enough bands, and the whole band, stand 6 dB above that estimate (two
   frames in a row to start, a lower bar while the user is talking); it is echo when the estimate
   explains what the microphone has. User frames are kept with `lookahead_s` before (the output runs
   `latency_s` behind the input) and `hangover_s` after; echo frames are attenuated by `floor_db`
   (silence to the VAD) with 4 ms ramps; anything else passes unchanged.
   (Subtracting the echo estimate from kept frames as well, a Wiener-like gain per band, was tried and
   did not lower the WER of the user's lines: within one word either way.)

Without a reference (no system audio yet, or it arrives too late for a frame) the microphone passes
through: the user's words are never thrown away for lack of evidence. The reference may arrive up to
`latency_s - lookahead_s - 32 ms` (about 0.12 s) after the microphone audio it belongs with; give more
latency for loopback devices that deliver in larger packets. Memory is bounded (4 s of each track and a
few hundred frame decisions); the cost is about 1 ms of one core per 100 ms of audio (numpy FFTs).

Blocks may have any size; `t` is the wall-clock time (time.monotonic() or any shared clock) of the
block's first sample. Each track's blocks are laid end to end; its timestamps only re-anchor it when
they jump by more than `resync_s` (a gap in the loopback, a device switch), so jitter in arrival times
does not matter and a constant offset between the two clocks is part of the measured delay.
"""

from __future__ import annotations

import numpy as np

__all__ = ["EchoSuppressor", "estimate_delay", "gcc_phat"]

_FRAME = 512  # 32 ms analysis window
_HOP = 256  # 16 ms
_BANDS = 16
_F_LO, _F_HI = 250.0, 6000.0
_ECHO, _OTHER, _USER = 0, 1, 2  # frame decisions
_SILENT_PEAK = 1e-4  # -80 dBFS, three 16-bit steps: digital silence and a converter's last bit, not a room


def gcc_phat(mic: np.ndarray, ref: np.ndarray, max_lag: int, min_lag: int, sample_rate: int) -> int | None:
    """The lag (samples) by which `mic` follows `ref`, by GCC-PHAT over 200-4000 Hz, or None when no peak
    stands out. `ref` starts max_lag samples before `mic` and ends -min_lag samples after it: it covers
    every sample the searched lags [min_lag, max_lag] pair with mic."""
    n = len(mic)
    size = 1 << int(np.ceil(np.log2(len(ref) + n)))
    cross = np.fft.rfft(mic, size) * np.conj(np.fft.rfft(ref, size))
    freqs = np.fft.rfftfreq(size, 1 / sample_rate)
    cross[(freqs < 200) | (freqs > 4000)] = 0
    cross /= np.abs(cross) + 1e-12
    cc = np.fft.irfft(cross, size)
    # mic[i] pairs with ref[i + max_lag - lag]: lag shows at index (lag - max_lag) mod size
    lags = np.arange(min_lag, max_lag + 1)
    vals = cc[(lags - max_lag) % size]
    best = int(np.argmax(vals))
    if float(vals[best]) < 6.0 * (float(np.median(np.abs(vals))) + 1e-12):
        return None
    return int(lags[best])


def estimate_delay(
    mic: np.ndarray, ref: np.ndarray, sample_rate: int = 16000, max_delay_s: float = 0.6, min_delay_s: float = -0.1
) -> float | None:
    """Whole-signal delay (s) of mic behind ref (same start time), by GCC-PHAT; None when unclear."""
    max_lag, min_lag = round(max_delay_s * sample_rate), round(min_delay_s * sample_rate)
    n = min(len(mic), len(ref))
    padded = np.concatenate([np.zeros(max_lag, np.float32), ref[:n], np.zeros(max(0, -min_lag), np.float32)])
    lag = gcc_phat(np.asarray(mic[:n], np.float32), padded, max_lag, min_lag, sample_rate)
    return None if lag is None else lag / sample_rate


class _Track:
    """Samples on an absolute position axis, the last `capacity` of them kept."""

    def __init__(self, capacity: int, sample_rate: int, resync_s: float) -> None:
        self.buf = np.zeros(capacity, dtype=np.float32)
        self.sr = sample_rate
        self.resync = int(resync_s * sample_rate)
        self.end = 0  # absolute position after the last sample written
        self.started = False

    def place(self, t: float, origin: float) -> int:
        """Where a block stamped t starts: right after the previous one unless the stamp jumped."""
        at = round((t - origin) * self.sr)
        if not self.started:
            self.started = True
            self.end = at
            return at
        if abs(at - self.end) > self.resync:
            if at > self.end:  # a gap (nothing delivered): silence of the right length
                self.write_zeros(at - self.end)
            self.end = at
        return self.end

    def write_zeros(self, n: int) -> None:
        n = min(n, 10 * len(self.buf))
        self.write(np.zeros(min(n, len(self.buf)), dtype=np.float32), self.end + max(0, n - len(self.buf)))

    def write(self, samples: np.ndarray, at: int) -> None:
        n = len(samples)
        cap = len(self.buf)
        if n > cap:
            samples, at, n = samples[-cap:], at + n - cap, cap
        start = at % cap
        first = min(n, cap - start)
        self.buf[start : start + first] = samples[:first]
        if first < n:
            self.buf[: n - first] = samples[first:]
        self.end = at + n

    def read(self, at: int, n: int) -> np.ndarray:
        """Samples [at, at+n); zeros where nothing is held (not yet written or already dropped)."""
        out = np.zeros(n, dtype=np.float32)
        cap = len(self.buf)
        lo = max(at, self.end - cap)
        hi = min(at + n, self.end)
        if hi <= lo:
            return out
        idx = np.arange(lo, hi) % cap
        out[lo - at : hi - at] = self.buf[idx]
        return out


class EchoSuppressor:
    def __init__(
        self,
        sample_rate: int = 16000,
        *,
        latency_s: float = 0.35,
        lookahead_s: float = 0.2,
        hangover_s: float = 0.35,
        floor_db: float = -60.0,
        max_delay_s: float = 0.6,
        min_delay_s: float = -0.1,
        rt60_s: float = 0.5,
        user_margin_db: float = 6.0,
        user_bands: float = 0.4,
        soft_margin_db: float = 4.0,
        soft_bands: float = 0.3,
        resync_s: float = 0.2,
    ) -> None:
        if sample_rate != 16000:
            raise ValueError("EchoSuppressor works at 16 kHz (the rate every source converts to)")
        self.sr = sample_rate
        self.latency = round(latency_s * sample_rate)
        self.floor = float(10 ** (floor_db / 20))
        self.max_lag = round(max_delay_s * sample_rate)
        self.min_lag = round(min_delay_s * sample_rate)
        self.margin = float(10 ** (user_margin_db / 10))
        self.user_bands = user_bands
        self.hang_frames = int(np.ceil(hangover_s * sample_rate / _HOP))
        # the rest of the latency (after look-ahead and one frame) is how late the reference may arrive
        self.look_frames = max(0, min(round(lookahead_s * sample_rate) // _HOP, (self.latency - _FRAME) // _HOP))
        self.origin: float | None = None
        self.mic = _Track(round(4.0 * sample_rate), sample_rate, resync_s)
        self.ref = _Track(round(4.0 * sample_rate), sample_rate, resync_s)
        self.out_pos: int | None = None  # absolute mic position of the next output sample
        self.next_frame: int | None = None  # absolute mic position of the next frame to analyse
        self.delay: int | None = None  # samples: mic position - delay = reference position
        self._candidate: int | None = None
        self._last_gcc = -(10**12)
        win = np.hanning(_FRAME + 1)[:-1].astype(np.float32)
        self.window = win
        freqs = np.fft.rfftfreq(_FRAME, 1 / sample_rate)
        mel = np.linspace(*(2595 * np.log10(1 + np.array([_F_LO, _F_HI]) / 700)), _BANDS + 1)
        edges = 700 * (10 ** (mel / 2595) - 1)  # mel-spaced: the lowest band still holds two FFT bins
        self.band_of = np.full(len(freqs), -1)
        for b in range(_BANDS):
            self.band_of[(freqs >= edges[b]) & (freqs < edges[b + 1])] = b
        self.band_mat = np.zeros((len(freqs), _BANDS), dtype=np.float32)
        for b in range(_BANDS):
            self.band_mat[self.band_of == b, b] = 1.0
        n_tail = int(0.4 * sample_rate / _HOP)
        self.decay = (10 ** (-6.0 * _HOP / sample_rate / rt60_s)) ** np.arange(n_tail)  # power, 60 dB per rt60
        self.flat = np.ones(n_tail)
        self.ref_hist = np.zeros((n_tail, _BANDS), dtype=np.float32)  # newest first
        self.gain = np.ones(_BANDS, dtype=np.float32)  # echo coupling per band (power), starts pessimistic
        self.noise = np.full(_BANDS, 1e-9, dtype=np.float32)
        self.noise_known = False
        self.noise_rise = float(10 ** (1.0 / 10 * _HOP / sample_rate))  # the floor may rise 1 dB/s
        self.log_gain = np.zeros(_BANDS, dtype=np.float32)  # dB; starts pessimistic (echo as loud as reference)
        self.gain_step_db = 0.3
        self.ref_peak = np.zeros(_BANDS, dtype=np.float32)
        self.peak_decay = float(10 ** (-3.0 / 10 * _HOP / sample_rate))  # 3 dB/s
        self.prev_user = False
        self.last_user = -(10**12)
        self.soft_margin = float(10 ** (soft_margin_db / 10))
        self.soft_bands = soft_bands
        self.smooth = np.zeros(_BANDS, dtype=np.float32)
        # per-frame decisions by absolute frame position, kept for look-ahead and hangover
        self.decisions: dict[int, int] = {}
        self._last_gains: np.ndarray | None = None
        self.stats = {"frames": 0, "user_frames": 0, "no_reference_frames": 0, "delay_updates": 0}

    # -- input --------------------------------------------------------------------------------------
    def _anchor(self, t: float) -> None:
        if self.origin is None:
            self.origin = float(t)

    def reference(self, block: np.ndarray, t: float) -> None:
        """Feed system (loopback) audio: a 1-D float32 block whose first sample played at time t."""
        block = np.asarray(block, dtype=np.float32).reshape(-1)
        self._anchor(t)
        at = self.ref.place(t, self.origin)
        self.ref.write(block, at)
        if self.next_frame is not None:
            self._analyse_until(self.mic.end, forced_until=None)

    def process(self, block: np.ndarray, t: float) -> np.ndarray:
        """Feed a microphone block (first sample captured at time t); returns as many samples, the
        microphone `latency_s` earlier with echo-only stretches attenuated."""
        block = np.asarray(block, dtype=np.float32).reshape(-1)
        self._anchor(t)
        at = self.mic.place(t, self.origin)
        if self.out_pos is None:
            self.out_pos = at - self.latency
            self.next_frame = at
        self.mic.write(block, at)
        n = len(block)
        out_end = self.mic.end - self.latency
        if out_end - self.out_pos > 2 * n + self.latency:  # re-anchored forward: skip ahead
            self.out_pos = out_end - n
        if self.next_frame < self.mic.end - len(self.mic.buf) // 2:  # after a jump: start afresh
            self.next_frame = self.mic.end - self.latency
        # frames whose reference has not arrived wait, until the output needs their decision
        self._analyse_until(self.mic.end, forced_until=self.out_pos + n + self.look_frames * _HOP)
        out = self._emit(self.out_pos, n)
        self.out_pos += n
        return out

    def flush(self) -> np.ndarray:
        """At the end of the stream: the last `latency_s` of microphone audio, processed (the output then
        holds every input sample, `latency` samples later)."""
        if self.out_pos is None or self.origin is None:
            return np.zeros(0, dtype=np.float32)
        return self.process(np.zeros(self.latency, dtype=np.float32), self.origin + self.mic.end / self.sr)

    @property
    def latency_s(self) -> float:
        return self.latency / self.sr

    @property
    def delay_s(self) -> float | None:
        return None if self.delay is None else self.delay / self.sr

    # -- analysis -----------------------------------------------------------------------------------
    def _bands(self, frame: np.ndarray) -> np.ndarray:
        spec = np.fft.rfft(frame * self.window)
        power = (spec.real**2 + spec.imag**2).astype(np.float32)
        return power @ self.band_mat

    def _analyse_until(self, end: int, forced_until: int | None) -> None:
        assert self.next_frame is not None
        while self.next_frame + _FRAME <= end:
            pos = self.next_frame
            waiting = self.ref.started and pos - (self.delay or 0) + _FRAME > self.ref.end
            if waiting and (forced_until is None or pos > forced_until):
                break
            self._maybe_estimate_delay(pos + _FRAME)
            self._analyse(pos)
            self.next_frame += _HOP
        # forget decisions that can no longer matter
        if len(self.decisions) > 400:
            oldest = self.next_frame - 300 * _HOP
            for k in [k for k in self.decisions if k < oldest]:
                del self.decisions[k]

    def _analyse(self, pos: int) -> None:
        frame = self.mic.read(pos, _FRAME)
        # digital silence (the zeros a wall clock fills in before a device delivers, a muted microphone) says
        # nothing about the room: learnt from, it would pin the noise floor at zero (it rises 1 dB/s from
        # there) and drag the coupling gain down, and the others' echo would pass as the user's words
        silent = float(np.max(np.abs(frame))) < _SILENT_PEAK
        y = self._bands(frame)
        self.stats["frames"] += 1
        d = self.delay if self.delay is not None else 0
        ref_at = pos - d
        have_ref = self.ref.started and ref_at + _FRAME <= self.ref.end
        x = self._bands(self.ref.read(ref_at, _FRAME)) if self.ref.started else np.zeros(_BANDS, np.float32)
        self.ref_hist = np.roll(self.ref_hist, 1, axis=0)
        self.ref_hist[0] = x
        # delay not known yet: the echo may come from anywhere in the last 0.4 s
        weights = self.flat if self.delay is None else self.decay
        smeared = (self.ref_hist * weights[:, None]).max(axis=0)
        if not have_ref:
            self.stats["no_reference_frames"] += 1
        echo = self.gain * smeared
        # noise floor: minimum of the band powers smoothed over a few frames (times 2 below for the
        # minimum's bias); follows drops at once, rises 1 dB/s, but not in bands the echo fills (a long
        # turn of the others would otherwise lift the floor into the echo)
        if not silent:
            self.smooth = y.copy() if not self.noise_known else 0.5 * self.smooth + 0.5 * y
            if not self.noise_known:
                self.noise = self.smooth.copy()
                self.noise_known = True
            rise = np.where(echo > self.noise, 1.0, self.noise_rise)
            self.noise = np.where(self.smooth < self.noise, self.smooth, self.noise * rise).astype(np.float32)
        expected = echo + 2.0 * self.noise
        score = float(np.count_nonzero(y > self.margin * expected)) / _BANDS
        broad = float(y.sum()) > self.margin * float(expected.sum())
        # the user's: enough bands, and the whole band, clearly above the echo and noise estimate, in this
        # frame and the one before (single frames stand out now and then). While the user is talking
        # (a user frame within the hangover) a lower bar holds: their quieter sounds (fricatives, word
        # ends) under the others' echo still count.
        now = score >= self.user_bands and broad
        if pos - self.last_user <= self.hang_frames * _HOP:
            soft = float(np.count_nonzero(y > self.soft_margin * expected)) / _BANDS
            user = now or (soft >= self.soft_bands and float(y.sum()) > self.soft_margin * float(expected.sum()))
        else:
            user = now and self.prev_user
        self.prev_user = now
        if user:
            self.last_user = pos
        # coupling gain per band: the running median of mic/reference power in frames that are not the
        # user's, where the reference is active (sign steps of 0.3 dB: robust to double talk and outliers)
        # (active: within 30 dB of the reference's recent peak in that band, so pauses with a faint
        # noise floor on the system side do not teach it anything)
        self.ref_peak = np.maximum(x, self.ref_peak * self.peak_decay)
        active = (smeared > 1e-10) & (smeared > 1e-3 * self.ref_peak)
        if have_ref and active.any() and not now and not silent:
            ratio_db = 10 * np.log10(np.maximum(y - self.noise, 1e-12) / np.maximum(smeared, 1e-12))
            step = self.gain_step_db * np.sign(ratio_db - self.log_gain)
            self.log_gain = np.where(active, np.clip(self.log_gain + step, -60.0, 6.0), self.log_gain).astype(
                np.float32
            )
            self.gain = (10 ** (self.log_gain / 10)).astype(np.float32)
        if user:
            self.stats["user_frames"] += 1
            self.decisions[pos] = _USER
        else:
            # echo only when the echo estimate accounts for a fair part of what the mic has above its
            # noise floor; a frame it does not explain (noise, a cough, no reference at all) passes
            floor = 2.0 * float(self.noise.sum())
            above = float(y.sum()) - floor
            echo_sum = float(echo.sum())
            explained = above > 0 and echo_sum >= 0.1 * above
            # near the noise floor while the others' reverberation is still around: a gap between their
            # words, where the room's tail is all the microphone has
            explained |= above < 2.0 * floor and echo_sum > 0.01 * floor
            self.decisions[pos] = _ECHO if explained else _OTHER

    def _maybe_estimate_delay(self, end: int) -> None:
        """GCC-PHAT of the last 2 s of mic against the reference, every 0.5 s while the reference talks."""
        if end - self._last_gcc < self.sr // 2 or not self.ref.started:
            return
        self._last_gcc = end
        n = 2 * self.sr
        mic = self.mic.read(end - n, n)
        ref = self.ref.read(end - n - self.max_lag, n + self.max_lag - self.min_lag)
        if float(np.mean(ref**2)) < 1e-7 or float(np.mean(mic**2)) < 1e-9:
            return
        found = gcc_phat(mic, ref, self.max_lag, self.min_lag, self.sr)
        if found is None:
            return
        lag = found
        if self.delay is not None and abs(lag - self.delay) <= 16:
            self.delay = lag
            self._candidate = None
            return
        if self._candidate is not None and abs(lag - self._candidate) <= 16:  # seen twice: take it
            self.delay = lag
            self._candidate = None
            self.stats["delay_updates"] += 1
            # the echo estimate changes shape (reverb-weighted at the new delay, instead of the flat
            # maximum over all delays, or the old delay): be pessimistic until the gains settle again
            self.log_gain = np.minimum(self.log_gain + 10.0, 6.0).astype(np.float32)
            self.gain = (10 ** (self.log_gain / 10)).astype(np.float32)
        else:
            self._candidate = lag

    # -- output -------------------------------------------------------------------------------------
    def _keep(self, frame_pos: int) -> bool:
        """Keep the frame at frame_pos unless it is echo with no user frame within the look-ahead before
        or the hangover after it."""
        if self.decisions.get(frame_pos, _OTHER) != _ECHO:
            return True
        return any(
            self.decisions.get(frame_pos + k * _HOP) == _USER for k in range(-self.hang_frames, self.look_frames + 1)
        )

    def _emit(self, start: int, n: int) -> np.ndarray:
        audio = self.mic.read(start, n)
        assert self.next_frame is not None
        gains = np.empty(n, dtype=np.float32)
        # samples take the decision of the frame centred on their hop (frames start every _HOP samples)
        base = self.next_frame % _HOP
        slot = start - ((start - base) % _HOP)
        while slot < start + n:
            frame = slot - _HOP  # the frame [slot - HOP, slot + HOP) is centred on this slot
            lo, hi = max(slot, start), min(slot + _HOP, start + n)
            keep = self._keep(frame) if frame < self.next_frame and frame in self.decisions else True
            gains[lo - start : hi - start] = 1.0 if keep else self.floor
            slot += _HOP
        # short ramps (4 ms) instead of steps
        if n > 1:
            k = 64
            kernel = np.ones(k, dtype=np.float32) / k
            prev = self._last_gains if self._last_gains is not None else np.full(k - 1, gains[0], np.float32)
            padded = np.concatenate([prev, gains])
            self._last_gains = padded[-(k - 1) :].copy()
            gains = np.convolve(padded, kernel, mode="valid").astype(np.float32)
        return audio * gains
