"""The components dialog drives a real ComponentStore against a real local package index: install, remove,
an unreachable index, a damaged download, cancel, and closing while busy.

The wheels are real (built here) and served over HTTP with the Simple API, so nothing is mocked between the
buttons and the installed files.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPushButton
from pytestqt.qtbot import QtBot

from rtstt.components.index import SimpleIndex, WheelRef
from rtstt.components.lock import Lock
from rtstt.components.store import ComponentStore
from rtstt.gui.components_dialog import ComponentsDialog
from tests.package_index import PackageIndex, make_wheel

TIMEOUT_MS = 20000
PROBE = "rtstt_probe-1.0-py3-none-any.whl"


@pytest.fixture
def index(tmp_path: Path) -> Iterator[PackageIndex]:
    wheels = tmp_path / "wheels"
    make_wheel(wheels, "rtstt-probe", "1.0", {"rtstt_probe/__init__.py": "PROBE = 1\n"})
    make_wheel(wheels, "other", "2.0", {"other/__init__.py": "OTHER = 2\n"})
    with PackageIndex(wheels) as served:
        yield served


@pytest.fixture
def store(tmp_path: Path, index: PackageIndex) -> ComponentStore:
    lock = Lock(
        app_version="0",
        python="3.11",
        platform="x",
        variant="cpu",
        indexes=(index.url,),
        features={"speakers": ("rtstt-probe==1.0",), "insights": ("rtstt-probe==1.0", "other==2.0")},
    )
    return ComponentStore(tmp_path / "components", lock)


class GatedIndex:
    """A real index that holds the first lookup until the test opens the gate: a slow network, on cue."""

    def __init__(self, url: str) -> None:
        self.index = SimpleIndex(url)
        self.entered = threading.Event()
        self.gate = threading.Event()

    def find(self, name: str, version: str) -> WheelRef | None:
        self.entered.set()
        self.gate.wait(TIMEOUT_MS / 1000)
        return self.index.find(name, version)


def make_dialog(qtbot: QtBot, store: ComponentStore, sources=None) -> ComponentsDialog:
    dialog = ComponentsDialog(store, sources=sources)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def state(dialog: ComponentsDialog, name: str) -> str:
    return dialog.findChild(QLabel, f"state_{name}").text()


def button(dialog: ComponentsDialog, name: str) -> QPushButton:
    return dialog.findChild(QPushButton, name)


def status(dialog: ComponentsDialog) -> str:
    return dialog.findChild(QLabel, "status").text()


def click(qtbot: QtBot, widget: QPushButton) -> None:
    assert widget.isEnabled(), f"{widget.objectName()} is disabled"
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def wait_idle(qtbot: QtBot, dialog: ComponentsDialog) -> None:
    qtbot.waitUntil(lambda: button(dialog, "action_speakers").isEnabled(), timeout=TIMEOUT_MS)


def assert_usable(dialog: ComponentsDialog) -> None:
    assert button(dialog, "action_speakers").isEnabled() and button(dialog, "action_insights").isEnabled()
    assert not button(dialog, "cancel").isEnabled()


def test_lists_each_feature_with_title_state_and_action(qtbot, store: ComponentStore) -> None:
    dialog = make_dialog(qtbot, store)
    assert dialog.findChild(QLabel, "title_speakers").text() == "Speaker labels (GE2E voice encoder)"
    assert dialog.findChild(QLabel, "title_insights").text().startswith("Keywords and insights")
    assert state(dialog, "speakers") == state(dialog, "insights") == "Not installed"
    assert button(dialog, "action_speakers").text() == "Install"
    assert_usable(dialog)
    assert [s.url for s in dialog.sources] == list(store.lock.indexes)  # the lock's index by default


def test_install_then_remove(qtbot, store: ComponentStore) -> None:
    dialog = make_dialog(qtbot, store)
    shown: list[str] = []
    dialog.progress.valueChanged.connect(lambda _v: shown.append(dialog.progress.format()))
    with qtbot.waitSignal(dialog.changed, timeout=TIMEOUT_MS):
        click(qtbot, button(dialog, "action_speakers"))
        assert not button(dialog, "action_speakers").isEnabled()  # busy: no second job
        assert not button(dialog, "action_insights").isEnabled()
        assert button(dialog, "cancel").isEnabled()
    wait_idle(qtbot, dialog)
    assert state(dialog, "speakers") == "Installed"
    assert button(dialog, "action_speakers").text() == "Remove"
    assert state(dialog, "insights") == "Not installed"
    assert "Speaker labels (GE2E voice encoder) is installed" in status(dialog)
    assert "next session" in status(dialog) or "Restart RTSTT" in status(dialog)
    assert (store.site_dir() / "rtstt_probe" / "__init__.py").read_text() == "PROBE = 1\n"
    assert any(re.fullmatch(r"Downloading \d+\.\d / \d+\.\d MB", text) for text in shown), shown
    assert "Installing rtstt-probe 1.0 …" in shown
    assert_usable(dialog)

    with qtbot.waitSignal(dialog.changed, timeout=TIMEOUT_MS):
        click(qtbot, button(dialog, "action_speakers"))
    wait_idle(qtbot, dialog)
    assert state(dialog, "speakers") == "Not installed"
    assert button(dialog, "action_speakers").text() == "Install"
    assert "removed" in status(dialog)
    assert store.site_dir() is None
    assert_usable(dialog)


def test_removing_one_keeps_the_others(qtbot, store: ComponentStore) -> None:
    dialog = make_dialog(qtbot, store)
    for name in ("insights", "speakers"):
        with qtbot.waitSignal(dialog.changed, timeout=TIMEOUT_MS):
            click(qtbot, button(dialog, f"action_{name}"))
        wait_idle(qtbot, dialog)
    assert state(dialog, "speakers") == state(dialog, "insights") == "Installed"

    with qtbot.waitSignal(dialog.changed, timeout=TIMEOUT_MS):
        click(qtbot, button(dialog, "action_insights"))
    wait_idle(qtbot, dialog)
    assert state(dialog, "insights") == "Not installed"
    assert state(dialog, "speakers") == "Installed"
    site = store.site_dir()
    assert (site / "rtstt_probe" / "__init__.py").is_file() and not (site / "other").exists()


def test_unreachable_index_shows_the_error_and_changes_nothing(qtbot, store: ComponentStore) -> None:
    dialog = make_dialog(qtbot, store, sources=[SimpleIndex("http://127.0.0.1:9/simple")])
    click(qtbot, button(dialog, "action_speakers"))
    wait_idle(qtbot, dialog)
    assert "cannot reach the package index http://127.0.0.1:9/simple" in status(dialog)
    assert "check the internet connection" in status(dialog)  # the hint
    assert state(dialog, "speakers") == "Not installed"
    assert store.site_dir() is None
    assert_usable(dialog)


def test_damaged_download_is_refused(qtbot, store: ComponentStore, index: PackageIndex) -> None:
    index.corrupt.add(PROBE)
    dialog = make_dialog(qtbot, store)
    changed: list[bool] = []
    dialog.changed.connect(lambda: changed.append(True))
    click(qtbot, button(dialog, "action_speakers"))
    wait_idle(qtbot, dialog)
    assert f"{PROBE} arrived damaged" in status(dialog)
    assert "try again" in status(dialog)
    assert state(dialog, "speakers") == "Not installed"
    assert store.site_dir() is None and not changed
    assert_usable(dialog)

    index.corrupt.clear()  # the next try succeeds: the dialog is still usable
    with qtbot.waitSignal(dialog.changed, timeout=TIMEOUT_MS):
        click(qtbot, button(dialog, "action_speakers"))
    wait_idle(qtbot, dialog)
    assert state(dialog, "speakers") == "Installed"


def held_mid_install(qtbot: QtBot, store: ComponentStore, index: PackageIndex) -> tuple[ComponentsDialog, GatedIndex]:
    """A dialog whose speakers install is waiting on the index, until the test opens `gated.gate`."""
    gated = GatedIndex(index.url)
    dialog = make_dialog(qtbot, store, sources=[gated])
    click(qtbot, button(dialog, "action_speakers"))
    qtbot.waitUntil(gated.entered.is_set, timeout=TIMEOUT_MS)
    return dialog, gated


def test_cancel_leaves_nothing_installed(qtbot, store: ComponentStore, index: PackageIndex) -> None:
    dialog, gated = held_mid_install(qtbot, store, index)
    click(qtbot, button(dialog, "cancel"))
    assert "Cancelling" in status(dialog)
    assert not button(dialog, "cancel").isEnabled()
    gated.gate.set()
    wait_idle(qtbot, dialog)
    assert status(dialog).startswith("Cancelled: nothing changed")
    assert state(dialog, "speakers") == "Not installed"
    assert store.site_dir() is None
    assert_usable(dialog)


def test_closing_while_busy_waits_for_the_job(qtbot, store: ComponentStore, index: PackageIndex) -> None:
    dialog, gated = held_mid_install(qtbot, store, index)
    click(qtbot, button(dialog, "close"))
    assert dialog.isVisible()  # a thread is still working: the window waits for it
    assert "closes when the current step ends" in status(dialog)
    gated.gate.set()
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=TIMEOUT_MS)
    assert store.site_dir() is None


def test_main_window_action_only_in_a_frozen_build(qtbot, store: ComponentStore, monkeypatch) -> None:
    from rtstt import config
    from rtstt.components import runtime
    from rtstt.gui.main_window import MainWindow

    window = MainWindow(config.Settings())
    qtbot.addWidget(window)
    assert not window.components_action.isVisible()  # from source: pip installs the extras

    monkeypatch.setattr(runtime, "app_store", lambda lock=None: store)
    monkeypatch.setattr(runtime, "has_components", lambda: True)
    frozen = MainWindow(config.Settings())
    qtbot.addWidget(frozen)
    action = frozen.components_action
    assert action.isVisible() and action.isEnabled() and action.text() == "Optional components…"
    models_menu = next(a.menu() for a in frozen.menuBar().actions() if a.text() == "&Models")
    assert action in models_menu.actions()


def test_outdated_component_is_updated(qtbot, store: ComponentStore, index: PackageIndex) -> None:
    dialog = make_dialog(qtbot, store)
    with qtbot.waitSignal(dialog.changed, timeout=TIMEOUT_MS):
        click(qtbot, button(dialog, "action_speakers"))
    wait_idle(qtbot, dialog)
    dialog.close()

    # An app update pins a newer probe: the installed one is now outdated.
    make_wheel(index.folder, "rtstt-probe", "1.1", {"rtstt_probe/__init__.py": "PROBE = 11\n"})
    newer = replace(store.lock, features={**store.lock.features, "speakers": ("rtstt-probe==1.1",)})
    updated = ComponentStore(store.root, newer)
    dialog = make_dialog(qtbot, updated)
    assert state(dialog, "speakers") == "Needs update"
    assert button(dialog, "action_speakers").text() == "Update"
    with qtbot.waitSignal(dialog.changed, timeout=TIMEOUT_MS):
        click(qtbot, button(dialog, "action_speakers"))
    wait_idle(qtbot, dialog)
    assert state(dialog, "speakers") == "Installed"
    assert "is updated" in status(dialog)
    assert (updated.site_dir() / "rtstt_probe" / "__init__.py").read_text() == "PROBE = 11\n"


def test_a_feature_without_its_component_offers_the_install(qtbot, store: ComponentStore, monkeypatch) -> None:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from rtstt import config
    from rtstt.components import runtime
    from rtstt.events import StageStatus
    from rtstt.gui.main_window import MainWindow

    monkeypatch.setattr(runtime, "app_store", lambda lock=None: store)
    monkeypatch.setattr(runtime, "has_components", lambda: True)
    window = MainWindow(config.Settings())
    qtbot.addWidget(window)
    window.show()
    window.controller.on_event(StageStatus("insights", "needs setup", "insights need KeyBERT (torch is missing)"))
    action = window.banner.findChild(QPushButton, "bannerAction")
    assert window.banner.isVisible() and action.isVisible() and action.text() == "Install…"
    assert "Keywords and insights" in window.banner.text()

    opened = []

    def close_dialog() -> None:
        dialog = QApplication.activeModalWidget()
        opened.append(type(dialog).__name__)
        dialog.reject()

    QTimer.singleShot(200, close_dialog)
    click(qtbot, action)
    assert opened == ["ComponentsDialog"] and not window.banner.isVisible()

    window.controller.on_event(StageStatus("summary", "loading model"))  # no offer for anything but a missing component
    assert not window.banner.isVisible()
