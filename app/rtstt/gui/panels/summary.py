"""The summary panel: the rolling summary (and, at stop, the final one), the decisions, action items and
open questions, each a link to the transcript line it came from, and "Summarize now"."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton

from rtstt.events import NOTE_HEADINGS, NoteItem
from rtstt.gui.panels.state import StatePanel
from rtstt.session.insights import Insights


class SummaryPanel(StatePanel):
    """The rolling summary (and, at stop, the final one with action items), plus "Summarize now"."""

    summarizeRequested = Signal()
    lineRequested = Signal(int)  # a segment id: an item was clicked, the transcript shows where it was said
    getModelRequested = Signal()  # "Get Qwen2.5-1.5B (1.1 GB)…": open the Models dialog on the recommended model

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
        self.items: tuple[NoteItem, ...] = ()
        self.body.anchorClicked.connect(self._on_link)
        self._build_offer()

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
        self._show_note()

    def _show_note(self) -> None:
        """The model note, less the "offline fallback" warning while the offer below already says it (the
        screenshot showed the same advice twice, the first copy cut off)."""
        from rtstt.nlp.llm import OFFLINE_FALLBACK_NOTE

        note = self.model_note
        if self.offer.text():
            note = note.replace(f"; {OFFLINE_FALLBACK_NOTE}", "").replace(OFFLINE_FALLBACK_NOTE, "")
        self.note.setText(note)

    def set_busy(self) -> None:
        """After "Summarize now", until the next summary arrives."""
        self.note.setText("Summarizing…")

    def summarized(self) -> None:
        """A summary pass ended (even one that changed nothing): the note says the model again."""
        self._show_note()

    def show_insights(self, insights: Insights) -> None:
        """The session's summary (rolling, or the final one) and its items; unchanged ones are skipped, so
        an update of other insights does not reset the "Summarizing…" note."""
        shown = (insights.summary, insights.summary_final, insights.action_items, insights.notes)
        if not (insights.summary or insights.notes) or shown == (self.text, self.final, self.action_items, self.items):
            return
        self.text, self.final, self.action_items, self.items = shown
        title = "Final summary" if self.final else "Summary so far"
        paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in self.text.split("\n\n") if p.strip())
        parts = [f"<p><b>{title}</b></p>{paragraphs}"]
        for kind, heading in NOTE_HEADINGS:
            items = [item for item in self.items if item.kind == kind]
            if items:
                rows = "".join(f"<li>{self._item_html(item)}</li>" for item in items)
                parts.append(f"<p style='margin-top:10px'><b>{heading}</b></p><ul>{rows}</ul>")
        if self.action_items and not self.items:  # a session journalled before the structured notes
            rows = "".join(f"<li>{html.escape(item)}</li>" for item in self.action_items)
            parts.append(f"<p style='margin-top:10px'><b>Action items</b></p><ul>{rows}</ul>")
        self._show_note()
        self.body.setHtml("".join(parts))
        self.set_state("")

    @staticmethod
    def _item_html(item: NoteItem) -> str:
        text = html.escape(item.plain())
        if not item.lines:
            return text
        return f"<a href='line:{item.lines[0]}' title='Show where it was said'>{text}</a>"

    def _on_link(self, url: QUrl) -> None:
        target = url.toString()
        if target.startswith("line:") and target[5:].isdigit():
            self.lineRequested.emit(int(target[5:]))

    def _build_offer(self) -> None:
        """A hidden line under the panel that recommends a better summary model than the offline fallback."""
        row = QHBoxLayout()
        self.offer = QLabel()
        self.offer.setObjectName("summaryOffer")
        self.offer.setWordWrap(True)
        self.offer_button = QPushButton()
        self.offer_button.setObjectName("getSummaryModel")
        self.offer_button.clicked.connect(self.getModelRequested.emit)
        row.addStretch(1)
        row.addWidget(self.offer_button)
        self.layout().addWidget(self.offer)
        self.layout().addLayout(row)
        self.offer_model("")

    def offer_model(self, text: str, button: str = "") -> None:
        """Show `text` with a `button` that asks for the recommended model; an empty `text` hides the line."""
        self.offer.setText(text)
        self.offer_button.setText(button)
        self.offer.setVisible(bool(text))
        self.offer_button.setVisible(bool(text and button))
        self._show_note()
