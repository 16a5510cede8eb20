"""The faster-whisper models the app knows by name: where each lives on the Hub, how big it is, what it holds.

Names are what users type (`--model small`); the registry maps them to CTranslate2 repositories so the
manager can find a local copy or download one without the user knowing repository ids.
"""

from __future__ import annotations

from dataclasses import dataclass

from rtstt.errors import ModelNotFound

# Files of a CTranslate2 Whisper conversion as published by Systran. The large-v3 family uses 128 mel bins,
# which faster-whisper reads from preprocessor_config.json, and ships its vocabulary as JSON.
CLASSIC_FILES: tuple[str, ...] = ("config.json", "model.bin", "tokenizer.json", "vocabulary.txt")
V3_FILES: tuple[str, ...] = (
    "config.json",
    "model.bin",
    "preprocessor_config.json",
    "tokenizer.json",
    "vocabulary.json",
)


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """One downloadable model. `sha256` pairs (file, hex digest) are checked by `verify` when present."""

    name: str
    repo_id: str
    size_mb: int
    multilingual: bool
    files: tuple[str, ...] = CLASSIC_FILES
    description: str = ""
    sha256: tuple[tuple[str, str], ...] = ()

    def checksum(self, filename: str) -> str | None:
        return next((digest.lower() for f, digest in self.sha256 if f == filename), None)


def _spec(
    name: str,
    size_mb: int,
    description: str,
    files: tuple[str, ...] = CLASSIC_FILES,
    *,
    repo_id: str = "",
    multilingual: bool | None = None,
) -> ModelSpec:
    """A Systran conversion (`Systran/faster-whisper-<name>`) unless `repo_id` says otherwise; `.en` is English."""
    return ModelSpec(
        name=name,
        repo_id=repo_id or f"Systran/faster-whisper-{name}",
        size_mb=size_mb,
        multilingual=not name.endswith(".en") if multilingual is None else multilingual,
        files=files,
        description=description,
    )


_SPECS: tuple[ModelSpec, ...] = (
    _spec("tiny.en", 75, "fastest, English only; fine for live captions on any CPU"),
    _spec("tiny", 75, "fastest, 99 languages, lower accuracy"),
    _spec("base.en", 145, "fast, English only, noticeably better than tiny"),
    _spec("base", 145, "fast, 99 languages"),
    _spec("small.en", 484, "good English accuracy; real time on a recent CPU"),
    _spec("small", 484, "good accuracy, 99 languages"),
    _spec("medium.en", 1530, "high English accuracy; wants a GPU for live use"),
    _spec("medium", 1530, "high accuracy, 99 languages; wants a GPU for live use"),
    _spec("large-v2", 3090, "best accuracy of the v2 generation; GPU"),
    _spec("large-v3", 3090, "best accuracy, 99 languages; GPU", V3_FILES),
    _spec(
        "large-v3-turbo",
        1620,
        "near large-v3 accuracy with a 4-layer decoder: several times faster; GPU",
        V3_FILES,
        repo_id="mobiuslabsgmbh/faster-whisper-large-v3-turbo",
    ),
    _spec(
        "distil-large-v3",
        1510,
        "distilled large-v3, English speech only; fast on GPU",
        V3_FILES,
        repo_id="Systran/faster-distil-whisper-large-v3",
        multilingual=False,
    ),
)

_BY_NAME: dict[str, ModelSpec] = {s.name: s for s in _SPECS}

# Short names faster-whisper itself accepts, so a setting copied from its docs works here too.
ALIASES: dict[str, str] = {"large": "large-v3", "turbo": "large-v3-turbo"}


def all_specs() -> list[ModelSpec]:
    """Every known model, smallest first within each family."""
    return list(_SPECS)


def canonical_name(name: str) -> str:
    """The registry name for `name` (aliases and letter case folded); unknown names come back unchanged."""
    key = name.strip()
    low = key.lower()
    if low in _BY_NAME:
        return low
    return ALIASES.get(low, key)


def find_spec(name: str) -> ModelSpec | None:
    """The spec for a name, alias or Hub repository id, or None: for callers that also accept custom folders."""
    key = canonical_name(name)
    if key in _BY_NAME:
        return _BY_NAME[key]
    return next((s for s in _SPECS if s.repo_id.lower() == name.strip().lower()), None)


def get_spec(name: str) -> ModelSpec:
    spec = find_spec(name)
    if spec is None:
        raise ModelNotFound(f"unknown model {name!r}", "known models: " + ", ".join(s.name for s in _SPECS))
    return spec


def default_model(language: str) -> str:
    """The model used when none is configured: one that PyPI packages ship, so it works with no network."""
    return "tiny.en" if language.strip().lower() == "en" else "base"
