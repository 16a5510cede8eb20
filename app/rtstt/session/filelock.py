"""A cross-process lock on a session folder: a `.lock` file held with an OS lock marks a session being
recorded, so recovery never touches a session that another rtstt process is still writing. The OS drops
the lock when the process dies (even kill -9), so a crashed session becomes recoverable at once."""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO

LOCK = ".lock"


class FileLock:
    """An exclusive, non-blocking OS lock on a file; the OS drops it when the process dies (even kill -9)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh: BinaryIO | None = None

    def acquire(self) -> bool:
        """True when we hold the lock (or locking is impossible here: a read-only folder, no lock API)."""
        try:
            fh = open(self.path, "a+b")  # noqa: SIM115 - held while the lock is held
        except OSError:
            return True
        try:
            if os.name == "nt":
                import msvcrt

                fh.seek(0)
                msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
            else:
                import fcntl

                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.close()
            return False
        self._fh = fh
        return True

    def release(self) -> None:
        if self._fh is None:
            return
        try:
            if os.name == "nt":
                import msvcrt

                self._fh.seek(0)
                msvcrt.locking(self._fh.fileno(), msvcrt.LK_UNLCK, 1)
            else:
                import fcntl

                fcntl.flock(self._fh.fileno(), fcntl.LOCK_UN)
        except OSError:
            pass
        finally:
            self._fh.close()
            self._fh = None


def is_locked(path: Path) -> bool:
    """Whether some live store (in any process, this one included) is recording the session at `path`."""
    if not (path / LOCK).exists():
        return False
    lock = FileLock(path / LOCK)
    if lock.acquire():
        lock.release()
        return False
    return True
