"""Words to expect, per session, in the window: the history lists each session's words, and reopening a
session recorded with other words offers them back for the next Start."""

from __future__ import annotations

import pytest

from rtstt import config
from rtstt.gui.history import WORDS_COL, SessionHistoryDialog
from rtstt.gui.main_window import MainWindow
from tests.unit.test_session_vocabulary import WORDS, record


@pytest.fixture
def window(qtbot):
    settings = config.Settings().with_overrides(stt__threads=2, stt__model="tiny.en", audio__source="file")
    win = MainWindow(settings)
    qtbot.addWidget(win)
    win.show()
    yield win


def test_the_history_lists_the_words_each_session_was_transcribed_with(qtbot):
    settings = config.Settings()
    record(settings.with_overrides(stt__vocabulary=WORDS))
    record(settings)
    dialog = SessionHistoryDialog(settings.sessions_path())
    qtbot.addWidget(dialog)
    words = sorted(dialog.table.item(r, WORDS_COL).text() for r in range(dialog.table.rowCount()))
    assert words == ["", WORDS]
    assert dialog.table.horizontalHeaderItem(WORDS_COL).text() == "Words to expect"
    row = [dialog.table.item(r, WORDS_COL).text() for r in range(2)].index(WORDS)
    assert WORDS in dialog.table.item(row, WORDS_COL).toolTip()


def test_reopening_a_session_offers_its_words_for_the_next_start(qtbot, window):
    session = record(window.settings.with_overrides(stt__vocabulary=WORDS))
    assert window.settings.stt.vocabulary == ""
    window.controller.open_session(session.id)
    assert window.session.vocabulary == WORDS
    assert window.banner.isVisible() and WORDS in window.banner.text()
    assert window.banner.action.text() == "Use these words"
    window.banner.action.click()
    assert window.settings.stt.vocabulary == WORDS
    assert config.load().stt.vocabulary == WORDS  # saved: Settings > Transcription shows them, Start uses them
    assert not window.banner.isVisible()
    # the same words already set: nothing to offer
    window.controller.open_session(session.id)
    assert not window.banner.isVisible()


def test_a_session_without_words_offers_nothing(qtbot, window):
    session = record(window.settings)
    window.controller.open_session(session.id)
    assert not window.banner.isVisible()
