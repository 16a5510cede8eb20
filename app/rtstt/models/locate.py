"""Model folders by name: the app's models folder, then the repository's or the bundle's `models/`.

Also how a user's text is read: a path, a Hub repository id, or a plain model name; and a folder named
after its Hub repository (`faster-whisper-small`) counts as that model, as users copy them that way.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from rtstt.models.checks import is_model_dir
from rtstt.models.packages import assembled_from_package
from rtstt.models.registry import ModelSpec, all_specs, find_spec
from rtstt.resources import app_roots

Source = Literal["app", "repo", "package", "hf-cache", "folder"]
Root = tuple[Path, Source]


def default_search_dirs() -> list[Path]:
    """The repository's `models/` (a source checkout) and a frozen bundle's `models/`, where they exist."""
    return [root / "models" for root in app_roots() if (root / "models").is_dir()]


def find_in_roots(roots: list[Root], name: str, spec: ModelSpec | None) -> tuple[Path, Source] | None:
    """The first model folder for `name` (or its repository's name) under `roots`, in order."""
    for root, source in roots:
        for candidate in folder_names(name, spec):
            folder = root / candidate
            if is_model_dir(folder):
                return folder.resolve(), marked_source(folder, source)
    return None


def models_in_roots(roots: list[Root]) -> Iterator[tuple[str, Path, Source]]:
    """(name, folder, source) of every model folder under `roots`, in the order `find_in_roots` prefers them."""
    for root, source in roots:
        try:
            children = sorted(root.iterdir()) if root.is_dir() else []
        except OSError:
            continue
        models = [c for c in children if not c.name.startswith(".") and c.is_dir() and is_model_dir(c)]
        # Exact names before repository-named copies (`small` before `faster-whisper-small`), as in resolve.
        models.sort(key=lambda c: find_spec(c.name) is None)
        for child in models:
            spec = spec_for_folder_name(child.name)
            yield spec.name if spec else child.name, child.resolve(), marked_source(child, source)


def marked_source(folder: Path, default: Source) -> Source:
    return "package" if assembled_from_package(folder) else default


def looks_like_path(raw: str) -> bool:
    return "/" in raw or "\\" in raw or raw.startswith(("~", ".")) or Path(raw).is_absolute()


def looks_like_repo_id(raw: str) -> bool:
    parts = raw.split("/")
    return len(parts) == 2 and all(parts) and not raw.startswith(("/", ".", "~")) and "\\" not in raw


def is_plain_name(name: str) -> bool:
    return bool(name) and not name.startswith(".") and all(c.isalnum() or c in "._-+" for c in name)


def folder_names(name: str, spec: ModelSpec | None) -> Iterator[str]:
    """`small`, and also a folder named after the Hub repository (`faster-whisper-small`) as users copy it."""
    yield name
    if spec is not None:
        base = spec.repo_id.rsplit("/", 1)[-1]
        if base != name:
            yield base


def spec_for_folder_name(folder_name: str) -> ModelSpec | None:
    spec = find_spec(folder_name)
    if spec is not None:
        return spec
    return next((s for s in all_specs() if s.repo_id.rsplit("/", 1)[-1] == folder_name), None)
