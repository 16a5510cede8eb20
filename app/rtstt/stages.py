"""Downstream stages: workers fed finalized segments, each on its own thread (ARCHITECTURE, "Threads").

A stage never slows the transcript: `submit` only appends under a lock. The stage's thread wakes when
there is news, works on the newest state (several segments that arrived while it was busy are handled
in one go: it coalesces instead of queueing), and publishes its own events. At stop, `finish` runs one
last update over the whole session and joins.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Callable

import numpy as np

from rtstt.config import DEFAULT_SPEAKER_THRESHOLD
from rtstt.errors import RtsttError
from rtstt.events import Event, Keywords, KeywordScope, Questions, Segment, SpeakerLabels, StageState, StageStatus
from rtstt.model_cache import cached_model
from rtstt.vocab import MIC_TRACK, SAMPLE_RATE

log = logging.getLogger(__name__)
Publish = Callable[[Event], None]


def lower_thread_priority() -> None:
    """Let the transcript win the CPU: this (stage) thread runs below normal priority. On 2 cores the
    stages' model loads and LLM generation otherwise took CPU time from Whisper and raised final-text
    latency (benchmarks/README.md). Best effort: where the OS says no, the stage runs as it is."""
    try:
        if sys.platform == "win32":
            import ctypes

            kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
            kernel32.SetThreadPriority(kernel32.GetCurrentThread(), -1)  # THREAD_PRIORITY_BELOW_NORMAL
        elif sys.platform.startswith("linux"):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)  # Linux: per-thread nice
    except (OSError, AttributeError):
        log.debug("could not lower the %s thread's priority", threading.current_thread().name)


class Stage:
    name = "stage"

    def __init__(self, publish: Publish, interval_s: float = 5.0) -> None:
        self.publish = publish
        self.interval_s = interval_s
        self.segments: list[Segment] = []
        self.audio: dict[int, np.ndarray] = {}
        self.ready = False
        self.error: RtsttError | None = None
        self._lock = threading.Lock()
        self._news = threading.Event()
        self._stop = threading.Event()
        self._version = 0
        self.loaded = threading.Event()  # set once load() has succeeded or failed
        self._thread = threading.Thread(target=self._run, name=f"rtstt-{self.name}", daemon=True)

    # -- called by the engine --------------------------------------------------------------------
    def start(self) -> None:
        """Start the stage's thread (it loads its model first). Idempotent."""
        with self._lock:
            if not self._thread.is_alive() and not self.loaded.is_set():
                self._thread.start()

    def wait_loaded(self, timeout: float | None = None) -> bool:
        """Block until the model is loaded or has failed to (see `error`)."""
        return self.loaded.wait(timeout)

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

    def ready_detail(self) -> str:
        """What the window says beside "ready" once `load` is done (which model runs, and on what)."""
        return ""

    def update(self, segments: list[Segment], final: bool) -> None:
        raise NotImplementedError

    def _run(self) -> None:
        lower_thread_priority()  # before any model loads: threads torch starts from here inherit it
        self.publish(StageStatus(self.name, StageState.LOADING))
        try:
            self.load()
        except Exception as exc:  # a broken install must turn the stage off with a message, never crash it
            if not isinstance(exc, RtsttError):
                log.exception("%s stage could not load its model", self.name)
                exc = RtsttError(f"the {self.name} model could not be loaded: {exc}", "see the log for details")
            self.error = exc
            detail = f"{exc.message} ({exc.hint})" if exc.hint else exc.message
            self.publish(StageStatus(self.name, StageState.NEEDS_SETUP, detail))
            return
        finally:
            self.loaded.set()
        self.ready = True
        self.publish(StageStatus(self.name, StageState.READY, self.ready_detail()))
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

        self.extractor = cached_model(("keywords",), KeywordExtractor)

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
            self.publish(Keywords(self.extractor.extract(recent_text, self.top_n), scope=KeywordScope.RECENT))
        self.publish(Keywords(session, scope=KeywordScope.SESSION))
        questions = tuple((q.segment_id, q.start, q.speaker, q.text) for q in find_questions(segments))
        self.publish(Questions(questions))


class SpeakersStage(Stage):
    """Who spoke: voice prints (WeSpeaker when installed, else GE2E; see `load`) of speaker units, the whole
    session re-clustered whenever new prints arrive (the number of speakers estimated from the session, or
    `count` when the user knows it), relabelled consistently with what the user already saw (rtstt.speakers.clustering).

    A unit is a run of final segments that continue each other without a pause (each starts under
    UNIT_GAP_S after the one before ends), at most UNIT_MAX_S long: live, the transcript finalizes clauses
    of 1-6 words (0.3-2 s), whose prints alone are too noisy to tell voices apart (a turn's first words
    and a sentence's last ones took the wrong speaker). A unit gets one print over its joined audio and one
    label for all its segments. It is clustered once it is closed (the next segment starts after a pause,
    it reached UNIT_MAX_S, or the session ends); until then, once it holds OPEN_LABEL_S of speech, its
    segments take the nearest known speaker provisionally (a print of its audio so far; never a new
    speaker: a print surely unlike every known voice waits), and wait unlabelled before that. Where the
    segmentation network hears another voice start without a pause, the unit closes there; the engine
    has already cut a line in which the voice changes into one line per voice (`split_line`)."""

    name = "speakers"
    needs_audio = True

    def __init__(
        self,
        publish: Publish,
        threshold: float = DEFAULT_SPEAKER_THRESHOLD,
        max_speakers: int = 0,
        backend: str = "auto",
        pyannote_model: str = "",
        count: int = 0,
        model: str = "",
    ) -> None:
        """`threshold` left at the settings' default means the encoder's own `separation_threshold` (the scales
        of GE2E and WeSpeaker similarities differ); `model` is `speakers.model` (a WeSpeaker .onnx file or an
        installed speaker model's name; "" = the installed recommended one)."""
        super().__init__(publish, interval_s=0.5)
        from rtstt.speakers.clustering import SessionClustering

        self.backend = backend
        self.pyannote_model = pyannote_model
        self.model = model
        self.threshold = threshold
        self._threshold_given = threshold != DEFAULT_SPEAKER_THRESHOLD
        self.voice_prints = ""  # what the window says about the encoder in use ("voice prints: GE2E ...")
        self.max_speakers = max_speakers
        self.count = count  # known number of speakers; 0 = estimate it
        self.session = SessionClustering(threshold, max_speakers, count)
        self.encoder = None
        self.embeddings: dict[int, np.ndarray] = {}  # closed units' prints, by unit id (its first segment's id)
        self.units: dict[int, list[int]] = {}  # unit id -> its segment ids, closed and open
        self.unit_of: dict[int, int] = {}  # segment id -> unit id
        self.labels: dict[int, str] = {}
        self.uncertain = False  # the voices could not be told apart with confidence (see SpeakerLabels)
        self._passes = 0  # re-clusterings so far
        self._named_at: dict[int, int] = {}  # the pass in which each labelled segment got its current id
        self._open: list[Segment] = []  # the open unit's segments
        self._open_audio: list[np.ndarray] = []
        self._open_print: tuple[int, int, np.ndarray] | None = None  # the open unit's (segments, samples, print)
        self._provisional: set[int] = set()  # open-unit segments labelled by the nearest speaker
        self.turns = None  # the segmentation network that hears a change of voice without a pause (or None)
        self.turn_checks = 0  # unit boundaries it was asked about, and the changes it heard
        self.turn_changes = 0
        self.split_lines = True  # cut a line where the voice changes inside it (`split_line`)
        self.splitter = None  # its LineSplitter, made once the network is loaded
        self._new_voice: set[int] = set()  # segments the network heard start with another voice
        self._cut_starts: set[float] = set()  # start times of lines `split_line` cut off the line before them

    def submit(self, segment: Segment, audio: np.ndarray | None = None) -> None:
        """A call's microphone lines are the user's own: only the others (the system track) are told apart."""
        if segment.track == MIC_TRACK:
            return
        super().submit(segment, audio)

    def load(self) -> None:
        self._load_turns()
        if self.backend == "pyannote":
            from rtstt.speakers.pyannote_backend import open_encoder

            shown = ""

            def status(text: str) -> None:  # download progress, once per percent
                nonlocal shown
                if text != shown:
                    shown = text
                    self.publish(StageStatus(self.name, StageState.LOADING, text))

            self.encoder = cached_model(
                ("pyannote", self.pyannote_model), lambda: open_encoder(self.pyannote_model, status)
            )
            self.voice_prints = "voice prints: pyannote"
            return
        fallback = ""  # why "auto" did not get WeSpeaker
        if self.backend in ("auto", "wespeaker"):
            self.encoder, fallback = self._open_wespeaker()
        if self.encoder is None:
            from rtstt.speakers.ge2e import open_ge2e_encoder

            self.encoder = cached_model(("ge2e",), open_ge2e_encoder)  # ONNX when exported, else resemblyzer
            log.info("speakers: GE2E voice prints on %s", self.encoder.runtime)
            self.voice_prints = "voice prints: GE2E" + (f" (offline fallback; {fallback})" if fallback else "")
        self._use_encoder_threshold()

    def _open_wespeaker(self) -> tuple[object | None, str]:
        """(the WeSpeaker encoder, "") when `model` or the installed one loads. A `speakers.model` that names
        nothing stops the stage with that message (a typo must not hide behind GE2E). With "auto", none installed
        or one that does not load gives (None, why) and the labels go on with GE2E; "wespeaker" stops instead."""
        from rtstt.errors import ModelNotFound
        from rtstt.models.registry import RECOMMENDED_SPEAKER, find_speaker_spec
        from rtstt.models.speaker_models import wespeaker_model_file
        from rtstt.speakers.wespeaker_onnx import WespeakerOnnxEncoder

        path = wespeaker_model_file(self.model)  # raises ModelNotFound for a path or name that is not there
        if path is None:
            if self.backend == "wespeaker":
                raise ModelNotFound(
                    "speakers.backend is wespeaker but no WeSpeaker model is installed",
                    f"download it in Models › Speakers (`rtstt models fetch {RECOMMENDED_SPEAKER}`), or set "
                    "speakers.model to a WeSpeaker .onnx file",
                )
            return None, "download WeSpeaker in Models for real meetings"
        try:
            encoder = cached_model(("wespeaker", str(path)), lambda: WespeakerOnnxEncoder(path))
        except Exception as exc:
            if self.backend == "wespeaker":
                raise
            reason = exc.message if isinstance(exc, RtsttError) else f"{type(exc).__name__}: {exc}"
            log.warning("speakers: the WeSpeaker model cannot be used, GE2E labels instead (%s)", reason)
            return None, f"the WeSpeaker model could not be loaded: {reason}"
        spec = find_speaker_spec(path.parent.name)
        title = spec.title if spec is not None and path.name in spec.files else f"WeSpeaker ({path.name})"
        log.info("speakers: %s voice prints from %s", title, path)
        self.voice_prints = f"voice prints: {title}"
        return encoder, ""

    def _use_encoder_threshold(self) -> None:
        """A threshold left at its default becomes the encoder's own (its similarities' scale); the session's
        clustering is rebuilt with it (load runs before any print is added)."""
        from rtstt.speakers.clustering import SessionClustering

        own = getattr(self.encoder, "separation_threshold", None)
        if own is None or self._threshold_given or float(own) == self.threshold:
            return
        self.threshold = float(own)
        self.session = SessionClustering(self.threshold, self.max_speakers, self.count)

    def ready_detail(self) -> str:
        return self.voice_prints  # the window says which voice prints are in use

    def split_line(self, segment: Segment, audio: np.ndarray | None, audio_start: float) -> list[Segment]:
        """The line cut where the voice changes inside it (rtstt.speakers.line_split), or [segment]: before the
        network is loaded, for the user's own microphone lines, without audio, or if the check fails (a line is
        never lost to it). Runs on the engine thread, before the line is numbered and shown."""
        if not self.split_lines or self.turns is None or audio is None or segment.track == MIC_TRACK:
            return [segment]
        if self.splitter is None:
            from rtstt.speakers.line_split import LineSplitter

            self.splitter = LineSplitter(self.turns)
        try:
            parts = self.splitter.split(segment, audio, audio_start)
        except Exception:
            log.exception("speakers: the line could not be checked for a change of voice")
            return [segment]
        self._cut_starts.update(round(p.start, 3) for p in parts[1:])  # before they reach `update`
        return parts

    def _load_turns(self) -> None:
        """The speaker-change network, when exported; without it units only end at pauses (as before)."""
        from rtstt.speakers.turns import open_speaker_turns

        try:
            self.turns = cached_model(("turns",), open_speaker_turns)
        except Exception as exc:  # a damaged export must not cost the labels themselves
            log.warning("speakers: no speaker-change detection (%s)", exc)
            self.turns = None

    def update(self, segments: list[Segment], final: bool) -> None:
        assert self.encoder is not None
        added = False
        for seg in segments:
            if seg.id in self.unit_of:
                continue
            with self._lock:
                audio = self.audio.pop(seg.id, None)
            if self._open and (not self._continues(seg) or self._voice_changes(seg, audio)):
                added |= self._close()
            self._open.append(seg)
            self._open_audio.append(np.zeros(0, np.float32) if audio is None else audio)
            unit = self._open[0].id
            self.units.setdefault(unit, []).append(seg.id)
            self.unit_of[seg.id] = unit
            if seg.end - self._open[0].start >= UNIT_MAX_S:
                added |= self._close()
        if final and self._open:
            added |= self._close()
        was_uncertain = self.uncertain
        new: dict[int, str] = self._recluster(segments) if added or final else {}
        new.update(self._label_open())
        new.update(self._fill_short(segments, final))
        renumbered = self._renumber(segments, new) if final else {}
        if new or self.uncertain != was_uncertain:
            self.publish(SpeakerLabels(new, uncertain=self.uncertain, renumbered=renumbered))

    # -- units -----------------------------------------------------------------------------------------
    def _continues(self, seg: Segment) -> bool:
        """`seg` belongs to the open unit: it starts without a pause and keeps the unit within UNIT_MAX_S."""
        last, first = self._open[-1], self._open[0]
        return seg.start - last.end < UNIT_GAP_S and seg.end - first.start <= UNIT_MAX_S

    def _voice_changes(self, seg: Segment, audio: np.ndarray | None) -> bool:
        """`seg`, which follows the open unit without a pause, is another voice (the segmentation network
        compares a few seconds on each side): the unit closes there, so one print never mixes two people,
        and `seg` never takes the voice before it as a short reply's label (`_fill_short`)."""
        if round(seg.start, 3) in self._cut_starts:
            self._new_voice.add(seg.id)
            return True  # the engine cut this line where the network heard the voice change
        if self.turns is None or audio is None or not self._open_audio:
            return False
        check = self.turns.check(np.concatenate(self._open_audio), audio)
        self.turn_checks += 1
        changed = check is not None and check.changed
        self.turn_changes += changed
        if changed:
            self._new_voice.add(seg.id)
        return changed

    def _open_print_now(self, provisional: bool = False) -> np.ndarray | None:
        """The open unit's print over its audio so far (None: too little speech). Embedded once per size; a
        provisional print is redone only when the unit has doubled since (embedding costs its audio's length:
        a print per added clause made the stage several times dearer)."""
        from rtstt.speakers.ge2e import MIN_SPEECH_S

        assert self.encoder is not None
        samples = sum(len(a) for a in self._open_audio)
        if self._open_print is not None:
            size, printed, vector = self._open_print
            if size == len(self._open) or (provisional and samples < 2 * printed):
                return vector
        if samples < MIN_SPEECH_S * SAMPLE_RATE:
            return None
        vector = self.encoder.embed(np.concatenate(self._open_audio))
        self._open_print = (len(self._open), samples, vector)
        return vector

    def _close(self) -> bool:
        """Close the open unit: its print joins the session (True) unless it is too short to embed."""
        vector = self._open_print_now()
        unit = self._open[0].id
        seconds = sum(s.end - s.start for s in self._open)  # its speech, for the clustering's weights
        self._provisional.difference_update(s.id for s in self._open)
        self._open, self._open_audio, self._open_print = [], [], None
        if vector is None:
            return False
        self.embeddings[unit] = vector
        self.session.add(unit, vector, seconds)
        return True

    def _label_open(self) -> dict[int, str]:
        """The open unit's segments take the nearest known speaker, once it holds OPEN_LABEL_S of speech."""
        from rtstt.speakers.clustering import speaker_name

        if not self._open or sum(len(a) for a in self._open_audio) < OPEN_LABEL_S * SAMPLE_RATE:
            return {}
        vector = self._open_print_now(provisional=True)
        if vector is None:
            return {}
        sums: dict[str, np.ndarray] = {}
        for unit, print_ in self.embeddings.items():
            name = self.labels.get(unit)
            if name is not None:
                v = np.asarray(print_, dtype=np.float64)
                sums[name] = sums.get(name, 0.0) + v / max(float(np.linalg.norm(v)), 1e-12)
        if sums:
            v = np.asarray(vector, dtype=np.float64)
            v = v / max(float(np.linalg.norm(v)), 1e-12)
            similarity = {n: float(c @ v) / max(float(np.linalg.norm(c)), 1e-12) for n, c in sums.items()}
            name = max(similarity, key=lambda n: similarity[n])
            if similarity[name] < self.threshold:
                return {}  # surely a voice not heard yet: it waits for the clustering
        else:
            name = speaker_name(0)  # the first voice heard
        changed: dict[int, str] = {}
        for seg in self._open:
            self._provisional.add(seg.id)
            if self.labels.get(seg.id) != name:
                changed[seg.id] = self.labels[seg.id] = name
                self._named_at[seg.id] = self._passes
        return changed

    # -- labels ----------------------------------------------------------------------------------------
    def _recluster(self, segments: list[Segment]) -> dict[int, str]:
        """The whole session clustered again; clusters named after the ids the user already saw."""
        from rtstt.speakers.clustering import relabel_consistently

        clusters, result = self.session.cluster()
        self.uncertain = result.uncertain
        self._passes += 1
        ids = [s.id for s in segments if self.unit_of.get(s.id) in clusters]
        shown = [self.labels.get(i) for i in ids]
        seniority = [self._passes - self._named_at.get(i, self._passes) for i in ids]  # passes it has shown it
        names = relabel_consistently([clusters[self.unit_of[i]] for i in ids], shown, seniority)
        changed: dict[int, str] = {}
        for seg_id, name in zip(ids, names, strict=True):
            if self.labels.get(seg_id) != name:
                changed[seg_id] = self.labels[seg_id] = name
                self._named_at[seg_id] = self._passes
        return changed

    def _renumber(self, segments: list[Segment], changed: dict[int, str]) -> dict[str, str]:
        """At the end: the ids in use become S1..Sk by first appearance (adds the relabelled segments to
        `changed`; returns old -> new for the names the user gave)."""
        from rtstt.speakers.clustering import consecutive_ids

        renumbered = consecutive_ids([self.labels[s.id] for s in segments if s.id in self.labels])
        for seg in segments:
            name = self.labels.get(seg.id)
            if name in renumbered:
                changed[seg.id] = self.labels[seg.id] = renumbered[name]
        return renumbered

    def _printed(self, seg_id: int) -> bool:
        """The segment's label comes from a voice print: its unit's, or the open unit's provisional one."""
        return self.unit_of.get(seg_id) in self.embeddings or seg_id in self._provisional

    def _fill_short(self, segments: list[Segment], final: bool) -> dict[int, str]:
        """Units too short to embed ("Yes." or "positive." between pauses) take the speaker of the nearer
        neighbour: the segment just before when the pause before them is the shorter one (a sentence's last
        word split off), else the NEXT printed unit (a turn's opening words or a short reply followed by more
        of it: 9 of 11 right in the benchmark with sentence-length segments, where the previous speaker got 0
        of 11). Live, they wait for that next unit; at stop, a trailing one takes the speaker before it. The
        open unit's segments that have no provisional label yet wait too."""
        changed: dict[int, str] = {}
        following: list[str | None] = [None] * len(segments)  # the label of the next printed segment
        name: str | None = None
        for i in range(len(segments) - 1, -1, -1):
            if self._printed(segments[i].id):
                name = self.labels.get(segments[i].id)
            following[i] = name
        open_ids = {s.id for s in self._open}
        i = 0
        while i < len(segments):
            seg = segments[i]
            if self._printed(seg.id) or seg.id in open_ids or seg.id not in self.unit_of:
                i += 1
                continue  # labelled from a print, or its unit may still grow into one
            j = i
            while j < len(segments) and self.unit_of.get(segments[j].id) == self.unit_of[seg.id]:
                j += 1
            before = segments[i - 1] if i > 0 else None
            after = segments[j] if j < len(segments) else None
            gap_before = seg.start - before.end if before is not None else float("inf")
            gap_after = after.start - segments[j - 1].end if after is not None else float("inf")
            name = following[i]
            if before is not None and gap_before < gap_after and seg.id not in self._new_voice:
                name = self.labels.get(before.id)
            for s in segments[i:j]:
                if name is not None and self.labels.get(s.id) != name:
                    changed[s.id] = self.labels[s.id] = name
            i = j
        if final:
            previous: str | None = None
            for seg in segments:
                if seg.id in self.labels:
                    previous = self.labels[seg.id]
                elif previous is not None:
                    changed[seg.id] = self.labels[seg.id] = previous
        return changed


# A segment starting less than this after the previous one's end continues its speaker unit. Within a
# sentence the live clauses follow each other with 0-0.04 s between them; 0.3 s also joined turn changes
# (0.16-0.26 s in the meeting fixture: "Sure." took the other speaker's label), 0.15 s did not
# (benchmarks/diarization.py --realtime, and the stage replayed on recorded segmentations).
UNIT_GAP_S = 0.15
UNIT_MAX_S = 6.0  # a unit closes at this length (a voice print needs no more; labels come sooner)
OPEN_LABEL_S = 1.0  # an open unit with this much speech shows the nearest speaker provisionally


class SummaryStage(Stage):
    """The rolling meeting notes: an update after every `interval_s` seconds of new speech or when asked
    ("Summarize now"), and at stop the final summary with decisions, action items and open questions.

    The base class's interval is a wall-clock rate limit, but a quiet minute has nothing to summarize:
    the stage wakes every `wall_interval_s` and counts the speech that arrived since its last update.
    What is asked of the model, within its context, is `RollingNotes`'s (nlp/notes.py).
    """

    name = "summary"

    def __init__(
        self,
        publish: Publish,
        model: str = "",
        quantization: str = "auto",
        interval_s: float = 60.0,
        whisper: str = "tiny",
        wall_interval_s: float = 2.0,
        summarizer=None,
        threads: int = 1,
    ) -> None:
        """`summarizer`: a chat model already loaded (loading a big model for every session is slow)."""
        super().__init__(publish, interval_s=wall_interval_s)
        self.model = model
        self.quantization = quantization
        self.speech_interval_s = interval_s
        self.whisper = whisper
        self.threads = threads
        self.summarizer = summarizer
        self.notes = None
        self.summary = ""
        self._done = 0  # segments already handed to the notes
        self._speech = 0.0  # seconds of speech since the last update
        self._asked = threading.Event()

    def request(self) -> None:
        """Summarize now, however little was said since the last summary (thread-safe)."""
        self._asked.set()
        with self._lock:
            self._version += 1  # the base loop calls update only when something changed
        self._news.set()

    def load(self) -> None:
        from rtstt.nlp.llm import load_chat_model
        from rtstt.nlp.notes import RollingNotes

        if self.summarizer is None:
            key = ("summary", self.model, self.quantization, self.whisper, self.threads)
            self.summarizer = cached_model(
                key,
                lambda: load_chat_model(self.model, self.threads, quantization=self.quantization, whisper=self.whisper),
            )
        self.notes = RollingNotes(self.summarizer)

    def describe(self) -> str:
        """What the model runs on, for the window: "SmolLM2-135M-Instruct on the CPU (llama.cpp, Q8_0)"."""
        from rtstt.nlp.llm import describe

        return describe(self.summarizer) if self.summarizer is not None else ""

    def ready_detail(self) -> str:
        return self.describe()  # the window shows what the model runs on

    def update(self, segments: list[Segment], final: bool) -> None:
        from rtstt.events import Summary
        from rtstt.nlp.notes import Line

        assert self.notes is not None
        new = segments[self._done :]
        self._done = len(segments)
        self.notes.add([Line(s.id, s.start, s.end, s.speaker or "", s.text.strip()) for s in new])
        self._speech += sum(max(0.0, s.end - s.start) for s in new)
        asked = self._asked.is_set()
        if not (final or asked or self._speech >= self.speech_interval_s):
            return
        self._asked.clear()
        self._speech = 0.0
        if final:
            result = self.notes.final()
            self.summary, items = result.summary, tuple(result.items)
        else:
            self.summary, items = self.notes.update(), tuple(self.notes.items)
        actions = tuple(item.plain() for item in items if item.kind == "action")
        if self.summary or items:
            self.publish(Summary(self.summary, final, actions, items))
        if not final and self.notes.fold_due():  # after the minute's notes are on screen, not before
            self.summary = self.notes.summary_so_far()
            self.publish(Summary(self.summary, False, actions, items))


def speakers_stage(spk, publish: Publish) -> SpeakersStage:
    """The speaker stage for the `speakers` settings section."""
    return SpeakersStage(
        publish, spk.threshold, spk.max_speakers, spk.backend, spk.pyannote_model, spk.count, spk.model
    )


def build_stages(settings, publish: Publish) -> list[Stage]:
    """The downstream stages the settings turn on."""
    stages: list[Stage] = []
    if settings.speakers.enabled:
        stages.append(speakers_stage(settings.speakers, publish))
    if settings.insights.enabled:
        ins = settings.insights
        stages.append(InsightsStage(publish, ins.interval_s, ins.window_minutes * 60, ins.top_n))
    if settings.summary.enabled:
        summ = settings.summary
        whisper = settings.stt.model or "tiny"
        # llama.cpp on the CPU: half the cores (the transcript keeps the rest; Whisper never waits on it)
        threads = max(1, (os.cpu_count() or 2) // 2)
        stages.append(
            SummaryStage(publish, summ.model, summ.quantization, summ.interval_s, whisper=whisper, threads=threads)
        )
    return stages
