"""GE2E voice prints with onnxruntime and numpy only: the same numbers as `Ge2eEncoder` (resemblyzer) from
the folder that rtstt.models.ge2e_export writes, so the installed app labels speakers with no torch.

`embed_utterance` as resemblyzer does it: 1.6 s windows of mel frames (160) every 1 / 1.3 s, the last one
kept when at least 75 % of it is audio (zero padding the rest), one network pass over all windows, the mean
of their embeddings L2-normalised. No VAD trimming: resemblyzer's embed_utterance does none either.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rtstt.errors import ModelNotFound
from rtstt.models.speaker_models import GE2E_MODEL_FILE
from rtstt.onnx_session import cpu_session
from rtstt.speakers.mel import HOP, mel_spectrogram
from rtstt.vocab import SAMPLE_RATE

PARTIAL_FRAMES = 160
RATE = 1.3  # windows per second
MIN_COVERAGE = 0.75


def partial_slices(n_samples: int, rate: float = RATE, min_coverage: float = MIN_COVERAGE) -> list[slice]:
    """The mel-frame windows of an utterance of `n_samples` (resemblyzer's compute_partial_slices); window
    i covers samples [start * HOP, stop * HOP), which may run past the audio (pad it with zeros)."""
    n_frames = int(np.ceil((n_samples + 1) / HOP))
    step = int(np.round((SAMPLE_RATE / rate) / HOP))
    starts = range(0, max(1, n_frames - PARTIAL_FRAMES + step + 1), step)
    windows = [slice(i, i + PARTIAL_FRAMES) for i in starts]
    coverage = (n_samples - windows[-1].start * HOP) / (PARTIAL_FRAMES * HOP)
    if coverage < min_coverage and len(windows) > 1:
        windows.pop()
    return windows


class Ge2eOnnxEncoder:
    """`embed(audio)`: a float32 [256] unit vector of 16 kHz speech, as Ge2eEncoder's."""

    runtime = "onnx"
    dimension = 256
    separation_threshold = 0.65  # the same prints as Ge2eEncoder's, so the same bound (see there)

    def __init__(self, folder: Path, threads: int = 1) -> None:
        folder = Path(folder)
        if not (folder / GE2E_MODEL_FILE).is_file():
            raise ModelNotFound(
                f"'{folder}' holds no ONNX speaker model ({GE2E_MODEL_FILE})",
                "export it again with `python -m rtstt.models.ge2e_export`",
            )
        self.folder = folder
        self.session = cpu_session(folder / GE2E_MODEL_FILE, threads)  # 1 thread: ~12 ms per 3 s, 2 were slower
        self._input = self.session.get_inputs()[0].name
        self.embed(np.zeros(SAMPLE_RATE, dtype=np.float32) + 1e-4)  # first-run allocations now, not mid-meeting

    def embed(self, audio: np.ndarray) -> np.ndarray:
        peak = float(np.max(np.abs(audio))) if audio.size else 0.0
        wav = (audio / peak * 0.9 if peak > 0 else audio).astype(np.float32)  # level-independent, as Ge2eEncoder
        windows = partial_slices(len(wav))
        end = windows[-1].stop * HOP
        if end >= len(wav):
            wav = np.pad(wav, (0, end - len(wav)))
        mel = mel_spectrogram(wav)
        (partials,) = self.session.run(None, {self._input: np.stack([mel[w] for w in windows])})
        mean = partials.mean(axis=0)
        return (mean / np.linalg.norm(mean)).astype(np.float32)
