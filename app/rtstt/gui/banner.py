"""A non-modal banner above the transcript for problems the user should act on (device gone, model
missing, GPU out of memory). It never blocks: the session keeps what it has and the user reads the
fix at their pace."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QToolButton


class ErrorBanner(QFrame):
    dismissed = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(14, 8, 8, 8)
        self.label = QLabel()
        self.label.setObjectName("bannerText")
        self.label.setWordWrap(True)
        self.label.setTextFormat(self.label.textFormat().PlainText)
        self.action = QPushButton()  # the fix, when the app can do it for the user ("Install…")
        self.action.setObjectName("bannerAction")
        self.action.clicked.connect(self._run_action)
        self.action.hide()
        self._do: Callable[[], None] | None = None
        close = QToolButton()
        close.setText("✕")
        close.setAutoRaise(True)
        close.setToolTip("Dismiss")
        close.clicked.connect(self.dismiss)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.action)
        layout.addWidget(close)
        self.hide()

    def show_message(self, message: str, hint: str = "", action: tuple[str, Callable[[], None]] | None = None) -> None:
        self.label.setText(f"{message}\n{hint}" if hint else message)
        self._do = action[1] if action else None
        self.action.setText(action[0] if action else "")
        self.action.setVisible(action is not None)
        self.show()

    def _run_action(self) -> None:
        do = self._do
        self.dismiss()
        if do is not None:
            do()

    def text(self) -> str:
        return self.label.text()

    def dismiss(self) -> None:
        self.hide()
        self.dismissed.emit()
