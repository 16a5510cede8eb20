"""The session history dialog over a real sessions folder: order, interrupted mark, rename, delete, recover, open."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from rtstt.events import Segment
from rtstt.gui.history import STATE_COL, SessionHistoryDialog, format_duration
from rtstt.session.store import SessionStore
from tests.unit.test_store import crash_in_child


def make_closed(root: Path, title: str, created: float, n: int) -> str:
    store = SessionStore.create(root, title)
    store.created = created  # ids made within one second: order by creation time, as the store does
    for i in range(n):
        store.append(Segment(start=i * 2.0, end=i * 2.0 + 1.5, text=f"{title} {i}"))
    store.close()
    return store.id


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "sessions"


@pytest.fixture
def ids(root: Path) -> dict[str, str]:
    """Three closed sessions (oldest first in time) and one that a killed process left interrupted."""
    found = {title: make_closed(root, title, 1_700_000_000.0 + k * 3600, k + 1) for k, title in enumerate("ABC")}
    found["crashy"] = crash_in_child(root, ["one", "two"])
    return found


def make_dialog(qtbot: QtBot, root: Path) -> SessionHistoryDialog:
    dialog = SessionHistoryDialog(root)
    qtbot.addWidget(dialog)
    return dialog


def column(dialog: SessionHistoryDialog, col: int) -> list[str]:
    return [dialog.table.item(r, col).text() for r in range(dialog.table.rowCount())]


def test_lists_newest_first_and_marks_interrupted(qtbot, root: Path, ids: dict[str, str]) -> None:
    dialog = make_dialog(qtbot, root)
    assert dialog.session_ids() == [ids["crashy"], ids["C"], ids["B"], ids["A"]]
    assert column(dialog, 0) == ["crashy", "C", "B", "A"]
    assert column(dialog, STATE_COL) == ["interrupted", "", "", ""]
    assert column(dialog, 3) == ["2", "3", "2", "1"]
    assert column(dialog, 2)[1] == "0:06"  # three segments, the last ends at 5.5 s
    assert dialog.recover_button.isEnabled()
    assert format_duration(3725) == "1:02:05"


def test_open_emits_the_id_and_accepts(qtbot, root: Path, ids: dict[str, str]) -> None:
    dialog = make_dialog(qtbot, root)
    dialog.select(ids["B"])
    with qtbot.waitSignal(dialog.sessionOpened) as blocker:
        qtbot.mouseClick(dialog.findChild(type(dialog.open_button), "open"), Qt.MouseButton.LeftButton)
    assert blocker.args == [ids["B"]]
    assert dialog.result() == dialog.DialogCode.Accepted


def test_double_click_opens(qtbot, root: Path, ids: dict[str, str]) -> None:
    dialog = make_dialog(qtbot, root)
    dialog.select(ids["A"])
    with qtbot.waitSignal(dialog.sessionOpened) as blocker:
        dialog.table.cellDoubleClicked.emit(dialog.session_ids().index(ids["A"]), 0)
    assert blocker.args == [ids["A"]]


def test_rename(qtbot, root: Path, ids: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    dialog = make_dialog(qtbot, root)
    dialog.select(ids["C"])
    asked: list[str] = []
    monkeypatch.setattr(dialog, "_ask_title", lambda current: asked.append(current) or "Weekly sync")
    qtbot.mouseClick(dialog.findChild(type(dialog.rename_button), "rename"), Qt.MouseButton.LeftButton)
    assert asked == ["C"]
    assert SessionStore.open(root, ids["C"]).title == "Weekly sync"
    assert column(dialog, 0)[1] == "Weekly sync"
    assert dialog.selected_id() == ids["C"]
    monkeypatch.setattr(dialog, "_ask_title", lambda current: None)  # cancelled: nothing changes
    qtbot.mouseClick(dialog.rename_button, Qt.MouseButton.LeftButton)
    assert SessionStore.open(root, ids["C"]).title == "Weekly sync"


def test_delete_asks_first(qtbot, root: Path, ids: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    dialog = make_dialog(qtbot, root)
    dialog.select(ids["A"])
    monkeypatch.setattr(dialog, "_confirm", lambda text: False)
    qtbot.mouseClick(dialog.delete_button, Qt.MouseButton.LeftButton)
    assert ids["A"] in dialog.session_ids()
    questions: list[str] = []
    monkeypatch.setattr(dialog, "_confirm", lambda text: questions.append(text) or True)
    qtbot.mouseClick(dialog.findChild(type(dialog.delete_button), "delete"), Qt.MouseButton.LeftButton)
    assert "“A”" in questions[0]
    assert ids["A"] not in dialog.session_ids()
    assert not (root / ids["A"]).exists()


def test_live_session_cannot_be_deleted(qtbot, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    live = SessionStore.create(root, "live")
    try:
        live.append(Segment(start=0.0, end=1.0, text="still talking"))
        dialog = make_dialog(qtbot, root)
        assert column(dialog, STATE_COL) == ["recording"]
        assert not dialog.recover_button.isEnabled()
        dialog.select(live.id)
        monkeypatch.setattr(dialog, "_confirm", lambda text: True)
        qtbot.mouseClick(dialog.delete_button, Qt.MouseButton.LeftButton)
        status = dialog.findChild(type(dialog.status), "status")
        assert "is being recorded right now" in status.text()
        assert "stop the recording first" in status.text()
        assert dialog.session_ids() == [live.id]
        monkeypatch.setattr(dialog, "_ask_title", lambda current: pytest.fail("must not ask"))
        qtbot.mouseClick(dialog.rename_button, Qt.MouseButton.LeftButton)
        assert "being recorded" in status.text()
    finally:
        live.close()


def test_recover_interrupted(qtbot, root: Path, ids: dict[str, str]) -> None:
    dialog = make_dialog(qtbot, root)
    qtbot.mouseClick(dialog.findChild(type(dialog.recover_button), "recover"), Qt.MouseButton.LeftButton)
    assert "Recovered “crashy” (2 segments)" in dialog.status.text()
    assert column(dialog, STATE_COL)[0] == "recovered"
    assert not dialog.recover_button.isEnabled()
    assert SessionStore.find_unfinished(root) == []
    assert [s.text for s in SessionStore.open(root, ids["crashy"]).transcript.segments] == ["one", "two"]
