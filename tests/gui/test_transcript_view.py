"""The transcript view on its own: in-place partials, follow/jump-to-live, speaker chips, search."""

from __future__ import annotations

from PySide6.QtCore import Qt

from rtstt.events import Segment
from rtstt.gui.panels.transcript import TranscriptView


def seg(i: int, text: str, speaker: str | None = None) -> Segment:
    return Segment(start=i * 3.0, end=i * 3.0 + 2.5, text=text, id=i, speaker=speaker)


def make_view(qtbot) -> TranscriptView:
    view = TranscriptView()
    qtbot.addWidget(view)
    view.resize(500, 200)
    view.show()
    return view


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
