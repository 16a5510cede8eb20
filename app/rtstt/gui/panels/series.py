"""Bounded (x, y) buffers for the live plots: O(1) appends, one contiguous slice to draw, no Qt."""

from __future__ import annotations

import math

import numpy as np


class Series:
    """Append-only (x, y) points in a bounded window: the last `window_s` of x, at most `capacity` points.

    Stored in arrays twice the capacity; appends are O(1) and the live points are one contiguous slice,
    compacted to the front when the end is reached.
    """

    __slots__ = ("_end", "_start", "_x", "_y", "capacity", "window_s")

    def __init__(self, capacity: int, window_s: float) -> None:
        self.capacity = max(1, int(capacity))
        self.window_s = float(window_s)
        self._x = np.empty(2 * self.capacity, dtype=np.float64)
        self._y = np.empty(2 * self.capacity, dtype=np.float64)
        self._start = 0
        self._end = 0

    def __len__(self) -> int:
        return self._end - self._start

    def append(self, x: float, y: float) -> np.ndarray | None:
        """Add a point; return the y values it pushed out of the window (or None)."""
        if self._end == len(self._x):
            n = self._end - self._start
            self._x[:n] = self._x[self._start : self._end]
            self._y[:n] = self._y[self._start : self._end]
            self._start, self._end = 0, n
        self._x[self._end] = x
        self._y[self._end] = y
        self._end += 1
        start = max(self._start, self._end - self.capacity)
        cutoff = x - self.window_s
        while start < self._end - 1 and self._x[start] < cutoff:
            start += 1
        if start == self._start:
            return None
        evicted = self._y[self._start : start].copy()
        self._start = start
        return evicted

    @property
    def xs(self) -> np.ndarray:
        """A view of the live x values (valid until the next append)."""
        return self._x[self._start : self._end]

    @property
    def ys(self) -> np.ndarray:
        return self._y[self._start : self._end]

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """Copies of the live points, safe to hand to a plot item."""
        return self.xs.copy(), self.ys.copy()

    def last(self) -> float:
        return float(self._y[self._end - 1]) if self._end > self._start else math.nan

    def clear(self) -> None:
        self._start = self._end = 0
