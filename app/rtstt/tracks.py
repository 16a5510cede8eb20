"""One audio track's state in the engine: its source, VAD, commit policy, audio history and counters.

A single-source session has one `Track` (name None); a call has two ("mic", "system") that share the
engine's thread and its one Whisper model. Keeping everything a stream owns in one object is what lets
the engine run one or two of them with the same loop. Not thread-safe: only the engine thread uses it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

from rtstt.audio.base import AudioSource
from rtstt.audio.dsp import level_dbfs
from rtstt.audio.echo import EchoSuppressor
from rtstt.audio.ring import AudioHistory
from rtstt.config import Settings
from rtstt.events import Final, Partial
from rtstt.metrics import LatencyTracker
from rtstt.stt.streaming import Backend, PolicyConfig, StreamingTranscriber
from rtstt.vad import StreamingVad
from rtstt.vocab import SAMPLE_RATE

TrackEvent = Partial | Final
HISTORY_S = 120  # how much of a track's audio the speaker stage can still get back for a final line


class Track:
    """Blocks in (`take`), Partial and Final events out through `emit`, tagged with the track's name.

    `echo`: the call's echo suppressor. The system track feeds it as reference; the microphone track's
    blocks go through it before its VAD. Its output runs `echo.latency` samples behind: the track drops
    that many leading samples, so its stream time stays the input's, and `close` adds the flushed tail."""

    def __init__(
        self,
        name: str | None,
        source: AudioSource,
        backend: Backend,
        settings: Settings,
        now: Callable[[], float],
        emit: Callable[[TrackEvent], None],
        *,
        history: bool = False,
        echo: EchoSuppressor | None = None,
        reference: bool = False,
    ) -> None:
        self.name = name
        self.source = source
        self._emit = emit  # each event goes out as soon as it is made: a later failing pass loses none
        v = settings.vad
        self.vad = StreamingVad(threshold=v.threshold, min_silence_ms=v.min_silence_ms, speech_pad_ms=v.speech_pad_ms)
        self.policy = StreamingTranscriber(
            backend,
            now=now,
            config=PolicyConfig(partial_interval_s=settings.stt.partial_interval_s),
            realtime=source.realtime,
        )
        self.history = AudioHistory(HISTORY_S * SAMPLE_RATE) if history else None
        self.echo = echo
        self.reference = reference  # True: this track's audio is the echo suppressor's reference
        self._skip = echo.latency if echo is not None and not reference else 0
        self.received = 0  # samples read from the source (the echo suppressor's clock)
        self.processed = 0  # samples given to the VAD
        self.max_backlog = 0.0
        self.level = -120.0  # dBFS of the latest block
        self.level_acc = 0
        self.latency = LatencyTracker()
        self.ended = False  # the source ended: no more reads
        self.closed = False  # and its last words were finalised
        self._flushed = False
        self.last_pass_at = -1.0  # engine clock of this track's latest Whisper pass (who goes next)

    # ---- input -------------------------------------------------------------------------------
    def take(self, block: np.ndarray, paused: bool) -> None:
        """One block from the source: level, echo suppression, then the VAD and the policy. Paused audio
        becomes silence: the open utterance closes naturally and the stream clock stays on time."""
        self.level = level_dbfs(block)
        self.level_acc += len(block)
        if paused:
            block = np.zeros(len(block), dtype=np.float32)
        t = self.received / SAMPLE_RATE
        self.received += len(block)
        if self.echo is not None:
            if self.reference:
                self.echo.reference(block, t)
            else:
                block = self._unlag(self.echo.process(block, t))
        if block.size:
            self._feed(block)

    def _unlag(self, out: np.ndarray) -> np.ndarray:
        if self._skip:
            cut = min(self._skip, len(out))
            self._skip -= cut
            out = out[cut:]
        return out

    def _feed(self, block: np.ndarray) -> None:
        if self.history is not None:
            self.history.write(block)
        self.policy.add_audio(block)
        self.processed += len(block)
        for vad_event in self.vad.process(block):
            self._send(self.policy.on_vad(vad_event))

    # ---- passes and the end ------------------------------------------------------------------
    def maybe_pass(self, now: float) -> bool:
        """The policy's partial pass if one is due; says whether Whisper ran."""
        before = self.policy.stats.passes
        self._send(self.policy.maybe_pass())
        ran = self.policy.stats.passes != before
        if ran:
            self.last_pass_at = now
        return ran

    def close(self) -> None:
        """The source ended: the echo suppressor's tail, the VAD's flush, the open utterance finalised."""
        if self.echo is not None and not self.reference and not self._flushed:
            self._flushed = True
            tail = self._unlag(self.echo.flush())
            if tail.size:
                self._feed(tail)
        for vad_event in self.vad.flush(self.processed):
            self._send(self.policy.on_vad(vad_event))
        self._send(self.policy.finish())

    def _send(self, events: list[TrackEvent]) -> None:
        for event in events:
            if self.name is not None and isinstance(event, Final):
                event = Final(dataclasses.replace(event.segment, track=self.name), event.emitted_at)
            elif self.name is not None:
                event = dataclasses.replace(event, track=self.name)
            self._emit(event)

    # ---- measures ----------------------------------------------------------------------------
    def backlog(self, now: float) -> float:
        """Seconds of audio the track is behind the wall clock (meaningful for real-time sources)."""
        return max(0.0, now - self.processed / SAMPLE_RATE)

    def audio(self, start: float, end: float) -> np.ndarray | None:
        if self.history is None:
            return None
        return self.history.slice(int(start * SAMPLE_RATE), int(end * SAMPLE_RATE))

    @property
    def audio_s(self) -> float:
        return self.processed / SAMPLE_RATE


class TimeOrder:
    """A call's finals in time order across its tracks, into the one transcript.

    Each track decides its lines on its own schedule, so the user's reply could be final before the end of
    what the others said just before it. A final waits while another open track still has an undecided line
    that starts earlier, for at most `max_hold_s` of wall time (None: until that line is decided, for a file
    replayed at full speed). A held track's newest partial waits with it: it would otherwise replace the
    tentative text that is now the held final."""

    def __init__(
        self,
        tracks: list[Track],
        publish: Callable[[TrackEvent], None],
        now: Callable[[], float],
        max_hold_s: float | None,
    ) -> None:
        self.tracks = tracks
        self.publish = publish
        self.now = now
        self.max_hold_s = max_hold_s
        self._held: list[tuple[float, Final]] = []  # (held since, final)
        self._partials: dict[str | None, Partial] = {}

    def add(self, event: TrackEvent) -> None:
        if isinstance(event, Final):
            self._held.append((self.now(), event))
            self.release()
        elif any(f.segment.track == event.track for _, f in self._held):
            self._partials[event.track] = event
        else:
            self.publish(event)

    def release(self, force: bool = False) -> None:
        """Publish the finals nothing earlier can still come before (all of them when `force`)."""
        self._held.sort(key=lambda held: held[1].segment.start)
        while self._held:
            since, final = self._held[0]
            waited = self.now() - since
            if not force and self._blocked(final) and (self.max_hold_s is None or waited < self.max_hold_s):
                return
            self._held.pop(0)
            self.publish(final)
            track = final.segment.track
            if track in self._partials and not any(f.segment.track == track for _, f in self._held):
                self.publish(self._partials.pop(track))

    def _blocked(self, final: Final) -> bool:
        for track in self.tracks:
            if track.name == final.segment.track or track.closed:
                continue
            since = track.policy.pending_since_s
            if since is not None and since < final.segment.start:
                return True
        return False
