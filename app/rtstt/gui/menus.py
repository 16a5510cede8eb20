"""The menu bar: File (open, sessions, export, quit), Edit (find, settings), Models, View (panels,
captions) and Help.

Every entry only emits what was asked; the window connects the signals. The export options ("Include
timestamps", "Include speakers") live here because they are menu toggles, and are read through
`export_options()` so nobody else reaches into the actions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from PySide6.QtCore import Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QMenuBar, QWidget

from rtstt.session.export import ExportOptions
from rtstt.vocab import EXPORT_FORMATS

Shortcut = str | QKeySequence.StandardKey


class MenuBar(QMenuBar):
    """`components` shows the optional-components entry (a frozen build has a lock to install from)."""

    openFileRequested = Signal()
    historyRequested = Signal()
    exportRequested = Signal(str)  # a format from EXPORT_FORMATS
    quitRequested = Signal()
    findRequested = Signal()
    settingsRequested = Signal()
    modelManagerRequested = Signal()
    componentsRequested = Signal()
    jumpToLiveRequested = Signal()
    captionsToggled = Signal(bool)  # View › Captions checked (show the caption window) or unchecked
    aboutRequested = Signal()

    def __init__(self, views: Iterable[QAction], components: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        file_menu = self.addMenu("&File")
        self._action(file_menu, "Open audio file…", "Ctrl+O", self.openFileRequested.emit)
        self._action(file_menu, "Sessions…", "Ctrl+H", self.historyRequested.emit)
        export_menu = file_menu.addMenu("Export")
        self.export_actions: dict[str, QAction] = {}
        for fmt in EXPORT_FORMATS:
            self.export_actions[fmt] = self._action(
                export_menu,
                f"{fmt.upper()}…",
                "Ctrl+E" if fmt == "srt" else "",
                lambda f=fmt: self.exportRequested.emit(f),
            )
        export_menu.addSeparator()
        self.include_timestamps = self._toggle(export_menu, "Include timestamps")
        self.include_speakers = self._toggle(export_menu, "Include speakers")
        file_menu.addSeparator()
        self._action(file_menu, "Quit", "Ctrl+Q", self.quitRequested.emit)
        edit_menu = self.addMenu("&Edit")
        self._action(edit_menu, "Find…", QKeySequence.StandardKey.Find, self.findRequested.emit)
        self._action(edit_menu, "Settings…", "Ctrl+,", self.settingsRequested.emit)
        models_menu = self.addMenu("&Models")
        self._action(models_menu, "Model manager…", "Ctrl+M", self.modelManagerRequested.emit)
        self.components_action = self._action(models_menu, "Optional components…", "", self.componentsRequested.emit)
        self.components_action.setObjectName("componentsAction")
        self.components_action.setVisible(components)
        self.components_action.setEnabled(components)
        view_menu = self.addMenu("&View")
        for action in views:
            view_menu.addAction(action)
        self.captions_action = QAction("Captions", self)  # the large-caption window, always on top
        self.captions_action.setObjectName("captionsAction")
        self.captions_action.setCheckable(True)
        self.captions_action.setShortcut(QKeySequence("Ctrl+Shift+C"))
        self.captions_action.toggled.connect(self.captionsToggled)
        view_menu.addAction(self.captions_action)
        view_menu.addSeparator()
        self._action(view_menu, "Jump to live", "", self.jumpToLiveRequested.emit)
        help_menu = self.addMenu("&Help")
        self._action(help_menu, "About RTSTT", "", self.aboutRequested.emit)

    def export_options(self) -> ExportOptions:
        return ExportOptions(timestamps=self.include_timestamps.isChecked(), speakers=self.include_speakers.isChecked())

    def _action(self, menu: QMenu, text: str, shortcut: Shortcut, slot: Callable[[], None]) -> QAction:
        action = QAction(text, self)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(lambda _checked=False: slot())
        menu.addAction(action)
        return action

    def _toggle(self, menu: QMenu, text: str) -> QAction:
        action = QAction(text, self)
        action.setCheckable(True)
        action.setChecked(True)
        menu.addAction(action)
        return action
