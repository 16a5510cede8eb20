"""A dialog to see which speech models are on this machine, download one, import a folder, or check one;
and, on its Summary tab, the summary models (GGUF files for llama.cpp) with their licence, one of which
"Use for the summary" makes the summary's model (Settings `summary.model`); on its Speakers tab, the voice
print models (WeSpeaker ONNX), which the speaker labels use as soon as one is installed (GE2E otherwise).

Downloads and imports run on a worker thread (a model is hundreds of MB to a few GB), so the window keeps
painting and the Cancel button works. All model logic stays in `rtstt.models`: the manager downloads into a
hidden temporary folder and only renames it into place when complete, so a failed or cancelled download
leaves nothing behind and this dialog never has to clean up.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, QThread, Signal, Slot
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from rtstt.errors import ModelDownloadError, RtsttError
from rtstt.gui.jobs import Job, run_in_thread
from rtstt.gui.widgets import (
    BAR_MAX,
    ERROR_STYLE,
    MUTED_STYLE,
    error_text,
    make_button,
    make_progress_bar,
    make_status_label,
    make_table,
    set_bar,
    set_fraction,
)
from rtstt.models.manager import InstalledModel, ModelManager, ProgressFn
from rtstt.models.nlp_models import DEFAULT_LLM

COLUMNS = ("Name", "Size (MB)", "Status", "Multilingual", "Licence", "Description")
SUMMARY_COLUMNS = ("Name", "Size (MB)", "Status", "Licence", "Description")
SPEAKER_COLUMNS = SUMMARY_COLUMNS
STATUS_COL = 2
FALLBACK_TEXT = "the small offline fallback: short notes, often copied from the transcript"
_SOURCES = {"app": "app", "repo": "models folder", "package": "package", "hf-cache": "HF cache", "folder": "folder"}


class _Job(Job):
    """One manager call (download or import) on a worker thread."""

    progress = Signal(object, object)  # bytes done, bytes total (Python ints: models pass 2**31 bytes)
    succeeded = Signal(object)  # the model's Path

    def __init__(self, fn: Callable[[ProgressFn], Path]) -> None:
        super().__init__(unexpected=ModelDownloadError)
        self._fn = fn

    def work(self) -> None:
        self.succeeded.emit(self._fn(self.progress.emit))


class ModelManagerDialog(QDialog):
    """Lists every known and installed model; downloads, imports and verifies through a ModelManager."""

    modelInstalled = Signal(str)  # Qt naming; a model name, after a download or an import
    summaryModelChosen = Signal(str)  # the new `summary.model` setting ("" for the offline fallback)

    def __init__(
        self,
        manager: ModelManager | None = None,
        parent: QWidget | None = None,
        *,
        summary_model: str = "",
        select: str = "",
    ) -> None:
        """`summary_model` is the summary's model now (the setting); `select` a model to show at once."""
        super().__init__(parent)
        self.manager = manager if manager is not None else ModelManager()
        self.summary_model = "" if summary_model.strip() == DEFAULT_LLM else summary_model.strip()
        self._summary_installed: dict[str, InstalledModel] = {}
        self._thread: QThread | None = None
        self._job: _Job | None = None
        self._cancel: threading.Event | None = None
        self._job_name = ""
        self._job_summary = False  # the running download is a summary model's
        self._installed: dict[str, InstalledModel] = {}
        self._speaker_installed: dict[str, InstalledModel] = {}
        self.setWindowTitle("Models")
        self.resize(1000, 440)

        self.table = make_table(COLUMNS, "models")
        self.summary_table = make_table(SUMMARY_COLUMNS, "summaryModels")
        self.speaker_table = make_table(SPEAKER_COLUMNS, "speakerModels")
        self.tabs = QTabWidget()
        self.tabs.addTab(self.table, "Speech (Whisper)")
        self.tabs.addTab(self.summary_table, "Summary")
        self.tabs.addTab(self.speaker_table, "Speakers")
        for table in (self.table, self.summary_table, self.speaker_table):
            table.horizontalHeader().setStretchLastSection(True)
            table.itemSelectionChanged.connect(self._update_buttons)
        self.tabs.currentChanged.connect(lambda _index: self._update_buttons())

        self.progress = make_progress_bar()
        self.status = make_status_label()

        self.download_button = make_button("Download", "download", self._download)
        self.cancel_button = make_button("Cancel download", "cancel", self._cancel_download)
        self.import_button = make_button("Import folder…", "import", self._import)
        self.verify_button = make_button("Verify", "verify", self._verify)
        self.use_button = make_button("Use for the summary", "useForSummary", self._use_selected)
        self.close_button = make_button("Close", "close", self.reject)
        buttons = QHBoxLayout()
        for b in (self.download_button, self.cancel_button, self.import_button, self.verify_button, self.use_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)

        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        self.refresh()
        if select:
            self.select(select)

    # ------------------------------------------------------------------ table

    @property
    def busy(self) -> bool:
        """A download or an import is running."""
        return self._thread is not None

    def refresh(self) -> None:
        """Re-read what is installed; the known models come first, then folders the user imported."""
        selected = self.selected_name()
        self._installed = {m.name: m for m in self.manager.installed()}
        specs = {s.name: s for s in self.manager.available()}
        rows: list[tuple[str, ...]] = []
        for spec in specs.values():
            inst = self._installed.get(spec.name)
            size = inst.size_mb if inst else spec.size_mb
            multi = "yes" if spec.multilingual else "no"
            rows.append((spec.name, f"{size:.0f}", self._status_text(inst), multi, spec.licence, spec.description))
        for inst in self._installed.values():
            if inst.name not in specs:
                status = self._status_text(inst)
                rows.append((inst.name, f"{inst.size_mb:.0f}", status, "?", "?", f"imported: {inst.path}"))
        _fill(self.table, rows)
        _fill(self.summary_table, self._summary_rows())
        _fill(self.speaker_table, self._speaker_rows())
        if selected:
            self.select(selected)
        self._update_buttons()

    def _summary_rows(self) -> list[tuple[str, ...]]:
        """The downloadable summary models, the offline fallback, then .gguf folders the user put there."""
        self._summary_installed = {m.name: m for m in self.manager.installed_summary()}
        specs = {s.name: s for s in self.manager.available_summary()}
        rows: list[tuple[str, ...]] = []
        for spec in specs.values():
            inst = self._summary_installed.get(spec.name)
            size = inst.size_mb if inst else spec.size_mb
            rows.append((spec.name, f"{size:.0f}", self._summary_status(spec.name), spec.licence, spec.description))
        for inst in self._summary_installed.values():
            if inst.name == DEFAULT_LLM:
                rows.append(
                    (inst.name, f"{inst.size_mb:.0f}", self._summary_status(inst.name), "Apache-2.0", FALLBACK_TEXT)
                )
            elif inst.name not in specs:
                rows.append((inst.name, f"{inst.size_mb:.0f}", self._summary_status(inst.name), "?", f"{inst.path}"))
        return rows

    def _speaker_rows(self) -> list[tuple[str, ...]]:
        """The downloadable speaker models, then .onnx models the user imported; GE2E is built in (no row)."""
        self._speaker_installed = {m.name: m for m in self.manager.installed_speaker()}
        specs = {s.name: s for s in self.manager.available_speaker()}
        rows: list[tuple[str, ...]] = []
        for spec in specs.values():
            inst = self._speaker_installed.get(spec.name)
            size = inst.size_mb if inst else spec.size_mb
            rows.append((spec.name, f"{size:.0f}", self._status_text(inst), spec.licence, spec.description))
        for inst in self._speaker_installed.values():
            if inst.name not in specs:
                rows.append((inst.name, f"{inst.size_mb:.2f}", self._status_text(inst), "?", f"imported: {inst.path}"))
        return rows

    def speaker_row_of(self, name: str) -> int:
        """The speaker table's row showing `name`, or -1."""
        return _row_in(self.speaker_table, name)

    @property
    def on_speaker_tab(self) -> bool:
        return self.tabs.currentWidget() is self.speaker_table

    def _summary_status(self, name: str) -> str:
        inst = self._summary_installed.get(name)
        if inst is None:
            return "Available"
        text = "Built in (offline fallback)" if inst.source == "package" else self._status_text(inst)
        used = self.summary_model == ("" if name == DEFAULT_LLM else name)
        return f"{text}, in use" if used else text

    @staticmethod
    def _status_text(inst: InstalledModel | None) -> str:
        return f"Installed ({_SOURCES.get(inst.source, inst.source)})" if inst else "Available"

    def row_of(self, name: str) -> int:
        """The speech table's row showing `name`, or -1."""
        return _row_in(self.table, name)

    def summary_row_of(self, name: str) -> int:
        """The summary table's row showing `name`, or -1."""
        return _row_in(self.summary_table, name)

    @property
    def on_summary_tab(self) -> bool:
        return self.tabs.currentWidget() is self.summary_table

    def select(self, name: str) -> None:
        """Select `name` in the table that lists it (speech models first), showing that tab."""
        for table in (self.table, self.summary_table, self.speaker_table):
            row = _row_in(table, name)
            if row >= 0:
                self.tabs.setCurrentWidget(table)
                table.selectRow(row)
                return

    def selected_name(self) -> str | None:
        """The name selected in the tab shown, or None."""
        table = self.tabs.currentWidget()
        assert isinstance(table, QTableWidget)
        rows = table.selectionModel().selectedRows() if table.selectionModel() else []
        if not rows:
            return None
        item = table.item(rows[0].row(), 0)
        return item.text() if item is not None else None

    def _update_buttons(self) -> None:
        name = self.selected_name()
        summary, speaker = self.on_summary_tab, self.on_speaker_tab
        if summary:
            specs, have = self.manager.available_summary(), self._summary_installed
        elif speaker:
            specs, have = self.manager.available_speaker(), self._speaker_installed
        else:
            specs, have = self.manager.available(), self._installed
        known = name is not None and any(s.name == name for s in specs)
        installed = name is not None and name in have
        self.download_button.setEnabled(not self.busy and known and not installed)
        self.cancel_button.setEnabled(self.busy and self._cancel is not None)
        self.import_button.setEnabled(not self.busy and not summary)  # a faster-whisper folder or a .onnx file
        self.import_button.setText("Import .onnx file…" if speaker else "Import folder…")
        self.verify_button.setEnabled(not self.busy and installed and name != DEFAULT_LLM)
        self.use_button.setVisible(summary)
        chosen = "" if name == DEFAULT_LLM else name
        self.use_button.setEnabled(not self.busy and installed and chosen != self.summary_model)

    # ------------------------------------------------------------------ messages

    def _show(self, text: str, style: str = "") -> None:
        self.status.setStyleSheet(style)
        self.status.setText(text)

    def _show_error(self, exc: RtsttError, style: str = ERROR_STYLE) -> None:
        self._show(error_text(exc), style)

    # ------------------------------------------------------------------ actions

    def _download(self) -> None:
        name = self.selected_name()
        if name is None or self.busy:
            return
        cancel = threading.Event()
        self._cancel = cancel
        self._job_summary = self.on_summary_tab
        set_bar(self.progress, 0, f"{name}: starting…")
        self._show(f"Downloading {name}…")
        self._start(name, lambda progress: self.manager.fetch(name, progress, cancel))

    def use_for_summary(self, name: str) -> None:
        """Make `name` the summary's model (the offline fallback's name means the empty setting)."""
        self.summary_model = "" if name == DEFAULT_LLM else name
        self.summaryModelChosen.emit(self.summary_model)
        self.refresh()
        self._show(f"The summary uses {name} from the next Start.")

    def _use_selected(self) -> None:
        name = self.selected_name()
        if name is not None and not self.busy:
            self.use_for_summary(name)

    def _cancel_download(self) -> None:
        if self._cancel is not None:
            self._cancel.set()
            self._show(f"Cancelling the download of {self._job_name}…", MUTED_STYLE)

    def _ask_folder(self) -> Path | None:
        """The model folder to import, or None; a method so tests can answer without a file dialog."""
        folder = QFileDialog.getExistingDirectory(self, "Choose a faster-whisper model folder")
        return Path(folder) if folder else None

    def _ask_onnx_file(self) -> Path | None:
        """The WeSpeaker .onnx file to import, or None; a method so tests can answer without a file dialog."""
        file, _ = QFileDialog.getOpenFileName(self, "Choose a WeSpeaker model", "", "ONNX models (*.onnx)")
        return Path(file) if file else None

    def _ask_name(self, default: str) -> str | None:
        """The name to install the folder under, or None when the user cancels; overridable for tests."""
        name, ok = QInputDialog.getText(self, "Import model", "Model name:", text=default)
        return name.strip() if ok and name.strip() else None

    def _import(self) -> None:
        if self.busy:
            return
        if self.on_speaker_tab:
            self._import_speaker()
            return
        folder = self._ask_folder()
        if folder is None:
            return
        name = self._ask_name(folder.name)
        if name is None:
            return
        self._cancel = None  # copying a folder is not cancellable: it is local and quick next to a download
        self._job_summary = False
        self.progress.setRange(0, 0)  # busy indicator: import_folder reports no progress
        self.progress.setFormat(f"importing {name}…")
        self._show(f"Importing {folder} as {name}…")
        self._start(name, lambda _progress: self.manager.import_folder(folder, name))

    def _import_speaker(self) -> None:
        """A .onnx file copied in under its own name (the registry's for the known file): used from the next
        Start when it is the WeSpeaker ResNet34 file or `speakers.model` names it."""
        file = self._ask_onnx_file()
        if file is None:
            return
        self._cancel = None
        self._job_summary = False
        self.progress.setRange(0, 0)
        self.progress.setFormat(f"importing {file.name}…")
        self._show(f"Importing {file}…")
        known = next((s.name for s in self.manager.available_speaker() if file.name in s.files), file.stem)
        self._start(known, lambda _progress: self.manager.import_speaker(file, known).parent)

    def _verify(self) -> None:
        name = self.selected_name()
        if name is None:
            return
        try:
            problems = self.manager.verify(name)
        except RtsttError as exc:
            self._show_error(exc)
            return
        if problems:
            self._show(f"{name} has problems: {'; '.join(problems)}\ndownload it again or re-import it", ERROR_STYLE)
        else:
            self._show(f"{name} looks complete and loadable.")

    # ------------------------------------------------------------------ worker thread

    def _start(self, name: str, fn: Callable[[ProgressFn], Path]) -> None:
        self._job_name = name
        job = _Job(fn)
        job.progress.connect(self._on_progress)
        job.succeeded.connect(self._on_succeeded)
        job.failed.connect(self._on_failed)
        self._job = job
        self._thread = run_in_thread(job, f"model-{name}", self._on_thread_finished)
        self._update_buttons()

    @Slot(object, object)
    def _on_progress(self, done: int, total: int) -> None:
        set_fraction(self.progress, done, total)
        self.progress.setFormat(f"{self._job_name}: {done / 1e6:.1f} / {total / 1e6:.1f} MB")

    @Slot(object)
    def _on_succeeded(self, path: Path) -> None:
        set_bar(self.progress, BAR_MAX, self.progress.format())
        if self._cancel is None:  # an import: no byte counts to show
            self.progress.setFormat(f"{self._job_name}: imported")
        self._show(f"{self._job_name} installed in {path}")
        self.refresh()
        self.select(self._job_name)
        self.modelInstalled.emit(self._job_name)
        if self._job_summary and not self.summary_model:  # none chosen (the offline fallback): use this one
            self.use_for_summary(self._job_name)

    @Slot(object)
    def _on_failed(self, exc: RtsttError) -> None:
        cancelled = self._cancel is not None and self._cancel.is_set()
        set_bar(self.progress, 0, "")
        self._show_error(exc, MUTED_STYLE if cancelled else ERROR_STYLE)
        self.refresh()

    @Slot()
    def _on_thread_finished(self) -> None:
        self._release_thread()
        self._update_buttons()

    def _release_thread(self) -> None:
        if self._thread is None:
            return
        self._thread.wait()  # finished is emitted just before the thread ends; let it end before dropping it
        self._thread, self._job, self._cancel = None, None, None

    def _stop(self) -> None:
        """Cancel a running download and wait: fetch checks the event between chunks, so this is brief."""
        if self._thread is None:
            return
        if self._cancel is not None:
            self._cancel.set()
        self._thread.quit()
        self._release_thread()

    # ------------------------------------------------------------------ closing

    def done(self, result: int) -> None:
        """Every way out (Close, Esc, the window's ✕) ends here: never leave a thread writing behind us."""
        self._stop()
        super().done(result)

    def closeEvent(self, event: QCloseEvent) -> None:
        self._stop()
        super().closeEvent(event)


def _row_in(table: QTableWidget, name: str) -> int:
    for r in range(table.rowCount()):
        item = table.item(r, 0)
        if item is not None and item.text() == name:
            return r
    return -1


def _fill(table: QTableWidget, rows: list[tuple[str, ...]]) -> None:
    table.setRowCount(len(rows))
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            item = QTableWidgetItem(value)
            if c == 1:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            table.setItem(r, c, item)
