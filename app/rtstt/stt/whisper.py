"""faster-whisper / CTranslate2 backend: load a model and transcribe one audio window fast.

Why not `WhisperModel.transcribe`: it always pads audio to a 30 s window, so every pass pays for a
30 s encoder run (0.2 s of the 0.35 s a pass costs on 2 CPU cores), however short the utterance.
Here the window is the audio plus padding, at least `MIN_WINDOW_S`: measured on synthetic English,
a 10 s floor keeps the word error rate of the 30 s window (6.1% both) at a quarter of the cost, while
windows that hug the audio make the decoder loop. Partials can then refresh several times a second.

Translation (`task = "translate"`, multilingual models only) decodes English text from speech in any
language: the same window, Whisper's <|translate|> token instead of <|transcribe|>. The spoken language is
still detected on the source audio (language "auto", or "en", which with translate means "auto": English
to English is plain transcription). Word times of translated text are approximate: the alignment maps
English words onto foreign speech by cross-attention, so a word's time is roughly where its meaning was
said, not where it was spoken (word order differs). They stay: the commit policy needs word times, and
they are monotonic and inside the utterance.
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

from rtstt.errors import ModelNotFound, OutOfMemory, RtsttError, SettingsError
from rtstt.oom import is_out_of_memory
from rtstt.stt.language import LanguagePolicy
from rtstt.vocab import SAMPLE_RATE

HOP = 160  # samples per mel frame
MIN_WINDOW_S = 10.0
MAX_WINDOW_S = 30.0
WINDOW_STEP_S = 5.0
WINDOW_PAD_S = 1.0  # silence after the audio: lets Whisper see the utterance end
MAX_PROMPT_TOKENS = 96
MAX_VOCABULARY_TOKENS = 96  # with the prompt, under the 223 tokens Whisper allows before its start token
TASKS = ("transcribe", "translate")  # Whisper's tasks; translate = English text from any spoken language

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
        if not multilingual:
            self.language = "en"  # nothing to detect: an English-only model has no language token
        self._task = "transcribe"
        self.languages = LanguagePolicy(self._source_language())
        self.detections = 0  # language detections run (each one a decoder step on the pass's encoder output)
        self.detect_s = 0.0  # their total cost
        self._tokenizer_cls = Tokenizer
        self._multilingual = multilingual
        self._tokenizers: dict[tuple[str, str], Tokenizer] = {}
        self._lock = threading.Lock()
        self.vocabulary = ""  # words to expect, read before every pass (`Engine` sets it from stt.vocabulary)

    @property
    def device(self) -> str:
        return self.choice.device

    @property
    def multilingual(self) -> bool:
        return self._multilingual

    @property
    def task(self) -> str:
        """ "transcribe" (text in the spoken language) or "translate" (English text); set per run, like
        `vocabulary`, since the loaded model is shared across runs."""
        return self._task

    @task.setter
    def task(self, task: str) -> None:
        if task not in TASKS:
            raise SettingsError(f"stt.task must be one of {', '.join(TASKS)}; got {task!r}")
        if task == "translate" and not self._multilingual:
            raise RtsttError(
                f"{self.name} is an English-only model and cannot translate",
                "choose a multilingual model (e.g. --model base) or turn translation off",
            )
        with self._lock:
            if task != self._task:
                self._task = task
                self.languages = LanguagePolicy(self._source_language())

    @property
    def translating(self) -> bool:
        return self._task == "translate"

    def _source_language(self) -> str | None:
        """The language decoding is locked to; None = detected per utterance. Translating "from English"
        means nothing, so with translate the default "en" detects the spoken language instead."""
        if self._task == "translate" and self.language == "en":
            return None
        return self.language

    def warm_up(self) -> None:
        """One pass on silence so the first real pass does not pay one-time allocation costs."""
        self.transcribe(np.zeros(SAMPLE_RATE, dtype=np.float32), words=False)
        self.languages = LanguagePolicy(self._source_language())  # silence says nothing about the language
        self.detections, self.detect_s = 0, 0.0

    def new_utterance(self) -> None:
        """The streaming policy starts a new utterance: with language "auto", its language is detected afresh."""
        with self._lock:
            self.languages.new_utterance()

    @property
    def detected_language(self) -> str | None:
        """The language being decoded (locked, or the last detected/assumed one); None before any pass."""
        return self.languages.language

    @property
    def current_language(self) -> str:
        """What to show the user: the language code, "auto" until the first pass decided one."""
        return self.languages.language or "auto"

    def _tokenizer_for(self, language: str):
        """The tokenizer whose start sequence says this language and the current task, built once per pair."""
        key = (self._task, language)
        tok = self._tokenizers.get(key)
        if tok is None:
            tok = self._tokenizer_cls(self.model.hf_tokenizer, self._multilingual, task=self._task, language=language)
            self._tokenizers[key] = tok
        return tok

    def _detect_language(self, encoded) -> tuple[str, float]:
        """Whisper's language token on this pass's encoder output: one decoder step (~13 ms with base on 2 CPU
        cores), where `WhisperModel.detect_language` encodes a 30 s window again (~0.56 s) and was no more accurate."""
        t0 = time.perf_counter()
        token, prob = self.model.model.detect_language(encoded)[0][0]
        self.detections += 1
        self.detect_s += time.perf_counter() - t0
        return token[2:-2], float(prob)

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
        with self._lock:
            locked = self.languages.locked
            tok = self._tokenizer_for(locked or "en")
            storage = ctranslate2.StorageView.from_array(np.ascontiguousarray(feats[None]))
            encoded = self.model.model.encode(storage, to_cpu=False)
            if locked is None:  # detected on the source audio, also when translating
                tok = self._tokenizer_for(self.languages.choose(n, lambda: self._detect_language(encoded)))
                prompt = self.languages.prompt_for(prompt)
            prompt_tokens = self._prompt_tokens(tok, prompt)
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
            self.languages.heard()
            if words:
                hyp.words = self._align(tok, tokens, encoded, n // HOP, n_prefix_words=_count_words(tok, prefix_tokens))
            else:
                hyp.words = [HypWord(text_new, 0.0, n / SAMPLE_RATE, 1.0)]
        hyp.words = _truncate_repetition(hyp.words)
        hyp.compute_s = time.perf_counter() - t0
        return hyp

    def _prompt_tokens(self, tok, prompt: str) -> list[int]:
        """The words to expect (`vocabulary`) first, then as much of the earlier text as fits: the decoder
        reads both as what came before, so it spells the names and terms it has just "heard"."""
        words = self.vocabulary.strip()
        vocabulary = tok.encode(" " + words)[:MAX_VOCABULARY_TOKENS] if words else []
        context = tok.encode(" " + prompt.strip())[-MAX_PROMPT_TOKENS:] if prompt.strip() else []
        return vocabulary + context

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
