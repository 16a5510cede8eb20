"""The models the app knows by name: where each lives on the Hub, how big it is, what it holds, its licence.

Names are what users type (`--model small`); the registry maps them to CTranslate2 repositories so the
manager can find a local copy or download one without the user knowing repository ids. The summary models
(`kind="summary"`: one GGUF file each, for llama.cpp) and the speaker models (`kind="speaker"`: one ONNX file
each, voice prints) are separate lists, so nothing that looks up a Whisper model by name ever finds one of them.
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
    licence: str = "MIT"  # OpenAI's Whisper weights and their CTranslate2 conversions
    kind: str = "whisper"  # "whisper" | "summary" (one .gguf under models/llm/<name>) | "speaker" (one .onnx
    # under models/speaker/<name>)
    title: str = ""  # how the window names it in a sentence ("Qwen2.5-1.5B"); the name when empty

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


# -- summary models: a GGUF file each, run by llama.cpp on the CPU ------------------------------------------

RECOMMENDED_SUMMARY = "qwen2.5-1.5b-instruct"


def _summary(
    name: str, title: str, repo_id: str, file: str, size_mb: int, licence: str, description: str, multilingual: bool
) -> ModelSpec:
    return ModelSpec(
        name, repo_id, size_mb, multilingual, (file,), description, licence=licence, kind="summary", title=title
    )


_SUMMARY_SPECS: tuple[ModelSpec, ...] = (
    _summary(
        RECOMMENDED_SUMMARY,
        "Qwen2.5-1.5B",
        "Qwen/Qwen2.5-1.5B-Instruct-GGUF",
        "qwen2.5-1.5b-instruct-q4_k_m.gguf",
        1117,
        "Apache-2.0",
        "recommended: good notes on a laptop CPU (llama.cpp, Q4_K_M)",
        True,
    ),
    _summary(
        "llama-3.2-3b-instruct",
        "Llama-3.2-3B",
        "bartowski/Llama-3.2-3B-Instruct-GGUF",
        "Llama-3.2-3B-Instruct-Q4_K_M.gguf",
        2020,
        "Llama 3.2 Community License",
        "better notes, slower; 16 GB RAM",
        True,
    ),
    _summary(
        "smollm2-1.7b-instruct",
        "SmolLM2-1.7B",
        "HuggingFaceTB/SmolLM2-1.7B-Instruct-GGUF",
        "smollm2-1.7b-instruct-q4_k_m.gguf",
        1060,
        "Apache-2.0",
        "English only; the bigger sibling of the offline fallback",
        False,
    ),
)


def summary_specs() -> list[ModelSpec]:
    """The summary models the model manager offers, the recommended one first."""
    return list(_SUMMARY_SPECS)


def find_summary_spec(name: str) -> ModelSpec | None:
    """The summary model for a name (any letter case) or its Hub repository id, or None."""
    key = name.strip().lower()
    return next((s for s in _SUMMARY_SPECS if key in (s.name, s.repo_id.lower())), None)


# -- speaker models: a WeSpeaker-format ONNX file each (voice prints), run by onnxruntime ---------------------

RECOMMENDED_SPEAKER = "wespeaker-resnet34"
WESPEAKER_FILE = "voxceleb_resnet34_LM.onnx"

_SPEAKER_SPECS: tuple[ModelSpec, ...] = (
    ModelSpec(
        RECOMMENDED_SPEAKER,
        "Wespeaker/wespeaker-voxceleb-resnet34-LM",
        26,
        True,
        (WESPEAKER_FILE,),
        "stronger voice prints: a ResNet34 trained on VoxCeleb; without it, the built-in GE2E labels the voices",
        licence="CC-BY-4.0",
        kind="speaker",
        title="WeSpeaker ResNet34",
    ),
)


def speaker_specs() -> list[ModelSpec]:
    """The speaker (voice print) models the model manager offers, the recommended one first."""
    return list(_SPEAKER_SPECS)


def find_speaker_spec(name: str) -> ModelSpec | None:
    """The speaker model for a name (any letter case) or its Hub repository id, or None."""
    key = name.strip().lower()
    return next((s for s in _SPEAKER_SPECS if key in (s.name, s.repo_id.lower())), None)


def default_model(language: str) -> str:
    """The model used when none is configured: one that PyPI packages ship, so it works with no network."""
    return "tiny.en" if language.strip().lower() == "en" else "base"
