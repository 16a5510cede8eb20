"""The Engine: source → dsp → VAD → streaming STT → session, publishing events to subscribers.

One engine thread runs VAD and STT (see docs/ARCHITECTURE.md, "Threads"). It always drains all the
audio that is waiting before it runs a Whisper pass, so VAD decisions are never stale, and the
commit policy widens its step when passes are slow instead of letting a backlog grow.

A call (`CallSource`) runs as two tracks, the microphone and the system audio, each with its own VAD and
commit policy (`tracks.py`) but one shared Whisper model: passes run one after another, the track that
waited longest first, and audio is drained again between them. The microphone goes through the call's
echo suppressor (the system audio is its reference) before its VAD. Finals, each tagged with its track,
reach the session in time order (`TimeOrder`: a line waits, at most HOLD_S, for the other track's earlier
undecided one). A track whose device fails is drained and reported, and the call goes on with the other.

Every final segment and every stage result goes to the `LiveSession` first (the one owner of the
transcript), then to subscribers. Subscribers are called on the engine thread for transcript events
and on a stage's own thread for that stage's events (speaker labels, key phrases, summaries), so
they must be quick and thread-safe: the GUI re-emits them as queued Qt signals, the CLI prints them.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rtstt.audio.call import SYSTEM, TRACK_NAMES, CallSource
from rtstt.audio.echo import EchoSuppressor
from rtstt.audio.sources import AudioSource
from rtstt.config import Settings
from rtstt.errors import AudioFormatError, RtsttError
from rtstt.events import EngineError, Event, Final, Keywords, Metric, Questions, SpeakerLabels, StreamEnded, Summary
from rtstt.metrics import LatencyTracker, ResourceSampler
from rtstt.session.live import LiveSession
from rtstt.speakers.line_split import CONTEXT_AFTER_S, CONTEXT_BEFORE_S
from rtstt.stages import SpeakersStage, SummaryStage, build_stages
from rtstt.stt.streaming import StreamingTranscriber
from rtstt.stt.whisper import WhisperBackend
from rtstt.tracks import TimeOrder, Track, TrackEvent
from rtstt.vocab import SAMPLE_RATE

log = logging.getLogger(__name__)

Subscriber = Callable[[Event], None]
_SESSION_EVENTS = (SpeakerLabels, Keywords, Questions, Summary)
HOLD_S = 1.5  # the longest a call's final line waits for an earlier one of the other track (wall seconds)


@dataclass
class _Clock:
    t0: float = 0.0

    def start(self) -> None:
        self.t0 = time.monotonic()

    def __call__(self) -> float:
        return time.monotonic() - self.t0


class Engine:
    """Runs one stream (or a call's two tracks) from the source to the end (or to `stop()`), publishing events."""

    def __init__(
        self,
        settings: Settings,
        source: AudioSource | CallSource,
        backend: WhisperBackend,
        *,
        session: LiveSession | None = None,
        resource_interval_s: float = 1.0,
    ) -> None:
        """`session`: where the transcript goes (journalled); by default one kept in memory only."""
        self.settings = settings
        self.source = source
        self.backend = backend
        if hasattr(backend, "vocabulary"):
            backend.vocabulary = settings.stt.vocabulary  # the model is shared across runs; the words are this run's
        self.session = session if session is not None else LiveSession.start(None, source.name)
        self.session.on_error = lambda exc: self._notify(EngineError(exc.message, exc.hint))
        self.clock = _Clock()
        self.latency = LatencyTracker()
        self.resources = ResourceSampler()
        self._resource_interval = resource_interval_s
        self._subscribers: list[Subscriber] = []
        self._stop = threading.Event()
        self._paused = threading.Event()
        self._thread: threading.Thread | None = None
        self.error: RtsttError | None = None
        self.ended: StreamEnded | None = None
        self.stages = build_stages(settings, self.publish)
        self._speakers = next((s for s in self.stages if isinstance(s, SpeakersStage)), None)  # cuts two-voice lines
        # Stages that embed voices get each final segment's audio back out of a short history (in a call only the
        # system track's: the microphone's lines are the user's own, the speakers stage leaves them alone).
        history = any(s.needs_audio for s in self.stages)
        if isinstance(source, CallSource):
            echo = EchoSuppressor(SAMPLE_RATE)  # one per call: the system audio is the mic's reference
            emit = self._to_order
            track = functools.partial(Track, backend=backend, settings=settings, now=self.clock, emit=emit)
            self.tracks = [
                track(name, src, history=history and name == SYSTEM, echo=echo, reference=name == SYSTEM)
                for name, src in source.tracks().items()
            ]
        else:
            self.tracks = [Track(None, source, backend, settings, self.clock, self.publish, history=history)]
        self._by_name = {t.name: t for t in self.tracks}
        hold = HOLD_S if source.realtime else None
        self._order = TimeOrder(self.tracks, self.publish, self.clock, hold) if len(self.tracks) > 1 else None

    @property
    def policy(self) -> StreamingTranscriber:
        """The first track's commit policy (the only one of a single-source session)."""
        return self.tracks[0].policy

    @property
    def call(self) -> bool:
        return isinstance(self.source, CallSource)

    # ---- control -----------------------------------------------------------------------------
    def subscribe(self, callback: Subscriber) -> None:
        self._subscribers.append(callback)

    def start(self) -> None:
        """Run the stream on a background thread."""
        self._thread = threading.Thread(target=self.run, name="rtstt-engine", daemon=True)
        self._thread.start()

    def pause(self) -> None:
        """Stop listening (audio arriving while paused is discarded) without ending the session."""
        self._paused.set()

    def resume(self) -> None:
        self._paused.clear()

    @property
    def paused(self) -> bool:
        return self._paused.is_set()

    def stop(self) -> None:
        """Stop capture; the engine still drains: VAD flush, tail finalised, journal synced."""
        self._stop.set()
        self.source.stop()

    def warm_up_stages(self, timeout: float = 300.0) -> None:
        """Load the downstream stages' models before capture starts, as the Whisper model is: on two cores,
        loading them while someone speaks took CPU from the transcript (benchmarks/README.md). Models are
        cached per process, so a window's next session starts at once. A stage that cannot load is off."""
        deadline = time.monotonic() + timeout
        for stage in self.stages:
            stage.start()
        for stage in self.stages:
            while not stage.wait_loaded(0.1) and not self._stop.is_set() and time.monotonic() < deadline:
                pass

    def request_summary(self) -> bool:
        """ "Summarize now": the summary stage updates at once with everything said so far (thread-safe).
        False when no summary stage is running."""
        for stage in self.stages:
            if isinstance(stage, SummaryStage) and stage.ready:
                stage.request()
                return True
        return False

    def join(self, timeout: float | None = None) -> bool:
        if self._thread:
            self._thread.join(timeout)
            return not self._thread.is_alive()
        return True

    # ---- the loop ----------------------------------------------------------------------------
    def run(self) -> StreamEnded:
        try:
            for stage in self.stages:
                stage.start()
            self.source.start()
            self.clock.start()
            self._loop()
        except RtsttError as exc:
            self.error = exc
            self.publish(EngineError(exc.message, exc.hint, fatal=True))
        except Exception as exc:  # a bug must still not lose the words already heard: drain, then report
            log.exception("engine stopped on an unexpected error")
            self.error = RtsttError(f"unexpected error: {exc}", "the transcript so far is saved; please report this")
            self.publish(EngineError(self.error.message, self.error.hint, fatal=True))
        finally:
            self._drain()
        assert self.ended is not None
        return self.ended

    def _loop(self) -> None:
        next_resource = 0.0
        while True:
            live = [t for t in self.tracks if not t.ended]
            if not live:
                return
            waited = False
            for track in self._read_order(live):
                before = track.received
                if not self._read(track, timeout=0.0 if waited else 0.02):
                    if not self._track_ended(track):
                        return  # the last (or only) track ended: the drain closes it
                elif track.received != before and self.source.realtime:
                    track.max_backlog = max(track.max_backlog, track.backlog(self.clock()))
                waited = True
            self._one_pass()
            if self._order is not None:
                self._order.release()
            now = self.clock()
            if now >= next_resource:
                next_resource = now + self._resource_interval
                self._publish_resources(now)

    def _read_order(self, live: list[Track]) -> list[Track]:
        """Live: every track, the system audio first (the echo reference leads the microphone). A file at
        full speed: only the track that has read the least, so the two stay within one block of each other."""
        if self.source.realtime or len(live) == 1:
            return live
        return [min(live, key=lambda t: t.received)]

    def _read(self, track: Track, timeout: float) -> bool:
        """Drain what the track's source has waiting (one block from a file at full speed); False when it ended."""
        block = track.source.read(timeout=timeout)
        level_every = int(0.1 * SAMPLE_RATE)
        while block is not None and block.size:
            track.take(block, self._paused.is_set())
            if track.level_acc >= level_every:
                track.level_acc = 0
                self._publish_level(track)
            if not track.source.realtime:
                break  # a file read at full speed: give the policy a look after every block
            block = track.source.read(timeout=0.0)
        return block is not None

    def _one_pass(self) -> None:
        """At most one Whisper pass per round, the track whose last pass is oldest first: the other track's
        audio is drained before its turn, so its VAD decisions are never stale either."""
        for track in sorted(self.tracks, key=lambda t: t.last_pass_at):
            if track.ended:
                continue
            if track.maybe_pass(self.clock()):
                return

    def _track_ended(self, track: Track) -> bool:
        """A call's track whose source ended: report a failed device (the call goes on), drain the track.
        False when nothing is left to go on with (a single source, or the last track of a call)."""
        if len([t for t in self.tracks if not t.ended]) == 1:
            self._report_source_error(track.source)
            return False
        err = getattr(track.source, "error", None)
        if err is not None:
            other = next(t for t in self.tracks if t is not track and not t.ended)
            assert track.name is not None and other.name is not None
            message = err.message if isinstance(err, RtsttError) else str(err)
            self.publish(
                EngineError(
                    f"{TRACK_NAMES[track.name]} disconnected: {message} — the call goes on with "
                    f"{TRACK_NAMES[other.name]} only",
                    "check the device; start a new session to use both again",
                )
            )
        self._close_track(track)
        return True

    def _report_source_error(self, source: AudioSource) -> None:
        err = getattr(source, "error", None)
        if isinstance(err, AudioFormatError):  # a file damaged part-way: it says where it ended and why
            self.error = err
            self.publish(EngineError(err.message, err.hint, fatal=True))
        elif err is not None:
            message = err.message if isinstance(err, RtsttError) else str(err)
            hint = err.hint if isinstance(err, RtsttError) else "check the device and start again"
            self.publish(EngineError(f"audio input stopped: {message}", hint, fatal=True))

    def _drain(self) -> None:
        try:
            self._close_stream()
        except RtsttError as exc:  # e.g. out of memory on the closing pass: keep the words as they stand
            for track in self.tracks:
                track.policy.passes_enabled = False
            if self.error is None:
                self.error = exc
                self.publish(EngineError(exc.message, exc.hint, fatal=True))
            self._close_stream()
        if self._order is not None:
            self._order.release(force=True)
        for stage in self.stages:  # one last update over the whole session, then the threads end
            stage.finish()
        stats = self.stats()
        self.session.record_stats(stats)
        self.session.close(clean=True)
        self.ended = StreamEnded(audio_s=stats["audio_s"], wall_s=stats["wall_s"], stats=stats)
        self.publish(self.ended)

    def _close_stream(self) -> None:
        for track in self.tracks:
            if not track.closed:
                self._close_track(track)

    def _close_track(self, track: Track) -> None:
        track.ended = True
        track.close()
        track.closed = True  # only now: a closing pass that failed is retried by the drain, passes off
        if self._order is not None:
            self._order.release()  # its lines no longer hold the other track's back

    def _to_order(self, event: TrackEvent) -> None:
        assert self._order is not None
        self._order.add(event)

    def _publish_level(self, track: Track) -> None:
        now = self.clock()
        if track.name is None:
            self.publish(Metric("level_dbfs", track.level, now))
            return
        self.publish(Metric(f"level_{track.name}_dbfs", track.level, now))
        if track is self.tracks[0] or self.tracks[0].ended:  # the meter shows the louder side, once per 0.1 s
            self.publish(Metric("level_dbfs", max(t.level for t in self.tracks if not t.ended), now))

    def _publish_resources(self, now: float) -> None:
        sample = self.resources.sample()
        for name, value in sample.items():
            self.publish(Metric(name, float(value), now))
        live = [t for t in self.tracks if not t.ended]
        if self.source.realtime and live:
            self.publish(Metric("backlog_s", max(t.backlog(now) for t in live), now))
            for track in live:
                if track.name is not None:
                    self.publish(Metric(f"backlog_{track.name}_s", track.backlog(now), now))
        processed = sum(t.processed for t in self.tracks)
        if processed:
            compute = sum(t.policy.stats.compute_s for t in self.tracks)
            self.publish(Metric("rtf", compute / (processed / SAMPLE_RATE), now))

    def publish(self, event: Event) -> None:
        """Hand an event to the session (finals, labels, insights) and then to the subscribers. Thread-safe:
        the engine thread and the stages' threads call it."""
        if isinstance(event, Final):
            for part in self._one_voice_lines(event):
                self._add_final(part)
            return
        if isinstance(event, _SESSION_EVENTS):
            self.session.apply(event)  # journalled as they come: a crash keeps what the user saw
        self._notify(event)

    def _one_voice_lines(self, final: Final) -> list[Final]:
        """A line in which the voice changes becomes one line per voice (the speakers stage's network decides)."""
        if self._speakers is None:
            return [final]
        seg = final.segment
        track = self._by_name.get(seg.track, self.tracks[0])
        start = max(0.0, seg.start - CONTEXT_BEFORE_S)
        audio = track.audio(start, seg.end + CONTEXT_AFTER_S)
        parts = self._speakers.split_line(seg, audio, int(start * SAMPLE_RATE) / SAMPLE_RATE)
        return [final] if len(parts) == 1 else [Final(segment=p, emitted_at=final.emitted_at) for p in parts]

    def _add_final(self, event: Final) -> None:
        """Numbered and journalled (a failing disk is reported and the words stay in the session), then shown
        and handed to the stages with its audio."""
        event = Final(segment=self.session.add_final(event.segment), emitted_at=event.emitted_at)
        track = self._by_name.get(event.segment.track, self.tracks[0])
        if self.source.realtime:
            self.latency.add(event.latency_s)
            track.latency.add(event.latency_s)
            self._notify(Metric("latency_s", event.latency_s, event.emitted_at))
            self._notify(Metric("latency_p50_s", self.latency.p50, event.emitted_at))
        self._notify(event)
        seg = event.segment
        audio = track.audio(seg.start, seg.end)
        for stage in self.stages:
            stage.submit(seg, audio if stage.needs_audio else None)

    def _notify(self, event: Event) -> None:
        for callback in list(self._subscribers):
            try:
                callback(event)
            except Exception:  # a broken subscriber must not kill the transcript
                log.exception("subscriber failed on %s", type(event).__name__)

    def stats(self) -> dict[str, Any]:
        """The run's numbers; a call adds the same per track under "tracks" (the totals add the two up)."""
        tracks = [_track_stats(t) for t in self.tracks]
        audio_s = max(t.audio_s for t in self.tracks)
        compute_s = sum(t.policy.stats.compute_s for t in self.tracks)
        out: dict[str, Any] = {
            "audio_s": round(audio_s, 3),
            "wall_s": round(self.clock(), 3),
            "passes": sum(s["passes"] for s in tracks),
            "compute_s": round(compute_s, 3),
            "rtf": round(compute_s / audio_s, 4) if audio_s else 0.0,
            "partials": sum(s["partials"] for s in tracks),
            "finals": sum(s["finals"] for s in tracks),
            "words": sum(s["words"] for s in tracks),
            "rejected_passes": sum(s["rejected_passes"] for s in tracks),
            "latency_p50_s": _r(self.latency.p50),
            "latency_p95_s": _r(self.latency.p95),
            "max_backlog_s": max(s["max_backlog_s"] for s in tracks),
            "dropped_s": round(sum(s["dropped_s"] for s in tracks), 3),
            "silence_filled_s": round(sum(s["silence_filled_s"] for s in tracks), 3),  # idle system audio
            "step_s": max(s["step_s"] for s in tracks),
            "model": self.backend.name,
            "device": self.backend.choice.device_name,
            "compute_type": self.backend.choice.compute_type,
            "realtime": self.source.realtime,
        }
        if self.call:
            out["tracks"] = {t.name: s for t, s in zip(self.tracks, tracks, strict=True)}
        return out


def _track_stats(track: Track) -> dict[str, Any]:
    s = track.policy.stats
    return {
        "audio_s": round(track.audio_s, 3),
        "passes": s.passes,
        "compute_s": round(s.compute_s, 3),
        "partials": s.partials,
        "finals": s.finals,
        "words": s.words,
        "rejected_passes": s.rejected,
        "latency_p50_s": _r(track.latency.p50),
        "latency_p95_s": _r(track.latency.p95),
        "max_backlog_s": round(track.max_backlog, 3),
        "dropped_s": round(float(getattr(track.source, "dropped_s", 0.0)), 3),
        "silence_filled_s": round(float(getattr(track.source, "filled_s", 0.0)), 3),
        "step_s": round(track.policy.step_s, 3),
    }


def _r(x: float) -> float | None:
    return None if x != x else round(x, 3)  # NaN → None for JSON
