"""One cache of loaded models for the whole process: Whisper and the downstream stages' models.

Loading costs seconds to minutes on a CPU, so a window's second session (or a second `Runner` in the
same process) starts at once. Before, the window kept its own Whisper cache beside the stages' cache;
now both live here and the window, the CLI and the tests share it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from rtstt.config import Settings
    from rtstt.stt.whisper import WhisperBackend

T = TypeVar("T")


class ModelCache:
    """Loaded models by configuration key. A `slot` holds one model at a time: choosing another Whisper
    model frees the old one before the new one loads (two large models need not fit together)."""

    def __init__(self) -> None:
        self._models: dict[tuple, object] = {}
        self._slots: dict[str, tuple] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple, factory: Callable[[], T], *, slot: str | None = None) -> T:
        with self._lock:
            if key not in self._models:
                if slot is not None and self._slots.get(slot) not in (None, key):
                    self._models.pop(self._slots.pop(slot), None)
                self._models[key] = factory()
                if slot is not None:
                    self._slots[slot] = key
            return self._models[key]  # type: ignore[return-value]


MODELS = ModelCache()


def cached_model(key: tuple, factory: Callable[[], T]) -> T:
    """A downstream stage's model (speaker encoder, key-phrase extractor, summarizer), loaded once."""
    return MODELS.get(key, factory)


def load_backend(settings: Settings) -> WhisperBackend:
    """Resolve the configured Whisper model through the model manager and load it (not cached)."""
    from rtstt.models.manager import ModelManager
    from rtstt.stt.whisper import WhisperBackend

    stt = settings.stt
    name = model_name(settings)
    path = ModelManager().resolve(name)
    return WhisperBackend(
        path,
        device=stt.device,
        compute_type=stt.compute_type,
        threads=stt.threads,
        language=stt.language,
        beam_size=stt.beam_size,
        name=name,
    )


def model_name(settings: Settings) -> str:
    """The configured model, or the offline default: a multilingual one when translating (tiny.en cannot)."""
    from rtstt.models.registry import default_model

    stt = settings.stt
    return stt.model or default_model("auto" if stt.task == "translate" else stt.language)


def whisper_backend(settings: Settings) -> WhisperBackend:
    """The configured Whisper model, loaded and warmed up once, reused while its settings stay the same.
    The task (transcribe or translate) is set on it for this run: refused here, before any audio is decoded,
    when the model is English-only."""
    stt = settings.stt
    key = ("whisper", model_name(settings), stt.language, stt.device, stt.compute_type, stt.threads, stt.beam_size)

    def load() -> WhisperBackend:
        backend = load_backend(settings)
        backend.warm_up()
        return backend

    backend = MODELS.get(key, load, slot="whisper")
    backend.task = stt.task
    return backend
