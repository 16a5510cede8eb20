"""The input-level meter beside the level plot: a flat bar with a peak-hold tick, warm near clipping."""

from __future__ import annotations

import math

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

LEVEL_FLOOR_DBFS = -60.0  # the meter's left end; quieter reads as silence
WARN = "#d9480f"  # near clipping (and, in the plots, a backlog that grows)


class LevelMeter(QWidget):
    """A flat horizontal bar from -60 to 0 dBFS with a short peak-hold tick; turns warm near clipping."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._level = math.nan
        self._peak = math.nan
        self._track = QColor("#dde1e7")
        self._fill = QColor("#2f6fde")
        self._tick = QColor("#8a93a3")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setFixedHeight(10)
        self.setToolTip("Input level, -60 to 0 dBFS")

    def sizeHint(self) -> QSize:
        return QSize(120, 10)

    def level(self) -> float:
        return self._level

    def peak(self) -> float:
        return self._peak

    def set_level(self, dbfs: float, peak: float | None = None) -> None:
        self._level = float(dbfs)
        self._peak = float(dbfs if peak is None else peak)
        self.update()

    def set_colors(self, track: str, fill: str, tick: str) -> None:
        self._track, self._fill, self._tick = QColor(track), QColor(fill), QColor(tick)
        self.update()

    @staticmethod
    def fraction(dbfs: float) -> float:
        """Where a level sits on the bar, 0..1 (NaN and anything below the floor are 0)."""
        if not math.isfinite(dbfs):
            return 0.0
        return min(1.0, max(0.0, (dbfs - LEVEL_FLOOR_DBFS) / -LEVEL_FLOOR_DBFS))

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        rect = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        radius = min(3.0, rect.height() / 2)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(self._track)
        painter.drawRoundedRect(rect, radius, radius)
        frac = self.fraction(self._level)
        if frac > 0:
            fill = QColor(WARN) if self._level > -3.0 else self._fill
            painter.setBrush(fill)
            painter.drawRoundedRect(QRectF(rect.left(), rect.top(), rect.width() * frac, rect.height()), radius, radius)
        peak = self.fraction(self._peak)
        if peak > 0:
            x = rect.left() + rect.width() * peak
            painter.setPen(QPen(self._tick, 2))
            painter.drawLine(int(x), int(rect.top()), int(x), int(rect.bottom()))
        painter.end()
