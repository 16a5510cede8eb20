"""The running app's view of its components: where they live, how to turn them on, what to tell the user."""

from __future__ import annotations

import logging
import sys

from rtstt.components.index import SimpleIndex, WheelFolder, WheelSource
from rtstt.components.lock import Lock, bundled_lock
from rtstt.components.store import ComponentStore
from rtstt.config import user_dirs
from rtstt.errors import RtsttError

log = logging.getLogger(__name__)


def app_store(lock: Lock | None = None) -> ComponentStore | None:
    """The component store of a frozen build; None from source, where pip installs the extras."""
    lock = lock or bundled_lock()
    return ComponentStore(user_dirs().components, lock) if lock is not None else None


def activate() -> None:
    """At start-up: sweep leftovers and put the installed components on sys.path. Never fails the start."""
    try:
        store = app_store()
        if store is not None:
            store.sweep()
            folder = store.activate()
            if folder is not None:
                log.info("components from %s: %s", folder, ", ".join(store.installed_features()) or "none")
    except RtsttError as exc:
        log.warning("optional components are off: %s", exc)
    except OSError as exc:
        log.warning("optional components are off: %s", exc)


def sources(lock: Lock, index: str | None = None, folder: str | None = None) -> list[WheelSource]:
    """A folder of wheels when given (offline installs), else the index named or the lock's indexes."""
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
