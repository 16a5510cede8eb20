"""A bounded single-producer/single-consumer ring of float32 samples.

The audio callback must never block or allocate much: `write` copies into a preallocated array
under a lock held for one memcpy, and when the consumer falls far behind it overwrites the oldest
audio (counted in `dropped`) instead of growing. The engine thread `read`s whatever is there.
"""

from __future__ import annotations

import threading

import numpy as np


def _put(buf: np.ndarray, at: int, samples: np.ndarray) -> None:
    """Copy `samples` (no more than `buf` holds) into the circular `buf` from the absolute sample
    counter `at`, wrapping at its end."""
    n = len(samples)
    start = at % len(buf)
    first = min(n, len(buf) - start)
    buf[start : start + first] = samples[:first]
    if first < n:
        buf[: n - first] = samples[first:]


class AudioRing:
    def __init__(self, capacity: int) -> None:
        if capacity <= 0:
            raise ValueError("capacity must be positive")
        self._buf = np.zeros(capacity, dtype=np.float32)
        self._capacity = capacity
        self._read = 0  # absolute sample counters; index = counter % capacity
        self._write = 0
        self._lock = threading.Lock()
        self._ready = threading.Condition(self._lock)
        self.dropped = 0  # samples overwritten before they were read
        self.closed = False

    @property
    def capacity(self) -> int:
        return self._capacity

    def __len__(self) -> int:
        with self._lock:
            return self._write - self._read

    def write(self, samples: np.ndarray) -> None:
        """Append samples; called from the audio callback. Never blocks on the reader."""
        n = len(samples)
        if n == 0:
            return
        if n > self._capacity:
            with self._lock:
                self.dropped += n - self._capacity
            samples = samples[-self._capacity :]
            n = self._capacity
        with self._lock:
            _put(self._buf, self._write, samples)
            self._write += n
            overflow = self._write - self._read - self._capacity
            if overflow > 0:
                self._read += overflow
                self.dropped += overflow
            self._ready.notify()

    def read(self, max_samples: int | None = None, timeout: float = 0.0) -> np.ndarray:
        """Take up to `max_samples` (all when None), waiting up to `timeout` s for the first sample."""
        with self._lock:
            if self._write == self._read and timeout > 0 and not self.closed:
                self._ready.wait(timeout)
            n = self._write - self._read
            if max_samples is not None:
                n = min(n, max_samples)
            if n <= 0:
                return np.zeros(0, dtype=np.float32)
            start = self._read % self._capacity
            first = min(n, self._capacity - start)
            out = np.empty(n, dtype=np.float32)
            out[:first] = self._buf[start : start + first]
            if first < n:
                out[first:] = self._buf[: n - first]
            self._read += n
            return out

    def close(self) -> None:
        """Wake a waiting reader: no more audio is coming."""
        with self._lock:
            self.closed = True
            self._ready.notify_all()


class AudioHistory:
    """The last `capacity` samples of a stream on an absolute sample clock, for slicing finished
    segments back out (speaker embeddings). One preallocated array: no per-block allocation."""

    def __init__(self, capacity: int) -> None:
        self._buf = np.zeros(capacity, dtype=np.float32)
        self._capacity = capacity
        self.total = 0  # samples written since the stream started

    def write(self, samples: np.ndarray) -> None:
        n_in = len(samples)
        if n_in > self._capacity:  # keep the newest part, on the same clock
            self.total += n_in - self._capacity
            samples = samples[-self._capacity :]
        _put(self._buf, self.total, samples)
        self.total += len(samples)

    def slice(self, start: int, end: int) -> np.ndarray:
        """Samples [start, end) that are still held (older ones are gone; the result may be shorter)."""
        start = max(start, self.total - self._capacity, 0)
        end = min(end, self.total)
        if end <= start:
            return np.zeros(0, dtype=np.float32)
        idx = np.arange(start, end) % self._capacity
        return self._buf[idx]
