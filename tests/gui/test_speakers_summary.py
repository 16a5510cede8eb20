"""The window with the downstream stages on: speaker chips that rename everywhere, and the summary panel."""

from __future__ import annotations

from pathlib import Path

import pytest
import srt
from PySide6.QtCore import Qt, QUrl

from rtstt import config
from rtstt.gui.main_window import MainWindow
from rtstt.session.store import SessionStore
from tests.conftest import FIXTURES
from tests.gui.test_main_window import transcribe

pytestmark = pytest.mark.integration
MEETING = FIXTURES / "conversation.flac"  # 60 s, two voices taking turns


@pytest.fixture
def window(qtbot):
    settings = config.Settings().with_overrides(
        stt__threads=2, stt__model="tiny.en", audio__source="file", audio__realtime=False, speakers__enabled=True
    )
    win = MainWindow(settings)
    qtbot.addWidget(win)
    win.show()
    yield win
    if win.running:
        with qtbot.waitSignal(win.sessionFinished, timeout=60000):
            win.stop()


def test_speakers_are_labelled_shown_and_renamed_everywhere(qtbot, window, tmp_path: Path):
    assert "waiting for speech" in window.speakers.label.text()
    transcribe(qtbot, window, MEETING, timeout_s=180)
    labels = {s.speaker for s in window.session.segments()}
    assert labels == {"S1", "S2"}
    # the strip lists both with their talk time; the transcript lines carry the chips
    assert set(window.speakers.talk) == {"S1", "S2"} and all(t > 5 for t in window.speakers.talk.values())
    assert "S1  " in window.view.toPlainText() and "S2  " in window.view.toPlainText()

    # a click on a chip renames that speaker in the transcript, the strip, the journal and the exports
    window._ask_speaker_name = lambda current: "Alice"
    window.speakers.label.linkActivated.emit("speaker:S2")
    assert "Alice  " in window.view.toPlainText() and "S2  " not in window.view.toPlainText()
    assert "Alice" in window.speakers.label.text()
    reopened = SessionStore.open(window.settings.sessions_path(), window.session.id)
    assert reopened.transcript.speakers()["S2"] == "Alice"
    window._ask_save_path = lambda f: str(tmp_path / "m.srt")
    window.export_actions["srt"].trigger()
    assert any(sub.content.startswith("Alice") for sub in srt.parse((tmp_path / "m.srt").read_text()))

    # a reopened session shows the names it was given
    other = MainWindow(window.settings)
    qtbot.addWidget(other)
    other.controller.open_session(window.session.id)
    assert "Alice  " in other.view.toPlainText()
    assert set(other.speakers.talk) == {"S1", "S2"} and "Alice" in other.speakers.label.text()


def test_summary_panel_updates_on_demand_and_ends_with_action_items(qtbot, window, tmp_path: Path, summarizer):
    settings = window.settings.with_overrides(
        speakers__enabled=False, summary__enabled=True, summary__model=str(summarizer.path), audio__realtime=True
    )
    window.apply_settings(settings)
    assert "first summary comes after about a minute" in window.summary.state_text()
    window._ask_open_file = lambda: str(MEETING)
    window.choose_file()
    qtbot.mouseClick(window.toolbar_button("Start"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.summary.now.isEnabled() and len(window.session) >= 4, timeout=120000)
    qtbot.mouseClick(window.summary.now, Qt.MouseButton.LeftButton)  # "Summarize now"
    qtbot.waitUntil(lambda: bool(window.summary.text), timeout=60000)
    assert "Summary so far" in window.summary.body.toPlainText()
    assert "on the CPU" in window.summary.note.text()  # what runs where
    with qtbot.waitSignal(window.sessionFinished, timeout=180000):
        pass
    assert "Final summary" in window.summary.body.toPlainText()
    assert window.summary.action_items, window.summary.body.toPlainText()
    assert "Action items" in window.summary.body.toPlainText() and "Open questions" in window.summary.body.toPlainText()
    assert not window.summary.now.isEnabled()
    # an item is a link to where it was said: the transcript scrolls there and marks that line
    item = next(i for i in window.summary.items if i.lines)
    assert f"href='line:{item.lines[0]}'" in window.summary.body.toHtml().replace('"', "'")
    window.summary.body.anchorClicked.emit(QUrl(f"line:{item.lines[0]}"))
    said = next(s for s in window.session.segments() if s.id == item.lines[0])
    assert window.view.textCursor().selectedText().strip() == said.text.strip()
    assert not window.view.following  # reading back: the live text does not pull the view away
    window._ask_save_path = lambda f: str(tmp_path / "m.json")
    window.export_actions["json"].trigger()
    import json

    exported = json.loads((tmp_path / "m.json").read_text())
    assert exported["summary"] and exported["action_items"]


def test_the_strip_says_when_the_speakers_are_uncertain(qtbot):
    from rtstt.gui.panels.speakers import UNCERTAIN_NOTE, SpeakersStrip
    from rtstt.session.insights import Insights

    strip = SpeakersStrip()
    qtbot.addWidget(strip)
    strip.show()
    strip.show_speakers({"S1": 12.0, "S2": 8.0}, {})
    assert not strip.uncertain_note.isVisible()
    strip.set_uncertain(True)
    assert strip.uncertain_note.isVisible() and strip.uncertain_note.text() == UNCERTAIN_NOTE
    assert UNCERTAIN_NOTE == "Speakers uncertain: voices are hard to tell apart"
    assert "8a93a3" in strip.uncertain_note.styleSheet()  # muted, like the strip's other notes
    strip.set_uncertain(False)
    assert not strip.uncertain_note.isVisible()

    # in the window, the flag comes with the session's insights (live, or from a reopened session)
    win = MainWindow(config.Settings().with_overrides(speakers__enabled=True))
    qtbot.addWidget(win)
    win.show()
    win.controller._show_insights(Insights(speakers_uncertain=True))
    assert win.speakers.uncertain_note.isVisible()
    win.controller._show_insights(Insights())
    assert not win.speakers.uncertain_note.isVisible()
