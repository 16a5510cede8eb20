"""The model dialog drives a real ModelManager against a local mirror: download, cancel, import, errors.

The hub is a LocalFolderHub over a folder laid out like huggingface.co, so no test touches the network.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from rtstt.gui.model_dialog import STATUS_COL, ModelManagerDialog
from rtstt.models.hub import LocalFolderHub
from rtstt.models.manager import ModelManager
from tests.unit.test_models import make_model

REPO = "Systran/faster-whisper-tiny"


class SlowHub(LocalFolderHub):
    """Sleeps per chunk, so a test can press Cancel mid-download."""

    def download(
        self,
        repo_id: str,
        filename: str,
        dest: Path,
        on_bytes: Callable[[int], None],
        cancel: threading.Event | None,
    ) -> None:
        def slow(n: int) -> None:
            time.sleep(0.02)
            on_bytes(n)

        super().download(repo_id, filename, dest, slow, cancel)


class BrokenHub(LocalFolderHub):
    def file_sizes(self, repo_id: str, files: Iterable[str]) -> dict[str, int]:
        raise OSError("mirror is offline")


@pytest.fixture
def mirror(tmp_path: Path) -> Path:
    root = tmp_path / "mirror"
    make_model(root / REPO, size=64 * 1024)
    return root


def make_dialog(qtbot: QtBot, tmp_path: Path, hub: LocalFolderHub) -> ModelManagerDialog:
    manager = ModelManager(models_dir=tmp_path / "models", search_dirs=[], hub=hub, hf_cache_dir=tmp_path / "hf")
    dialog = ModelManagerDialog(manager)
    qtbot.addWidget(dialog)
    return dialog


def status_of(dialog: ModelManagerDialog, name: str) -> str:
    row = dialog.row_of(name)
    assert row >= 0, f"{name} is not listed"
    return dialog.table.item(row, STATUS_COL).text()


def test_lists_every_known_model_with_its_columns(qtbot, tmp_path: Path, mirror: Path) -> None:
    dialog = make_dialog(qtbot, tmp_path, LocalFolderHub(mirror))
    names = [dialog.table.item(r, 0).text() for r in range(dialog.table.rowCount())]
    for expected in ("tiny.en", "tiny", "base", "small", "large-v3"):
        assert expected in names
    row = dialog.row_of("tiny")
    assert status_of(dialog, "tiny") == "Available"
    assert dialog.table.item(row, 1).text() == "75"
    assert dialog.table.item(row, 3).text() == "yes"
    assert dialog.row_of("small.en") >= 0 and dialog.table.item(dialog.row_of("small.en"), 3).text() == "no"
    assert not dialog.findChild(type(dialog.download_button), "download").isEnabled()  # nothing selected


def test_download_shows_progress_and_installs(qtbot, tmp_path: Path, mirror: Path) -> None:
    dialog = make_dialog(qtbot, tmp_path, LocalFolderHub(mirror, chunk_size=4096))
    dialog.select("tiny")
    button = dialog.findChild(type(dialog.download_button), "download")
    assert button.isEnabled()
    with qtbot.waitSignal(dialog.modelInstalled, timeout=10_000) as blocker:
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert blocker.args == ["tiny"]
    assert dialog.progress.value() == dialog.progress.maximum()
    assert "MB" in dialog.progress.format()
    assert status_of(dialog, "tiny") == "Installed (app)"
    assert (tmp_path / "models" / "tiny" / "model.bin").is_file()
    qtbot.waitUntil(lambda: not dialog.busy)
    assert not dialog.download_button.isEnabled()  # installed now
    qtbot.mouseClick(dialog.verify_button, Qt.MouseButton.LeftButton)
    assert "looks complete" in dialog.status.text()


def test_cancel_leaves_nothing_installed(qtbot, tmp_path: Path, mirror: Path) -> None:
    dialog = make_dialog(qtbot, tmp_path, SlowHub(mirror, chunk_size=1024))
    dialog.select("tiny")
    qtbot.mouseClick(dialog.download_button, Qt.MouseButton.LeftButton)
    assert dialog.busy and dialog.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: dialog.progress.value() > 0, timeout=10_000)
    qtbot.mouseClick(dialog.findChild(type(dialog.cancel_button), "cancel"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.busy, timeout=10_000)
    assert "cancelled" in dialog.status.text()
    assert status_of(dialog, "tiny") == "Available"
    assert sorted(p.name for p in (tmp_path / "models").iterdir()) == []


def test_close_while_downloading_cancels_and_waits(qtbot, tmp_path: Path, mirror: Path) -> None:
    dialog = make_dialog(qtbot, tmp_path, SlowHub(mirror, chunk_size=1024))
    dialog.show()
    dialog.select("tiny")
    qtbot.mouseClick(dialog.download_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.progress.value() > 0, timeout=10_000)
    dialog.close()
    assert not dialog.busy and not dialog.isVisible()
    assert sorted(p.name for p in (tmp_path / "models").iterdir()) == []


def test_broken_hub_shows_the_error_and_hint(qtbot, tmp_path: Path, mirror: Path) -> None:
    dialog = make_dialog(qtbot, tmp_path, BrokenHub(mirror))
    dialog.select("tiny")
    qtbot.mouseClick(dialog.download_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.busy, timeout=10_000)
    status = dialog.findChild(type(dialog.status), "status")
    assert "cannot reach the model hub for tiny: mirror is offline" in status.text()
    assert "internet connection" in status.text()  # the hint
    assert "c62828" in status.styleSheet()
    assert status_of(dialog, "tiny") == "Available"
    assert dialog.download_button.isEnabled()  # the user can try again


def test_import_folder(qtbot, tmp_path: Path, mirror: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dialog = make_dialog(qtbot, tmp_path, LocalFolderHub(mirror))
    source = make_model(tmp_path / "my-model")
    monkeypatch.setattr(dialog, "_ask_folder", lambda: source)
    asked: list[str] = []
    monkeypatch.setattr(dialog, "_ask_name", lambda default: asked.append(default) or "small-de")
    with qtbot.waitSignal(dialog.modelInstalled, timeout=10_000) as blocker:
        qtbot.mouseClick(dialog.findChild(type(dialog.import_button), "import"), Qt.MouseButton.LeftButton)
    assert asked == ["my-model"]
    assert blocker.args == ["small-de"]
    assert status_of(dialog, "small-de") == "Installed (app)"
    assert (tmp_path / "models" / "small-de" / "model.bin").is_file()


def test_import_errors_go_to_the_status_label(
    qtbot, tmp_path: Path, mirror: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dialog = make_dialog(qtbot, tmp_path, LocalFolderHub(mirror))
    not_a_model = tmp_path / "holiday-photos"
    not_a_model.mkdir()
    monkeypatch.setattr(dialog, "_ask_folder", lambda: not_a_model)
    monkeypatch.setattr(dialog, "_ask_name", lambda default: default)
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.busy, timeout=10_000)
    assert "is not a faster-whisper model folder" in dialog.status.text()
    assert "model.bin" in dialog.status.text()
    # The user cancelling the folder dialog does nothing at all.
    monkeypatch.setattr(dialog, "_ask_folder", lambda: None)
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    assert not dialog.busy


def test_speakers_tab_lists_downloads_and_imports_wespeaker(
    qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rtstt.gui.model_dialog import SPEAKER_COLUMNS
    from rtstt.models.registry import RECOMMENDED_SPEAKER, WESPEAKER_FILE
    from tests.unit.test_speaker_models import REPO as WESPEAKER_REPO
    from tests.unit.test_speaker_models import fake_onnx

    root = tmp_path / "mirror"
    fake_onnx(root / WESPEAKER_REPO / WESPEAKER_FILE)
    dialog = make_dialog(qtbot, tmp_path, LocalFolderHub(root, chunk_size=65536))
    dialog.select(RECOMMENDED_SPEAKER)
    assert dialog.on_speaker_tab
    row = dialog.speaker_row_of(RECOMMENDED_SPEAKER)
    cell = {c: dialog.speaker_table.item(row, i).text() for i, c in enumerate(SPEAKER_COLUMNS)}
    assert (cell["Size (MB)"], cell["Status"], cell["Licence"]) == ("26", "Available", "CC-BY-4.0")
    assert dialog.import_button.text() == "Import .onnx file…"
    with qtbot.waitSignal(dialog.modelInstalled, timeout=10_000) as blocker:
        qtbot.mouseClick(dialog.download_button, Qt.MouseButton.LeftButton)
    assert blocker.args == [RECOMMENDED_SPEAKER] and "MB" in dialog.progress.format()
    qtbot.waitUntil(lambda: not dialog.busy)
    assert dialog.speaker_table.item(row, STATUS_COL).text() == "Installed (app)"
    assert (tmp_path / "models" / "speaker" / RECOMMENDED_SPEAKER / WESPEAKER_FILE).is_file()

    monkeypatch.setattr(dialog, "_ask_onnx_file", lambda: fake_onnx(tmp_path / "ecapa.onnx"))
    with qtbot.waitSignal(dialog.modelInstalled, timeout=10_000) as blocker:
        qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    assert blocker.args == ["ecapa"] and dialog.speaker_row_of("ecapa") >= 0
