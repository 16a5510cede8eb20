"""Typed, validated settings persisted as TOML in the user's config folder.

Precedence, lowest to highest: defaults, `config.toml`, `RTSTT_<SECTION>_<KEY>` environment variables,
explicit overrides (command-line flags). `RTSTT_HOME` moves every user folder under one root, which
keeps tests and portable installs away from the real profile.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from rtstt.errors import SettingsError
from rtstt.vocab import COMPUTE_DEVICES, COMPUTE_TYPES, SOURCE_KINDS, WHISPER_LANGUAGE_CODES

APP_NAME = "rtstt"

BOUNDS: dict[str, tuple[float, float]] = {
    "vad.threshold": (0.05, 0.95),
    "vad.min_silence_ms": (50, 5000),
    "vad.speech_pad_ms": (0, 1000),
    "stt.threads": (0, 256),
    "stt.beam_size": (1, 10),
    "stt.partial_interval_s": (0.05, 10.0),
    "speakers.threshold": (0.1, 0.99),
    "speakers.max_speakers": (0, 32),
    "speakers.count": (0, 10),
    "insights.window_minutes": (0.5, 60.0),
    "insights.top_n": (1, 50),
    "insights.interval_s": (1.0, 600.0),
    "summary.interval_s": (10.0, 3600.0),
    "appearance.font_size": (6, 48),
}
"""Allowed range of each numeric setting: validation and the settings dialog's spin boxes both read it."""

CHOICES: dict[str, tuple[str, ...]] = {
    "audio.source": ("", *SOURCE_KINDS),
    "stt.device": COMPUTE_DEVICES,
    "stt.compute_type": ("auto", *COMPUTE_TYPES),
    "stt.task": ("transcribe", "translate"),
    "speakers.backend": ("auto", "ge2e", "wespeaker", "pyannote"),
    "summary.quantization": ("auto", "8bit", "4bit", "none"),
    "appearance.theme": ("system", "light", "dark"),
}
"""Allowed values of each choice setting, for validation and the settings dialog alike."""


@dataclass(frozen=True, slots=True)
class UserDirs:
    config: Path
    data: Path

    @property
    def sessions(self) -> Path:
        return self.data / "sessions"

    @property
    def models(self) -> Path:
        return self.data / "models"

    @property
    def components(self) -> Path:
        return self.data / "components"

    @property
    def config_file(self) -> Path:
        return self.config / "config.toml"


def user_dirs() -> UserDirs:
    home = os.environ.get("RTSTT_HOME")
    if home:
        root = Path(home).expanduser()
        return UserDirs(config=root / "config", data=root / "data")
    import platformdirs

    return UserDirs(
        config=Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
        data=Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
    )


@dataclass
class AudioSettings:
    # file | mic | loopback | mix (both in one stream) | call (both as two tracks); empty = automatic: a call
    # when there are a microphone and system audio (rtstt.audio.devices.default_source_kind)
    source: str = ""
    device: str = ""  # microphone id from `rtstt devices`; empty = system default
    loopback_device: str = ""  # system-audio source id; empty = the default output
    file: str = ""  # the last file chosen as a source
    realtime: bool = True  # replay files at the speed of speech

    def validate(self) -> None:
        _choice("audio.source", self.source)


@dataclass
class VadSettings:
    threshold: float = 0.5
    min_silence_ms: int = 250  # silence that closes an utterance
    speech_pad_ms: int = 200  # audio kept around speech so word edges are not clipped

    def validate(self) -> None:
        _range("vad.threshold", self.threshold)
        _range("vad.min_silence_ms", self.min_silence_ms)
        _range("vad.speech_pad_ms", self.speech_pad_ms)


MAX_VOCABULARY_CHARS = 400  # about 100 tokens: half of what Whisper's prompt may hold


@dataclass
class SttSettings:
    model: str = ""  # empty = offline default for the language (tiny.en / base)
    language: str = "en"  # ISO code or "auto"
    device: str = "auto"  # auto | cpu | cuda
    compute_type: str = "auto"  # auto | int8 | int8_float16 | float16 | float32 ...
    threads: int = 0  # 0 = all cores
    beam_size: int = 1
    partial_interval_s: float = 0.25  # how often the tentative text refreshes while speaking
    vocabulary: str = ""  # words to expect (names, products, jargon), comma-separated: primes the decoder
    task: str = "transcribe"  # transcribe | translate (English text from any spoken language; multilingual models)

    def validate(self) -> None:
        if len(self.vocabulary) > MAX_VOCABULARY_CHARS:
            raise SettingsError(
                f"stt.vocabulary is {len(self.vocabulary)} characters; at most {MAX_VOCABULARY_CHARS} are used",
                "keep the names and terms this meeting needs (the decoder reads them before every pass)",
            )
        _choice("stt.device", self.device)
        _choice("stt.compute_type", self.compute_type)
        _choice("stt.task", self.task)
        _range("stt.threads", self.threads)
        _range("stt.beam_size", self.beam_size)
        _range("stt.partial_interval_s", self.partial_interval_s)
        check_language(self.language)


DEFAULT_SPEAKER_THRESHOLD = 0.65  # GE2E's; the speaker stage reads "left at the default" as "the encoder's own"


@dataclass
class SpeakerSettings:
    enabled: bool = False
    # auto: WeSpeaker when a model is installed (or `model` names one), else GE2E | ge2e (offline) | wespeaker
    # (must load `model` or the installed one) | pyannote (local checkpoint or a download with a token)
    backend: str = "auto"
    model: str = ""  # a WeSpeaker-format .onnx file or an installed speaker model's name; "" = wespeaker-resnet34
    # Speakers whose voice-print centroids are less similar than this (cosine) are surely different voices: a
    # lower bound on the number found, not the similarity that joins a line to a speaker (the number comes
    # from the session's own spectral clustering; rtstt.speakers.clustering, benchmarks/diarization.py). Left at
    # this default, the stage takes the encoder's own value (`separation_threshold`: GE2E 0.65, WeSpeaker 0.3).
    threshold: float = DEFAULT_SPEAKER_THRESHOLD
    max_speakers: int = 0  # 0 = no limit
    count: int = 0  # the number of speakers when the user knows it (--speakers N); 0 = find it from the voices
    pyannote_model: str = ""  # folder or config.yaml of a pyannote checkpoint
    my_name: str = "You"  # how a call's microphone lines (the user's own) are shown and exported

    def validate(self) -> None:
        self.my_name = self.my_name.strip() or "You"
        _choice("speakers.backend", self.backend)
        self.model = self.model.strip()
        _range("speakers.threshold", self.threshold)
        _range("speakers.max_speakers", self.max_speakers)
        _range("speakers.count", self.count)


@dataclass
class InsightSettings:
    enabled: bool = False
    window_minutes: float = 3.0  # "recent" keywords look this far back
    top_n: int = 8
    interval_s: float = 5.0  # at most one update this often

    def validate(self) -> None:
        _range("insights.window_minutes", self.window_minutes)
        _range("insights.top_n", self.top_n)
        _range("insights.interval_s", self.interval_s)


@dataclass
class SummarySettings:
    enabled: bool = False
    model: str = ""  # empty = the offline default (SmolLM2-135M-Instruct); a HF id or a folder otherwise
    quantization: str = "auto"  # auto | 8bit | 4bit | none (8/4-bit need CUDA and bitsandbytes)
    interval_s: float = 60.0  # new speech between rolling updates

    def validate(self) -> None:
        _choice("summary.quantization", self.quantization)
        _range("summary.interval_s", self.interval_s)


@dataclass
class StorageSettings:
    sessions_dir: str = ""  # empty = the user data folder

    def validate(self) -> None:
        if self.sessions_dir and not Path(self.sessions_dir).expanduser().is_absolute():
            raise SettingsError(
                f"storage.sessions_dir must be an absolute folder, not {self.sessions_dir!r}", "choose a full path"
            )


@dataclass
class AppearanceSettings:
    theme: str = "system"  # system | light | dark
    font_size: int = 0  # transcript font size in points; 0 = the system's

    def validate(self) -> None:
        _choice("appearance.theme", self.theme)
        if self.font_size:
            _range("appearance.font_size", self.font_size)


@dataclass
class Settings:
    audio: AudioSettings = field(default_factory=AudioSettings)
    vad: VadSettings = field(default_factory=VadSettings)
    stt: SttSettings = field(default_factory=SttSettings)
    speakers: SpeakerSettings = field(default_factory=SpeakerSettings)
    insights: InsightSettings = field(default_factory=InsightSettings)
    summary: SummarySettings = field(default_factory=SummarySettings)
    storage: StorageSettings = field(default_factory=StorageSettings)
    appearance: AppearanceSettings = field(default_factory=AppearanceSettings)

    def validate(self) -> Settings:
        for f in fields(self):
            getattr(self, f.name).validate()
        return self

    def to_dict(self) -> dict[str, dict[str, Any]]:
        return dataclasses.asdict(self)

    def with_overrides(self, **dotted: Any) -> Settings:
        """Return a copy with `section__key=value` overrides applied (None values are skipped)."""
        data = self.to_dict()
        for name, value in dotted.items():
            if value is None:
                continue
            section, _, key = name.partition("__")
            _set(data, section, key, value, source="override")
        return from_dict(data)

    def sessions_path(self) -> Path:
        return Path(self.storage.sessions_dir).expanduser() if self.storage.sessions_dir else user_dirs().sessions


def from_dict(data: dict[str, Any]) -> Settings:
    """Build validated settings from nested dicts, rejecting unknown keys and wrong types."""
    settings = Settings()
    for section_name, values in data.items():
        if not isinstance(values, dict):
            raise SettingsError(f"[{section_name}] must be a table", "check config.toml")
        for key, value in values.items():
            _set_attr(settings, section_name, key, value)
    return settings.validate()


def load(path: Path | None = None, env: dict[str, str] | None = None) -> Settings:
    """Defaults, then the TOML file (if any), then RTSTT_<SECTION>_<KEY> environment overrides."""
    path = path or user_dirs().config_file
    data: dict[str, Any] = Settings().to_dict()
    if path.exists():
        try:
            loaded = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise SettingsError(f"{path} is not valid TOML: {exc}", "fix or delete the file") from exc
        for section, values in loaded.items():
            if not isinstance(values, dict) or section not in data:
                raise SettingsError(f"unknown section [{section}] in {path}", "remove it")
            for key, value in values.items():
                _set(data, section, key, value, source=str(path))
    env = os.environ if env is None else env
    for name, raw in env.items():
        if not name.startswith("RTSTT_") or name == "RTSTT_HOME":
            continue
        rest = name[len("RTSTT_") :].lower()
        section, _, key = rest.partition("_")
        if section in data and key in data[section]:
            _set(data, section, key, _parse_env(raw, data[section][key]), source=name)
    return from_dict(data)


def save(settings: Settings, path: Path | None = None) -> Path:
    """Write settings atomically so a crash never leaves a half-written config."""
    import tomli_w

    from rtstt.atomic import write_bytes_atomic

    path = path or user_dirs().config_file
    write_bytes_atomic(path, tomli_w.dumps(settings.validate().to_dict()).encode("utf-8"))
    return path


def _set(data: dict[str, Any], section: str, key: str, value: Any, source: str) -> None:
    if section not in data or key not in data[section]:
        raise SettingsError(f"unknown setting {section}.{key} (from {source})", "see `rtstt doctor` for valid keys")
    data[section][key] = value


def _set_attr(settings: Settings, section: str, key: str, value: Any) -> None:
    sect = getattr(settings, section, None)
    if sect is None or key not in {f.name for f in fields(sect)}:
        raise SettingsError(f"unknown setting {section}.{key}", "check the spelling")
    default = getattr(sect, key)
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise SettingsError(f"{section}.{key} must be true or false, not {value!r}")
    elif isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int):
            raise SettingsError(f"{section}.{key} must be a whole number, not {value!r}")
    elif isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise SettingsError(f"{section}.{key} must be a number, not {value!r}")
        value = float(value)
    elif isinstance(default, str) and not isinstance(value, str):
        raise SettingsError(f"{section}.{key} must be text, not {value!r}")
    setattr(sect, key, value)


def _parse_env(raw: str, default: Any) -> Any:
    if isinstance(default, bool):
        return raw.strip().lower() in ("1", "true", "yes", "on")
    try:
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            return float(raw)
    except ValueError:
        return raw  # let validation name the bad value
    return raw


def check_language(code: str) -> None:
    """`code` must be one Whisper knows (vocab.WHISPER_LANGUAGE_CODES) or "auto": checked with the rest of
    the settings, so a bad --language or config.toml value fails before any model loads. Whether the model
    is multilingual is checked when it loads (an English-only model takes only "en" or "auto")."""
    if code != "auto" and code not in WHISPER_LANGUAGE_CODES:
        raise SettingsError(
            f"unknown language {code!r} for stt.language", f"valid codes: {', '.join(WHISPER_LANGUAGE_CODES)}, or auto"
        )


def _choice(name: str, value: str) -> None:
    allowed = CHOICES[name]
    if value not in allowed:
        raise SettingsError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")


def _range(name: str, value: float) -> None:
    low, high = BOUNDS[name]
    if not low <= value <= high:
        raise SettingsError(f"{name} must be between {low} and {high}; got {value!r}")
