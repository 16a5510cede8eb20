"""Downstream stages: workers fed finalized segments, each on its own thread (ARCHITECTURE, "Threads").

A stage never slows the transcript: `submit` only appends under a lock. The stage's thread wakes when
there is news, works on the newest state (several segments that arrived while it was busy are handled
in one go: it coalesces instead of queueing), and publishes its own events. At stop, `finish` runs one
last update over the whole session and joins.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import numpy as np

from rtstt.errors import RtsttError
from rtstt.events import Event, Keywords, Questions, Segment, SpeakerLabels, StageStatus

log = logging.getLogger(__name__)
Publish = Callable[[Event], None]


class Stage:
    name = "stage"
    record_kind = ""  # the journal record its `latest` goes to at stop (default: the stage's name)

    def __init__(self, publish: Publish, interval_s: float = 5.0) -> None:
        self.publish = publish
        self.interval_s = interval_s
        self.segments: list[Segment] = []
        self.audio: dict[int, np.ndarray] = {}
        self.latest: dict[str, object] = {}  # what the session keeps of this stage (journal, exports)
        self.ready = False
        self.error: RtsttError | None = None
        self._lock = threading.Lock()
        self._news = threading.Event()
        self._stop = threading.Event()
        self._version = 0
        self._thread = threading.Thread(target=self._run, name=f"rtstt-{self.name}", daemon=True)

    # -- called by the engine --------------------------------------------------------------------
    def start(self) -> None:
        self._thread.start()

    needs_audio = False  # True: the engine hands over each segment's 16 kHz audio too

    def submit(self, segment: Segment, audio: np.ndarray | None = None) -> None:
        with self._lock:
            self.segments.append(segment)
            if audio is not None:
                self.audio[segment.id] = audio
            self._version += 1
        self._news.set()

    def finish(self, timeout: float = 120.0) -> None:
        """Stop after one last update over everything submitted."""
        self._stop.set()
        self._news.set()
        self._thread.join(timeout)

    # -- the stage's own thread ------------------------------------------------------------------
    def load(self) -> None:
        """Load models (slow); raise RtsttError to turn the stage off with a message."""

    def update(self, segments: list[Segment], final: bool) -> None:
        raise NotImplementedError

    def _run(self) -> None:
        self.publish(StageStatus(self.name, "loading model"))
        try:
            self.load()
        except RtsttError as exc:
            self.error = exc
            detail = f"{exc.message} ({exc.hint})" if exc.hint else exc.message
            self.publish(StageStatus(self.name, "needs setup", detail))
            return
        self.ready = True
        self.publish(StageStatus(self.name, "ready"))
        done, last_run = 0, 0.0
        while True:
            self._news.wait(timeout=self.interval_s)
            self._news.clear()
            stopping = self._stop.is_set()
            wait = self.interval_s - (time.monotonic() - last_run)
            if not stopping and wait > 0 and self._stop.wait(wait):  # rate limit; a stop cuts the wait short
                stopping = True
            with self._lock:
                version, snapshot = self._version, list(self.segments)
            if version != done or stopping:
                try:
                    self.update(snapshot, final=stopping)
                except Exception:  # a failing stage must never take the transcript down
                    log.exception("%s stage failed", self.name)
                done, last_run = version, time.monotonic()
            if stopping:
                return


class InsightsStage(Stage):
    """Key phrases for the last few minutes and for the whole session, and the questions asked."""

    name = "insights"

    def __init__(self, publish: Publish, interval_s: float = 5.0, window_s: float = 180.0, top_n: int = 8) -> None:
        super().__init__(publish, interval_s)
        self.window_s = window_s
        self.top_n = top_n
        self.extractor = None

    def load(self) -> None:
        from rtstt.nlp.keywords import KeywordExtractor

        self.extractor = KeywordExtractor()

    def update(self, segments: list[Segment], final: bool) -> None:
        from rtstt.nlp.questions import find_questions

        if not segments:
            return
        assert self.extractor is not None
        end = segments[-1].end
        recent = [s for s in segments if s.end >= end - self.window_s]
        session_text = " ".join(s.text for s in segments)
        recent_text = " ".join(s.text for s in recent)
        session = self.extractor.extract(session_text, self.top_n)
        if not final and recent_text != session_text:
            self.publish(Keywords(self.extractor.extract(recent_text, self.top_n), scope="recent"))
        self.publish(Keywords(session, scope="session"))
        questions = tuple((q.segment_id, q.start, q.speaker, q.text) for q in find_questions(segments))
        self.publish(Questions(questions))
        self.latest = {"keywords": [list(k) for k in session], "questions": [list(q) for q in questions]}


class SpeakersStage(Stage):
    """Who spoke: GE2E voice prints of finalized segments, clustered online into S1, S2, ...; at stop the
    whole session is re-clustered and relabelled consistently with what the user already saw."""

    name = "speakers"
    record_kind = "labels"
    needs_audio = True

    def __init__(
        self,
        publish: Publish,
        threshold: float = 0.75,
        max_speakers: int = 0,
        backend: str = "ge2e",
        pyannote_model: str = "",
    ) -> None:
        super().__init__(publish, interval_s=0.5)
        from rtstt.speakers.clustering import OnlineClustering

        self.backend = backend
        self.pyannote_model = pyannote_model
        self.threshold = threshold
        self.max_speakers = max_speakers
        self.online = OnlineClustering(threshold, max_speakers)
        self.encoder = None
        self.embeddings: dict[int, np.ndarray] = {}
        self.labels: dict[int, str] = {}

    def load(self) -> None:
        if self.backend == "pyannote":
            from rtstt.speakers.pyannote_backend import PyannoteEncoder

            self.encoder = PyannoteEncoder(self.pyannote_model)
            return
        from rtstt.speakers.ge2e import Ge2eEncoder

        self.encoder = Ge2eEncoder()

    def update(self, segments: list[Segment], final: bool) -> None:
        from rtstt.speakers.ge2e import MIN_SPEECH_S

        assert self.encoder is not None
        new: dict[int, str] = {}
        for seg in segments:
            if seg.id in self.embeddings or seg.id in self.labels:
                continue
            with self._lock:
                audio = self.audio.pop(seg.id, None)
            if audio is None or len(audio) < MIN_SPEECH_S * 16000:
                continue
            self.embeddings[seg.id] = self.encoder.embed(audio)
            new[seg.id] = self.labels[seg.id] = self.online.assign(self.embeddings[seg.id], seg.end - seg.start)
        if final:
            new.update(self._recluster(segments))
        if new:
            self.publish(SpeakerLabels(new))
        self.latest = {"labels": {str(k): v for k, v in self.labels.items()}}

    def _recluster(self, segments: list[Segment]) -> dict[int, str]:
        from rtstt.speakers.clustering import agglomerative, relabel_consistently

        ids = [s.id for s in segments if s.id in self.embeddings]
        changed: dict[int, str] = {}
        if len(ids) >= 2:
            clusters = agglomerative(np.stack([self.embeddings[i] for i in ids]), self.threshold, self.max_speakers)
            for seg_id, name in zip(ids, relabel_consistently(clusters, [self.labels[i] for i in ids]), strict=True):
                if self.labels.get(seg_id) != name:
                    changed[seg_id] = self.labels[seg_id] = name
        previous = None
        for seg in segments:  # too short to embed ("Yes.") : most likely the speaker before it
            if seg.id in self.labels:
                previous = self.labels[seg.id]
            elif previous is not None:
                changed[seg.id] = self.labels[seg.id] = previous
        return changed


def build_stages(settings, publish: Publish) -> list[Stage]:
    """The downstream stages the settings turn on."""
    stages: list[Stage] = []
    if settings.speakers.enabled:
        spk = settings.speakers
        stages.append(SpeakersStage(publish, spk.threshold, spk.max_speakers, spk.backend, spk.pyannote_model))
    if settings.insights.enabled:
        ins = settings.insights
        stages.append(InsightsStage(publish, ins.interval_s, ins.window_minutes * 60, ins.top_n))
    return stages
