"""Silero VAD (ONNX, no torch) as a streaming speech/silence detector.

Silence is never sent to Whisper, which is what keeps a quiet line free of hallucinated text. The
model scores 32 ms chunks; a small state machine with hysteresis and a silence hangover turns the
scores into utterance boundaries. The state machine is pure so it is unit-tested on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import numpy as np

from rtstt.vocab import SAMPLE_RATE

CHUNK = 512  # samples per model call (32 ms)
CONTEXT = 64  # samples of the previous chunk the v5/v6 model expects in front


def default_model_path() -> Path:
    """The Silero v6 ONNX file that faster-whisper ships (no extra package needed)."""
    import faster_whisper

    return Path(faster_whisper.__file__).parent / "assets" / "silero_vad_v6.onnx"


class VadEventKind(StrEnum):
    """A string enum, so an event built or compared with the plain strings "start"/"end" still works."""

    SPEECH_START = "start"
    SPEECH_END = "end"


@dataclass(frozen=True, slots=True)
class VadEvent:
    kind: VadEventKind
    sample: int  # absolute sample index of the speech boundary (padding applied)


class VadStateMachine:
    """Hysteresis over chunk probabilities.

    Speech starts after `min_speech_chunks` chunks at or above `threshold`; it ends once the
    probability has stayed below `neg_threshold` for `min_silence_ms`. Reported boundaries are
    padded by `speech_pad_ms` so word edges are not clipped.
    """

    def __init__(
        self,
        threshold: float = 0.5,
        neg_threshold: float | None = None,
        min_silence_ms: int = 250,
        speech_pad_ms: int = 200,
        min_speech_ms: int = 64,
        sample_rate: int = SAMPLE_RATE,
        chunk: int = CHUNK,
    ) -> None:
        self.threshold = threshold
        self.neg_threshold = neg_threshold if neg_threshold is not None else max(0.05, threshold - 0.15)
        self.chunk = chunk
        ms = sample_rate / 1000
        self.min_silence = int(min_silence_ms * ms)
        self.pad = int(speech_pad_ms * ms)
        self.min_speech_chunks = max(1, round(min_speech_ms * ms / chunk))
        self.in_speech = False
        self._above = 0  # consecutive chunks above threshold while idle
        self._last_speech_end = 0  # end sample of the last chunk that was speech
        self._last_end_reported = 0

    def update(self, prob: float, chunk_end: int) -> VadEvent | None:
        """Feed one chunk's probability; `chunk_end` is the absolute sample index after the chunk."""
        if not self.in_speech:
            if prob >= self.threshold:
                self._above += 1
                if self._above >= self.min_speech_chunks:
                    self.in_speech = True
                    self._last_speech_end = chunk_end
                    speech_start = chunk_end - self._above * self.chunk
                    start = max(speech_start - self.pad, self._last_end_reported, 0)
                    self._above = 0
                    return VadEvent(VadEventKind.SPEECH_START, start)
            else:
                self._above = 0
            return None
        if prob >= self.neg_threshold:
            self._last_speech_end = chunk_end
            return None
        if chunk_end - self._last_speech_end >= self.min_silence:
            self.in_speech = False
            end = min(self._last_speech_end + self.pad, chunk_end)
            self._last_end_reported = end
            return VadEvent(VadEventKind.SPEECH_END, end)
        return None

    def flush(self, stream_end: int) -> VadEvent | None:
        """The stream ended: close an open utterance at the stream's end."""
        if self.in_speech:
            self.in_speech = False
            end = min(self._last_speech_end + self.pad, stream_end)
            self._last_end_reported = end
            return VadEvent(VadEventKind.SPEECH_END, end)
        return None


class SileroVad:
    """Streaming Silero model: feed any block size, get per-chunk probabilities."""

    def __init__(self, model_path: Path | None = None) -> None:
        import onnxruntime

        opts = onnxruntime.SessionOptions()
        opts.inter_op_num_threads = 1
        opts.intra_op_num_threads = 1
        opts.log_severity_level = 4
        self._session = onnxruntime.InferenceSession(
            str(model_path or default_model_path()), providers=["CPUExecutionProvider"], sess_options=opts
        )
        self.reset()

    def reset(self) -> None:
        self._h = np.zeros((1, 1, 128), dtype=np.float32)
        self._c = np.zeros((1, 1, 128), dtype=np.float32)
        self._context = np.zeros(CONTEXT, dtype=np.float32)
        self._pending = np.zeros(0, dtype=np.float32)

    def probabilities(self, samples: np.ndarray) -> np.ndarray:
        """Probabilities for every complete 512-sample chunk; a remainder waits for the next call."""
        data = np.concatenate([self._pending, np.asarray(samples, dtype=np.float32)])
        n = len(data) // CHUNK
        self._pending = data[n * CHUNK :]
        probs = np.empty(n, dtype=np.float32)
        for i in range(n):
            chunk = data[i * CHUNK : (i + 1) * CHUNK]
            x = np.concatenate([self._context, chunk])[None, :]
            out, self._h, self._c = self._session.run(None, {"input": x, "h": self._h, "c": self._c})
            self._context = chunk[-CONTEXT:]
            probs[i] = float(np.asarray(out).reshape(-1)[0])
        return probs


class StreamingVad:
    """Model + state machine over an absolute sample clock."""

    def __init__(
        self,
        threshold: float = 0.5,
        min_silence_ms: int = 250,
        speech_pad_ms: int = 200,
        model_path: Path | None = None,
    ) -> None:
        self.model = SileroVad(model_path)
        self.state = VadStateMachine(threshold=threshold, min_silence_ms=min_silence_ms, speech_pad_ms=speech_pad_ms)
        self.processed = 0  # samples scored so far (whole chunks)
        self.last_prob = 0.0

    def process(self, samples: np.ndarray) -> list[VadEvent]:
        events: list[VadEvent] = []
        for prob in self.model.probabilities(samples):
            self.processed += CHUNK
            self.last_prob = float(prob)
            event = self.state.update(float(prob), self.processed)
            if event:
                events.append(event)
        return events

    def flush(self, stream_end: int) -> list[VadEvent]:
        event = self.state.flush(stream_end)
        return [event] if event else []

    @property
    def in_speech(self) -> bool:
        return self.state.in_speech
