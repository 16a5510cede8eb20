"""PlotsPanel: metrics in, bounded buffers, throttled redraws, the right curves and labels, real painting."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from PySide6.QtGui import QColor, QImage

from rtstt.events import Metric
from rtstt.gui.panels.plots import CAPACITY, LEVEL_FLOOR_DBFS, LEVEL_HISTORY_S, PlotsPanel
from rtstt.gui.theme import DARK, LIGHT
from rtstt.metrics import LatencyTracker

WAIT_MS = 3000


@pytest.fixture
def panel(qtbot) -> PlotsPanel:
    widget = PlotsPanel()
    qtbot.addWidget(widget)
    widget.resize(1000, 180)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def _data(panel: PlotsPanel, name: str) -> tuple[np.ndarray, np.ndarray]:
    """What the plot item was given (getData() may be clipped/downsampled for display)."""
    curve = panel.curve(name)
    assert curve is not None, name
    xs, ys = curve.getOriginalDataset()
    return (np.empty(0), np.empty(0)) if xs is None else (np.asarray(xs), np.asarray(ys))


def _feed(panel: PlotsPanel, name: str, values, step: float, start: float = 0.0) -> np.ndarray:
    xs = start + step * np.arange(len(values))
    for x, v in zip(xs, values, strict=True):
        panel.add_metric(Metric(name, float(v), float(x)))
    return xs


def _wait_len(qtbot, panel: PlotsPanel, name: str, n: int) -> None:
    qtbot.waitUntil(lambda: len(_data(panel, name)[0]) == n, timeout=WAIT_MS)


def _bgr(image: QImage) -> np.ndarray:
    image = image.convertToFormat(QImage.Format.Format_RGB32)
    raw = np.frombuffer(image.constBits(), dtype=np.uint8).reshape(image.height(), image.bytesPerLine())
    return raw[:, : image.width() * 4].reshape(image.height(), image.width(), 4)[..., :3]


def test_latency_points_running_p50_and_label(qtbot, panel):
    rnd = random.Random(7)
    values = [0.48] * 150 + [0.98] * 135 + [1.5] * 15  # nearest rank: p50 = 0.48, p95 = 0.98
    rnd.shuffle(values)
    xs = _feed(panel, "latency_s", values, step=1.7, start=3.0)
    # Nothing is drawn per metric: the plot catches up on the timer.
    assert len(_data(panel, "latency_s")[0]) == 0

    _wait_len(qtbot, panel, "latency_s", 300)
    px, py = _data(panel, "latency_s")
    np.testing.assert_allclose(px, xs)
    np.testing.assert_allclose(py, values)
    assert panel.latency_values() == pytest.approx(values)
    assert panel.p50() == pytest.approx(0.48)
    assert panel.p95() == pytest.approx(0.98)
    assert panel.latency_label.text() == "p50 0.48 s · p95 0.98 s"

    # The running median line: one point per segment, each the p50 of the latencies so far.
    lx, ly = _data(panel, "latency_p50")
    np.testing.assert_allclose(lx, xs)
    tracker = LatencyTracker()
    expected = []
    for v in values:
        tracker.add(v)
        expected.append(tracker.p50)
    np.testing.assert_allclose(ly, expected)


def test_percentiles_match_the_engine_tracker(qtbot, panel):
    rnd = random.Random(1)
    values = [rnd.lognormvariate(-0.7, 0.5) for _ in range(257)]
    _feed(panel, "latency_s", values, step=2.0)
    tracker = LatencyTracker()
    for v in values:
        tracker.add(v)
    assert panel.p50() == pytest.approx(tracker.p50)
    assert panel.p95() == pytest.approx(tracker.p95)
    qtbot.waitUntil(lambda: panel.latency_label.text() == f"p50 {tracker.p50:.2f} s · p95 {tracker.p95:.2f} s")


def test_memory_has_no_vram_curve_until_a_vram_metric(qtbot, panel):
    rss = 700 + np.cumsum(np.full(300, 0.5))
    xs = _feed(panel, "rss_mb", rss, step=1.0)
    _feed(panel, "cpu_pct", [35.0] * 300, step=1.0)
    _wait_len(qtbot, panel, "rss_mb", 300)
    px, py = _data(panel, "rss_mb")
    np.testing.assert_allclose(px, xs)
    np.testing.assert_allclose(py, rss)
    assert not panel.has_vram_curve()
    assert panel.curve("vram_used_mb") is None
    assert panel.legend_names() == ["RSS"]
    assert "VRAM" not in panel.memory_label.text()
    assert "CPU 35%" in panel.memory_label.text()

    vram = np.linspace(1000, 1800, 200)
    vx = _feed(panel, "vram_used_mb", vram, step=1.0, start=300.0)
    _feed(panel, "vram_total_mb", [24564.0] * 200, step=1.0, start=300.0)
    qtbot.waitUntil(panel.has_vram_curve, timeout=WAIT_MS)
    _wait_len(qtbot, panel, "vram_used_mb", 200)
    px, py = _data(panel, "vram_used_mb")
    np.testing.assert_allclose(px, vx)
    np.testing.assert_allclose(py, vram)
    assert panel.legend_names() == ["RSS", "VRAM"]
    assert "VRAM 1800/24564" in panel.memory_label.text()
    # RSS is untouched by the VRAM series.
    np.testing.assert_allclose(_data(panel, "rss_mb")[1], rss)


def test_level_meter_and_history(qtbot, panel):
    rnd = random.Random(3)
    values = [rnd.uniform(-80.0, -5.0) for _ in range(400)] + [-120.0, -18.4]  # silence clamps to the floor
    xs = _feed(panel, "level_dbfs", values, step=0.1)
    sx, sy = panel.series("level_dbfs")
    np.testing.assert_allclose(sx, xs)
    np.testing.assert_allclose(sy, values)

    qtbot.waitUntil(lambda: panel.level_meter.level() == pytest.approx(-18.4), timeout=WAIT_MS)
    px, py = _data(panel, "level_dbfs")
    shown = xs >= xs[-1] - LEVEL_HISTORY_S - 1e-9
    np.testing.assert_allclose(px, xs[shown])
    np.testing.assert_allclose(py, np.clip(np.asarray(values)[shown], LEVEL_FLOOR_DBFS, 0.0))
    assert py.min() >= LEVEL_FLOOR_DBFS
    assert panel.level_label.text() == "-18 dBFS"
    assert panel.level_meter.peak() >= -18.4
    assert panel.level_meter.fraction(-30.0) == pytest.approx(0.5)


def test_backlog_series(qtbot, panel):
    rnd = random.Random(5)
    values = [abs(rnd.gauss(0.0, 0.05)) for _ in range(299)] + [0.25]
    xs = _feed(panel, "backlog_s", values, step=1.0)
    _wait_len(qtbot, panel, "backlog_s", 300)
    px, py = _data(panel, "backlog_s")
    np.testing.assert_allclose(px, xs)
    np.testing.assert_allclose(py, values)
    assert panel.backlog_label.text() == "0.25 s"


def test_redraws_are_throttled(qtbot, panel):
    before = panel.redraw_count
    for i in range(2000):
        t = i * 0.1
        panel.add_metric(Metric("level_dbfs", -30.0, t))
        if i % 10 == 0:
            panel.add_metric(Metric("backlog_s", 0.0, t))
    _wait_len(qtbot, panel, "backlog_s", 200)
    assert panel.redraw_count - before == 1  # 2200 metrics, one redraw
    qtbot.wait(400)
    assert panel.redraw_count - before == 1  # and nothing more while nothing changes


def test_hidden_panel_defers_drawing_until_shown(qtbot, panel):
    panel.hide()
    _feed(panel, "rss_mb", [500.0] * 10, step=1.0)
    qtbot.wait(400)
    assert len(_data(panel, "rss_mb")[0]) == 0
    panel.show()
    _wait_len(qtbot, panel, "rss_mb", 10)


def test_buffers_stay_bounded(qtbot, panel):
    # Ten minutes of history at the engine's rates: 20000 level blocks (33 min) keep the last 600 s.
    _feed(panel, "level_dbfs", np.full(20000, -25.0), step=0.1)
    xs, _ = panel.series("level_dbfs")
    assert len(xs) <= CAPACITY["level_dbfs"]
    assert xs[-1] - xs[0] <= panel.window_s + 1e-6
    assert len(xs) >= 5990

    # A flood at one timestamp (a fast file source) is capped by count.
    _feed(panel, "rss_mb", np.arange(5000.0), step=0.0, start=10.0)
    xs, ys = panel.series("rss_mb")
    assert 0 < len(xs) <= 1000
    assert ys[-1] == 4999.0

    # Latency evictions keep the percentile list in step with the buffer.
    rnd = random.Random(11)
    _feed(panel, "latency_s", [rnd.uniform(0.1, 3.0) for _ in range(6000)], step=0.05)
    kept = panel.latency_values()
    assert len(kept) <= CAPACITY["latency_s"]
    tracker = LatencyTracker()
    for v in kept:
        tracker.add(v)
    assert panel.p50() == pytest.approx(tracker.p50)
    assert panel.p95() == pytest.approx(tracker.p95)
    assert len(panel.running_p50()[0]) == len(kept)

    _wait_len(qtbot, panel, "latency_s", len(kept))
    assert len(_data(panel, "level_dbfs")[0]) <= 10 * LEVEL_HISTORY_S + 1


def test_small_window_evicts_by_time(qtbot):
    widget = PlotsPanel(window_s=10.0)
    qtbot.addWidget(widget)
    _feed(widget, "latency_s", [float(i) for i in range(100)], step=1.0)
    assert widget.latency_values() == [float(i) for i in range(89, 100)]
    assert widget.p50() == 94.0


def test_clear_empties_everything(qtbot, panel):
    _feed(panel, "latency_s", [0.5] * 50, step=2.0)
    _feed(panel, "rss_mb", [600.0] * 100, step=1.0)
    _feed(panel, "vram_used_mb", [900.0] * 100, step=1.0)
    _feed(panel, "level_dbfs", [-20.0] * 300, step=0.1)
    _feed(panel, "backlog_s", [0.1] * 100, step=1.0)
    qtbot.waitUntil(panel.has_vram_curve, timeout=WAIT_MS)
    _wait_len(qtbot, panel, "latency_s", 50)

    panel.clear()
    for name in ("latency_s", "latency_p50", "rss_mb", "level_dbfs", "backlog_s"):
        assert len(_data(panel, name)[0]) == 0, name
    for name in ("latency_s", "rss_mb", "vram_used_mb", "level_dbfs", "backlog_s"):
        assert len(panel.series(name)[0]) == 0, name
    assert panel.latency_values() == []
    assert math.isnan(panel.p50()) and math.isnan(panel.p95())
    assert panel.latency_label.text() == "p50 – · p95 –"
    assert not panel.has_vram_curve()
    assert panel.legend_names() == ["RSS"]
    assert math.isnan(panel.level_meter.level())
    assert panel.memory_label.text() == panel.backlog_label.text() == ""

    # A new session after clear() draws again from scratch.
    _feed(panel, "rss_mb", [650.0] * 5, step=1.0)
    _wait_len(qtbot, panel, "rss_mb", 5)
    qtbot.wait(300)
    assert not panel.has_vram_curve()


def test_set_dark_switches_colours(qtbot, panel):
    assert panel.latency_plot.backgroundBrush().color() == QColor(LIGHT.base)
    panel.set_dark(True)
    assert panel.is_dark()
    for plot in (panel.latency_plot, panel.memory_plot, panel.level_plot, panel.backlog_plot):
        assert plot.backgroundBrush().color() == QColor(DARK.base)
    assert panel.palette().window().color() == QColor(DARK.window)
    image = _bgr(panel.grab().toImage())
    dark_base = QColor(DARK.base)
    assert (np.all(image == [dark_base.blue(), dark_base.green(), dark_base.red()], axis=-1)).mean() > 0.2
    panel.set_dark(False)
    assert panel.memory_plot.backgroundBrush().color() == QColor(LIGHT.base)


def test_painting_is_not_blank(qtbot, panel):
    rnd = random.Random(2)
    for i in range(600):
        t = i * 0.1
        panel.add_metric(Metric("level_dbfs", rnd.uniform(-50, -10), t))
        if i % 10 == 0:
            panel.add_metric(Metric("rss_mb", 800 + i, t))
            panel.add_metric(Metric("backlog_s", rnd.uniform(0, 0.3), t))
        if i % 25 == 0:
            panel.add_metric(Metric("latency_s", rnd.uniform(0.3, 1.2), t))
    _wait_len(qtbot, panel, "backlog_s", 60)

    pixmap = panel.grab()
    assert not pixmap.isNull()
    assert pixmap.width() >= 900 and pixmap.height() >= 150
    image = _bgr(pixmap.toImage())
    colours = np.unique(image.reshape(-1, 3), axis=0)
    assert len(colours) > 10
    # Curves are drawn without antialiasing, so the accent colour shows up exactly.
    accent = QColor(LIGHT.accent)
    bgr = [accent.blue(), accent.green(), accent.red()]
    assert np.all(image == bgr, axis=-1).sum() > 200
