"""The status bar: session state, model and device, real-time factor, latency p50, session clock, saved mark.

It keeps the session clock itself (it starts when listening does, after the models load), so the window
does not carry a timer and a start time for one label.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

from rtstt.timefmt import clock

LABELS = (
    ("state", "Ready"),
    ("model", ""),
    ("device", ""),
    ("rtf", "RTF –"),
    ("latency", "latency p50 –"),
    ("clock", "00:00"),
    ("saved", ""),
)


class StatusBar(QStatusBar):
    """One named label per fact (`labels["rtf"]`, objectName `status_rtf`); the state label stretches."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.labels: dict[str, QLabel] = {}
        for key, text in LABELS:
            label = QLabel(text)
            label.setObjectName(f"status_{key}")
            self.labels[key] = label
            if key == "state":
                self.addWidget(label, 1)
            else:
                self.addPermanentWidget(label)
        self.started_at: float | None = None  # monotonic time listening began; None before
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self._tick)

    def set_state(self, text: str) -> None:
        self.labels["state"].setText(text)

    def set_saved(self, saved: bool) -> None:
        self.labels["saved"].setText("✓ Saved" if saved else "")

    def set_engine(self, model: str, device: str) -> None:
        self.labels["model"].setText(model)
        self.labels["device"].setText(device)

    def set_rtf(self, rtf: float) -> None:
        self.labels["rtf"].setText(f"RTF {rtf:.2f}")

    def set_latency_p50(self, p50: float) -> None:
        """The engine's running median (one definition of p50 for the window, the CLI and the stats)."""
        self.labels["latency"].setText(f"latency p50 {p50:.2f} s")

    # ---- the session clock ---------------------------------------------------------------------
    def session_started(self) -> None:
        """A new session: the clock runs once `listening()` says the models are loaded."""
        self.started_at = None
        self._timer.start()

    def listening(self) -> None:
        self.started_at = time.monotonic()

    def session_stopped(self) -> None:
        self._timer.stop()

    def _tick(self) -> None:
        if self.started_at is not None:
            self.labels["clock"].setText(clock(time.monotonic() - self.started_at))
