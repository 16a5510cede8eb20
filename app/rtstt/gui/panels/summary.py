"""The summary panel: the rolling summary (and, at stop, the final one with action items), "Summarize now"."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton

from rtstt.gui.panels.state import StatePanel
from rtstt.session.insights import Insights


class SummaryPanel(StatePanel):
    """The rolling summary (and, at stop, the final one with action items), plus "Summarize now"."""

    summarizeRequested = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__("Summary", "summary.enabled", "Summary", parent)
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
        self.final = False
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

    def summarized(self) -> None:
        """A summary pass ended (even one that changed nothing): the note says the model again."""
        self.note.setText(self.model_note)

    def show_insights(self, insights: Insights) -> None:
        """The session's summary (rolling, or the final one with action items); unchanged ones are skipped,
        so an update of other insights does not reset the "Summarizing…" note."""
        shown = (insights.summary, insights.summary_final, insights.action_items)
        if not insights.summary or shown == (self.text, self.final, self.action_items):
            return
        self.text, self.final, self.action_items = shown
        items = "".join(f"<li>{html.escape(item)}</li>" for item in self.action_items)
        title = "Final summary" if self.final else "Summary so far"
        self.note.setText(self.model_note)
        self.body.setHtml(
            f"<p><b>{title}</b></p><p>{html.escape(self.text)}</p>"
            + (f"<p style='margin-top:10px'><b>Action items</b></p><ul>{items}</ul>" if items else "")
        )
        self.set_state("")
