"""Each side panel's own on/off switch: the same setting as in Settings, saved to config.toml at once."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from rtstt import config
from rtstt.gui.main_window import MainWindow

PANELS = [("speakers", "speakers"), ("insights", "insights"), ("summary", "summary")]


@pytest.fixture
def window(qtbot):
    win = MainWindow(config.Settings())
    qtbot.addWidget(win)
    win.show()
    return win


def _text(panel) -> str:
    return panel.label.text() if hasattr(panel, "label") else panel.state_text()


@pytest.mark.parametrize(("attr", "section"), PANELS)
def test_switch_turns_the_setting_on_and_off(qtbot, window, attr, section):
    panel = getattr(window, attr)
    assert not getattr(window.settings, section).enabled  # off by default
    assert not panel.switch.isChecked()
    assert "off" in _text(panel).lower()

    qtbot.mouseClick(panel.switch, Qt.MouseButton.LeftButton)
    assert panel.switch.isChecked()
    assert getattr(window.settings, section).enabled
    assert getattr(config.load(), section).enabled  # saved in the isolated RTSTT_HOME's config.toml
    assert config.user_dirs().config_file.exists()
    assert "waiting for speech" in _text(panel).lower() or "first summary" in _text(panel).lower()
    assert "off" not in _text(panel).lower()

    qtbot.mouseClick(panel.switch, Qt.MouseButton.LeftButton)
    assert not panel.switch.isChecked()
    assert not getattr(window.settings, section).enabled
    assert not getattr(config.load(), section).enabled
    assert "off" in _text(panel).lower()


def test_switch_changes_only_its_own_setting(qtbot, window):
    qtbot.mouseClick(window.insights.switch, Qt.MouseButton.LeftButton)
    saved = config.load()
    assert saved.insights.enabled
    assert not saved.speakers.enabled and not saved.summary.enabled
    assert not window.speakers.switch.isChecked() and not window.summary.switch.isChecked()


@pytest.mark.parametrize(("attr", "section"), PANELS)
def test_settings_dialog_change_updates_the_switch(window, attr, section):
    panel = getattr(window, attr)
    window.apply_settings(window.settings.with_overrides(**{f"{section}__enabled": True}))
    assert panel.switch.isChecked()
    assert "off" not in _text(panel).lower()
    window.apply_settings(window.settings.with_overrides(**{f"{section}__enabled": False}))
    assert not panel.switch.isChecked()
    assert "off" in _text(panel).lower()


def test_switch_while_running_says_next_start(qtbot, window, monkeypatch):
    """The engine keeps the stages it started with: a switch mid-session applies at the next Start."""
    monkeypatch.setattr(type(window.controller), "running", property(lambda _self: True))
    window.controller.started_with = window.settings
    qtbot.mouseClick(window.summary.switch, Qt.MouseButton.LeftButton)
    assert config.load().summary.enabled
    assert "next start" in window.summary.state_text().lower()
    qtbot.mouseClick(window.summary.switch, Qt.MouseButton.LeftButton)  # back as the session started
    assert not config.load().summary.enabled
    assert "next start" not in window.summary.state_text().lower()
    qtbot.mouseClick(window.speakers.switch, Qt.MouseButton.LeftButton)
    assert "next start" in window.speakers.label.text().lower()


def test_unsaveable_setting_puts_the_switch_back(qtbot, window, monkeypatch):
    def broken(_settings):
        raise config.SettingsError("cannot write config.toml", "check the folder")

    monkeypatch.setattr(config, "save", broken)
    qtbot.mouseClick(window.speakers.switch, Qt.MouseButton.LeftButton)
    assert not window.speakers.switch.isChecked()
    assert not window.settings.speakers.enabled
    assert window.banner.isVisible()
