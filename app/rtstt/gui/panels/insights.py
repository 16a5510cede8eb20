"""Side panels for what arrives downstream of the transcript: keywords/insights and the rolling summary.

Each panel shows a clear state until its worker delivers: "off" (disabled in Settings), "loading
model", "needs setup" (with what to do), or the content itself.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QTextBrowser, QVBoxLayout, QWidget

from rtstt.events import Keywords, Questions, Summary


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
    """Key phrases of the last minutes (as weighted chips) and the questions asked so far."""

    def __init__(self, parent=None) -> None:
        super().__init__("Insights", parent)
        self.keywords: dict[str, tuple[tuple[str, float], ...]] = {}
        self.questions: list[str] = []

    def show_keywords(self, event: Keywords) -> None:
        self.keywords[event.scope] = event.phrases
        self._render()

    def show_questions(self, event: Questions) -> None:
        self.questions = [text for _id, _start, _speaker, text in event.items]
        self._render()

    def _render(self) -> None:
        phrases = self.keywords.get("recent") or self.keywords.get("session") or ()
        top = max((score for _p, score in phrases), default=1.0) or 1.0
        chips = " ".join(_chip(phrase, score / top) for phrase, score in phrases)
        questions = "".join(f"<li>{html.escape(q)}</li>" for q in self.questions[-8:])
        self.body.setHtml(
            f"<p style='line-height:190%'>{chips}</p>"
            + (f"<p style='margin-top:10px'><b>Questions</b></p><ul>{questions}</ul>" if questions else "")
        )
        self.set_state("")


class SummaryPanel(StatePanel):
    def __init__(self, parent=None) -> None:
        super().__init__("Summary", parent)
        self.body.setAlignment(Qt.AlignmentFlag.AlignLeft)

    def show_summary(self, event: Summary) -> None:
        self.body.setPlainText(event.text)
        self.set_state("")


def _chip(phrase: str, weight: float) -> str:
    """A key phrase whose size and tint grow with its weight (0..1)."""
    style = f"font-size:{90 + 40 * weight:.0f}%; background:rgba(47,111,222,{0.08 + 0.25 * weight:.2f});"
    return f'<span style="{style}">&nbsp;{html.escape(phrase)}&nbsp;</span>'
