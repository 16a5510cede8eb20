"""What the commands share: settings from flags, and the output check that runs before any model loads."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from rtstt.config import Settings
from rtstt.errors import ModelNotFound, OutputError, SettingsError
from rtstt.vocab import EXPORT_FORMATS

SPEAKERS_ON = -1  # `--speakers` without a number: labels on, the count from the settings


def settings_from(args: argparse.Namespace) -> Settings:
    from rtstt import config

    settings = config.load()
    speakers = getattr(args, "speakers", None)
    if isinstance(speakers, bool):  # a namespace built elsewhere with the old on/off flag
        speakers = SPEAKERS_ON if speakers else None
    return settings.with_overrides(
        stt__model=getattr(args, "model", None),
        stt__device=getattr(args, "stt_device", None),
        stt__compute_type=getattr(args, "compute_type", None),
        stt__language=getattr(args, "language", None),
        stt__threads=getattr(args, "threads", None),
        stt__beam_size=getattr(args, "beam_size", None),
        stt__vocabulary=vocabulary_from(getattr(args, "vocabulary", None)),
        stt__task="translate" if getattr(args, "translate", False) else None,
        insights__enabled=True if getattr(args, "insights", False) else None,
        speakers__enabled=True if speakers is not None else None,
        speakers__count=speakers if speakers is not None and speakers != SPEAKERS_ON else None,
        summary__enabled=True if getattr(args, "summary", False) or getattr(args, "summary_model", None) else None,
        summary__model=summary_model_from(getattr(args, "summary_model", None)),
    )


def summary_model_from(value: str | None) -> str | None:
    """`--summary-model`, checked before any audio is read: a wrong path or a file that is not a model
    fails at once with the reason, not minutes later when the first summary is due."""
    if value is None:
        return None
    from rtstt.models.nlp_models import summary_model_path
    from rtstt.nlp.llamacpp import is_gguf

    location = summary_model_path(value)
    if location.gguf_file and not is_gguf(location.path / location.gguf_file):
        raise ModelNotFound(
            f"{location.gguf_file} is not a GGUF model (its first bytes are not 'GGUF')",
            "give a .gguf file, or a model folder with config.json and *.safetensors",
        )
    return value


def vocabulary_from(value: str | None) -> str | None:
    """`--vocabulary` is the words themselves, or a text file of them (one per line or comma-separated)."""
    if value is None:
        return None
    path = Path(value).expanduser()
    if path.is_file():
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise SettingsError(f"cannot read the vocabulary file {path}: {exc}", "give a UTF-8 text file") from exc
        value = ", ".join(line.strip() for line in text.replace(",", "\n").splitlines() if line.strip())
    return ", ".join(word.strip() for word in value.split(",") if word.strip())


def check_output(path: Path, fmt: str | None) -> str:
    """Fail before any model loads when the output cannot be written."""
    fmt = fmt or path.suffix.lower().lstrip(".")
    if fmt not in EXPORT_FORMATS:
        raise OutputError(
            f"cannot tell the output format of {path}", f"use one of .{', .'.join(EXPORT_FORMATS)} or --format"
        )
    parent = path.expanduser().resolve().parent
    if not parent.is_dir():
        raise OutputError(f"cannot write {path}: folder {parent} does not exist", "create it or choose another")
    if not os.access(parent, os.W_OK):
        raise OutputError(f"cannot write {path}: folder {parent} is not writable", "choose another folder")
    return fmt
