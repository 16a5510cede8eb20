"""The window the GUI tests drive: tiny.en on two threads, the file source, stopped cleanly at the end."""

from __future__ import annotations

import pytest

from rtstt import config
from rtstt.gui.main_window import MainWindow


@pytest.fixture
def window(qtbot):
    settings = config.Settings().with_overrides(stt__threads=2, stt__model="tiny.en", audio__source="file")
    win = MainWindow(settings)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    if win.running:
        with qtbot.waitSignal(win.sessionFinished, timeout=30000):
            win.stop()
