"""Live plots for a transcription session: latency, memory, input level and backlog, in one compact row.

The engine publishes many small `Metric` events (level every 0.1 s, resources and backlog every second,
latency per final segment). `PlotsPanel.add_metric` only appends to bounded numpy buffers and marks the
series dirty; a single-shot timer redraws the dirty plots at most ~4 times a second, so a busy stream
never turns into a busy GUI thread. Buffers keep the last ~10 minutes (and a hard point cap), curves use
clip-to-view and peak downsampling, antialiasing is off.
"""

from __future__ import annotations

import bisect
import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSize, Qt, QTimer, Slot
from PySide6.QtGui import QColor, QFont, QPalette, QShowEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from rtstt.events import Metric
from rtstt.gui.panels.level_meter import LEVEL_FLOOR_DBFS, WARN, LevelMeter
from rtstt.gui.panels.series import Series
from rtstt.gui.theme import DARK, LIGHT, Colors
from rtstt.metrics import nearest_rank

WINDOW_S = 600.0  # how much history the buffers keep
REDRAW_MS = 250  # at most ~4 redraws a second
LEVEL_HISTORY_S = 30.0  # the level line shows the last half minute
LEVEL_PEAK_S = 1.5  # the meter's peak tick holds the loudest block of this long
BACKLOG_WARN_S = 2.0

# Hard caps on points per series, a little above what WINDOW_S holds at the engine's publishing rates.
CAPACITY = {"level_dbfs": 6600, "latency_s": 2000}
DEFAULT_CAPACITY = 900  # resources and backlog: one point a second

# A colour the theme does not name: a calm second series (the warning colour is the level meter's).
_SECOND = {False: "#c27c1e", True: "#e0a458"}


def _fmt_s(value: float) -> str:
    if not math.isfinite(value):
        return "–"
    return f"{value:.2f} s" if abs(value) < 10 else f"{value:.1f} s"


class PlotsPanel(QWidget):
    """Latency, memory, input level and backlog of the running session, in one row for a bottom dock.

    Feed it every `Metric` through `add_metric` (GUI thread); call `clear()` when a new session starts and
    `set_dark()` when the theme changes.
    """

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        dark: bool = False,
        window_s: float = WINDOW_S,
        redraw_ms: int = REDRAW_MS,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("plotsPanel")
        self.window_s = float(window_s)
        self.redraw_count = 0
        self._dark = dark
        self._series: dict[str, Series] = {}
        self._lat_p50 = Series(CAPACITY["latency_s"], self.window_s)  # running p50 at each latency point
        self._lat_sorted: list[float] = []
        self._dirty: set[str] = set()
        self._plots: list[pg.PlotWidget] = []
        self._titles: list[QLabel] = []
        self._values: list[QLabel] = []

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(max(1, int(redraw_ms)))
        self._timer.timeout.connect(self._on_timer)

        row = QHBoxLayout(self)
        row.setContentsMargins(4, 2, 4, 2)
        row.setSpacing(8)

        # Latency: one point per final segment, the running median as a line.
        cell, self.latency_plot, self.latency_label = self._cell(
            "Latency (s)", "Capture-to-text latency of each final segment; the line is the running median."
        )
        self._lat_points = self.latency_plot.plot([], [], pen=None, symbol="o", symbolSize=4, antialias=False)
        self._lat_points.setClipToView(True)
        self._lat_line = self._curve(self.latency_plot)
        self.latency_plot.enableAutoRange(y=False)
        row.addWidget(cell, 1)

        # Memory: RSS always, VRAM as a second curve once the engine reports one.
        cell, self.memory_plot, self.memory_label = self._cell(
            "Memory (MB)", "Resident memory of the app, and GPU memory in use when there is a GPU."
        )
        self._legend = self.memory_plot.getPlotItem().addLegend(
            offset=(2, 1), labelTextSize="7pt", verSpacing=-8, horSpacing=2
        )
        self._rss_curve = self._curve(self.memory_plot, name="RSS")
        self._vram_curve: pg.PlotDataItem | None = None
        row.addWidget(cell, 1)

        # Level: the meter and the last half minute of level.
        cell, self.level_plot, self.level_label = self._cell("Level (dBFS)", "Microphone or loopback input level.")
        self.level_meter = LevelMeter(cell)
        cell.layout().insertWidget(1, self.level_meter)
        self._level_curve = self._curve(self.level_plot)
        self._level_curve.setFillLevel(LEVEL_FLOOR_DBFS)
        self.level_plot.enableAutoRange(x=False, y=False)
        self.level_plot.setYRange(LEVEL_FLOOR_DBFS, 0, padding=0)
        self.level_plot.setXRange(-LEVEL_HISTORY_S, 0, padding=0)
        row.addWidget(cell, 1)

        # Backlog: audio waiting for the recogniser; near zero when it keeps up.
        cell, self.backlog_plot, self.backlog_label = self._cell(
            "Backlog (s)", "Audio captured but not yet transcribed. It stays near zero when the model keeps up."
        )
        self._backlog_curve = self._curve(self.backlog_plot)
        self._backlog_curve.setFillLevel(0)
        self.backlog_plot.enableAutoRange(y=False)
        self.backlog_plot.setYRange(0, 1, padding=0)
        row.addWidget(cell, 1)

        self.setMinimumHeight(120)
        self.clear()
        self.set_dark(dark)

    # ---- construction helpers ----

    def _cell(self, title: str, tip: str) -> tuple[QWidget, pg.PlotWidget, QLabel]:
        cell = QWidget(self)
        cell.setToolTip(tip)
        col = QVBoxLayout(cell)
        col.setContentsMargins(0, 0, 0, 0)
        col.setSpacing(2)
        head = QHBoxLayout()
        head.setSpacing(6)
        small = QFont(self.font())
        small.setPointSizeF(max(7.0, small.pointSizeF() - 1.0))
        title_label = QLabel(title, cell)
        title_label.setFont(small)
        value_label = QLabel("", cell)
        value_label.setFont(small)
        value_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        value_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        head.addWidget(title_label)
        head.addStretch(1)
        head.addWidget(value_label)
        col.addLayout(head)

        plot = pg.PlotWidget(cell)
        plot.setAntialiasing(False)
        plot.setMenuEnabled(False)
        plot.setMouseEnabled(x=False, y=False)
        plot.hideButtons()
        plot.setMinimumHeight(60)
        plot.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        item = plot.getPlotItem()
        item.setContentsMargins(0, 2, 4, 0)
        item.showGrid(x=True, y=True, alpha=0.25)
        tick_font = QFont(small)
        tick_font.setPointSizeF(7.0)
        for side in ("left", "bottom"):
            axis = item.getAxis(side)
            axis.setStyle(tickFont=tick_font, tickLength=-4, tickTextOffset=2)
        item.getAxis("left").setWidth(34)
        item.getAxis("bottom").setHeight(16)
        col.addWidget(plot, 1)

        self._plots.append(plot)
        self._titles.append(title_label)
        self._values.append(value_label)
        return cell, plot, value_label

    def _curve(self, plot: pg.PlotWidget, name: str | None = None) -> pg.PlotDataItem:
        curve = plot.plot([], [], name=name, antialias=False)
        curve.setDownsampling(auto=True, method="peak")
        curve.setClipToView(True)
        return curve

    # ---- data in ----

    @Slot(object)
    def add_metric(self, metric: Metric) -> None:
        """Record one metric; plots catch up at the next redraw tick (≤ 4 per second)."""
        value, at = float(metric.value), float(metric.at)
        if not (math.isfinite(value) and math.isfinite(at)):
            return
        name = metric.name
        series = self._series.get(name)
        if series is None:
            series = self._series[name] = Series(CAPACITY.get(name, DEFAULT_CAPACITY), self.window_s)
        evicted = series.append(at, value)
        if name == "latency_s":
            if evicted is not None:
                for old in evicted:
                    i = bisect.bisect_left(self._lat_sorted, old)
                    if i < len(self._lat_sorted) and self._lat_sorted[i] == old:
                        del self._lat_sorted[i]
            bisect.insort(self._lat_sorted, value)
            self._lat_p50.append(at, self.p50())
        self._dirty.add(name)
        if not self._timer.isActive():
            self._timer.start()

    @Slot()
    def clear(self) -> None:
        """Forget everything: a new session starts with empty plots (and no VRAM curve)."""
        self._timer.stop()
        for series in self._series.values():
            series.clear()
        self._series.clear()
        self._lat_p50.clear()
        self._lat_sorted.clear()
        self._dirty.clear()
        empty = np.empty(0)
        for curve in (self._lat_points, self._lat_line, self._rss_curve, self._level_curve, self._backlog_curve):
            curve.setData(empty, empty)
        if self._vram_curve is not None:
            self.memory_plot.getPlotItem().removeItem(self._vram_curve)
            self._vram_curve = None
        self.latency_plot.setYRange(0, 1, padding=0)
        self.backlog_plot.setYRange(0, 1, padding=0)
        self.level_plot.setXRange(-LEVEL_HISTORY_S, 0, padding=0)
        self.level_meter.set_level(math.nan)
        self.latency_label.setText(self._latency_text())
        self.memory_label.setText("")
        self.level_label.setText("")
        self.backlog_label.setText("")

    # ---- what tests and the window may read ----

    def series(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """Copies of the buffered (at, value) points of one metric; empty arrays when none arrived."""
        series = self._series.get(name)
        if series is None:
            return np.empty(0), np.empty(0)
        return series.arrays()

    def running_p50(self) -> tuple[np.ndarray, np.ndarray]:
        """The running-median line of the latency plot: (at, p50 of the latencies up to then)."""
        return self._lat_p50.arrays()

    def latency_values(self) -> list[float]:
        return self.series("latency_s")[1].tolist()

    def p50(self) -> float:
        """Median of the buffered latencies (nearest rank, as the engine's stats); NaN when none."""
        return nearest_rank(self._lat_sorted, 50)

    def p95(self) -> float:
        return nearest_rank(self._lat_sorted, 95)

    def curve(self, name: str) -> pg.PlotDataItem | None:
        """The plot item drawing a metric ("latency_s", "latency_p50", "rss_mb", "vram_used_mb",
        "level_dbfs", "backlog_s"), or None when it does not exist (VRAM before any VRAM metric)."""
        return {
            "latency_s": self._lat_points,
            "latency_p50": self._lat_line,
            "rss_mb": self._rss_curve,
            "vram_used_mb": self._vram_curve,
            "level_dbfs": self._level_curve,
            "backlog_s": self._backlog_curve,
        }.get(name)

    def has_vram_curve(self) -> bool:
        return self._vram_curve is not None

    def legend_names(self) -> list[str]:
        return [label.text for _, label in self._legend.items]

    def is_dark(self) -> bool:
        return self._dark

    def sizeHint(self) -> QSize:
        return QSize(900, 180)

    # ---- theme ----

    def _colors(self) -> Colors:
        return DARK if self._dark else LIGHT

    @Slot(bool)
    def set_dark(self, dark: bool) -> None:
        """Match the app theme: plot background, axes, grid, curve and label colours."""
        self._dark = bool(dark)
        c = self._colors()
        palette = self.palette()
        palette.setColor(QPalette.ColorRole.Window, QColor(c.window))
        palette.setColor(QPalette.ColorRole.WindowText, QColor(c.text))
        self.setPalette(palette)
        self.setAutoFillBackground(True)
        axis_pen = pg.mkPen(c.muted, width=1)
        for plot in self._plots:
            plot.setBackground(c.base)
            item = plot.getPlotItem()
            for side in ("left", "bottom"):
                axis = item.getAxis(side)
                axis.setPen(axis_pen)
                axis.setTextPen(pg.mkPen(c.muted))
        for label in self._titles:
            label.setStyleSheet(f"color: {c.muted};")
        for label in self._values:
            label.setStyleSheet(f"color: {c.text};")
        accent = QColor(c.accent)
        fill = QColor(accent)
        fill.setAlpha(60)
        self._lat_points.setSymbolBrush(pg.mkBrush(accent))
        self._lat_points.setSymbolPen(None)
        self._lat_line.setPen(pg.mkPen(c.text, width=1))
        self._rss_curve.setPen(pg.mkPen(accent, width=1))
        if self._vram_curve is not None:
            self._vram_curve.setPen(pg.mkPen(_SECOND[self._dark], width=1))
        self._level_curve.setPen(pg.mkPen(accent, width=1))
        self._level_curve.setBrush(pg.mkBrush(fill))
        self._backlog_curve.setPen(pg.mkPen(accent, width=1))
        self._backlog_curve.setBrush(pg.mkBrush(fill))
        self._legend.setLabelTextColor(c.text)
        for _, label in self._legend.items:
            label.setText(label.text, color=c.text, size="7pt")
        self.level_meter.set_colors(c.border, c.accent, c.text)
        self._style_backlog_label()

    def _style_backlog_label(self) -> None:
        c = self._colors()
        last = self._series["backlog_s"].last() if "backlog_s" in self._series else math.nan
        color = WARN if math.isfinite(last) and last > BACKLOG_WARN_S else c.text
        self.backlog_label.setStyleSheet(f"color: {color};")

    # ---- drawing ----

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._dirty and not self._timer.isActive():
            self._timer.start()

    def _on_timer(self) -> None:
        # A hidden dock costs nothing: the points wait, and showEvent redraws them.
        if self.isVisible():
            self.redraw()

    @Slot()
    def redraw(self) -> None:
        """Push the dirty series to their plots now (the timer calls this; tests and the window may too)."""
        dirty, self._dirty = self._dirty, set()
        if not dirty:
            return
        if "latency_s" in dirty:
            self._draw_latency()
        if dirty & {"rss_mb", "vram_used_mb", "vram_total_mb", "cpu_pct"}:
            self._draw_memory()
        if "level_dbfs" in dirty:
            self._draw_level()
        if "backlog_s" in dirty:
            self._draw_backlog()
        self.redraw_count += 1

    def _draw_latency(self) -> None:
        xs, ys = self.series("latency_s")
        self._lat_points.setData(xs, ys)
        self._lat_line.setData(*self._lat_p50.arrays())
        top = float(ys.max()) if len(ys) else 0.0
        self.latency_plot.setYRange(0, max(0.5, top * 1.15), padding=0)
        self.latency_label.setText(self._latency_text())

    def _latency_text(self) -> str:
        return f"p50 {_fmt_s(self.p50())} · p95 {_fmt_s(self.p95())}"

    def _draw_memory(self) -> None:
        parts = []
        rss = self._series.get("rss_mb")
        if rss is not None and len(rss):
            self._rss_curve.setData(*rss.arrays())
            parts.append(f"RSS {rss.last():.0f}")
        vram = self._series.get("vram_used_mb")
        if vram is not None and len(vram):
            if self._vram_curve is None:
                self._vram_curve = self._curve(self.memory_plot, name="VRAM")
                self._vram_curve.setPen(pg.mkPen(_SECOND[self._dark], width=1))
                for _, label in self._legend.items:
                    label.setText(label.text, color=self._colors().text, size="7pt")
            self._vram_curve.setData(*vram.arrays())
            total = self._series.get("vram_total_mb")
            if total is not None and len(total):
                parts.append(f"VRAM {vram.last():.0f}/{total.last():.0f}")
            else:
                parts.append(f"VRAM {vram.last():.0f}")
        cpu = self._series.get("cpu_pct")
        if cpu is not None and len(cpu):
            parts.append(f"CPU {cpu.last():.0f}%")
        self.memory_label.setText(" · ".join(parts))

    def _draw_level(self) -> None:
        series = self._series["level_dbfs"]
        xs, ys = series.xs, series.ys
        end = float(xs[-1])
        i = int(np.searchsorted(xs, end - LEVEL_HISTORY_S, side="left"))
        shown = np.clip(ys[i:], LEVEL_FLOOR_DBFS, 0.0)
        self._level_curve.setData(xs[i:].copy(), shown)
        self.level_plot.setXRange(end - LEVEL_HISTORY_S, end, padding=0)
        j = int(np.searchsorted(xs, end - LEVEL_PEAK_S, side="left"))
        last = float(ys[-1])
        self.level_meter.set_level(last, float(ys[j:].max()))
        self.level_label.setText(f"{last:.0f} dBFS" if last > LEVEL_FLOOR_DBFS else "silence")

    def _draw_backlog(self) -> None:
        series = self._series["backlog_s"]
        xs, ys = series.arrays()
        self._backlog_curve.setData(xs, ys)
        self.backlog_plot.setYRange(0, max(1.0, float(ys.max()) * 1.15), padding=0)
        self.backlog_label.setText(_fmt_s(series.last()))
        self._style_backlog_label()
