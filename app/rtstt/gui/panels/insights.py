"""Side panels for what arrives downstream of the transcript: keywords/insights and the rolling summary.

Each panel shows a clear state until its worker delivers: "off" (disabled in Settings), "loading
model", "needs setup" (with what to do), or the content itself.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QTextBrowser, QVBoxLayout, QWidget

from rtstt.events import Keywords, Summary


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


class InsightsPanel(StatePanel):
    def __init__(self, parent=None) -> None:
        super().__init__("Insights", parent)

    def show_keywords(self, event: Keywords) -> None:
        chips = " ".join(
            f'<span style="background:#2f6fde22; border-radius:8px; padding:2px 6px;">{phrase} '
            f'<span style="color:#8a93a3">{score:.2f}</span></span>'
            for phrase, score in event.phrases
        )
        self.body.setHtml(f"<p style='line-height:170%'>{chips}</p>")
        self.set_state("")


class SummaryPanel(StatePanel):
    def __init__(self, parent=None) -> None:
        super().__init__("Summary", parent)
        self.body.setAlignment(Qt.AlignmentFlag.AlignLeft)

    def show_summary(self, event: Summary) -> None:
        self.body.setPlainText(event.text)
        self.set_state("")
