"""A dialog over the saved sessions: open one, rename it, delete it, or recover ones a crash interrupted.

Everything goes through `SessionStore`, which owns the on-disk format and the rules (a session that is being
recorded is locked and cannot be deleted or recovered); this dialog only shows the store's answers, errors
included, so the window and the CLI behave the same.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QMessageBox,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from rtstt.errors import RtsttError
from rtstt.gui.widgets import ERROR_STYLE, error_text, make_button, make_status_label, make_table
from rtstt.session.store import SessionInfo, SessionStore

COLUMNS = ("Title", "Date", "Duration", "Segments", "State", "Words to expect")
STATE_COL = 4
WORDS_COL = 5  # the vocabulary each session was transcribed with (empty for none, and for older sessions)


def format_duration(seconds: float) -> str:
    """1:05 or 1:02:05: how long the recorded speech runs."""
    total = max(0, round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _state(info: SessionInfo, interrupted: set[str]) -> str:
    if info.id in interrupted:
        return "interrupted"
    if not info.closed:
        return "recording"  # unclosed but locked: a running rtstt (maybe this window) is writing it
    return "recovered" if info.recovered else ""


class SessionHistoryDialog(QDialog):
    """Lists the sessions under `root`, newest first; `sessionOpened` hands the chosen id to the window."""

    sessionOpened = Signal(str)  # Qt naming; carries a session id

    def __init__(self, root: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.root = Path(root)
        self._infos: list[SessionInfo] = []
        self._interrupted: set[str] = set()
        self.setWindowTitle("Session history")
        self.resize(880, 420)

        self.table = make_table(COLUMNS, "sessions")
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.table.cellDoubleClicked.connect(lambda _row, _col: self._open())

        self.status = make_status_label()

        self.open_button = make_button("Open", "open", self._open)
        self.rename_button = make_button("Rename…", "rename", self._rename)
        self.delete_button = make_button("Delete", "delete", self._delete)
        self.recover_button = make_button("Recover interrupted", "recover", self._recover)
        self.close_button = make_button("Close", "close", self.reject)
        self.open_button.setDefault(True)
        buttons = QHBoxLayout()
        for b in (self.open_button, self.rename_button, self.delete_button, self.recover_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)

        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        self.refresh()

    # ------------------------------------------------------------------ table

    def refresh(self) -> None:
        """Re-read the sessions folder (the store sorts newest first) and keep the selection if it still exists."""
        selected = self.selected_id()
        self._infos = SessionStore.list_sessions(self.root)
        self._interrupted = {i.id for i in SessionStore.find_unfinished(self.root)}
        self.table.setRowCount(len(self._infos))
        for r, info in enumerate(self._infos):
            when = datetime.fromtimestamp(info.created).strftime("%Y-%m-%d %H:%M")
            values = (
                info.title or "(untitled)",
                when,
                format_duration(info.duration_s),
                str(info.n_segments),
                _state(info, self._interrupted),
                info.vocabulary,
            )
            for c, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setData(Qt.ItemDataRole.UserRole, info.id)
                if c == WORDS_COL and value:
                    item.setToolTip(f"Transcribed with these words to expect: {value}")
                if c in (2, 3):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(r, c, item)
        if selected:
            self.select(selected)
        if self.selected_id() is None and self._infos:
            self.table.selectRow(0)
        self._update_buttons()

    def session_ids(self) -> list[str]:
        """The ids in display order (newest first)."""
        return [i.id for i in self._infos]

    def select(self, session_id: str) -> None:
        if session_id in self.session_ids():
            self.table.selectRow(self.session_ids().index(session_id))

    def selected_id(self) -> str | None:
        info = self.selected_info()
        return info.id if info else None

    def selected_info(self) -> SessionInfo | None:
        model = self.table.selectionModel()
        rows = model.selectedRows() if model is not None else []
        if not rows or rows[0].row() >= len(self._infos):
            return None
        return self._infos[rows[0].row()]

    def _update_buttons(self) -> None:
        has = self.selected_info() is not None
        for b in (self.open_button, self.rename_button, self.delete_button):
            b.setEnabled(has)
        self.recover_button.setEnabled(bool(self._interrupted))

    def _show(self, text: str, error: bool = False) -> None:
        self.status.setStyleSheet(ERROR_STYLE if error else "")
        self.status.setText(text)

    def _show_error(self, exc: RtsttError) -> None:
        self._show(error_text(exc), error=True)

    # ------------------------------------------------------------------ questions (overridable for tests)

    def _confirm(self, text: str) -> bool:
        answer = QMessageBox.question(self, "Delete session", text)
        return answer == QMessageBox.StandardButton.Yes

    def _ask_title(self, current: str) -> str | None:
        """The new title, or None when the user cancels or leaves it empty."""
        title, ok = QInputDialog.getText(self, "Rename session", "Title:", text=current)
        return title.strip() if ok and title.strip() else None

    # ------------------------------------------------------------------ actions

    def _open(self) -> None:
        session_id = self.selected_id()
        if session_id is None:
            return
        self.sessionOpened.emit(session_id)
        self.accept()

    def _rename(self) -> None:
        info = self.selected_info()
        if info is None:
            return
        if not info.closed and info.id not in self._interrupted:
            # The recorder's own store would overwrite the title in its final snapshot.
            self._show(f"“{info.title}” is being recorded; rename it after stopping.", error=True)
            return
        title = self._ask_title(info.title)
        if title is None or title == info.title:
            return
        try:
            SessionStore.rename(self.root, info.id, title)
        except RtsttError as exc:
            self._show_error(exc)
            return
        self._show(f"Renamed to “{title}”.")
        self.refresh()

    def _delete(self) -> None:
        info = self.selected_info()
        if info is None:
            return
        when = datetime.fromtimestamp(info.created).strftime("%Y-%m-%d %H:%M")
        if not self._confirm(f"Delete “{info.title or '(untitled)'}” from {when}? This cannot be undone."):
            return
        try:
            SessionStore.delete(self.root, info.id)
        except RtsttError as exc:  # a live session is locked: the store says so, with what to do
            self._show_error(exc)
            return
        self._show(f"Deleted “{info.title or info.id}”.")
        self.refresh()

    def _recover(self) -> None:
        """Recover every interrupted session: each one's journal holds every segment appended before the crash."""
        done: list[str] = []
        errors: list[str] = []
        for session_id in sorted(self._interrupted):
            try:
                store = SessionStore.recover(self.root, session_id)
            except RtsttError as exc:
                errors.append(str(exc))
            else:
                done.append(f"“{store.title or store.id}” ({len(store.transcript)} segments)")
        self.refresh()
        if errors:
            self._show("; ".join(errors), error=True)
        elif done:
            self._show("Recovered " + ", ".join(done) + ".")
        else:
            self._show("No interrupted sessions.")
