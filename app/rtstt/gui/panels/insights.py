"""Side panels for what arrives downstream of the transcript: keywords/insights and the rolling summary.

Each panel shows a clear state until its worker delivers: "off" (disabled in Settings), "loading
model", "needs setup" (with what to do), or the content itself.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QTextBrowser, QVBoxLayout, QWidget

from rtstt.events import Keywords, Questions, Summary
from rtstt.gui.panels.transcript import clock
from rtstt.gui.theme import speaker_color


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


class SpeakersStrip(QWidget):
    """Who has spoken, as coloured chips with talk time; clicking a chip asks to rename that speaker."""

    renameRequested = Signal(str)  # the raw speaker id ("S1")

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("speakersStrip")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 0)
        self.label = QLabel()
        self.label.setObjectName("speakersLabel")
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.label.linkActivated.connect(lambda link: self.renameRequested.emit(QUrl(link).path()))
        layout.addWidget(self.label)
        self.colors: tuple[str, ...] = ("#2f6fde",)
        self.talk: dict[str, float] = {}  # raw id -> seconds spoken
        self.names: dict[str, str] = {}
        self.set_state("off")

    def set_state(self, state: str, detail: str = "") -> None:
        """Before anyone is labelled: "off", "loading model", "needs setup" (with detail) or "ready"."""
        self._state = {
            "off": "Speakers off — turn them on in Settings › Speakers.",
            "loading model": "Speakers: loading the voice model…",
            "needs setup": "Speakers need setup.",
            "ready": "Speakers: waiting for speech…",
        }.get(state, state)
        if detail:
            self._state += f" {detail}"
        self._render()

    def show_speakers(self, talk: dict[str, float], names: dict[str, str]) -> None:
        self.talk, self.names = dict(talk), dict(names)
        self._render()

    def _render(self) -> None:
        if not self.talk:
            self.label.setText(f"<span style='color:#8a93a3'>{html.escape(self._state)}</span>")
            return
        chips = []
        for raw, seconds in sorted(self.talk.items(), key=lambda kv: -kv[1]):
            color = speaker_color(raw, self.colors)
            name = html.escape(self.names.get(raw, raw))
            chips.append(
                f"<a href='speaker:{html.escape(raw)}' style='color:{color}; text-decoration:none'>"
                f"<b>● {name}</b></a> <span style='color:#8a93a3'>{clock(seconds)}</span>"
            )
        self.label.setText("&nbsp;&nbsp; ".join(chips))
        self.label.setToolTip("Click a speaker to rename them")


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
        if not phrases and not self.questions:  # too few words yet: keep saying so, not an empty box
            self.set_state("waiting for speech")
            return
        top = max((score for _p, score in phrases), default=1.0) or 1.0
        chips = " ".join(_chip(phrase, score / top) for phrase, score in phrases)
        questions = "".join(f"<li>{html.escape(q)}</li>" for q in self.questions[-8:])
        self.body.setHtml(
            f"<p style='line-height:190%'>{chips}</p>"
            + (f"<p style='margin-top:10px'><b>Questions</b></p><ul>{questions}</ul>" if questions else "")
        )
        self.set_state("")


class SummaryPanel(StatePanel):
    """The rolling summary (and, at stop, the final one with action items), plus "Summarize now"."""

    summarizeRequested = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__("Summary", parent)
        self.body.setAlignment(Qt.AlignmentFlag.AlignLeft)
        row = QHBoxLayout()
        self.note = QLabel()
        self.note.setProperty("muted", True)
        self.note.setWordWrap(True)
        self.now = QPushButton("Summarize now")
        self.now.setObjectName("summarizeNow")
        self.now.setToolTip("Update the summary with everything said so far")
        self.now.setEnabled(False)
        self.now.clicked.connect(self.summarizeRequested.emit)
        row.addWidget(self.note, 1)
        row.addWidget(self.now)
        self.layout().addLayout(row)
        self.text = ""
        self.model_note = ""
        self.action_items: tuple[str, ...] = ()

    def set_state(self, state: str, detail: str = "") -> None:
        if state == "waiting for speech":  # the first summary needs about a minute of speech to say anything
            state = "The first summary comes after about a minute of speech — or press Summarize now."
        super().set_state(state, detail)

    def set_live(self, live: bool) -> None:
        """ "Summarize now" works while a session with the summary on is running."""
        self.now.setEnabled(live)

    def set_note(self, note: str) -> None:
        """Which model runs where ("SmolLM2 on the CPU", "8-bit on CUDA: ...")."""
        self.model_note = note
        self.note.setText(note)

    def set_busy(self) -> None:
        """After "Summarize now", until the next summary arrives."""
        self.note.setText("Summarizing…")

    def show_summary(self, event: Summary) -> None:
        self.text, self.action_items = event.text, tuple(getattr(event, "action_items", ()) or ())
        items = "".join(f"<li>{html.escape(item)}</li>" for item in self.action_items)
        title = "Final summary" if event.final else "Summary so far"
        self.note.setText(self.model_note)
        self.body.setHtml(
            f"<p><b>{title}</b></p><p>{html.escape(event.text)}</p>"
            + (f"<p style='margin-top:10px'><b>Action items</b></p><ul>{items}</ul>" if items else "")
        )
        self.set_state("")


def _chip(phrase: str, weight: float) -> str:
    """A key phrase whose size and tint grow with its weight (0..1)."""
    style = f"font-size:{90 + 40 * weight:.0f}%; background:rgba(47,111,222,{0.08 + 0.25 * weight:.2f});"
    return f'<span style="{style}">&nbsp;{html.escape(phrase)}&nbsp;</span>'
