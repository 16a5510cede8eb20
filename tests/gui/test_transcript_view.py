"""The transcript view on its own: paragraphs of short final segments, in-place partials,
follow/jump-to-live, speaker chips, editing a segment inside a paragraph, search."""

from __future__ import annotations

import random
from dataclasses import replace

from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor

from rtstt.events import Segment
from rtstt.gui.panels import transcript
from rtstt.gui.panels.transcript import TranscriptView
from rtstt.session.paragraphs import PARAGRAPH_SOFT_CHARS


def seg(i: int, text: str, speaker: str | None = None) -> Segment:
    """Segment i spans [3i, 3i + 2.5]: 0.5 s after the one before, so consecutive ones join."""
    return Segment(start=i * 3.0, end=i * 3.0 + 2.5, text=text, id=i, speaker=speaker)


def make_view(qtbot) -> TranscriptView:
    view = TranscriptView()
    qtbot.addWidget(view)
    view.resize(500, 200)
    view.show()
    return view


def blocks(view: TranscriptView) -> list[str]:
    doc = view.document()
    return [doc.findBlockByNumber(n).text() for n in range(doc.blockCount())]


def point_in(view: TranscriptView, text: str):
    """A viewport point inside `text` (its third character), wherever it stands in the document."""
    block = view.document().firstBlock()
    while block.isValid() and text not in block.text():
        block = block.next()
    cursor = QTextCursor(block)
    cursor.setPosition(block.position() + block.text().index(text) + 2)
    return view.cursorRect(cursor).center()


def test_partial_updates_in_place_and_is_replaced_by_the_final(qtbot):
    view = make_view(qtbot)
    view.set_partial("hello")
    view.set_partial("hello wor")
    assert view.document().blockCount() == 1 and view.partial_text() == "hello wor"
    view.add_final(seg(1, "Hello world."))
    assert view.partial_text() == ""
    assert view.document().blockCount() == 1
    assert view.document().firstBlock().text().endswith("Hello world.")
    view.set_partial("next")
    assert view.document().blockCount() == 2
    view.set_partial("")
    assert view.document().blockCount() == 1 and view.final_text() == "Hello world."
    # the partial's final continues the paragraph: the partial line goes, the paragraph grows
    view.set_partial("next one")
    view.add_final(seg(2, "Next one."))
    assert blocks(view) == ["00:03   Hello world. Next one."] and view.partial_text() == ""
    view.set_partial("and")
    assert blocks(view) == ["00:03   Hello world. Next one.", "and"] and view.partial_text() == "and"


def test_consecutive_segments_of_one_speaker_share_a_paragraph(qtbot):
    view = make_view(qtbot)
    for i, text in enumerate(["So I would like a", "first version by the", "end of the month."], start=1):
        view.add_final(seg(i, text, speaker="S1"))
    assert blocks(view) == ["00:03   S1  So I would like a first version by the end of the month."]
    assert view.paragraphs() == [[1, 2, 3]]
    assert view.document().firstBlock().userState() == 1  # the paragraph's first segment
    assert view.final_text() == "So I would like a first version by the end of the month."
    assert [s.id for s in view.segments()] == [1, 2, 3]


def test_a_speaker_change_or_a_pause_starts_a_new_paragraph(qtbot):
    view = make_view(qtbot)
    view.add_final(seg(1, "Shall we start?", speaker="S1"))
    view.add_final(seg(2, "Yes, let's.", speaker="S2"))  # another speaker
    view.add_final(seg(3, "First the budget.", speaker="S2"))  # same speaker, 0.5 s later
    view.add_final(Segment(start=14.0, end=15.0, text="Then the plan.", id=4, speaker="S2"))  # 2.5 s pause
    view.add_final(Segment(start=16.5, end=17.0, text="And dates.", id=5, speaker="S2"))  # 1.5 s: joins
    assert view.paragraphs() == [[1], [2, 3], [4, 5]]
    assert blocks(view) == [
        "00:03   S1  Shall we start?",
        "00:06   S2  Yes, let's. First the budget.",
        "00:14   S2  Then the plan. And dates.",
    ]
    # no speaker at all (diarization off) is one speaker
    other = make_view(qtbot)
    other.add_final(seg(1, "one"))
    other.add_final(seg(2, "two"))
    assert other.paragraphs() == [[1, 2]] and blocks(other) == ["00:03   one two"]


def test_a_long_paragraph_breaks_at_the_next_sentence_end(qtbot):
    view = make_view(qtbot)
    words = "word " * 9 + "more"  # 49 characters, no sentence end
    i = 0
    while sum(len(s.text) + 1 for s in view.segments()) < PARAGRAPH_SOFT_CHARS + 100:
        i += 1
        view.add_final(seg(i, words))
    assert len(view.paragraphs()) == 1  # long, but no sentence end to break at
    view.add_final(seg(i + 1, "and that is all."))
    view.add_final(seg(i + 2, "Next topic."))
    assert view.paragraphs() == [list(range(1, i + 2)), [i + 2]]
    assert blocks(view)[1].endswith("Next topic.")


def test_a_speaker_label_arriving_later_splits_and_merges_paragraphs(qtbot):
    view = make_view(qtbot)
    texts = ["Are we", "all here?", "Almost, Bob", "is late."]
    for i, text in enumerate(texts, start=1):
        view.add_final(seg(i, text))
    assert view.paragraphs() == [[1, 2, 3, 4]]
    labelled = {1: "S1", 2: "S1", 3: "S2", 4: "S2"}
    view.update_segment(replace(view.segments()[0], speaker="S1"))
    assert view.paragraphs() == [[1], [2, 3, 4]]
    assert blocks(view) == ["00:03   S1  Are we", "00:06   all here? Almost, Bob is late."]
    view.update_segment(seg(2, texts[1], speaker=labelled[2]))
    assert view.paragraphs() == [[1, 2], [3, 4]]
    view.update_segment(seg(3, texts[2], speaker=labelled[3]))
    assert view.paragraphs() == [[1, 2], [3], [4]]
    view.update_segment(seg(4, texts[3], speaker=labelled[4]))
    assert view.paragraphs() == [[1, 2], [3, 4]]
    assert blocks(view) == ["00:03   S1  Are we all here?", "00:09   S2  Almost, Bob is late."]
    assert [view.document().findBlockByNumber(n).userState() for n in range(2)] == [1, 3]
    view.set_speaker_names({"S2": "Carol"})
    assert blocks(view) == ["00:03   S1  Are we all here?", "00:09   Carol  Almost, Bob is late."]


def test_double_click_on_the_second_segment_of_a_paragraph_edits_that_segment(qtbot):
    view = make_view(qtbot)
    view.add_final(seg(1, "Please call Stella", speaker="S1"))
    view.add_final(seg(2, "and ask her to bring", speaker="S1"))
    view.add_final(seg(3, "these things.", speaker="S1"))
    view.set_partial("with her")
    assert view.document().blockCount() == 2  # one paragraph and the partial
    pos = point_in(view, "and ask")
    assert view.segment_at(pos) == 2
    with qtbot.waitSignal(view.editRequested) as signal:
        qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    assert signal.args == [2]
    assert view.segment_at(point_in(view, "Stella")) == 1
    assert view.segment_at(point_in(view, "things")) == 3
    assert view.segment_at(point_in(view, "S1  ")) == 1  # the chip and the time belong to the first
    assert view.segment_at(point_in(view, "with her")) is None  # the partial is no segment yet


def test_an_edit_of_a_middle_segment_re_renders_its_paragraph(qtbot):
    view = make_view(qtbot)
    for i, text in enumerate(["Please call", "Stela and", "ask her."], start=1):
        view.add_final(seg(i, text))
    view.add_final(seg(4, "Next.", speaker="S2"))
    view.update_segment(seg(2, "Stella and"))
    assert blocks(view) == ["00:03   Please call Stella and ask her.", "00:12   S2  Next."]
    assert view.final_text() == "Please call Stella and ask her. Next."
    assert view.segment_at(point_in(view, "ask her")) == 3  # the fragments still map after the edit
    assert view.search("stella") == 1


def test_a_change_re_renders_only_the_paragraphs_it_touches(qtbot, monkeypatch):
    view = make_view(qtbot)
    for i in range(1, 301):  # 100 paragraphs of 3 segments, speakers taking turns
        view.add_final(seg(i, f"segment {i}", speaker=f"S{(i - 1) // 3 % 2}"))
    assert len(view.paragraphs()) == 100
    written = []
    original = transcript.TranscriptView._write_paragraph
    monkeypatch.setattr(
        transcript.TranscriptView,
        "_write_paragraph",
        lambda self, cursor, segments: (written.append(segments[0].id), original(self, cursor, segments)),
    )
    view.update_segment(seg(5, "an early edit", speaker="S1"))  # an early edit: its paragraph only
    view.update_segment(seg(300, "segment 300", speaker="S0"))  # the last one relabelled: split
    assert written == [4, 298, 300]
    assert view.paragraphs()[1] == [4, 5, 6] and view.paragraphs()[-2:] == [[298, 299], [300]]
    assert "an early edit" in blocks(view)[1]


def test_incremental_changes_render_like_a_fresh_view(qtbot):
    """Adds, partials, edits and late labels in any order end as a view built from the final segments."""
    rnd = random.Random(7)
    view = make_view(qtbot)
    now, segments = 0.0, {}
    for i in range(1, 121):
        now += rnd.choice([0.2, 0.5, 1.0, 2.5, 4.0])
        text = rnd.choice(["so", "we go", "to the", "end.", "Really?", "x" * 90, ""])
        segments[i] = Segment(start=now, end=now + 1.0, text=text, id=i, speaker=rnd.choice([None, "S1", "S2"]))
        now += 1.0
        view.set_partial("tentative")
        view.add_final(segments[i])
        for _ in range(rnd.randrange(3)):  # labels and edits for recent segments
            j = rnd.randrange(max(1, i - 6), i + 1)
            changed = replace(segments[j], speaker=rnd.choice([None, "S1", "S2"]), text=rnd.choice(["ok", "end."]))
            segments[j] = changed
            view.update_segment(changed)
    view.set_partial("")
    fresh = make_view(qtbot)
    for segment in segments.values():
        fresh.add_final(segment)
    assert view.paragraphs() == fresh.paragraphs()
    assert blocks(view) == blocks(fresh)
    assert [view.document().findBlockByNumber(n).userState() for n in range(len(view.paragraphs()))] == [
        p[0] for p in view.paragraphs()
    ]


def test_scrolling_up_pauses_follow_and_jump_to_live_resumes(qtbot):
    view = make_view(qtbot)
    for i in range(1, 60):
        view.add_final(seg(i, f"Line number {i} of a long meeting transcript."))
    bar = view.verticalScrollBar()
    assert view.following and bar.value() == bar.maximum()
    bar.setValue(0)  # the user scrolls up to read
    assert not view.following and view.jump.isVisible()
    view.add_final(seg(60, "A new line arrives while reading."))
    assert bar.value() == 0  # the text the user is reading does not move
    qtbot.mouseClick(view.jump, Qt.MouseButton.LeftButton)
    assert view.following and not view.jump.isVisible()
    assert bar.value() == bar.maximum()


def test_speaker_names_show_and_rename_in_place(qtbot):
    view = make_view(qtbot)
    view.add_final(seg(1, "Good morning.", speaker="S1"))
    view.add_final(seg(2, "Hi there.", speaker="S2"))
    assert "S1" in view.document().firstBlock().text()
    view.set_speaker_names({"S1": "Alice"})
    assert "Alice" in view.document().firstBlock().text()
    assert "S2" in view.document().lastBlock().text()


def test_search_counts_and_cycles(qtbot):
    view = make_view(qtbot)
    view.add_final(seg(1, "The cat sat."))
    view.add_final(seg(2, "Another cat ran after the first cat."))
    assert view.search("cat") == 3
    assert view.next_match() == 1
    assert view.next_match(backwards=True) == 0
    assert view.search("dog") == 0
    view.clear_all()
    assert view.segments() == [] and view.paragraphs() == [] and view.toPlainText() == ""
    view.add_final(seg(3, "Fresh start."))
    assert blocks(view) == ["00:09   Fresh start."]
