"""The base of the side panels: a state line ("off", "loading model", "needs setup", "waiting for speech")
over the content, so a panel says why it is empty instead of showing an empty box."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QTextBrowser, QVBoxLayout, QWidget


class StatePanel(QWidget):
    """A titled panel with a muted state line over its content."""

    def __init__(self, title: str, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName(f"{title.lower()}Panel")  # the dock around it carries the title
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 4, 12, 8)
        self.state = QLabel()
        self.state.setProperty("muted", True)
        self.state.setWordWrap(True)
        self.state.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.body = QTextBrowser()
        self.body.setFrameShape(QTextBrowser.Shape.NoFrame)
        self.body.setOpenLinks(False)
        layout.addWidget(self.state, 1)
        layout.addWidget(self.body, 1)
        self.set_state("off")

    def set_state(self, state: str, detail: str = "") -> None:
        """ "off", "loading model", "needs setup", "waiting for speech" or "" (content shown)."""
        text = {
            "off": "Off — turn it on in Settings.",
            "loading model": "Loading model…",
            "needs setup": "Needs setup.",
            "waiting for speech": "Waiting for speech…",
        }.get(state, state)
        self.state.setText(f"{text} {detail}".strip())
        self.state.setVisible(bool(state))
        self.body.setVisible(not state)

    def state_text(self) -> str:
        return self.state.text() if self.state.isVisible() else ""
