"""faster-whisper / CTranslate2 backend: load a model and transcribe one audio window fast.

Why not `WhisperModel.transcribe`: it always pads audio to a 30 s window, so every pass pays for a
30 s encoder run (0.2 s of the 0.35 s a pass costs on 2 CPU cores), however short the utterance.
Here the window is the audio plus padding, at least `MIN_WINDOW_S`: measured on synthetic English,
a 10 s floor keeps the word error rate of the 30 s window (6.1% both) at a quarter of the cost, while
windows that hug the audio make the decoder loop. Partials can then refresh several times a second.
"""

from __future__ import annotations

import gzip
import logging
import math
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rtstt.errors import ModelNotFound, OutOfMemory, RtsttError
from rtstt.oom import is_out_of_memory
from rtstt.vocab import SAMPLE_RATE

HOP = 160  # samples per mel frame
MIN_WINDOW_S = 10.0
MAX_WINDOW_S = 30.0
WINDOW_STEP_S = 5.0
WINDOW_PAD_S = 1.0  # silence after the audio: lets Whisper see the utterance end
MAX_PROMPT_TOKENS = 96
LANGUAGE_LOCK_PROB = 0.8
LANGUAGE_LOCK_S = 4.0

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class HypWord:
    """A word of a hypothesis; times are seconds from the window start."""

    text: str
    start: float
    end: float
    probability: float


@dataclass(slots=True)
class Hypothesis:
    words: list[HypWord] = field(default_factory=list)
    avg_logprob: float = 0.0
    no_speech_prob: float = 0.0
    compute_s: float = 0.0
    rejected: str = ""  # why the text was dropped (hallucination guards), "" when kept

    @property
    def text(self) -> str:
        return "".join(w.text for w in self.words).strip()


@dataclass(frozen=True, slots=True)
class DeviceChoice:
    device: str
    compute_type: str
    device_name: str
    threads: int


def choose_device(device: str = "auto", compute_type: str = "auto", threads: int = 0) -> DeviceChoice:
    """CUDA float16 when a GPU is visible, else CPU int8; explicit values win."""
    import ctranslate2

    cuda = 0
    try:
        cuda = ctranslate2.get_cuda_device_count()
    except Exception:  # a broken CUDA install must not stop CPU users
        cuda = 0
    if device == "auto":
        device = "cuda" if cuda > 0 else "cpu"
    if device == "cuda" and cuda == 0:
        raise RtsttError("no CUDA GPU is available", "use --device cpu (or auto)")
    if compute_type == "auto":
        compute_type = "float16" if device == "cuda" else "int8"
    supported = ctranslate2.get_supported_compute_types(device)
    if compute_type not in supported:
        raise RtsttError(
            f"compute type {compute_type} is not supported on {device}",
            f"choose one of: {', '.join(sorted(supported))}",
        )
    threads = threads or (os.cpu_count() or 1)
    name = gpu_name() if device == "cuda" else "CPU"
    return DeviceChoice(device=device, compute_type=compute_type, device_name=name or device.upper(), threads=threads)


def gpu_name() -> str | None:
    try:
        import pynvml

        pynvml.nvmlInit()
        name = pynvml.nvmlDeviceGetName(pynvml.nvmlDeviceGetHandleByIndex(0))
        return name.decode() if isinstance(name, bytes) else str(name)
    except Exception:
        return None


class WhisperBackend:
    """One loaded model. `transcribe` is not re-entrant: one engine thread calls it."""

    def __init__(
        self,
        model_path: Path,
        *,
        device: str = "auto",
        compute_type: str = "auto",
        threads: int = 0,
        language: str = "en",
        beam_size: int = 1,
        name: str = "",
    ) -> None:
        from faster_whisper import WhisperModel
        from faster_whisper.tokenizer import Tokenizer

        choice = choose_device(device, compute_type, threads)
        path = Path(model_path)
        if not (path / "model.bin").exists():
            raise ModelNotFound(f"'{path}' is not a faster-whisper model folder", "run `rtstt models` to see models")
        try:
            self.model = WhisperModel(
                str(path), device=choice.device, compute_type=choice.compute_type, cpu_threads=choice.threads
            )
        except RuntimeError as exc:
            _raise_if_out_of_memory(
                exc,
                f"not enough {'GPU ' if choice.device == 'cuda' else ''}memory to load {path.name}",
                "pick a smaller model or use --device cpu",
            )
            raise ModelNotFound(
                f"cannot load the model in {path}: {exc}", "re-download it with `rtstt models`"
            ) from exc
        self.choice = choice
        self.model_path = path
        self.name = name or path.name  # what the user asked for ("tiny.en"), not the folder's name
        self.beam_size = beam_size
        multilingual = self.model.model.is_multilingual
        if not multilingual and language not in ("en", "auto"):
            raise RtsttError(
                f"{path.name} is an English-only model but the language is {language!r}",
                "choose a multilingual model (e.g. base) or --language en",
            )
        self.language = None if language == "auto" else language
        self.detected_language: str | None = None
        self._tokenizer_cls = Tokenizer
        self._multilingual = multilingual
        self._tokenizer = Tokenizer(
            self.model.hf_tokenizer, multilingual, task="transcribe", language=self.language or "en"
        )
        self._lock = threading.Lock()

    @property
    def device(self) -> str:
        return self.choice.device

    def warm_up(self) -> None:
        """One pass on silence so the first real pass does not pay one-time allocation costs."""
        self.transcribe(np.zeros(SAMPLE_RATE, dtype=np.float32), words=False)

    def detect_language(self, audio: np.ndarray) -> str:
        """With language "auto": detect, and lock the answer once it is confident or the audio is long.

        Detection on a second of speech flips between languages; a conversation rarely does, so a
        locked language keeps short utterances from being decoded in the wrong one.
        """
        if self.detected_language:
            return self.detected_language
        lang, prob, _all = self.model.detect_language(audio)
        if prob >= LANGUAGE_LOCK_PROB or len(audio) >= LANGUAGE_LOCK_S * SAMPLE_RATE:
            self.detected_language = lang
        return lang

    def transcribe(
        self, audio: np.ndarray, *, prompt: str = "", prefix: str = "", words: bool = True, beam_size: int = 0
    ) -> Hypothesis:
        """See `_transcribe`; a CUDA out-of-memory becomes `OutOfMemory` with the fix, not a crash."""
        try:
            return self._transcribe(audio, prompt=prompt, prefix=prefix, words=words, beam_size=beam_size)
        except RuntimeError as exc:
            _raise_if_out_of_memory(
                exc,
                f"the {'GPU' if self.device == 'cuda' else 'computer'} ran out of memory while transcribing",
                "the transcript so far is saved; choose a smaller model, int8, or --device cpu",
            )
            raise

    def _transcribe(
        self, audio: np.ndarray, *, prompt: str = "", prefix: str = "", words: bool = True, beam_size: int = 0
    ) -> Hypothesis:
        """Transcribe `audio` (16 kHz mono float32, at most ~28 s) as one window.

        `prompt` is earlier committed text (context for spelling and style); `prefix` is text already
        committed inside this window, which the decoder must continue rather than re-decide.
        Returned words exclude the prefix.
        """
        import ctranslate2

        t0 = time.perf_counter()
        audio = np.asarray(audio, dtype=np.float32)
        n = len(audio)
        # Window lengths come in WINDOW_STEP_S steps: CTranslate2 keeps buffers per input shape, and a
        # window that tracked the audio to the frame grew the process by ~0.5 MB a pass (measured).
        wanted = n / SAMPLE_RATE + WINDOW_PAD_S
        win_s = min(MAX_WINDOW_S, max(MIN_WINDOW_S, math.ceil(wanted / WINDOW_STEP_S) * WINDOW_STEP_S))
        win = int(win_s * SAMPLE_RATE)
        if n > win:
            audio = audio[-win:]
            n = win
        padded = np.zeros(win, dtype=np.float32)
        padded[:n] = audio
        frames = win // HOP
        feats = self.model.feature_extractor(padded, padding=0)[:, :frames]
        tok = self._tokenizer
        with self._lock:
            if self._multilingual and self.language is None:
                lang = self.detect_language(audio)
                tok = self._tokenizer_cls(self.model.hf_tokenizer, True, task="transcribe", language=lang)
            storage = ctranslate2.StorageView.from_array(np.ascontiguousarray(feats[None]))
            encoded = self.model.model.encode(storage, to_cpu=False)
            prompt_tokens = tok.encode(" " + prompt.strip())[-MAX_PROMPT_TOKENS:] if prompt.strip() else []
            prefix_tokens = tok.encode(" " + prefix.strip()) if prefix.strip() else []
            start = ([tok.sot_prev, *prompt_tokens] if prompt_tokens else []) + [*tok.sot_sequence, tok.no_timestamps]
            # Speech rarely exceeds ~4 tokens/s; a budget a few times that stops a looping decoder early.
            # CTranslate2 counts the prompt and prefix in max_length.
            budget = len(start) + len(prefix_tokens) + int(12 + 8 * n / SAMPLE_RATE)
            result = self.model.model.generate(
                encoded,
                [start + prefix_tokens],
                beam_size=beam_size or self.beam_size,
                max_length=min(448, budget),
                return_scores=True,
                return_no_speech_prob=True,
                suppress_blank=True,
                suppress_tokens=[-1],
            )[0]
            tokens = [t for t in result.sequences_ids[0] if t < tok.eot]
            hyp = Hypothesis(no_speech_prob=float(result.no_speech_prob))
            n_new = max(0, len(tokens) - len(prefix_tokens))
            hyp.avg_logprob = float(result.scores[0]) if result.scores else 0.0
            text_new = tok.decode(tokens[len(prefix_tokens) :])
            hyp.rejected = _reject_reason(text_new, hyp)
            if hyp.rejected or n_new == 0:
                hyp.compute_s = time.perf_counter() - t0
                return hyp
            if words:
                hyp.words = self._align(tok, tokens, encoded, n // HOP, n_prefix_words=_count_words(tok, prefix_tokens))
            else:
                hyp.words = [HypWord(text_new, 0.0, n / SAMPLE_RATE, 1.0)]
        hyp.words = _truncate_repetition(hyp.words)
        hyp.compute_s = time.perf_counter() - t0
        return hyp

    def _align(self, tok, tokens: list[int], encoded, num_frames: int, n_prefix_words: int) -> list[HypWord]:
        from faster_whisper.transcribe import merge_punctuations

        alignment = self.model.find_alignment(tok, [tokens], encoded, max(1, num_frames))[0]
        if not alignment:
            return []
        merge_punctuations(alignment, "\"'“¿([{-", "\"'.。,，!！?？:：”)]}、")
        words = [w for w in alignment if w["word"]]
        # Alignment is computed over prefix + new text; only the new words are returned.
        out = [
            HypWord(text=w["word"], start=float(w["start"]), end=float(w["end"]), probability=float(w["probability"]))
            for w in words[n_prefix_words:]
        ]
        return _fix_durations(out)


def _raise_if_out_of_memory(exc: RuntimeError, message: str, hint: str) -> None:
    """CTranslate2 reports running out of (GPU) memory as a RuntimeError: make it `OutOfMemory` with the fix."""
    if is_out_of_memory(exc):
        raise OutOfMemory(message, hint) from exc


def _count_words(tok, tokens: list[int]) -> int:
    if not tokens:
        return 0
    words, _ = tok.split_to_word_tokens([*tokens, tok.eot])
    # punctuation merged into the previous word does not count as a word
    return sum(1 for w in words[:-1] if w.strip() and any(ch.isalnum() for ch in w))


def _fix_durations(words: list[HypWord]) -> list[HypWord]:
    """Keep times monotonic and give zero-length words a sliver so exports stay valid."""
    out: list[HypWord] = []
    last = 0.0
    for w in words:
        start = max(w.start, last)
        end = max(w.end, start + 0.02)
        out.append(HypWord(w.text, round(start, 3), round(end, 3), w.probability))
        last = end
    return out


def _reject_reason(text: str, hyp: Hypothesis) -> str:
    """Whisper's own hallucination guards, applied to one window."""
    stripped = text.strip()
    if not stripped:
        return ""
    if hyp.no_speech_prob > 0.6 and hyp.avg_logprob < -1.0:
        return "no speech"
    if len(stripped) > 24:
        ratio = len(stripped.encode()) / len(gzip.compress(stripped.encode()))
        if ratio > 2.4:
            return "repetitive"
    return ""


def _truncate_repetition(words: list[HypWord], max_repeats: int = 3) -> list[HypWord]:
    """Cut a decoding loop: the same n-gram (n=1..6) repeated `max_repeats`+ times back to back."""
    keys = [w.text.strip().lower().strip(".,!?") for w in words]
    for n in range(1, 7):
        for i in range(0, len(keys) - n * max_repeats + 1):
            gram = keys[i : i + n]
            if all(keys[i + k * n : i + (k + 1) * n] == gram for k in range(1, max_repeats)):
                return words[: i + n]
    return words
