"""Metrics: final-text latency percentiles and a resource sampler (RAM, CPU, VRAM).

The sampler is cheap enough to call once a second from the engine thread. VRAM comes from NVML when a
GPU is there; without one, NVML's absence is remembered so it is not retried on every sample.
"""

from __future__ import annotations

import math
import os
from collections import deque


def nearest_rank(ordered: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of an already sorted list; NaN when empty. One definition for
    the engine's stats, the window's plots and the benchmarks, so they never disagree about a p50."""
    if not ordered:
        return math.nan
    rank = max(1, math.ceil(q / 100.0 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile of unsorted values; NaN when empty."""
    return nearest_rank(sorted(values), q)


class LatencyTracker:
    """Keeps the last `window` latencies and answers p50/p95 over them."""

    def __init__(self, window: int = 2000) -> None:
        self._values: deque[float] = deque(maxlen=window)
        self.count = 0

    def add(self, value: float) -> None:
        self._values.append(float(value))
        self.count += 1

    @property
    def values(self) -> list[float]:
        return list(self._values)

    def percentile(self, q: float) -> float:
        """Nearest-rank percentile (q in 0..100); NaN when empty."""
        return percentile(list(self._values), q)

    @property
    def p50(self) -> float:
        return self.percentile(50)

    @property
    def p95(self) -> float:
        return self.percentile(95)


class ResourceSampler:
    """Samples this process's RSS and CPU share, and GPU memory when NVML finds a GPU."""

    def __init__(self) -> None:
        import psutil

        self._proc = psutil.Process(os.getpid())
        self._proc.cpu_percent(None)  # prime: the first call always returns 0
        self._nvml_handle = None
        self.gpu_name: str | None = None
        try:
            import pynvml

            pynvml.nvmlInit()
            self._nvml_handle = pynvml.nvmlDeviceGetHandleByIndex(0)
            name = pynvml.nvmlDeviceGetName(self._nvml_handle)
            self.gpu_name = name.decode() if isinstance(name, bytes) else str(name)
        except Exception:  # no pynvml, no driver or no GPU: RAM only
            self._nvml_handle = None

    def sample(self) -> dict[str, float]:
        out = {
            "rss_mb": self._proc.memory_info().rss / 2**20,
            "cpu_pct": self._proc.cpu_percent(None),
        }
        if self._nvml_handle is not None:
            try:
                import pynvml

                mem = pynvml.nvmlDeviceGetMemoryInfo(self._nvml_handle)
                out["vram_used_mb"] = mem.used / 2**20
                out["vram_total_mb"] = mem.total / 2**20
            except Exception:
                self._nvml_handle = None
        return out
