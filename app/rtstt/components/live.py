"""The live site folder of installed components: which one it is, putting it on sys.path, sweeping the rest.

Kept apart from the installer (and free of its imports: ssl, urllib, packaging) because the frozen app
runs `activate` on every start, `rtstt-cli --help` included.
"""

from __future__ import annotations

import importlib
import json
import shutil
import site
import sys
from pathlib import Path

from rtstt.resources import bundle_root

ACTIVE = "active.json"  # {"site": "site-<id>", "features": [...], "pins": ["torch==2.9.1", ...]}
LOCK_NAME = "components.lock.json"  # inside the frozen bundle, written by rtstt.spec


def bundled_lock_path() -> Path | None:
    """The frozen build's lock file; None when running from source (pip installs the extras there)."""
    if not getattr(sys, "frozen", False):
        return None
    path = (bundle_root() or Path(sys.executable).parent) / LOCK_NAME
    return path if path.exists() else None


def read_state(root: Path) -> dict:
    """The live state, or {} when nothing is installed (or its folder is gone)."""
    try:
        data = json.loads((root / ACTIVE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    name = data.get("site") if isinstance(data, dict) else None
    return data if name and (root / str(name)).is_dir() else {}


def live_site(root: Path) -> Path | None:
    data = read_state(root)
    return root / data["site"] if data else None


def sweep(root: Path) -> None:
    """Delete site folders that are not live (left by a crash, or locked by Windows when they were replaced)."""
    if not root.is_dir():
        return
    live = live_site(root)
    for path in root.iterdir():
        if path.is_dir() and (path.name.startswith("site-") or path.name.endswith(".partial")) and path != live:
            shutil.rmtree(path, ignore_errors=True)


def activate(root: Path) -> Path | None:
    """Put the live site folder on sys.path, after the bundle, so the frozen copies of shared packages win."""
    folder = live_site(root)
    if folder is not None and str(folder) not in sys.path:
        site.addsitedir(str(folder))  # also runs the .pth files some packages rely on
        importlib.invalidate_caches()
    return folder
