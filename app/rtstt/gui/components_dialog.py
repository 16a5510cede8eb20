"""A dialog to install, update or remove the optional components (speakers, pyannote, insights, summary).

The frozen build ships without torch and friends; each feature's exact wheels come from the build's lock
and are fetched on demand by `rtstt.components.store`. Resolving and downloading contact a package index
and installing unpacks gigabytes, so every change runs on a worker thread: the window keeps painting and
Cancel works. The store builds a new site folder beside the live one and switches only when it is complete,
so a failure or a cancel leaves the installed state as it was and this dialog never has to clean up.
"""

from __future__ import annotations

import threading

from PySide6.QtCore import Qt, QThread, Signal, Slot
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from rtstt.components import runtime
from rtstt.components.catalog import FEATURES
from rtstt.components.index import WheelSource
from rtstt.components.store import Cancelled, ComponentStore, Plan
from rtstt.errors import ComponentError, RtsttError
from rtstt.gui.jobs import Job, run_in_thread
from rtstt.gui.widgets import (
    BAR_MAX,
    ERROR_STYLE,
    MUTED_STYLE,
    error_text,
    make_button,
    make_progress_bar,
    make_status_label,
    set_bar,
    set_fraction,
)

STATES = {"installed": "Installed", "outdated": "Needs update", "not installed": "Not installed"}
ACTIONS = {"installed": "Remove", "outdated": "Update", "not installed": "Install"}


def _mb(done: int, total: int) -> str:
    digits = 0 if total >= 100e6 else 1
    return f"{done / 1e6:.{digits}f} / {total / 1e6:.{digits}f} MB"


class _Job(Job):
    """One plan + apply on a worker thread."""

    planned = Signal(object)  # the Plan, once its wheels are resolved
    progress = Signal(object, object, str)  # done, total (Python ints: downloads pass 2**31), what
    succeeded = Signal()
    cancelled = Signal()

    def __init__(
        self,
        store: ComponentStore,
        add: list[str],
        drop: list[str],
        sources: list[WheelSource],
        cancel: threading.Event,
    ) -> None:
        super().__init__(unexpected=ComponentError)
        self.store, self.add, self.drop, self.sources, self.cancel = store, add, drop, sources, cancel

    def work(self) -> None:
        try:
            # A removal resolves nothing (the store drops files in place); an install asks the sources.
            plan = self.store.plan(add=self.add, drop=self.drop, sources=self.sources)
            self.planned.emit(plan)
            if self.cancel.is_set():
                raise Cancelled()
            self.store.apply(plan, progress=self.progress.emit, cancel=self.cancel)
        except Cancelled:
            self.cancelled.emit()
        else:
            self.succeeded.emit()


class ComponentsDialog(QDialog):
    """One row per feature of the build's lock: its title, its state and an Install / Update / Remove button."""

    changed = Signal()  # after a successful install, update or remove: the live site folder is a new one

    def __init__(
        self,
        store: ComponentStore,
        sources: list[WheelSource] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.sources = sources if sources is not None else runtime.sources(store.lock)
        self._thread: QThread | None = None
        self._job: _Job | None = None
        self._cancel: threading.Event | None = None
        self._job_feature = ""
        self._job_verb = ""
        self._close_when_done: int | None = None
        self.state_labels: dict[str, QLabel] = {}
        self.action_buttons: dict[str, QPushButton] = {}
        self.setWindowTitle("Optional components")
        self.resize(640, 300)

        intro = QLabel(
            f"These features download once, when wanted (hundreds of MB; they share torch), into\n{store.root}"
        )
        intro.setObjectName("intro")
        intro.setWordWrap(True)
        intro.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        rows = QWidget()
        rows.setObjectName("components")
        grid = QGridLayout(rows)
        grid.setColumnStretch(0, 1)
        for r, name in enumerate(store.lock.features):
            title = QLabel(self.title(name))
            title.setObjectName(f"title_{name}")
            title.setToolTip("\n".join(store.lock.features[name]))
            state = QLabel()
            state.setObjectName(f"state_{name}")
            button = make_button("Install", f"action_{name}", lambda _=False, n=name: self._act(n))
            grid.addWidget(title, r, 0)
            grid.addWidget(state, r, 1)
            grid.addWidget(button, r, 2)
            self.state_labels[name], self.action_buttons[name] = state, button
        if not store.lock.features:
            grid.addWidget(QLabel("This build has no optional components."), 0, 0)

        self.progress = make_progress_bar()
        self.status = make_status_label()

        self.cancel_button = make_button("Cancel", "cancel", self._cancel_job)
        self.close_button = make_button("Close", "close", self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(rows)
        layout.addStretch(1)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        self.refresh()

    # ------------------------------------------------------------------ rows

    @property
    def busy(self) -> bool:
        """An install, update or removal is running."""
        return self._thread is not None

    @staticmethod
    def title(name: str) -> str:
        feature = FEATURES.get(name)
        return feature.title if feature is not None else name

    def refresh(self) -> None:
        """Re-read the store's state: each row's label and button follow it."""
        status = self.store.status()
        for name, label in self.state_labels.items():
            state = status.get(name, "not installed")
            label.setText(STATES.get(state, state))
            self.action_buttons[name].setText(ACTIONS.get(state, "Install"))
        self._update_buttons()

    def _update_buttons(self) -> None:
        for button in self.action_buttons.values():
            button.setEnabled(not self.busy)
        self.cancel_button.setEnabled(self.busy and self._close_when_done is None)

    # ------------------------------------------------------------------ messages

    def _show(self, text: str, style: str = "") -> None:
        self.status.setStyleSheet(style)
        self.status.setText(text)

    # ------------------------------------------------------------------ actions

    def _act(self, name: str) -> None:
        if self.busy:
            return
        state = self.store.status().get(name, "not installed")
        remove = state == "installed"
        self._job_verb = {"installed": "removed", "outdated": "updated"}.get(state, "installed")
        self.progress.setRange(0, 0)  # busy until the plan is resolved
        self.progress.setFormat("")
        doing = "Removing" if remove else ("Updating" if state == "outdated" else "Installing")
        self._show(f"{doing} {self.title(name)}…")
        self._start(name, add=[] if remove else [name], drop=[name] if remove else [])

    def _cancel_job(self) -> None:
        if self._cancel is not None:
            self._cancel.set()
            self._show(f"Cancelling {self.title(self._job_feature)}…", MUTED_STYLE)
            self.cancel_button.setEnabled(False)

    # ------------------------------------------------------------------ worker thread

    def _start(self, name: str, add: list[str], drop: list[str]) -> None:
        self._job_feature = name
        self._cancel = threading.Event()
        job = _Job(self.store, add, drop, self.sources, self._cancel)
        job.planned.connect(self._on_planned)
        job.progress.connect(self._on_progress)
        job.succeeded.connect(self._on_succeeded)
        job.cancelled.connect(self._on_cancelled)
        job.failed.connect(self._on_failed)
        self._job = job
        self._thread = run_in_thread(job, f"components-{name}", self._on_thread_finished)
        self._update_buttons()

    @Slot(object)
    def _on_planned(self, plan: Plan) -> None:
        set_bar(self.progress, 0, self.progress.format())
        if plan.wheels:
            self.progress.setFormat(f"Downloading {_mb(0, plan.download_bytes)}")
            if self._job_verb != "removed":
                self._show(
                    f"Installing {self.title(self._job_feature)}: {len(plan.wheels)} packages,"
                    f" {plan.download_bytes / 1e6:.0f} MB to download"
                )

    @Slot(object, object, str)
    def _on_progress(self, done: int, total: int, what: str) -> None:
        if what.startswith(("downloading", "downloaded")):
            self.progress.setFormat(f"Downloading {_mb(done, total)}")
        elif what.startswith("installing "):
            self.progress.setFormat(f"Installing {what.removeprefix('installing ')} …")
        else:
            self.progress.setFormat(what.capitalize())
        set_fraction(self.progress, done, total)

    @Slot()
    def _on_succeeded(self) -> None:
        set_bar(self.progress, BAR_MAX, "Done")
        title = self.title(self._job_feature)
        if runtime.restart_needed():
            after = "Restart RTSTT to use it." if self._job_verb != "removed" else "Restart RTSTT to unload it."
        else:
            after = "It starts with the next session." if self._job_verb != "removed" else ""
        self._show(f"{title} is {self._job_verb}. {after}".strip())
        self.refresh()
        self.changed.emit()

    @Slot()
    def _on_cancelled(self) -> None:
        set_bar(self.progress, 0, "")
        self._show("Cancelled: nothing changed. Finished downloads are kept for the next try.", MUTED_STYLE)
        self.refresh()

    @Slot(object)
    def _on_failed(self, exc: RtsttError) -> None:
        set_bar(self.progress, 0, "")
        self._show(error_text(exc), ERROR_STYLE)
        self.refresh()

    @Slot()
    def _on_thread_finished(self) -> None:
        if self._thread is not None:
            self._thread.wait()  # finished fires just before the thread ends; let it end before dropping it
        self._thread, self._job, self._cancel = None, None, None
        self._update_buttons()
        if self._close_when_done is not None:
            result, self._close_when_done = self._close_when_done, None
            super().done(result)

    # ------------------------------------------------------------------ closing

    def _defer_close(self, result: int) -> None:
        """Installing one large wheel is not interruptible: cancel, and close once the current step ends."""
        self._close_when_done = result
        if self._cancel is not None:
            self._cancel.set()
        self._show("Cancelling… the window closes when the current step ends.", MUTED_STYLE)
        self._update_buttons()

    def done(self, result: int) -> None:
        """Every way out (Close, Esc) ends here: never leave a thread writing behind us."""
        if self.busy:
            self._defer_close(result)
            return
        super().done(result)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.busy:
            self._defer_close(0)  # QDialog.Rejected
            event.ignore()
            return
        super().closeEvent(event)
