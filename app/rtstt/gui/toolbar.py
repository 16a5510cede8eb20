"""The session toolbar: what to listen to (with its live level before Start), Start/Stop and Pause, the model
and language, and Translate.

It holds no session state: it emits what the user asked for and shows what it is told (running or not,
the installed models), so the controller stays the one place that decides.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QComboBox, QLabel, QToolBar, QToolButton, QWidget

from rtstt.gui.source_meter import SourceMeter
from rtstt.vocab import LANGUAGES, SOURCE_LABELS


class SessionToolbar(QToolBar):
    """Source, Start/Stop (Ctrl+R), Pause (Ctrl+P), model, language and Translate (English text)."""

    startToggled = Signal(bool)  # True: start a session, False: stop it
    pauseToggled = Signal(bool)
    sourceActivated = Signal(str)  # the source kind the user picked (also when picked again)
    modelOrLanguageChosen = Signal()
    translateToggled = Signal(bool)  # the user turned translation to English on or off (stt.task)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Session", parent)
        self.setObjectName("toolbar")
        self.setMovable(False)
        self.source_combo = self._combo("source")
        for kind, label in SOURCE_LABELS.items():
            self.source_combo.addItem(f"{label}…" if kind == "file" else label, kind)
        self.source_combo.activated.connect(lambda _i: self.sourceActivated.emit(self.source_combo.currentData()))
        self.addWidget(self.source_combo)
        self.source_meter = SourceMeter()  # the chosen input's level before Start (hidden while a session runs)
        meter_action = self.addWidget(self.source_meter)
        meter_action.setVisible(False)
        self.source_meter.activeChanged.connect(meter_action.setVisible)
        self.addSeparator()
        self.start_action = self._action("Start", "Ctrl+R", "Start or stop transcribing (Ctrl+R)")
        self.start_action.triggered.connect(self.startToggled)
        self.widgetForAction(self.start_action).setObjectName("startButton")
        self.pause_action = self._action("Pause", "Ctrl+P", "Pause listening without ending the session (Ctrl+P)")
        self.pause_action.setEnabled(False)
        self.pause_action.toggled.connect(self.pauseToggled)
        self.addSeparator()
        self.addWidget(QLabel(" Model "))
        self.model_combo = self._combo("model")
        self.model_combo.setMinimumWidth(120)
        self.model_combo.activated.connect(self.modelOrLanguageChosen)
        self.addWidget(self.model_combo)
        self.addWidget(QLabel(" Language "))
        self.language_combo = self._combo("language")
        for code, name in LANGUAGES.items():  # the code is the text: it is what config.toml stores
            self.language_combo.addItem(code)
            self.language_combo.setItemData(self.language_combo.count() - 1, name, Qt.ItemDataRole.ToolTipRole)
        self.language_combo.activated.connect(self.modelOrLanguageChosen)
        self.addWidget(self.language_combo)
        self.translate_action = QAction("Translate", self)
        self.translate_action.setCheckable(True)
        self.translate_action.setToolTip(
            "Write English text whatever language is spoken (multilingual models such as base; from the next Start)"
        )
        self.translate_action.triggered.connect(self.translateToggled)  # the user's clicks, not set_translate
        self.addAction(self.translate_action)
        self.widgetForAction(self.translate_action).setObjectName("translateButton")

    def _combo(self, name: str) -> QComboBox:
        combo = QComboBox()
        combo.setObjectName(name)
        return combo

    def _action(self, text: str, shortcut: str, tip: str) -> QAction:
        action = QAction(text, self)
        action.setCheckable(True)
        action.setShortcut(QKeySequence(shortcut))
        action.setToolTip(tip)
        self.addAction(action)
        return action

    def button(self, text: str) -> QToolButton:
        """The button showing `text` now ("Start"/"Stop", "Pause"/"Resume")."""
        for action in (self.start_action, self.pause_action):
            if action.text() == text:
                return self.widgetForAction(action)
        raise LookupError(text)

    # ---- what the toolbar shows ------------------------------------------------------------------
    def set_running(self, running: bool) -> None:
        """While a session runs, Start reads Stop and its source, model, language and Translate are fixed."""
        self.start_action.setEnabled(True)
        self.start_action.setChecked(running)
        self.start_action.setText("Stop" if running else "Start")
        if not running:
            self.pause_action.setChecked(False)
            self.pause_action.setText("Pause")
        self.pause_action.setEnabled(running)
        for combo in (self.source_combo, self.model_combo, self.language_combo):
            combo.setEnabled(not running)
        self.translate_action.setEnabled(not running)

    def set_stopping(self) -> None:
        """Stop was asked: no second click while the engine finishes the last words."""
        self.start_action.setEnabled(False)

    def set_paused(self, paused: bool) -> None:
        self.pause_action.setText("Resume" if paused else "Pause")

    def source(self) -> str:
        return self.source_combo.currentData()

    def source_label(self) -> str:
        """The picker's word for the chosen source ("System audio", "Microphone", ...)."""
        return SOURCE_LABELS.get(self.source(), self.source_combo.currentText())

    def select_source(self, kind: str) -> None:
        index = self.source_combo.findData(kind)
        if index >= 0:
            self.source_combo.setCurrentIndex(index)

    def show_file(self, name: str) -> None:
        """Name the chosen file in the source list and select it."""
        index = self.source_combo.findData("file")
        self.source_combo.setItemText(index, f"File: {name}")
        self.source_combo.setCurrentIndex(index)

    def set_models(self, names: list[str], current: str) -> None:
        self.model_combo.clear()
        self.model_combo.addItems(names if current in names else [*names, current])
        self.model_combo.setCurrentText(current)

    def set_language(self, code: str) -> None:
        if self.language_combo.findText(code) < 0:  # any Whisper code works in config.toml
            self.language_combo.addItem(code)
        self.language_combo.setCurrentText(code)

    def set_translate(self, on: bool) -> None:
        """Show the setting (stt.task == "translate") without emitting `translateToggled`."""
        self.translate_action.setChecked(on)

    def translate(self) -> bool:
        return self.translate_action.isChecked()

    def task(self) -> str:
        """The stt.task the toggle stands for."""
        return "translate" if self.translate_action.isChecked() else "transcribe"

    def model(self) -> str:
        return self.model_combo.currentText()

    def language(self) -> str:
        return self.language_combo.currentText()
