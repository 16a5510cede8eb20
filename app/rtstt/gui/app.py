"""QApplication setup (name, icon, theme) and the window's entry point, including `--smoke-test`."""

from __future__ import annotations

import os
import sys

from PySide6.QtCore import QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from rtstt import __version__
from rtstt.resources import bundled_sample, resources_dir

SMOKE_TIMEOUT_S = 60


def make_app(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance() or QApplication(argv or [sys.argv[0]])
    app.setApplicationName("RTSTT")
    app.setApplicationDisplayName("RTSTT")
    app.setApplicationVersion(__version__)
    app.setOrganizationName("RTSTT")
    icon = resources_dir() / "icons" / "rtstt.svg"
    if icon.exists():
        app.setWindowIcon(QIcon(str(icon)))
    return app


def run_window(smoke_test: bool = False) -> int:
    app = make_app()
    from rtstt.gui.main_window import MainWindow

    window = MainWindow()
    window.show()
    if os.environ.get("RTSTT_STARTUP_PROBE"):  # benchmarks/startup.py: time to the first painted window
        QTimer.singleShot(0, lambda: (print(f"startup_s={_since_process_start():.3f}", flush=True), app.quit()))
    if not smoke_test:
        return app.exec()
    return _smoke(app, window)


def _smoke(app: QApplication, window) -> int:
    """Open the window, transcribe a few seconds of the bundled sample in real time, stop, close."""
    result = {"finals": 0}
    window.file_path = bundled_sample()
    window.source_combo.setCurrentIndex(window.source_combo.findData("file"))

    def on_event(event) -> None:
        result["finals"] += 1
        print(f"smoke: {event.segment.text}", flush=True)
        if event.segment.text.rstrip().endswith((".", "?", "!")) and window.running:
            window.stop()  # the first sentence is final (it may come in several lines)

    window.sessionFinished.connect(lambda _ended: (window.close(), app.quit()))
    window.finalAdded.connect(on_event)  # GUI thread: stopping touches widgets
    window.start()
    if not window.running:  # it could not start: the banner says why
        return 1
    QTimer.singleShot(SMOKE_TIMEOUT_S * 1000, window.stop)
    app.exec()
    ok = result["finals"] > 0 and not window.banner.isVisible()
    print("smoke test passed" if ok else f"smoke test failed: {window.banner.text() or 'no final text'}", flush=True)
    return 0 if ok else 1


def _since_process_start() -> float:
    import time

    import psutil

    return time.time() - psutil.Process().create_time()
