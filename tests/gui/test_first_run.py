"""The first run: an empty transcript says what will happen and how to start, until text arrives."""

from __future__ import annotations

import pytest

from rtstt import config
from rtstt.events import Segment
from rtstt.gui.main_window import FIRST_RUN_HINT, RUNNING_HINT, MainWindow
from tests.gui.test_main_window import CLIP, transcribe


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


def test_a_fresh_window_says_how_to_start(window):
    hint = window.view.hint
    assert window.view.hint_visible() and hint.isVisible()
    assert window.view.hint_text() == FIRST_RUN_HINT and "Press Start" in hint.text()
    for label in ("System audio", "Microphone", "File"):  # the toolbar's own words
        assert label in window.view.hint_text()
        assert any(window.source_combo.itemText(i).startswith(label) for i in range(window.source_combo.count()))
    assert window.toolbar_button("Start").text() == "Start"
    vp = window.view.viewport().rect()  # centred in the transcript area
    assert abs(hint.geometry().center().x() - vp.center().x()) <= 2
    assert abs(hint.geometry().center().y() - vp.center().y()) <= 2


def test_the_hint_goes_when_text_arrives_and_comes_back_for_an_empty_transcript(window):
    window.view.add_final(Segment(start=0.0, end=1.0, text="Hello there.", id=1))
    assert not window.view.hint_visible()
    window.view.clear_all()
    assert window.view.hint_visible()


@pytest.mark.integration
def test_the_hint_while_running_then_gone_after_a_real_transcription(qtbot, window):
    texts: list[str] = []
    window.toolbar.startToggled.connect(lambda _c: texts.append(window.view.hint_text()))
    transcribe(qtbot, window, CLIP)
    assert texts and texts[0] == RUNNING_HINT  # once started, the instructions give way
    assert window.view.final_text()
    assert not window.view.hint_visible()
    assert window.view.hint_text() == FIRST_RUN_HINT  # stopped: ready for an empty transcript again
    assert window.toolbar_button("Start").text() == "Start"
