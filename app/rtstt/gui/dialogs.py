"""Opening the app's other windows from the main window: sessions, settings, models, components, about.

Each dialog module is imported only when opened, so starting the window does not pay for them. The main
window connects what a dialog reports (a session chosen, settings saved, a model installed) to itself.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QMessageBox, QWidget

from rtstt import __version__, config
from rtstt.errors import RtsttError

log = logging.getLogger(__name__)


def open_history(parent: QWidget, root: Path, on_open: Callable[[str], None]) -> None:
    from rtstt.gui.history import SessionHistoryDialog

    dialog = SessionHistoryDialog(root, parent)
    dialog.sessionOpened.connect(on_open)
    dialog.exec()


def open_settings(parent: QWidget, settings: config.Settings, on_changed: Callable[[config.Settings], None]) -> None:
    from rtstt.gui.settings_dialog import SettingsDialog

    dialog = SettingsDialog(settings, parent)
    dialog.settingsChanged.connect(on_changed)
    dialog.exec()


def open_model_manager(
    parent: QWidget,
    on_installed: Callable[[str], None],
    *,
    summary_model: str = "",
    on_summary_model: Callable[[str], None] | None = None,
    select: str = "",
) -> None:
    """The Models dialog; `select` shows one model at once, `on_summary_model` gets "Use for the summary"."""
    from rtstt.gui.model_dialog import ModelManagerDialog

    dialog = ModelManagerDialog(parent=parent, summary_model=summary_model, select=select)
    dialog.modelInstalled.connect(on_installed)
    if on_summary_model is not None:
        dialog.summaryModelChosen.connect(on_summary_model)
    dialog.exec()


def component_store():
    """The frozen build's component store; None from source (no lock) or when its lock is unreadable."""
    from rtstt.components import runtime

    try:
        return runtime.app_store()
    except RtsttError as exc:
        log.warning("optional components are off: %s", exc)
        return None


def open_components(parent: QWidget, on_error: Callable[[str, str], None]) -> None:
    """Install or remove optional components; a change is put on sys.path at once for the next session."""
    from rtstt.gui.components_dialog import ComponentsDialog

    store = component_store()
    if store is None:
        return

    def activate() -> None:
        try:
            store.activate()
        except OSError as exc:
            on_error(f"the new components cannot be loaded: {exc}", "restart RTSTT")

    dialog = ComponentsDialog(store, parent=parent)
    dialog.changed.connect(activate)
    dialog.exec()


def missing_component(stage: str, settings: config.Settings) -> str | None:
    """The title of the optional component a "needs setup" stage lacks, or None when there is nothing to
    install (from source, or installed but failing: then the panel shows the real error)."""
    from rtstt.components import runtime

    if not runtime.has_components():
        return None
    store = component_store()
    feature = "pyannote" if stage == "speakers" and settings.speakers.backend == "pyannote" else stage
    if store is None or store.status().get(feature) == "installed":
        return None
    from rtstt.components.catalog import FEATURES

    return FEATURES[feature].title if feature in FEATURES else feature


def about(parent: QWidget) -> None:
    QMessageBox.about(parent, "About RTSTT", f"RTSTT {__version__}\nReal-time speech-to-text on your own computer.")
