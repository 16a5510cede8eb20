"""WeSpeaker voice prints with onnxruntime and numpy only, so the installed app labels speakers without torch.

WeSpeaker publishes its networks as ONNX (e.g. `voxceleb_resnet34_LM.onnx` of the Hugging Face repo
Wespeaker/wespeaker-voxceleb-resnet34-LM, CC-BY-4.0): input "feats" [batch, frames, 80] of Kaldi log mel
filterbanks with the utterance mean taken off each bin, output "embs" [batch, 256]. `embed` computes those
features with `rtstt.speakers.fbank` (the same numbers as torchaudio's kaldi.fbank) and runs one pass over the
whole utterance: the network pools statistics over time itself, so no windowing is needed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rtstt.errors import ModelNotFound, RtsttError
from rtstt.onnx_session import cpu_session
from rtstt.speakers.fbank import NUM_MEL_BINS, cmn, kaldi_fbank
from rtstt.vocab import SAMPLE_RATE

# Shorter audio is repeated (wrapped) up to this: ResNet34 downsamples time 8-fold and pools mean and standard
# deviation over what is left, so a few frames give a degenerate (or, under 2 frames, NaN) statistic. Repeating
# the speech keeps its spectrum, which zero padding (silence at log epsilon) would swamp.
MIN_SAMPLES = SAMPLE_RATE // 2


class WespeakerOnnxEncoder:
    """`embed(audio)`: a float32 unit vector (256 for ResNet34) of 16 kHz mono speech."""

    runtime = "onnx"
    dimension = 256
    name = "wespeaker"
    # "Surely different voices" below this cosine. WeSpeaker's published scoring puts different speakers at about
    # 0.0-0.4 and the same speaker at 0.5-0.8, far below GE2E's scale (0.65); 0.3 is read off those published
    # ranges, NOT calibrated here (the weights cannot be downloaded offline): re-tune with benchmarks/diarization.py.
    separation_threshold = 0.3

    def __init__(self, model_file: Path, threads: int = 1) -> None:
        model_file = Path(model_file)
        if not model_file.is_file():
            raise ModelNotFound(
                f"'{model_file}' is no WeSpeaker ONNX model: the file does not exist",
                "download voxceleb_resnet34_LM.onnx (Hugging Face: Wespeaker/wespeaker-voxceleb-resnet34-LM) "
                "and point the app at it",
            )
        self.model_file = model_file
        try:
            self.session = cpu_session(model_file, threads)
        except Exception as exc:  # onnxruntime raises its own types (InvalidProtobuf, Fail, ...) for a bad file
            raise RtsttError(
                f"'{model_file}' is not a valid ONNX model ({type(exc).__name__}: {str(exc).strip()[:200]})",
                "download it again: the file is damaged or is not a WeSpeaker model",
            ) from exc
        feats = self.session.get_inputs()[0]
        shape = list(feats.shape or [])
        if len(shape) != 3 or (isinstance(shape[-1], int) and shape[-1] != NUM_MEL_BINS):
            raise RtsttError(
                f"'{model_file}' is not a WeSpeaker model: its input '{feats.name}' has shape {shape}, "
                f"not [batch, frames, {NUM_MEL_BINS}]",
                "use a WeSpeaker ONNX export that takes 80 log mel filterbanks",
            )
        self._input = feats.name
        out = self.session.get_outputs()[0].shape or []
        if out and isinstance(out[-1], int):
            self.dimension = out[-1]
        noise = np.random.default_rng(0).standard_normal(SAMPLE_RATE).astype(np.float32) * 1e-3
        self.embed(noise)  # first-run allocations now, not mid-meeting

    def embed(self, audio: np.ndarray) -> np.ndarray:
        wav = np.asarray(audio, dtype=np.float32).reshape(-1)
        if len(wav) == 0:
            wav = np.zeros(MIN_SAMPLES, dtype=np.float32)
        elif len(wav) < MIN_SAMPLES:
            wav = np.resize(wav, MIN_SAMPLES)  # repeats the clip end to end
        feats = cmn(kaldi_fbank(wav))
        (embs,) = self.session.run(None, {self._input: feats[None]})
        vector = np.asarray(embs, dtype=np.float32).reshape(-1)
        norm = float(np.linalg.norm(vector))
        return vector / norm if norm > 0 else vector
