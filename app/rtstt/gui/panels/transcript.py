"""The live transcript: final segments in normal weight, the tentative partial greyed and updated in
place, timestamps, speaker chips, search highlights, and auto-scroll that yields to the user.

One QTextBlock per final segment; the block's userState is the segment id, so edits, speaker labels
and search results map back to segments. The partial is always the last block (userState PARTIAL).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QColor, QFont, QTextBlockFormat, QTextCharFormat, QTextCursor, QTextDocument
from PySide6.QtWidgets import QPushButton, QTextEdit

from rtstt.events import Segment
from rtstt.timefmt import clock

PARTIAL = -2
EMPTY = -1


class TranscriptView(QTextEdit):
    editRequested = Signal(int)  # segment id the user double-clicked
    renameSpeakerRequested = Signal(str)  # raw speaker id, from the line's context menu
    followChanged = Signal(bool)  # True while the view follows the live end

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("transcript")
        self.setReadOnly(True)
        self.setUndoRedoEnabled(False)
        self.document().setDocumentMargin(8)
        self.muted = QColor("#8a93a3")
        self.text_color = QColor("#1d2430")
        self.highlight = QColor("#ffe58a")
        self.speaker_colors: tuple[str, ...] = ("#2f6fde",)
        self.speaker_names: dict[str, str] = {}
        self._segments: dict[int, Segment] = {}
        self._follow = True
        self._matches: list[QTextCursor] = []
        self._current_match = -1
        self.jump = QPushButton("↓ Jump to live", self.viewport())
        self.jump.setObjectName("jumpToLive")
        self.jump.setCursor(Qt.CursorShape.PointingHandCursor)
        self.jump.clicked.connect(self.jump_to_live)
        self.jump.hide()
        self.verticalScrollBar().valueChanged.connect(self._on_scroll)
        self.verticalScrollBar().rangeChanged.connect(self._on_range)
        self.viewport().installEventFilter(self)

    # ---- content -------------------------------------------------------------------------------
    def clear_all(self) -> None:
        self.clear()
        self._segments.clear()
        self._clear_search()

    def segments(self) -> list[Segment]:
        return list(self._segments.values())

    def final_text(self) -> str:
        return " ".join(s.text for s in self._segments.values())

    def partial_text(self) -> str:
        block = self.document().lastBlock()
        return block.text() if block.userState() == PARTIAL else ""

    def add_final(self, segment: Segment) -> None:
        if segment.id in self._segments:
            self.update_segment(segment)
            return
        self._segments[segment.id] = segment
        cursor = self._partial_cursor(select=True)
        if cursor is None:
            cursor = self._append_block()
        self._write_segment(cursor, segment)
        cursor.block().setUserState(segment.id)
        self._after_change()

    def set_partial(self, text: str) -> None:
        cursor = self._partial_cursor(select=True)
        if not text:
            if cursor is not None:  # remove the partial block entirely
                cursor.movePosition(QTextCursor.MoveOperation.StartOfBlock)
                cursor.movePosition(QTextCursor.MoveOperation.PreviousCharacter, QTextCursor.MoveMode.KeepAnchor)
                cursor.movePosition(QTextCursor.MoveOperation.EndOfBlock, QTextCursor.MoveMode.KeepAnchor)
                cursor.removeSelectedText()
            return
        if cursor is None:
            cursor = self._append_block()
            cursor.block().setUserState(PARTIAL)
        fmt = QTextCharFormat()
        fmt.setForeground(self.muted)
        fmt.setFontItalic(True)
        cursor.insertText(text, fmt)
        self._after_change()

    def update_segment(self, segment: Segment) -> None:
        """Re-render one segment (an edit or a new speaker label) where it stands."""
        self._segments[segment.id] = segment
        block = self._find_block(segment.id)
        if not block.isValid():
            return
        cursor = QTextCursor(block)
        cursor.movePosition(QTextCursor.MoveOperation.EndOfBlock, QTextCursor.MoveMode.KeepAnchor)
        self._write_segment(cursor, segment)

    def set_speaker_names(self, names: dict[str, str]) -> None:
        self.speaker_names = dict(names)
        for segment in list(self._segments.values()):
            if segment.speaker:
                self.update_segment(segment)

    def segment_at(self, pos) -> int | None:
        state = self.cursorForPosition(pos).block().userState()
        return state if state >= 0 and state in self._segments else None

    def _write_segment(self, cursor: QTextCursor, segment: Segment) -> None:
        cursor.beginEditBlock()
        cursor.removeSelectedText()
        time_fmt = QTextCharFormat()
        time_fmt.setForeground(self.muted)
        time_fmt.setFontPointSize(max(7.0, self.font().pointSizeF() * 0.8))
        cursor.insertText(clock(segment.start) + "   ", time_fmt)
        if segment.speaker:
            chip = QTextCharFormat()
            chip.setFontWeight(QFont.Weight.DemiBold)
            chip.setForeground(QColor(self._speaker_color(segment.speaker)))
            name = self.speaker_names.get(segment.speaker, segment.speaker)
            cursor.insertText(f"{name}  ", chip)
        text_fmt = QTextCharFormat()
        text_fmt.setForeground(self.text_color)
        cursor.insertText(segment.text, text_fmt)
        cursor.endEditBlock()

    def _speaker_color(self, speaker: str) -> str:
        from rtstt.gui.theme import speaker_color

        return speaker_color(speaker, self.speaker_colors)

    def _partial_cursor(self, select: bool) -> QTextCursor | None:
        block = self.document().lastBlock()
        if block.userState() != PARTIAL:
            return None
        cursor = QTextCursor(block)
        if select:
            cursor.movePosition(QTextCursor.MoveOperation.EndOfBlock, QTextCursor.MoveMode.KeepAnchor)
            cursor.removeSelectedText()
        return cursor

    def _append_block(self) -> QTextCursor:
        doc = self.document()
        cursor = QTextCursor(doc)
        cursor.movePosition(QTextCursor.MoveOperation.End)
        last = doc.lastBlock()
        if last.length() > 1 or last.userState() >= 0:  # the document's first block may be empty
            fmt = QTextBlockFormat()
            fmt.setTopMargin(6)
            cursor.insertBlock(fmt)
        cursor.block().setUserState(EMPTY)
        return cursor

    def _find_block(self, segment_id: int):
        block = self.document().lastBlock()
        while block.isValid():  # recent segments are edited most: search from the end
            if block.userState() == segment_id:
                return block
            block = block.previous()
        return block

    # ---- follow the live end -------------------------------------------------------------------
    @property
    def following(self) -> bool:
        return self._follow

    def jump_to_live(self) -> None:
        self._set_follow(True)
        bar = self.verticalScrollBar()
        bar.setValue(bar.maximum())

    def _after_change(self) -> None:
        if self._follow:
            bar = self.verticalScrollBar()
            bar.setValue(bar.maximum())

    def _on_range(self, _min: int, maximum: int) -> None:
        if self._follow:
            self.verticalScrollBar().setValue(maximum)

    def _on_scroll(self, value: int) -> None:
        bar = self.verticalScrollBar()
        at_end = value >= bar.maximum() - 4
        if at_end != self._follow:
            self._set_follow(at_end)

    def _set_follow(self, follow: bool) -> None:
        self._follow = follow
        self.jump.setVisible(not follow)
        self._place_jump()
        self.followChanged.emit(follow)

    def _place_jump(self) -> None:
        vp = self.viewport()
        self.jump.adjustSize()
        self.jump.move(vp.width() - self.jump.width() - 16, vp.height() - self.jump.height() - 12)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._place_jump()

    def eventFilter(self, obj, event) -> bool:
        if obj is self.viewport() and event.type() == QEvent.Type.MouseButtonDblClick:
            segment_id = self.segment_at(event.position().toPoint())
            if segment_id is not None:
                self.editRequested.emit(segment_id)
                return True
        return super().eventFilter(obj, event)

    def contextMenuEvent(self, event) -> None:
        """Right-click a line: edit it, or rename its speaker everywhere."""
        menu = self.createStandardContextMenu()
        segment_id = self.segment_at(event.pos())
        segment = self._segments.get(segment_id) if segment_id is not None else None
        if segment is not None:
            menu.addSeparator()
            menu.addAction("Edit text…", lambda: self.editRequested.emit(segment.id))
            if segment.speaker:
                name = self.speaker_names.get(segment.speaker, segment.speaker)
                menu.addAction(f"Rename speaker “{name}”…", lambda: self.renameSpeakerRequested.emit(segment.speaker))
        menu.exec(event.globalPos())

    # ---- search --------------------------------------------------------------------------------
    def search(self, text: str) -> int:
        """Highlight every match of `text` (case-insensitive); returns how many there are."""
        self._matches = []
        self._current_match = -1
        if text:
            doc = self.document()
            cursor = QTextCursor(doc)
            while True:
                cursor = doc.find(text, cursor, QTextDocument.FindFlag(0))
                if cursor.isNull():
                    break
                self._matches.append(QTextCursor(cursor))
        self._show_matches()
        if self._matches:
            self.next_match()
        return len(self._matches)

    def next_match(self, backwards: bool = False) -> int:
        if not self._matches:
            return -1
        step = -1 if backwards else 1
        self._current_match = (self._current_match + step) % len(self._matches)
        self._show_matches()
        self._set_follow(False)
        self.setTextCursor(QTextCursor(self._matches[self._current_match]))
        self.ensureCursorVisible()
        return self._current_match

    def _show_matches(self) -> None:
        selections = []
        for i, match in enumerate(self._matches):
            sel = QTextEdit.ExtraSelection()
            sel.cursor = match
            fmt = QTextCharFormat()
            color = QColor(self.highlight)
            if i != self._current_match:
                color.setAlpha(140)
            fmt.setBackground(color)
            sel.format = fmt
            selections.append(sel)
        self.setExtraSelections(selections)

    def _clear_search(self) -> None:
        self._matches = []
        self._current_match = -1
        self.setExtraSelections([])

    def clear_search(self) -> None:
        self._clear_search()
