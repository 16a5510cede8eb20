"""Long jobs of the dialogs (downloads, imports, component installs) on a worker thread.

The dialogs each used to build their own QObject + QThread pair with the same wiring; a mistake in one
(a thread that never quits, an exception that vanishes with the thread) would not be fixed in the other.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from rtstt.errors import RtsttError

log = logging.getLogger(__name__)


class Job(QObject):
    """One call on a worker thread; subclasses define `work()` and their own result signals. Every outcome
    reaches the GUI thread as a queued signal; `finished` comes last, whatever happened."""

    failed = Signal(object)  # an RtsttError
    finished = Signal()

    def __init__(self, unexpected: type[RtsttError] = RtsttError) -> None:
        super().__init__()
        self._unexpected = unexpected  # the error type an unexpected exception is reported as

    def work(self) -> None:
        raise NotImplementedError

    @Slot()
    def run(self) -> None:
        try:
            self.work()
        except RtsttError as exc:
            self.failed.emit(exc)
        except Exception as exc:  # an unexpected library error must reach the user, not vanish with the thread
            log.exception("%s failed", type(self).__name__)
            self.failed.emit(self._unexpected(f"unexpected error: {exc}", "see the log for details"))
        finally:
            self.finished.emit()


def run_in_thread(job: QObject, name: str, on_done: Callable[[], None] | None = None) -> QThread:
    """Start `job.run` on a new QThread named `name`; the thread quits the moment the job's `finished`
    signal fires (a `Job`, or the engine's worker), and `on_done` runs on the calling thread once it has
    (so a dialog may then drop the thread)."""
    thread = QThread()
    thread.setObjectName(name)
    job.moveToThread(thread)
    thread.started.connect(job.run)  # type: ignore[attr-defined]
    # Direct: the thread must end even while the GUI thread is blocked in wait() (a dialog closing).
    job.finished.connect(thread.quit, Qt.ConnectionType.DirectConnection)  # type: ignore[attr-defined]
    if on_done is not None:
        thread.finished.connect(on_done)
    thread.start()
    return thread
