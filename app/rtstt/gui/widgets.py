"""Small widget helpers shared by the dialogs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLabel, QProgressBar, QPushButton, QTableWidget

from rtstt.errors import RtsttError


def make_button(text: str, name: str, slot: Callable[[], Any]) -> QPushButton:
    """A named push button; not auto-default, so Enter in a table never fires it by surprise."""
    button = QPushButton(text)
    button.setObjectName(name)
    button.setAutoDefault(False)
    button.clicked.connect(slot)
    return button


def make_table(columns: tuple[str, ...], name: str) -> QTableWidget:
    """A read-only table of whole rows, one selectable at a time, sized to its contents: the dialogs' lists."""
    table = QTableWidget(0, len(columns))
    table.setObjectName(name)
    table.setHorizontalHeaderLabels(columns)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.verticalHeader().hide()
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    return table


# ---- the progress bar and status line under a dialog's long job (model downloads, components) ----------
BAR_MAX = 1000  # per mille: QProgressBar holds a C int, and a large model or wheel has more bytes than that
ERROR_STYLE = "color: #c62828;"
MUTED_STYLE = "color: #7d8594;"


def make_progress_bar() -> QProgressBar:
    bar = QProgressBar()
    bar.setObjectName("progress")
    set_bar(bar, 0, "")
    return bar


def set_bar(bar: QProgressBar, value: int, text: str) -> None:
    """A determinate bar at `value` per mille (after a busy, indeterminate phase) with `text` on it."""
    bar.setRange(0, BAR_MAX)
    bar.setValue(value)
    bar.setFormat(text)


def set_fraction(bar: QProgressBar, done: int, total: int) -> None:
    bar.setValue(BAR_MAX if total <= 0 else min(BAR_MAX, done * BAR_MAX // total))


def make_status_label() -> QLabel:
    label = QLabel()
    label.setObjectName("status")
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def error_text(exc: RtsttError) -> str:
    return f"{exc.message}\n{exc.hint}" if exc.hint else exc.message
