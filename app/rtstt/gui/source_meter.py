"""Before Start: the chosen input's live level beside the source picker, and a warning when it is silent.

A `LevelProbe` (rtstt.audio.probe) listens to the input on its own thread; a QTimer here reads its newest
reading ten times a second, so this thread only paints and never waits on a device. One meter, for the
input chosen in the picker (probing every input at once would open every device, the microphone too,
just to draw a list). Start releases the device before the session opens it; while the session runs,
the live plots show its level and this meter is hidden; after Stop it listens again.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QSizePolicy, QWidget

from rtstt.audio.base import AudioSource
from rtstt.audio.probe import SILENT_AFTER_S, Level, LevelProbe
from rtstt.gui.panels.level_meter import LevelMeter
from rtstt.runner import SourceChoice

POLL_MS = 100
Opener = Callable[[SourceChoice], AudioSource]


def silence_warning(name: str) -> str:
    return f"No sound from {name} for {SILENT_AFTER_S:.0f} s — check the device or pick another source"


class SourceWarning(QFrame):
    """The strip above the transcript that says the chosen input is silent (or cannot be opened)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sourceWarning")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(14, 6, 14, 6)
        self.label = QLabel()
        self.label.setObjectName("sourceWarningText")
        self.label.setWordWrap(True)
        self.label.setTextFormat(self.label.textFormat().PlainText)
        layout.addWidget(self.label, 1)
        self.hide()

    def set_colors(self, background: str, text: str, border: str) -> None:
        self.setStyleSheet(
            f"QFrame#sourceWarning {{ background: {background}; border-bottom: 1px solid {border}; }}"
            f"QLabel#sourceWarningText {{ color: {text}; }}"
        )

    def show_text(self, text: str) -> None:
        self.label.setText(text)
        self.show()

    def text(self) -> str:
        return self.label.text() if self.isVisible() else ""


class SourceMeter(QWidget):
    """The level of the input chosen in the picker, -60 to 0 dBFS, and its reading in dB; the warning
    strip (`warning`) is placed by the window. `activeChanged` says when it should be seen (a toolbar
    shows a widget through its action, not the widget's own visibility)."""

    activeChanged = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sourceMeter")
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Preferred)  # the toolbar keeps its order
        self.meter = LevelMeter()
        self.meter.setFixedWidth(96)
        self.reading = QLabel()
        self.reading.setObjectName("sourceLevel")
        self.reading.setProperty("muted", True)
        self.reading.setMinimumWidth(self.reading.fontMetrics().horizontalAdvance("-100 dB "))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(2, 0, 2, 0)
        layout.setSpacing(6)
        layout.addWidget(self.meter)
        layout.addWidget(self.reading)
        self.warning = SourceWarning()
        self.opener: Opener | None = None  # opens a choice's source; the window sets it
        self._probe: LevelProbe | None = None
        self._label = ""
        self._active = False
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self.poll)

    # ---- control ------------------------------------------------------------------------------------
    def listen(self, choice: SourceChoice, label: str) -> None:
        """Listen to `choice` (the one before is released first); files have nothing to listen to."""
        self.release()
        if choice.kind == "file" or self.opener is None:
            return
        opener = self.opener
        self._label = label
        self._probe = LevelProbe(lambda: opener(choice), name=label)
        self.meter.set_level(math.nan)
        self.reading.setText("…")
        self.setToolTip(f"{label}: listening…")
        self._set_active(True)
        self._probe.start()
        self._timer.start()

    def release(self) -> bool:
        """Stop listening and close the device (True once it is free); the meter and the warning go."""
        self._timer.stop()
        released = True
        if self._probe is not None:
            released = self._probe.stop()
            self._probe = None
        self.warning.hide()
        self._set_active(False)
        return released

    @property
    def listening(self) -> bool:
        return self._probe is not None

    def level(self) -> Level | None:
        """The newest reading (None before the first, or when not listening)."""
        return self._probe.latest() if self._probe is not None else None

    def _set_active(self, on: bool) -> None:
        if on != self._active:
            self._active = on
            self.activeChanged.emit(on)

    def set_colors(self, track: str, fill: str, tick: str) -> None:
        self.meter.set_colors(track, fill, tick)

    # ---- what it shows --------------------------------------------------------------------------------
    def _name(self, level: Level) -> str:
        """The picker's word for the input, with the device's own name when it adds something."""
        source = level.source.strip()
        if not source or source.lower() == self._label.lower() or "+" in source:
            return self._label
        if source.lower().startswith(self._label.lower()):
            return self._label + source[len(self._label) :]
        return f"{self._label} ({source})"

    def poll(self) -> None:
        level = self.level()
        if level is None:
            return
        if level.error:
            self.meter.set_level(math.nan)
            self.reading.setText("—")
            problem = f"Cannot listen to {self._label}: {level.error}"
            self.setToolTip(problem)
            self.warning.show_text(f"{problem} — {level.hint}" if level.hint else problem)
            self._timer.stop()  # the probe has ended; picking a source again retries
            return
        name = self._name(level)
        self.meter.set_level(level.rms_dbfs, level.peak_dbfs)
        self.reading.setText(f"{level.rms_dbfs:.0f} dB" if level.rms_dbfs > -100 else "silent")
        self.setToolTip(f"{name}: {level.rms_dbfs:.0f} dBFS (peak {level.peak_dbfs:.0f})")
        if level.silent:
            self.warning.show_text(silence_warning(name))
        else:
            self.warning.hide()
