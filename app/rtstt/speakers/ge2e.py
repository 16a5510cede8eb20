"""The offline speaker embedding: the GE2E voice encoder that the `resemblyzer` package carries.

256-d embeddings of 16 kHz speech; a segment of ~1 s or more gives a usable voice print.
"""

from __future__ import annotations

import numpy as np

from rtstt.components.runtime import setup_hint
from rtstt.errors import RtsttError
from rtstt.vocab import SAMPLE_RATE

MIN_SPEECH_S = 0.5


class Ge2eEncoder:
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
