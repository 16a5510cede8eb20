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

from rtstt.errors import RtsttError
from rtstt.events import Event, Keywords, Questions, Segment, StageStatus

log = logging.getLogger(__name__)
Publish = Callable[[Event], None]


class Stage:
    name = "stage"

    def __init__(self, publish: Publish, interval_s: float = 5.0) -> None:
        self.publish = publish
        self.interval_s = interval_s
        self.segments: list[Segment] = []
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

    def submit(self, segment: Segment) -> None:
        with self._lock:
            self.segments.append(segment)
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


def build_stages(settings, publish: Publish) -> list[Stage]:
    """The downstream stages the settings turn on."""
    stages: list[Stage] = []
    if settings.insights.enabled:
        ins = settings.insights
        stages.append(InsightsStage(publish, ins.interval_s, ins.window_minutes * 60, ins.top_n))
    return stages
