"""Who has spoken: coloured chips with talk time above the insights; a click on a chip asks for a name; a
muted note when the speaker stage could not tell the voices apart."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from rtstt.gui.panels.state import PanelSwitch, header
from rtstt.gui.theme import speaker_color
from rtstt.timefmt import clock

UNCERTAIN_NOTE = "Speakers uncertain: voices are hard to tell apart"


class SpeakersStrip(QWidget):
    """Who has spoken, as coloured chips with talk time; clicking a chip asks to rename that speaker."""

    renameRequested = Signal(str)  # the raw speaker id ("S1")

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("speakersStrip")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 0)
        self.switch = PanelSwitch("speakers.enabled", "speakers")
        layout.addLayout(header("Speakers", self.switch))
        self.label = QLabel()
        self.label.setObjectName("speakersLabel")
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.label.linkActivated.connect(lambda link: self.renameRequested.emit(QUrl(link).path()))
        layout.addWidget(self.label)
        self.uncertain_note = QLabel(UNCERTAIN_NOTE)
        self.uncertain_note.setObjectName("speakersUncertain")
        self.uncertain_note.setWordWrap(True)
        self.uncertain_note.setStyleSheet("color:#8a93a3; font-size:small")
        self.uncertain_note.setToolTip(
            "The voice prints do not separate clearly (similar voices, or too little speech yet): "
            "labels may merge two people or split one. Settings › Speakers › Number of speakers helps."
        )
        self.uncertain_note.hide()
        layout.addWidget(self.uncertain_note)
        self.colors: tuple[str, ...] = ("#2f6fde",)
        self.talk: dict[str, float] = {}  # raw id -> seconds spoken
        self.names: dict[str, str] = {}
        self.voice_prints = ""  # which encoder labels the voices ("voice prints: WeSpeaker ResNet34"), once ready
        self.set_state("off")

    def set_state(self, state: str, detail: str = "") -> None:
        """Before anyone is labelled: "off", "loading model", "needs setup" (with detail) or "ready"."""
        self._state = {
            "off": "Speakers off — switch them on above (or in Settings › Speakers).",
            "loading model": "Speakers: loading the voice model…",
            "needs setup": "Speakers need setup.",
            "ready": "Speakers: waiting for speech…",
        }.get(state, state)
        if detail:
            self._state += f" {detail}"
        if state == "ready":
            self.voice_prints = detail
        self._render()

    def show_speakers(self, talk: dict[str, float], names: dict[str, str]) -> None:
        self.talk, self.names = dict(talk), dict(names)
        self._render()

    def set_uncertain(self, uncertain: bool) -> None:
        """Show or hide the "speakers uncertain" note (SpeakerLabels.uncertain, kept in the session)."""
        self.uncertain_note.setVisible(uncertain)

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
        tip = "Click a speaker to rename them"
        self.label.setToolTip(f"{tip}\n{self.voice_prints}" if self.voice_prints else tip)
