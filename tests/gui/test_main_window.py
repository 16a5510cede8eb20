"""The real window, driven like a user: real tiny.en model, real speech files replayed in real time."""

from __future__ import annotations

import json
from pathlib import Path

import docx
import pytest
import srt
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor

from rtstt import config
from rtstt.events import Final, Partial
from rtstt.gui.main_window import MainWindow
from rtstt.session.store import SessionStore
from rtstt.session.transcript import Transcript
from rtstt.wer import word_error_rate
from tests.conftest import FIXTURES, SAMPLES, fixture_meta

pytestmark = pytest.mark.integration
CLIP = FIXTURES / "utt_piper_2.flac"  # "Please call Stella and ask her to bring these things with her from the store."


@pytest.fixture
def window(qtbot):
    settings = config.Settings().with_overrides(stt__threads=2, stt__model="tiny.en", audio__source="file")
    win = MainWindow(settings)
    qtbot.addWidget(win)
    win.show()
    yield win
    if win.running:
        with qtbot.waitSignal(win.sessionFinished, timeout=30000):
            win.stop()


def transcribe(qtbot, win: MainWindow, path: Path, timeout_s: float = 90) -> list:
    """Choose the file, click Start, and wait for the stream to end by itself."""
    events: list = []
    win._ask_open_file = lambda: str(path)
    win.choose_file()
    with qtbot.waitSignal(win.sessionFinished, timeout=int(timeout_s * 1000)):
        qtbot.mouseClick(win.toolbar_button("Start"), Qt.MouseButton.LeftButton)
        win.controller.worker.event.connect(events.append)
    return events


def test_start_shows_partials_then_final_text(qtbot, window):
    events = transcribe(qtbot, window, CLIP)
    partials = [e for e in events if isinstance(e, Partial) and e.text]
    finals = [e for e in events if isinstance(e, Final)]
    assert partials and finals
    assert partials[0].emitted_at < finals[0].emitted_at  # grey text grew before it became final
    reference = fixture_meta("utt_piper_2")["text"]
    assert word_error_rate(reference, window.view.final_text()) <= 0.1
    assert window.view.partial_text() == ""
    assert window.toolbar_button("Start").text() == "Start"
    assert window.status_labels["saved"].text() == "✓ Saved"
    assert window.status_labels["model"].text().startswith("tiny.en")
    assert window.status_labels["device"].text() == "CPU"
    # the session is on disk with the same text
    (info,) = SessionStore.list_sessions(window.settings.sessions_path())
    assert info.closed and info.n_segments == len(window.session)


def test_stop_mid_sentence_keeps_every_word_heard(qtbot, window):
    meta = json.loads((SAMPLES / "sample.json").read_text())
    window._ask_open_file = lambda: str(SAMPLES / "sample.flac")
    window.choose_file()
    qtbot.mouseClick(window.toolbar_button("Start"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(window.view.segments()) >= 1, timeout=60000)
    second = meta["turns"][1]
    qtbot.waitUntil(lambda: "see" in window.view.partial_text(), timeout=30000)  # mid second sentence
    with qtbot.waitSignal(window.sessionFinished, timeout=30000):
        qtbot.mouseClick(window.toolbar_button("Stop"), Qt.MouseButton.LeftButton)
    words = window.view.final_text().split()
    assert word_error_rate(meta["turns"][0]["text"], " ".join(words[:11])) <= 0.1
    heard = " ".join(words[11:])
    assert "see" in heard.lower(), heard  # the words spoken before Stop were finalised, not dropped
    # the last word may be cut by the Stop itself; everything before it matches what was said
    heard_words = heard.split()[:-1]
    assert len(heard_words) >= 3
    assert word_error_rate(" ".join(second["text"].split()[: len(heard_words)]), " ".join(heard_words)) <= 0.25


def test_pause_and_resume(qtbot, window):
    window._ask_open_file = lambda: str(SAMPLES / "sample.flac")
    window.choose_file()
    qtbot.mouseClick(window.toolbar_button("Start"), Qt.MouseButton.LeftButton)
    runner = window.controller.worker.runner
    qtbot.waitUntil(lambda: runner.engine is not None, timeout=60000)
    window.pause_action.trigger()
    assert runner.engine.paused
    assert window.status_labels["state"].text() == "Paused"
    assert window.toolbar_button("Resume").isEnabled()
    window.pause_action.trigger()
    assert not runner.engine.paused
    with qtbot.waitSignal(window.sessionFinished, timeout=30000):
        window.stop()


def test_export_every_format_and_read_it_back(qtbot, window, tmp_path: Path):
    transcribe(qtbot, window, CLIP)
    text = window.view.final_text()
    for fmt in ("srt", "vtt", "txt", "json", "docx"):
        window._ask_save_path = lambda f, fmt=fmt: str(tmp_path / f"out.{fmt}")
        window.export_actions[fmt].trigger()
        assert (tmp_path / f"out.{fmt}").exists(), fmt
    assert " ".join(s.content for s in srt.parse((tmp_path / "out.srt").read_text())) == text
    assert "WEBVTT" in (tmp_path / "out.vtt").read_text()
    assert [s["text"] for s in json.loads((tmp_path / "out.json").read_text())["segments"]] == [
        s.text for s in window.session.segments()
    ]
    assert text.split()[0] in " ".join(p.text for p in docx.Document(str(tmp_path / "out.docx")).paragraphs)
    window.include_timestamps.setChecked(False)
    window._ask_save_path = lambda f: str(tmp_path / "plain.txt")
    window.export_actions["txt"].trigger()
    assert (tmp_path / "plain.txt").read_text().split() == text.split()  # paragraphs, every word once


def test_search_highlights_matches(qtbot, window):
    transcribe(qtbot, window, CLIP)
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert window.search_bar.isVisible()
    qtbot.keyClicks(window.search_field, "her")
    assert window.search_count.text() == "2 matches"  # "ask her ... with her"
    assert len(window.view.extraSelections()) == 2
    qtbot.keyClick(window.search_field, Qt.Key.Key_Escape)
    assert not window.search_bar.isVisible() and not window.view.extraSelections()


def test_double_click_edits_a_segment_and_the_edit_is_saved(qtbot, window):
    transcribe(qtbot, window, CLIP)
    first = window.session.segments()[0]
    window._ask_edit_text = lambda current: "Please call Stella, corrected by hand."
    block = window.view.document().firstBlock()  # the first paragraph: click inside its first line's text
    cursor = QTextCursor(block)
    cursor.setPosition(block.position() + block.text().index(first.text) + 2)
    pos = window.view.cursorRect(cursor).center()
    qtbot.mouseDClick(window.view.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    assert "corrected by hand" in window.view.document().firstBlock().text()
    reopened = SessionStore.open(window.settings.sessions_path(), window.session.id)
    assert reopened.transcript.get(first.id).text == "Please call Stella, corrected by hand."


def test_an_edit_is_the_sessions_own_no_second_copy(qtbot, window, tmp_path: Path):
    """The window sends the edit to the session and renders what the session says: the export and the
    journal carry the correction, and neither the window nor its controller holds a transcript of its own."""
    transcribe(qtbot, window, CLIP)
    first = window.session.segments()[0]
    window._ask_edit_text = lambda current: "Please call Stella, fixed in the window."
    window.view.editRequested.emit(first.id)  # what a double-click on the line sends
    assert "fixed in the window" in window.view.document().firstBlock().text()
    written = window.session.export(tmp_path / "out.json", "json")
    assert json.loads(written.read_text())["segments"][0]["text"] == "Please call Stella, fixed in the window."
    window._ask_save_path = lambda f: str(tmp_path / "menu.txt")
    window.export_actions["txt"].trigger()
    assert "fixed in the window" in (tmp_path / "menu.txt").read_text()
    reopened = SessionStore.open(window.settings.sessions_path(), window.session.id)
    assert reopened.transcript.get(first.id).text == "Please call Stella, fixed in the window."
    for owner in (window, window.controller):
        assert not [name for name, value in vars(owner).items() if isinstance(value, Transcript)], owner


def test_a_past_session_reopens(qtbot, window):
    transcribe(qtbot, window, CLIP)
    text = window.view.final_text()
    session_id = window.session.id
    other = MainWindow(window.settings)
    qtbot.addWidget(other)
    other.controller.open_session(session_id)
    assert other.view.final_text() == text


def test_language_choice_is_persisted(qtbot, window):
    window.language_combo.setCurrentText("de")
    window.language_combo.activated.emit(window.language_combo.currentIndex())
    assert config.load().stt.language == "de"


def test_a_broken_file_shows_the_banner_and_nothing_is_lost(qtbot, window):
    transcribe(qtbot, window, FIXTURES / "corrupt.wav")
    assert window.banner.isVisible()
    assert "corrupt.wav" in window.banner.text()
    assert window.toolbar_button("Start").isEnabled()


def test_a_missing_model_shows_the_fix_in_the_banner(qtbot, window):
    window.model_combo.addItem("large-v3")
    window.model_combo.setCurrentText("large-v3")
    window.model_combo.activated.emit(window.model_combo.currentIndex())
    transcribe(qtbot, window, CLIP)
    assert window.banner.isVisible()
    assert "large-v3" in window.banner.text() and "rtstt models fetch" in window.banner.text()
    assert window.toolbar_button("Start").isEnabled()


def test_insights_panel_fills_when_insights_are_on(qtbot, window, tmp_path: Path):
    window.apply_settings(window.settings.with_overrides(insights__enabled=True, insights__interval_s=2.0))
    assert "Waiting for speech" in window.insights.state_text()
    transcribe(qtbot, window, SAMPLES / "sample.flac")
    qtbot.waitUntil(lambda: window.insights.state_text() == "", timeout=10000)
    assert window.insights.keywords.get("session")
    assert "<span" in window.insights.body.toHtml()
    window._ask_save_path = lambda f: str(tmp_path / "s.json")
    window.export_actions["json"].trigger()
    assert json.loads((tmp_path / "s.json").read_text())["keywords"]
