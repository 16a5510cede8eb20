"""The caption window (View › Captions): the live transcript's last one or two lines in large light text
on a dark background, the tentative words in grey, always on top of other windows.

It follows the transcript view: whenever the view's document changes (a final segment, a partial, an
edit, a new session) it reads the view's segments and partial text and shows their tail. The lines roll
up like broadcast captions: words stay where they are until the text needs a third line, then the
first line goes. Which words are shown is `roll_up`, a pure function of the words and a width measure.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFont, QFontMetricsF
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from rtstt.events import Segment

Word = tuple[str, bool]  # the word and whether it is tentative (partial)
TEXT_COLOR = "#f4f5f7"
TENTATIVE_COLOR = "#8d939e"
BACKGROUND = "#111418"
POINT_SIZE = 30
LOOK_BACK_WORDS = 60  # when the window opens mid-session it starts this many words back (then rolls up)


def wrap(words: Sequence[Word], width: Callable[[str], float], max_width: float) -> list[list[Word]]:
    """Greedy word wrap: each line takes words while they fit (a word wider than a line gets its own)."""
    lines: list[list[Word]] = []
    line: list[Word] = []
    for word in words:
        if line and width(" ".join(w for w, _ in [*line, word])) > max_width:
            lines.append(line)
            line = []
        line.append(word)
    if line:
        lines.append(line)
    return lines


def roll_up(
    words: Sequence[Word], width: Callable[[str], float], max_width: float, max_lines: int = 2
) -> tuple[list[list[Word]], int]:
    """The lines to show for `words` (from the current start of the captions on) and how many leading
    words were dropped: while the wrapped text needs more than `max_lines` lines, the first line goes."""
    lines = wrap(words, width, max_width)
    dropped = 0
    while len(lines) > max_lines:
        dropped += len(lines[0])
        lines = lines[1:]
    return lines, dropped


def to_html(lines: Sequence[Sequence[Word]]) -> str:
    """The lines as rich text: final words light, tentative words grey."""

    def line_html(line: Sequence[Word]) -> str:
        parts: list[str] = []
        for tentative, group in _groups(line):
            color = TENTATIVE_COLOR if tentative else TEXT_COLOR
            parts.append(f'<span style="color:{color}">{html.escape(" ".join(group))}</span>')
        return " ".join(parts)

    return "<br>".join(line_html(line) for line in lines)


def _groups(line: Sequence[Word]) -> list[tuple[bool, list[str]]]:
    groups: list[tuple[bool, list[str]]] = []
    for text, tentative in line:
        if groups and groups[-1][0] == tentative:
            groups[-1][1].append(text)
        else:
            groups.append((tentative, [text]))
    return groups


class CaptionsWindow(QWidget):
    """A top-level window; `closed` tells the View menu to uncheck its action."""

    closed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window | Qt.WindowType.WindowStaysOnTopHint)
        self.setObjectName("captions")
        self.setWindowTitle("RTSTT — Captions")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(f"QWidget#captions {{ background: {BACKGROUND}; }}")
        self.label = QLabel()
        self.label.setObjectName("captionText")
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.label.setWordWrap(False)  # the lines are broken here, so the roll-up is exact
        self.label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.label.setStyleSheet(f"color: {TEXT_COLOR}; background: transparent;")
        font = QFont(self.font())
        font.setPointSize(POINT_SIZE)
        font.setWeight(QFont.Weight.Medium)
        self.label.setFont(font)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(28, 16, 28, 16)
        layout.addWidget(self.label)
        line = QFontMetricsF(font).lineSpacing()
        self.setMinimumSize(320, int(line * 2 + 40))
        self.resize(960, int(line * 2 + 56))
        self._placed = False
        self._segments: Callable[[], list[Segment]] = list
        self._partial: Callable[[], str] = str
        self._anchor: tuple[int, int] | None = None  # (segment id, words from its start) the first line starts at
        self.lines: list[list[Word]] = []
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.refresh)
        self.refresh()

    def follow(self, changed, segments: Callable[[], list[Segment]], partial: Callable[[], str]) -> None:
        """Show the tail of `segments()` and `partial()`, re-read each time the `changed` signal fires."""
        self._segments, self._partial = segments, partial
        changed.connect(self._changed)

    def text(self) -> str:
        """The words shown, the lines joined by newlines (for tests and accessibility)."""
        return "\n".join(" ".join(w for w, _ in line) for line in self.lines)

    def tentative_words(self) -> list[str]:
        return [w for line in self.lines for w, tentative in line if tentative]

    def _changed(self) -> None:
        if self.isVisible() and not self._timer.isActive():
            self._timer.start()  # once per event-loop turn, however many edits a change made

    def refresh(self) -> None:
        words = self._words()
        metrics = QFontMetricsF(self.label.font())
        max_width = max(1.0, self.label.contentsRect().width() - 2)
        self.lines, dropped = roll_up(words, metrics.horizontalAdvance, max_width)
        if self._anchor is not None:
            self._anchor = (self._anchor[0], self._anchor[1] + dropped)
        if self.lines:
            self.label.setText(to_html(self.lines))
        else:
            self.label.setText(
                f'<span style="color:{TENTATIVE_COLOR}">Captions appear here as the words are heard.</span>'
            )

    def _words(self) -> list[Word]:
        """The words from the anchor on: final words, then the partial's. A missing anchor (a new
        session, or the window just opened) starts again a few lines back."""
        segments = self._segments()
        start = None
        if self._anchor is not None:
            for i in range(len(segments) - 1, -1, -1):
                if segments[i].id == self._anchor[0]:
                    start = i
                    break
        if start is None:
            start, count = len(segments), 0
            while start > 0 and count < LOOK_BACK_WORDS:
                start -= 1
                count += len(segments[start].text.split())
            self._anchor = (segments[start].id, 0) if segments else None
        words: list[Word] = [(w, False) for s in segments[start:] for w in s.text.split()]
        words += [(w, True) for w in self._partial().split()]
        skip = self._anchor[1] if self._anchor is not None else 0
        if skip > len(words):  # the text shrank under the anchor (an edit, a shorter partial)
            skip = max(0, len(words) - LOOK_BACK_WORDS)
            self._anchor = (self._anchor[0], skip) if self._anchor is not None else None
        return words[skip:]

    # ---- window ------------------------------------------------------------------------------------
    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self._placed:  # the first time: along the bottom of the screen, like TV captions
            self._placed = True
            screen = self.screen().availableGeometry() if self.screen() is not None else None
            if screen is not None:
                width = min(self.width(), screen.width() - 40)
                self.resize(width, self.height())
                self.move(screen.center().x() - width // 2, screen.bottom() - self.height() - 60)
        QTimer.singleShot(0, self.refresh)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.refresh()

    def closeEvent(self, event) -> None:
        super().closeEvent(event)
        self.closed.emit()
