"""The running app's view of its components: where they live, how to turn them on, what to tell the user."""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rtstt.components.index import WheelSource
    from rtstt.components.lock import Lock
    from rtstt.components.store import ComponentStore

log = logging.getLogger(__name__)


def app_store(lock: Lock | None = None) -> ComponentStore | None:
    """The component store of a frozen build; None from source, where pip installs the extras."""
    from rtstt.components.lock import bundled_lock
    from rtstt.components.store import ComponentStore
    from rtstt.config import user_dirs

    lock = lock or bundled_lock()
    return ComponentStore(user_dirs().components, lock) if lock is not None else None


def has_components() -> bool:
    """Whether this is a build with optional components to manage (cheap: the window asks at start)."""
    from rtstt.components.live import bundled_lock_path

    return bundled_lock_path() is not None


def activate() -> None:
    """At start-up: sweep leftovers and put the installed components on sys.path. Cheap (no lock parsing, no
    network modules) and never fails the start."""
    from rtstt.components import live
    from rtstt.config import user_dirs

    try:
        root = user_dirs().components
        live.sweep(root)
        folder = live.activate(root)
        if folder is not None:
            log.info("optional components from %s", folder)
    except OSError as exc:
        log.warning("optional components are off: %s", exc)


def sources(lock: Lock, index: str | None = None, folder: str | None = None) -> list[WheelSource]:
    """A folder of wheels when given (offline installs), else the index named or the lock's indexes."""
    from rtstt.components.index import SimpleIndex, WheelFolder

    if folder:
        return [WheelFolder(folder)]
    return [SimpleIndex(url) for url in ([index] if index else lock.indexes)]


def setup_hint(feature: str) -> str:
    """How the user gets a missing feature: the component installer in a frozen build, pip from source."""
    if getattr(sys, "frozen", False):
        where = "Models › Optional components…"
        return f"install the {feature} component: {where}, or `rtstt-cli components install {feature}`"
    extra = "speakers" if feature == "pyannote" else feature
    return f"pip install 'rtstt[{extra}]', or run ./run.sh"


def restart_needed() -> bool:
    """A stack already imported from an older site folder stays in memory until the app restarts."""
    return any(name.split(".")[0] in sys.modules for name in ("torch", "transformers", "pyannote", "keybert"))
