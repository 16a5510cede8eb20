"""The base of the side panels: a state line ("off", "loading model", "needs setup", "waiting for speech")
over the content, so a panel says why it is empty instead of showing an empty box."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QTextBrowser, QVBoxLayout, QWidget

NEXT_START = {True: "On from the next Start.", False: "Off from the next Start — this session keeps it until Stop."}


class PanelSwitch(QCheckBox):
    """A panel's own on/off switch, the same setting as in Settings ("speakers.enabled", ...).

    `switched` fires only when the user flips it; `set_on` (from the settings) stays silent."""

    switched = Signal(bool)

    def __init__(self, setting: str, what: str, parent=None) -> None:
        super().__init__("On", parent)
        self.setting = setting
        self.setObjectName(f"{setting}Switch")
        self.setToolTip(f"Turn {what} on or off (the same setting as in Settings)")
        self.setAccessibleName(f"{what} on")
        self.clicked.connect(lambda: self.switched.emit(self.isChecked()))

    def set_on(self, on: bool) -> None:
        self.blockSignals(True)
        self.setChecked(on)
        self.blockSignals(False)


def header(title: str, switch: PanelSwitch) -> QHBoxLayout:
    """A panel's header row: a muted title on the left, its switch on the right."""
    row = QHBoxLayout()
    row.setContentsMargins(0, 0, 0, 0)
    label = QLabel(title)
    label.setProperty("muted", True)
    row.addWidget(label, 1)
    row.addWidget(switch)
    return row


class StatePanel(QWidget):
    """A titled panel with a muted state line over its content."""

    def __init__(self, title: str, setting: str, heading: str, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName(f"{title.lower()}Panel")  # the dock around it carries the title
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 4, 12, 8)
        self.switch = PanelSwitch(setting, heading.lower())
        layout.addLayout(header(heading, self.switch))
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
            "off": "Off — switch it on above (or in Settings).",
            "loading model": "Loading model…",
            "needs setup": "Needs setup.",
            "waiting for speech": "Waiting for speech…",
        }.get(state, state)
        self.state.setText(f"{text} {detail}".strip())
        self.state.setVisible(bool(state))
        self.body.setVisible(not state)

    def state_text(self) -> str:
        return self.state.text() if self.state.isVisible() else ""
