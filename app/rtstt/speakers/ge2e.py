"""The offline speaker embedding: the GE2E voice encoder that the `resemblyzer` package carries.

256-d embeddings of 16 kHz speech; a segment of ~1 s or more gives a usable voice print. `open_ge2e_encoder`
prefers the same network exported to ONNX (rtstt.speakers.ge2e_onnx: no torch, which the installed app lacks).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from rtstt.components.runtime import setup_hint
from rtstt.errors import RtsttError
from rtstt.vocab import SAMPLE_RATE

if TYPE_CHECKING:
    from rtstt.speakers.ge2e_onnx import Ge2eOnnxEncoder

MIN_SPEECH_S = 0.5


def open_ge2e_encoder() -> Ge2eEncoder | Ge2eOnnxEncoder:
    """The ONNX encoder when its model folder exists (bundled, ./run.sh's, or exported by the user), else
    resemblyzer's: the same voice prints either way (cosine > 0.999), ONNX loads faster and needs no torch."""
    from rtstt.models.speaker_models import ge2e_onnx_path

    folder = ge2e_onnx_path()
    if folder is None:
        return Ge2eEncoder()
    from rtstt.speakers.ge2e_onnx import Ge2eOnnxEncoder

    return Ge2eOnnxEncoder(folder)


class Ge2eEncoder:
    runtime = "resemblyzer"
    # Centroids less similar than this (cosine) are surely different voices: tuned on GE2E prints
    # (benchmarks/diarization.py); the speaker stage uses it when `speakers.threshold` is left at its default.
    separation_threshold = 0.65

    def __init__(self) -> None:
        try:
            from resemblyzer import VoiceEncoder
        except ImportError as exc:
            raise RtsttError(
                f"speaker labels need the resemblyzer package ({exc.name} is missing)",
                setup_hint("speakers"),
            ) from exc
        self.encoder = VoiceEncoder("cpu", verbose=False)
        self.embed(np.zeros(SAMPLE_RATE, dtype=np.float32) + 1e-4)  # compile the mel path now, not mid-meeting

    def embed(self, audio: np.ndarray) -> np.ndarray:
        peak = float(np.max(np.abs(audio))) if audio.size else 0.0
        wav = audio / peak * 0.9 if peak > 0 else audio  # level-independent voice prints
        return np.asarray(self.encoder.embed_utterance(wav.astype(np.float32)), dtype=np.float32)
