"""The Models dialog's Summary tab: a summary model downloaded from a local mirror with progress, then "Use
for the summary"; and the summary panel recommending one while the offline fallback is the model.

The hub is a LocalFolderHub holding a small fake .gguf, so no test touches the network.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from rtstt import config
from rtstt.gui import dialogs
from rtstt.gui.main_window import MainWindow
from rtstt.gui.model_dialog import STATUS_COL, SUMMARY_COLUMNS, ModelManagerDialog
from rtstt.models.hub import LocalFolderHub
from rtstt.models.manager import ModelManager
from rtstt.models.nlp_models import summary_gguf_file
from tests.unit.test_models import make_model
from tests.unit.test_summary_models import QWEN, QWEN_FILE, make_mirror

LLAMA = "llama-3.2-3b-instruct"


@pytest.fixture
def mirror(tmp_path: Path) -> Path:
    root = make_mirror(tmp_path / "mirror", size=300_000)
    make_model(root / "Systran/faster-whisper-tiny", size=16 * 1024)
    return root


def make_dialog(qtbot: QtBot, tmp_path: Path, mirror: Path, **kwargs) -> ModelManagerDialog:
    hub = LocalFolderHub(mirror, chunk_size=4096)
    manager = ModelManager(models_dir=tmp_path / "models", search_dirs=[], hub=hub, hf_cache_dir=tmp_path / "hf")
    dialog = ModelManagerDialog(manager, **kwargs)
    qtbot.addWidget(dialog)
    return dialog


def cell(dialog: ModelManagerDialog, name: str, column: str) -> str:
    row = dialog.summary_row_of(name)
    assert row >= 0, f"{name} is not listed"
    return dialog.summary_table.item(row, SUMMARY_COLUMNS.index(column)).text()


def test_summary_tab_lists_size_licence_and_status(qtbot, tmp_path: Path, mirror: Path) -> None:
    dialog = make_dialog(qtbot, tmp_path, mirror)
    assert dialog.tabs.tabText(1) == "Summary"
    assert cell(dialog, QWEN, "Size (MB)") == "1117"
    assert cell(dialog, QWEN, "Licence") == "Apache-2.0"
    assert cell(dialog, QWEN, "Status") == "Available"
    assert cell(dialog, QWEN, "Description").startswith("recommended")
    assert cell(dialog, LLAMA, "Licence") == "Llama 3.2 Community License"
    assert dialog.row_of(QWEN) == -1  # not in the speech table
    assert dialog.table.horizontalHeaderItem(4).text() == "Licence"
    assert dialog.table.item(dialog.row_of("tiny"), 4).text() == "MIT"


def test_download_then_use_for_the_summary(qtbot, tmp_path: Path, mirror: Path) -> None:
    dialog = make_dialog(qtbot, tmp_path, mirror, summary_model="some-other.gguf", select=QWEN)
    assert dialog.on_summary_tab and dialog.selected_name() == QWEN
    assert dialog.download_button.isEnabled() and not dialog.use_button.isEnabled()
    assert not dialog.import_button.isEnabled()  # imports are faster-whisper folders
    progress: list[int] = []
    dialog.progress.valueChanged.connect(progress.append)
    with qtbot.waitSignal(dialog.modelInstalled, timeout=10_000) as blocker:
        qtbot.mouseClick(dialog.download_button, Qt.MouseButton.LeftButton)
    assert blocker.args == [QWEN]
    qtbot.waitUntil(lambda: not dialog.busy, timeout=10_000)
    assert len(progress) > 2 and dialog.progress.value() == dialog.progress.maximum()
    assert "0.3 / 0.3 MB" in dialog.progress.format()
    assert dialog.summary_table.item(dialog.summary_row_of(QWEN), STATUS_COL).text() == "Installed (app)"
    llm = tmp_path / "models" / "llm"
    assert summary_gguf_file(QWEN, llm) == llm / QWEN / QWEN_FILE

    # Another model was chosen, so the download did not replace it; the button does.
    assert dialog.summary_model == "some-other.gguf"
    qtbot.mouseClick(dialog.verify_button, Qt.MouseButton.LeftButton)
    assert "looks complete" in dialog.status.text()
    assert not dialog.use_button.isHidden() and dialog.use_button.isEnabled()
    with qtbot.waitSignal(dialog.summaryModelChosen, timeout=1000) as chosen:
        qtbot.mouseClick(dialog.use_button, Qt.MouseButton.LeftButton)
    assert chosen.args == [QWEN]
    assert cell(dialog, QWEN, "Status") == "Installed (app), in use"
    assert not dialog.use_button.isEnabled()
    assert "from the next Start" in dialog.status.text()


def test_a_download_with_no_summary_model_chosen_is_used_at_once(qtbot, tmp_path: Path, mirror: Path) -> None:
    dialog = make_dialog(qtbot, tmp_path, mirror, select=QWEN)  # summary_model "" = the offline fallback
    chosen: list[str] = []
    dialog.summaryModelChosen.connect(chosen.append)
    with qtbot.waitSignal(dialog.modelInstalled, timeout=10_000):
        qtbot.mouseClick(dialog.download_button, Qt.MouseButton.LeftButton)
    assert chosen == [QWEN]
    assert dialog.summary_model == QWEN


def test_speech_downloads_do_not_touch_the_summary(qtbot, tmp_path: Path, mirror: Path) -> None:
    dialog = make_dialog(qtbot, tmp_path, mirror, select="tiny")
    assert not dialog.on_summary_tab and dialog.use_button.isHidden()
    chosen: list[str] = []
    dialog.summaryModelChosen.connect(chosen.append)
    with qtbot.waitSignal(dialog.modelInstalled, timeout=10_000):
        qtbot.mouseClick(dialog.download_button, Qt.MouseButton.LeftButton)
    assert chosen == []


# ------------------------------------------------------------------------------------------ the panel


@pytest.fixture
def window(qtbot: QtBot) -> MainWindow:
    win = MainWindow(config.Settings())
    qtbot.addWidget(win)
    win.show()
    return win


def test_turning_summary_on_recommends_a_model_and_opens_the_dialog_on_it(
    qtbot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    panel = window.summary
    assert not panel.offer.isVisible()  # the summary is off
    qtbot.mouseClick(panel.switch, Qt.MouseButton.LeftButton)
    assert panel.offer.isVisible() and panel.offer_button.isVisible()
    assert "offline fallback" in panel.offer.text()
    assert panel.offer_button.text() == "Get Qwen2.5-1.5B (1.1 GB)…"
    from rtstt.nlp.llm import OFFLINE_FALLBACK_NOTE

    panel.set_note(f"SmolLM2-135M-Instruct on the CPU (llama.cpp, Q4_1); {OFFLINE_FALLBACK_NOTE}")
    assert panel.note.text() == "SmolLM2-135M-Instruct on the CPU (llama.cpp, Q4_1)"  # said once, by the offer
    panel.set_busy()
    panel.summarized()  # after "Summarize now" the note comes back the same
    assert panel.note.text() == "SmolLM2-135M-Instruct on the CPU (llama.cpp, Q4_1)"

    opened: list[dict] = []

    def fake_open(parent, on_installed, **kwargs) -> None:
        opened.append(kwargs)
        kwargs["on_summary_model"](QWEN)  # the user downloads it and presses "Use for the summary"

    monkeypatch.setattr(dialogs, "open_model_manager", fake_open)
    qtbot.mouseClick(panel.offer_button, Qt.MouseButton.LeftButton)
    assert opened[0]["select"] == QWEN and opened[0]["summary_model"] == ""
    assert window.settings.summary.model == QWEN
    assert config.load().summary.model == QWEN  # saved to config.toml
    assert not panel.offer.isVisible()
    assert OFFLINE_FALLBACK_NOTE in panel.note.text()  # no offer: the note says it


def test_settings_turning_summary_on_shows_the_recommendation(window: MainWindow) -> None:
    window.apply_settings(window.settings.with_overrides(summary__enabled=True))
    assert window.summary.offer.isVisible()
    window.apply_settings(window.settings.with_overrides(summary__model="llama-3.2-3b-instruct"))
    assert not window.summary.offer.isVisible()
    window.apply_settings(window.settings.with_overrides(summary__model="", summary__enabled=False))
    assert not window.summary.offer.isVisible()
