"""The live transcript: final segments in normal weight, the tentative partial greyed and updated in
place, timestamps, speaker chips, search highlights, and auto-scroll that yields to the user.

Final segments are short (the streaming policy commits words within about a second, so a segment is a
few words), so consecutive segments are joined into paragraphs: one QTextBlock per paragraph, showing
the timestamp and speaker chip of its first segment and then the segment texts joined by spaces.

Joining rule: `rtstt.session.paragraphs.continues_paragraph`, the one the TXT and DOCX exports use
(same speaker, a pause under 2 s, a paragraph not already long).
The rule only looks at a paragraph's own segments, so paragraphs are a pure function of the segment
list: a change re-renders from the paragraph holding the changed segment (or the one before, as the
change may join it) until the paragraph boundaries meet the old ones again; usually only the last few
paragraphs.

Every text fragment carries its segment id as a char format property (SEGMENT_ID; the timestamp and
chip carry the paragraph's first segment), so a click, an edit, a rename and search results map back
to segments. The paragraph's block userState is its first segment id. The partial is always the last
block (userState PARTIAL), a block of its own below the last paragraph.
"""

from __future__ import annotations

import html
from bisect import bisect_right
from itertools import pairwise

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QTextBlockFormat,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
    QTextFormat,
)
from PySide6.QtWidgets import QLabel, QPushButton, QTextEdit

from rtstt.events import Segment
from rtstt.session.paragraphs import continues_paragraph
from rtstt.session.transcript import line_name
from rtstt.timefmt import clock

PARTIAL = -2
EMPTY = -1
SEGMENT_ID = QTextFormat.Property.UserProperty + 1  # char format property: the fragment's segment id


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
        self._segments: dict[int, Segment] = {}  # by id, in display order
        self._order: list[int] = []  # segment ids in display order
        self._index: dict[int, int] = {}  # segment id -> its place in _order
        self._paras: list[int] = []  # where each paragraph starts in _order; paragraph k is block k
        self._follow = True
        self._matches: list[QTextCursor] = []
        self._current_match = -1
        self.jump = QPushButton("↓ Jump to live", self.viewport())
        self.jump.setObjectName("jumpToLive")
        self.jump.setCursor(Qt.CursorShape.PointingHandCursor)
        self.jump.clicked.connect(self.jump_to_live)
        self.jump.hide()
        self.hint = QLabel("", self.viewport())  # what an empty transcript says (set_hint); hidden once text comes
        self.hint.setObjectName("transcriptHint")
        self.hint.setTextFormat(Qt.TextFormat.RichText)
        self._hint_text = ""
        self.hint.setProperty("muted", True)
        self.hint.setWordWrap(True)
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents, True)
        self.hint.hide()
        self.document().contentsChanged.connect(self._update_hint)
        self.verticalScrollBar().valueChanged.connect(self._on_scroll)
        self.verticalScrollBar().rangeChanged.connect(self._on_range)
        self.viewport().installEventFilter(self)

    # ---- content -------------------------------------------------------------------------------
    def clear_all(self) -> None:
        self.clear()
        self._segments.clear()
        self._order.clear()
        self._index.clear()
        self._paras.clear()
        self._clear_search()

    def segments(self) -> list[Segment]:
        return list(self._segments.values())

    def final_text(self) -> str:
        return " ".join(s.text for s in self._segments.values())

    def partial_text(self) -> str:
        block = self.document().lastBlock()
        return block.text() if block.userState() == PARTIAL else ""

    def paragraphs(self) -> list[list[int]]:
        """The segment ids of each paragraph, in order (what the view shows as one block each)."""
        bounds = [*self._paras, len(self._order)]
        return [self._order[a:b] for a, b in pairwise(bounds)]

    def add_final(self, segment: Segment) -> None:
        if segment.id in self._segments:
            self.update_segment(segment)
            return
        n = len(self._order)
        last = len(self._paras) - 1
        length = self._para_length(last) if last >= 0 else 0
        joins = last >= 0 and continues_paragraph(self._at(n - 1), segment, length)
        self._segments[segment.id] = segment
        self._index[segment.id] = n
        self._order.append(segment.id)
        if joins:  # the partial it replaces goes; the text goes on at the end of the last paragraph
            self._remove_partial()
            cursor = QTextCursor(self.document().findBlockByNumber(last))
            cursor.movePosition(QTextCursor.MoveOperation.EndOfBlock)
            cursor.beginEditBlock()
            if length and segment.text:  # the space after a segment is its own (see _write_paragraph)
                cursor.insertText(" ", self._text_format(self._at(n - 1).id))
            cursor.insertText(segment.text, self._text_format(segment.id))
            cursor.endEditBlock()
        else:
            self._paras.append(n)
            cursor = self._partial_cursor(select=True)
            if cursor is None:
                cursor = self._append_block()
            self._write_paragraph(cursor, [segment])
            cursor.block().setUserState(segment.id)
        self._after_change()

    def set_partial(self, text: str) -> None:
        if not text:
            self._remove_partial()
            return
        cursor = self._partial_cursor(select=True)
        if cursor is None:
            cursor = self._append_block()
            cursor.block().setUserState(PARTIAL)
        fmt = QTextCharFormat()
        fmt.setForeground(self.muted)
        fmt.setFontItalic(True)
        cursor.insertText(text, fmt)
        self._after_change()

    def update_segment(self, segment: Segment) -> None:
        """Re-render after an edit or a new speaker label: from the changed segment's paragraph (or the
        one before, which it may now join) until the paragraphs are the same as before."""
        i = self._index.get(segment.id)
        if i is None or self._segments[segment.id] == segment:
            return
        self._segments[segment.id] = segment
        k = bisect_right(self._paras, i) - 1
        if k > 0 and self._paras[k] == i:
            k -= 1
        starts, end_k = self._layout(k, changed=i)
        self._render(k, end_k, starts)

    def set_speaker_names(self, names: dict[str, str]) -> None:
        old, self.speaker_names = self.speaker_names, dict(names)
        changed = {s for s in old.keys() | names.keys() if old.get(s) != names.get(s)}
        if not changed:
            return
        for k, start in enumerate(self._paras):  # only the chips change: the paragraphs stay
            head = self._at(start)
            if (head.speaker or head.track) in changed:
                self._render(k, k + 1, [start])

    def segment_at(self, pos) -> int | None:
        """The segment under a viewport position: the id its text fragment carries (a paragraph's
        timestamp and chip belong to its first segment)."""
        cursor = self.cursorForPosition(pos)
        block = cursor.block()
        if block.userState() < 0:  # the partial, or an empty document
            return None
        end = block.position() + block.length() - 1
        if cursor.position() < end:  # charFormat() is the character before the cursor: take the one after
            cursor.setPosition(cursor.position() + 1)
        fmt = cursor.charFormat()
        if not fmt.hasProperty(SEGMENT_ID):
            return None
        segment_id = fmt.intProperty(SEGMENT_ID)
        return segment_id if segment_id in self._segments else None

    # ---- paragraphs ----------------------------------------------------------------------------
    def _at(self, index: int) -> Segment:
        return self._segments[self._order[index]]

    def _para_end(self, k: int) -> int:
        return self._paras[k + 1] if k + 1 < len(self._paras) else len(self._order)

    def _para_length(self, k: int) -> int:
        return len(" ".join(t for t in (self._at(j).text for j in range(self._paras[k], self._para_end(k))) if t))

    def _layout(self, k: int, changed: int) -> tuple[list[int], int]:
        """Paragraph starts from paragraph `k` on, up to the first old paragraph start past `changed`
        that the new layout also starts (from there on nothing differs); and that old paragraph's index."""
        start = self._paras[k]
        starts = [start]
        length = len(self._at(start).text)
        for j in range(start + 1, len(self._order)):
            segment = self._at(j)
            if continues_paragraph(self._at(j - 1), segment, length):
                if segment.text:
                    length += (1 if length else 0) + len(segment.text)
                continue
            if j > changed:
                m = bisect_right(self._paras, j) - 1
                if self._paras[m] == j:
                    return starts, m
            starts.append(j)
            length = len(segment.text)
        return starts, len(self._paras)

    def _render(self, k: int, end_k: int, starts: list[int]) -> None:
        """Replace the blocks of paragraphs k..end_k-1 by paragraphs starting at `starts`."""
        stop = self._para_end(end_k - 1)
        doc = self.document()
        first, last = doc.findBlockByNumber(k), doc.findBlockByNumber(end_k - 1)
        cursor = QTextCursor(first)
        cursor.beginEditBlock()
        cursor.setPosition(last.position() + last.length() - 1, QTextCursor.MoveMode.KeepAnchor)
        cursor.removeSelectedText()
        bounds = [*starts, stop]
        for n, (a, b) in enumerate(pairwise(bounds)):
            if n:
                cursor.insertBlock(self._block_format())
            self._write_paragraph(cursor, [self._at(j) for j in range(a, b)])
            cursor.block().setUserState(self._order[a])
        cursor.endEditBlock()
        self._paras[k:end_k] = starts

    def _write_paragraph(self, cursor: QTextCursor, segments: list[Segment]) -> None:
        cursor.beginEditBlock()
        cursor.removeSelectedText()
        head = segments[0]
        time_fmt = self._text_format(head.id, self.muted)
        time_fmt.setFontPointSize(max(7.0, self.font().pointSizeF() * 0.8))
        cursor.insertText(clock(head.start) + "   ", time_fmt)
        name = line_name(head, self.speaker_names)  # a call's lines without a speaker: "You" / "Others"
        if name is not None:
            chip = self._text_format(head.id, QColor(self._speaker_color(head.speaker or head.track or "")))
            chip.setFontWeight(QFont.Weight.DemiBold)
            cursor.insertText(f"{name}  ", chip)
        texts = [s for s in segments if s.text]
        for n, segment in enumerate(texts):  # the space after a segment is its own: a click on it edits it
            tail = " " if n + 1 < len(texts) else ""
            cursor.insertText(segment.text + tail, self._text_format(segment.id))
        cursor.endEditBlock()

    def _text_format(self, segment_id: int, color: QColor | None = None) -> QTextCharFormat:
        fmt = QTextCharFormat()
        fmt.setForeground(color if color is not None else self.text_color)
        fmt.setProperty(SEGMENT_ID, segment_id)
        return fmt

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

    def _remove_partial(self) -> None:
        """Remove the partial block entirely (merging blocks keeps the later block's userState, so the
        paragraph's is set again)."""
        block = self.document().lastBlock()
        if block.userState() != PARTIAL:
            return
        cursor = QTextCursor(block)
        if block.previous().isValid():
            cursor.movePosition(QTextCursor.MoveOperation.PreviousCharacter)
        cursor.movePosition(QTextCursor.MoveOperation.End, QTextCursor.MoveMode.KeepAnchor)
        cursor.removeSelectedText()
        self.document().lastBlock().setUserState(self._order[self._paras[-1]] if self._paras else EMPTY)

    def _block_format(self) -> QTextBlockFormat:
        fmt = QTextBlockFormat()
        fmt.setTopMargin(6)
        return fmt

    def _append_block(self) -> QTextCursor:
        doc = self.document()
        cursor = QTextCursor(doc)
        cursor.movePosition(QTextCursor.MoveOperation.End)
        last = doc.lastBlock()
        if last.length() > 1 or last.userState() >= 0:  # the document's first block may be empty
            cursor.insertBlock(self._block_format())
        cursor.block().setUserState(EMPTY)
        return cursor

    # ---- empty state -------------------------------------------------------------------------------
    def set_hint(self, text: str) -> None:
        """The centred, muted text shown while the transcript is empty (none: nothing shown); its first
        paragraph (up to a blank line) a little larger, as a heading."""
        self._hint_text = text
        head, _, rest = text.partition("\n\n")
        size = round(self.font().pointSizeF() * 1.35)
        rest_html = f"<p>{html.escape(rest).replace(chr(10), '<br>')}</p>" if rest else ""
        self.hint.setText(f'<p style="font-size:{size}pt">{html.escape(head)}</p>{rest_html}' if text else "")
        self._update_hint()

    def hint_text(self) -> str:
        return self._hint_text

    def hint_visible(self) -> bool:
        return not self.hint.isHidden()

    def _update_hint(self) -> None:
        show = bool(self._hint_text) and self.document().isEmpty()
        if show:
            self._place_hint()
        self.hint.setVisible(show)

    def _place_hint(self) -> None:
        vp = self.viewport()
        width = min(vp.width() - 48, 560)
        self.hint.setFixedWidth(max(width, 120))
        self.hint.adjustSize()
        self.hint.move((vp.width() - self.hint.width()) // 2, max(0, (vp.height() - self.hint.height()) // 2))

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
        self._place_hint()

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
            who = segment.speaker or segment.track  # a call's "You" / "Others" can be renamed like a speaker
            if who:
                name = line_name(segment, self.speaker_names)
                menu.addAction(f"Rename speaker “{name}”…", lambda: self.renameSpeakerRequested.emit(who))
        menu.exec(event.globalPos())

    def show_segment(self, segment_id: int) -> bool:
        """Scroll to a segment's text and mark it (a summary item's click lands here); False when the
        segment is not in the view (deleted, or another session)."""
        j = self._index.get(segment_id)
        if j is None:
            return False
        block = self.document().findBlockByNumber(bisect_right(self._paras, j) - 1)
        it = block.begin()
        found = None  # the segment's last fragment: its text (a paragraph's timestamp and chip come first)
        while not it.atEnd():
            fragment = it.fragment()
            fmt = fragment.charFormat()
            if fmt.hasProperty(SEGMENT_ID) and fmt.intProperty(SEGMENT_ID) == segment_id:
                found = (fragment.position(), fragment.length())
            it += 1
        if found is None:
            return False
        cursor = QTextCursor(self.document())
        cursor.setPosition(found[0])
        cursor.setPosition(found[0] + found[1], QTextCursor.MoveMode.KeepAnchor)
        self._matches, self._current_match = [QTextCursor(cursor)], 0
        self._show_matches()
        self._set_follow(False)
        self.setTextCursor(cursor)
        self.ensureCursorVisible()
        return True

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
