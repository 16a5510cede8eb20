"""The insights panel: key phrases of the last minutes as weighted chips, and the questions asked so far.

Recent key phrases are transient (they come with the engine's events); the session's key phrases and
questions are part of the session's record and come from it.
"""

from __future__ import annotations

import html

from rtstt.events import Keywords, KeywordScope
from rtstt.gui.panels.state import StatePanel
from rtstt.session.insights import Insights


class InsightsPanel(StatePanel):
    """Key phrases of the last minutes (as weighted chips) and the questions asked so far."""

    def __init__(self, parent=None) -> None:
        super().__init__("Insights", "insights.enabled", "Key phrases and questions", parent)
        self.keywords: dict[str, tuple[tuple[str, float], ...]] = {}
        self.questions: list[str] = []

    def show_keywords(self, event: Keywords) -> None:
        """Key phrases from the engine: the recent ones are shown first while they last."""
        self.keywords[event.scope] = event.phrases
        self._render()

    def show_insights(self, insights: Insights) -> None:
        """The session's record (live, or of a reopened session): its key phrases and questions. A record
        without either (only a summary so far) leaves the panel as it is."""
        if not insights.keywords and not insights.questions:
            return
        self.keywords[KeywordScope.SESSION] = insights.keywords
        self.questions = [text for _id, _start, _speaker, text in insights.questions]
        self._render()

    def _render(self) -> None:
        phrases = self.keywords.get(KeywordScope.RECENT) or self.keywords.get(KeywordScope.SESSION) or ()
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


def _chip(phrase: str, weight: float) -> str:
    """A key phrase whose size and tint grow with its weight (0..1)."""
    style = f"font-size:{90 + 40 * weight:.0f}%; background:rgba(47,111,222,{0.08 + 0.25 * weight:.2f});"
    words = "&nbsp;".join(html.escape(word) for word in phrase.split())  # a chip never wraps mid-phrase
    return f'<span style="{style}">&nbsp;{words}&nbsp;</span>'
