"""Signal helpers: mono down-mix, soxr resampling (one-shot and streaming) and levels in dBFS.

Everything downstream (VAD, Whisper) wants 16 kHz mono float32; every source converts here, with
soxr, so quality and cost are the same whatever the device's native format.
"""

from __future__ import annotations

import numpy as np

from rtstt.vocab import SAMPLE_RATE

SILENCE_DBFS = -120.0


def to_mono(block: np.ndarray) -> np.ndarray:
    """Average the channels of a (frames, channels) block; 1-D input passes through as float32."""
    block = np.asarray(block)
    if block.dtype.kind == "i":
        block = block.astype(np.float32) / float(np.iinfo(block.dtype).max + 1)
    if block.ndim == 2:
        block = block.mean(axis=1) if block.shape[1] > 1 else block[:, 0]
    return np.ascontiguousarray(block, dtype=np.float32)


def resample(audio: np.ndarray, from_rate: int, to_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Resample a whole signal (soxr, high quality)."""
    if from_rate == to_rate:
        return np.asarray(audio, dtype=np.float32)
    import soxr

    return soxr.resample(np.asarray(audio, dtype=np.float32), from_rate, to_rate, quality="HQ").astype(np.float32)


class StreamResampler:
    """Block-by-block resampling with soxr's stream API: no clicks or drift at block seams."""

    def __init__(self, from_rate: int, to_rate: int = SAMPLE_RATE) -> None:
        self.from_rate = int(from_rate)
        self.to_rate = int(to_rate)
        self._stream = None
        if self.from_rate != self.to_rate:
            import soxr

            self._stream = soxr.ResampleStream(self.from_rate, self.to_rate, 1, dtype="float32", quality="HQ")

    def process(self, block: np.ndarray, last: bool = False) -> np.ndarray:
        block = np.asarray(block, dtype=np.float32)
        if self._stream is None:
            return block
        return self._stream.resample_chunk(block, last=last)


def level_dbfs(block: np.ndarray) -> float:
    """RMS level of a block in dBFS (full-scale sine = -3 dBFS); silence clamps to -120."""
    block = np.asarray(block, dtype=np.float32)
    if block.size == 0:
        return SILENCE_DBFS
    rms = float(np.sqrt(np.mean(np.square(block, dtype=np.float64))))
    return max(SILENCE_DBFS, 20.0 * np.log10(rms)) if rms > 0 else SILENCE_DBFS
