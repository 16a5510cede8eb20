"""The Engine: source → dsp → VAD → streaming STT → session, publishing events to subscribers.

One engine thread runs VAD and STT (see docs/ARCHITECTURE.md, "Threads"). It always drains all the
audio that is waiting before it runs a Whisper pass, so VAD decisions are never stale, and the
commit policy widens its step when passes are slow instead of letting a backlog grow.

Every final segment and every stage result goes to the `LiveSession` first (the one owner of the
transcript), then to subscribers. Subscribers are called on the engine thread for transcript events
and on a stage's own thread for that stage's events (speaker labels, key phrases, summaries), so
they must be quick and thread-safe: the GUI re-emits them as queued Qt signals, the CLI prints them.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from rtstt.audio.dsp import level_dbfs
from rtstt.audio.sources import AudioSource
from rtstt.config import Settings
from rtstt.errors import AudioFormatError, RtsttError
from rtstt.events import EngineError, Event, Final, Keywords, Metric, Questions, SpeakerLabels, StreamEnded, Summary
from rtstt.metrics import LatencyTracker, ResourceSampler
from rtstt.session.live import LiveSession
from rtstt.stages import SummaryStage, build_stages
from rtstt.stt.streaming import PolicyConfig, StreamingTranscriber
from rtstt.stt.whisper import WhisperBackend
from rtstt.vad import StreamingVad
from rtstt.vocab import SAMPLE_RATE

log = logging.getLogger(__name__)

Subscriber = Callable[[Event], None]
_SESSION_EVENTS = (SpeakerLabels, Keywords, Questions, Summary)


@dataclass
class _Clock:
    t0: float = 0.0

    def start(self) -> None:
        self.t0 = time.monotonic()

    def __call__(self) -> float:
        return time.monotonic() - self.t0


class Engine:
    """Runs one stream from `source` to the end (or to `stop()`), publishing events."""

    def __init__(
        self,
        settings: Settings,
        source: AudioSource,
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
        v = settings.vad
        self.vad = StreamingVad(threshold=v.threshold, min_silence_ms=v.min_silence_ms, speech_pad_ms=v.speech_pad_ms)
        self.policy = StreamingTranscriber(
            backend,
            now=self.clock,
            config=PolicyConfig(partial_interval_s=settings.stt.partial_interval_s),
            realtime=source.realtime,
        )
        self.latency = LatencyTracker()
        self.resources = ResourceSampler()
        self._resource_interval = resource_interval_s
        self._subscribers: list[Subscriber] = []
        self._stop = threading.Event()
        self._paused = threading.Event()
        self._thread: threading.Thread | None = None
        self._processed = 0
        self._max_backlog = 0.0
        self.error: RtsttError | None = None
        self.ended: StreamEnded | None = None
        self.stages = build_stages(settings, self.publish)
        from rtstt.audio.ring import AudioHistory

        # Stages that embed voices get each final segment's audio back out of a short history.
        self.history = AudioHistory(120 * SAMPLE_RATE) if any(s.needs_audio for s in self.stages) else None

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
        level_every = int(0.1 * SAMPLE_RATE)
        level_acc = 0
        while True:
            block = self.source.read(timeout=0.02)
            if block is None:
                break
            got_audio = False
            while block is not None and block.size:
                got_audio = True
                level_acc += len(block)
                if level_acc >= level_every:
                    level_acc = 0
                    self.publish(Metric("level_dbfs", level_dbfs(block), self.clock()))
                if self._paused.is_set():
                    # Paused audio becomes silence: the open utterance closes naturally and the
                    # stream clock (word timestamps) stays in step with the wall clock.
                    block = np.zeros(len(block), dtype=np.float32)
                self._feed(block)
                if not self.source.realtime:
                    break  # a file read at full speed: give the policy a look after every block
                block = self.source.read(timeout=0.0)
            if block is None:
                break
            if got_audio and self.source.realtime:
                backlog = max(0.0, self.clock() - self._processed / SAMPLE_RATE)
                self._max_backlog = max(self._max_backlog, backlog)
            for event in self.policy.maybe_pass():
                self.publish(event)
            now = self.clock()
            if now >= next_resource:
                next_resource = now + self._resource_interval
                self._publish_resources(now)
        err = getattr(self.source, "error", None)
        if isinstance(err, AudioFormatError):  # a file damaged part-way: it says where it ended and why
            self.error = err
            self.publish(EngineError(err.message, err.hint, fatal=True))
        elif err is not None:
            message = err.message if isinstance(err, RtsttError) else str(err)
            hint = err.hint if isinstance(err, RtsttError) else "check the device and start again"
            self.publish(EngineError(f"audio input stopped: {message}", hint, fatal=True))

    def _feed(self, block: np.ndarray) -> None:
        if self.history is not None:
            self.history.write(block)
        self.policy.add_audio(block)
        self._processed += len(block)
        for vad_event in self.vad.process(block):
            for event in self.policy.on_vad(vad_event):
                self.publish(event)

    def _drain(self) -> None:
        try:
            self._close_stream()
        except RtsttError as exc:  # e.g. out of memory on the closing pass: keep the words as they stand
            self.policy.passes_enabled = False
            if self.error is None:
                self.error = exc
                self.publish(EngineError(exc.message, exc.hint, fatal=True))
            self._close_stream()
        for stage in self.stages:  # one last update over the whole session, then the threads end
            stage.finish()
        stats = self.stats()
        self.session.record_stats(stats)
        self.session.close(clean=True)
        self.ended = StreamEnded(audio_s=stats["audio_s"], wall_s=stats["wall_s"], stats=stats)
        self.publish(self.ended)

    def _close_stream(self) -> None:
        for vad_event in self.vad.flush(self._processed):
            for event in self.policy.on_vad(vad_event):
                self.publish(event)
        for event in self.policy.finish():
            self.publish(event)

    def _publish_resources(self, now: float) -> None:
        sample = self.resources.sample()
        for name, value in sample.items():
            self.publish(Metric(name, float(value), now))
        if self.source.realtime:
            self.publish(Metric("backlog_s", max(0.0, now - self._processed / SAMPLE_RATE), now))
        if self._processed:
            self.publish(Metric("rtf", self.policy.stats.compute_s / (self._processed / SAMPLE_RATE), now))

    def publish(self, event: Event) -> None:
        """Hand an event to the session (finals, labels, insights) and then to the subscribers. Thread-safe:
        the engine thread and the stages' threads call it."""
        if isinstance(event, Final):
            # Numbered and journalled; a failing disk is reported and the words stay in the session.
            event = Final(segment=self.session.add_final(event.segment), emitted_at=event.emitted_at)
            if self.source.realtime:
                self.latency.add(event.latency_s)
                self._notify(Metric("latency_s", event.latency_s, event.emitted_at))
                self._notify(Metric("latency_p50_s", self.latency.p50, event.emitted_at))
            self._notify(event)
            seg = event.segment
            audio = None
            if self.history is not None:
                audio = self.history.slice(int(seg.start * SAMPLE_RATE), int(seg.end * SAMPLE_RATE))
            for stage in self.stages:
                stage.submit(seg, audio if stage.needs_audio else None)
            return
        if isinstance(event, _SESSION_EVENTS):
            self.session.apply(event)  # journalled as they come: a crash keeps what the user saw
        self._notify(event)

    def _notify(self, event: Event) -> None:
        for callback in list(self._subscribers):
            try:
                callback(event)
            except Exception:  # a broken subscriber must not kill the transcript
                log.exception("subscriber failed on %s", type(event).__name__)

    def stats(self) -> dict[str, Any]:
        s = self.policy.stats
        audio_s = self._processed / SAMPLE_RATE
        return {
            "audio_s": round(audio_s, 3),
            "wall_s": round(self.clock(), 3),
            "passes": s.passes,
            "compute_s": round(s.compute_s, 3),
            "rtf": round(s.compute_s / audio_s, 4) if audio_s else 0.0,
            "partials": s.partials,
            "finals": s.finals,
            "words": s.words,
            "rejected_passes": s.rejected,
            "latency_p50_s": _r(self.latency.p50),
            "latency_p95_s": _r(self.latency.p95),
            "max_backlog_s": round(self._max_backlog, 3),
            "dropped_s": round(float(getattr(self.source, "dropped_s", 0.0)), 3),
            "silence_filled_s": round(float(getattr(self.source, "filled_s", 0.0)), 3),  # idle system audio
            "step_s": round(self.policy.step_s, 3),
            "model": self.backend.name,
            "device": self.backend.choice.device_name,
            "compute_type": self.backend.choice.compute_type,
            "realtime": self.source.realtime,
        }


def _r(x: float) -> float | None:
    return None if x != x else round(x, 3)  # NaN → None for JSON
