"""The find bar under the transcript: a field, the match count and a close button; Esc closes it.

It searches the `TranscriptView` it is given directly: finding is a view concern (highlights, the current
match), not a session one, so nothing else needs to know a search is open.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QLineEdit, QToolButton, QWidget

from rtstt.gui.panels.transcript import TranscriptView


class SearchBar(QFrame):
    """Hidden until `open()`; typing highlights every match in the view, Enter goes to the next one."""

    def __init__(self, view: TranscriptView, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("searchBar")
        self.view = view
        row = QHBoxLayout(self)
        row.setContentsMargins(12, 4, 12, 4)
        self.field = QLineEdit()
        self.field.setObjectName("searchField")
        self.field.setPlaceholderText("Find in transcript")
        self.field.setClearButtonEnabled(True)
        self.field.textChanged.connect(self._search)
        self.field.returnPressed.connect(lambda: self.view.next_match())
        self.count = QLabel()
        self.count.setObjectName("searchCount")
        close = QToolButton()
        close.setText("✕")
        close.setAutoRaise(True)
        close.clicked.connect(self.close_search)
        row.addWidget(self.field, 1)
        row.addWidget(self.count)
        row.addWidget(close)
        # Window-wide, but only while the bar is visible (Qt skips shortcuts of hidden widgets).
        escape = QShortcut(QKeySequence(Qt.Key.Key_Escape), self)
        escape.setContext(Qt.ShortcutContext.WindowShortcut)
        escape.activated.connect(self.close_search)
        self.hide()

    def open(self) -> None:
        self.show()
        self.field.setFocus()
        self.field.selectAll()

    def close_search(self) -> None:
        self.hide()
        self.view.clear_search()

    def _search(self, text: str) -> None:
        n = self.view.search(text)
        self.count.setText(f"{n} match{'es' if n != 1 else ''}" if text else "")
