"""A call in the window: "Call" is the source offered when a microphone and system audio both exist, and a
call session shows the user's lines as "You" and the others' as "Others". Real tiny.en; the two devices
are the call fixture's two tracks replayed from files (the meter before Start listens to a fake)."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt

from rtstt import config
from rtstt.audio.device_info import DeviceInfo
from rtstt.audio.sources import FileSource
from rtstt.gui.main_window import MainWindow
from tests.conftest import FIXTURES
from tests.unit.test_probe import FakeSource

pytestmark = pytest.mark.integration

MIC = DeviceInfo("alsa/usb-mic", "USB Mic", "input", "ALSA", 1, 48000, is_default=True, index=3)
MONITOR = DeviceInfo("pulse/speakers.monitor", "Speakers", "loopback", "PulseAudio", 2, 48000)


@pytest.fixture
def window(qtbot, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr("rtstt.audio.devices.list_devices", lambda problems=None: [MIC, MONITOR])
    tracks = {"mic": "call_mic.flac", "loopback": "call_system.flac"}
    monkeypatch.setattr(
        "rtstt.runner.open_source", lambda spec, realtime=True: FileSource(FIXTURES / tracks[spec.split(":")[0]])
    )
    settings = config.Settings().with_overrides(stt__threads=2, stt__model="tiny.en", speakers__my_name="Maria")
    win = MainWindow(settings)
    win.source_meter.opener = lambda choice: FakeSource(choice.kind)
    qtbot.addWidget(win)
    win.show()
    yield win
    if win.running:
        with qtbot.waitSignal(win.sessionFinished, timeout=30000):
            win.stop()
    win.source_meter.release()


def test_a_call_shows_the_user_and_the_others(qtbot, window, tmp_path):
    assert window.toolbar.source() == "call"
    assert window.toolbar.source_combo.currentText() == "Call (you + others)"
    with qtbot.waitSignal(window.sessionFinished, timeout=120000):
        qtbot.mouseClick(window.toolbar_button("Start"), Qt.MouseButton.LeftButton)
    tracks = {s.track for s in window.view.segments()}
    assert tracks == {"mic", "system"}
    shown = window.view.toPlainText()
    assert "Maria  Permission is hereby granted" in shown.replace("\u2028", " ")
    assert "Others  Good morning everyone" in shown.replace("\u2028", " ")
    path = window.session.export(tmp_path / "call.json")
    segments = json.loads(path.read_text(encoding="utf-8"))["segments"]
    assert {(s["track"], s["speaker"]) for s in segments} == {("mic", "Maria"), ("system", "Others")}
    # "Others" is renamed like a speaker (right-click › Rename speaker on one of their lines)
    asked: list[str] = []
    window._ask_speaker_name = lambda current: asked.append(current) or "The team"
    window.controller.rename_speaker("system")
    assert asked == ["Others"]
    qtbot.waitUntil(lambda: "The team  Good morning everyone" in window.view.toPlainText(), timeout=3000)


def test_the_users_name_is_a_setting(qtbot, monkeypatch: pytest.MonkeyPatch):
    from PySide6.QtWidgets import QLineEdit

    from rtstt.gui.settings_dialog import SettingsDialog

    monkeypatch.setattr("rtstt.audio.devices.list_devices", lambda problems=None: [MIC, MONITOR])
    dialog = SettingsDialog(config.Settings())
    qtbot.addWidget(dialog)
    edit = dialog.findChild(QLineEdit, "speakers.my_name")
    assert edit is not None and edit.text() == "You"
    edit.setText("Maria")
    assert dialog.values()["speakers"]["my_name"] == "Maria"
