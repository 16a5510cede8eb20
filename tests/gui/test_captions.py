"""The caption window (View › Captions): the last two lines of the live transcript, large, on top."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt, QTimer

from rtstt import config
from rtstt.events import Segment
from rtstt.gui.captions import TENTATIVE_COLOR, CaptionsWindow, roll_up, to_html, wrap
from rtstt.gui.main_window import MainWindow
from rtstt.gui.panels.transcript import TranscriptView
from tests.gui.test_main_window import CLIP, transcribe


def shown(captions: CaptionsWindow) -> str:
    return captions.text().replace("\n", " ")


def words(text: str, tentative: bool = False) -> list[tuple[str, bool]]:
    return [(w, tentative) for w in text.split()]


# ---- the text logic, without a window -------------------------------------------------------------
def test_wrap_is_greedy_and_a_long_word_gets_its_own_line():
    lines = wrap(words("aa bb cc dd extraordinarily ee"), len, 8)
    assert [" ".join(w for w, _ in line) for line in lines] == ["aa bb cc", "dd", "extraordinarily", "ee"]


def test_roll_up_keeps_the_tail_that_fits_two_lines():
    text = "one two three four five six seven eight nine ten"
    lines, dropped = roll_up(words(text), len, 14)  # "one two three" "four five six" ...
    visible = " ".join(w for line in lines for w, _ in line)
    assert len(lines) == 2
    assert text.endswith(visible) and text.split()[dropped:] == visible.split()


def test_roll_up_drops_whole_lines_so_words_stay_in_place():
    first, _ = roll_up(words("aaa bbb ccc ddd"), len, 8)  # "aaa bbb" / "ccc ddd"
    more, dropped = roll_up(words("aaa bbb ccc ddd e"), len, 8)  # a third line: the first goes
    assert dropped == 2 and more == [first[1], [("e", False)]]


def test_tentative_words_are_grey_in_the_html():
    lines, _ = roll_up([*words("it is final"), *words("maybe not", True)], len, 100)
    markup = to_html(lines)
    assert f'<span style="color:{TENTATIVE_COLOR}">maybe not</span>' in markup
    assert "it is final" in markup and "<br>" not in markup


# ---- the window, fed by a transcript view ---------------------------------------------------------
@pytest.fixture
def fed(qtbot):
    view = TranscriptView()
    captions = CaptionsWindow()
    qtbot.addWidget(view)
    qtbot.addWidget(captions)
    captions.follow(view.document().contentsChanged, view.segments, view.partial_text)
    captions.resize(700, captions.height())
    captions.show()
    qtbot.waitExposed(captions)
    return view, captions


def add(view: TranscriptView, n: int, text: str) -> None:
    view.add_final(Segment(start=n * 2.0, end=n * 2.0 + 1.5, text=text, id=n))


def test_captions_show_only_the_last_two_lines(qtbot, fed):
    view, captions = fed
    for n in range(40):
        add(view, n, f"sentence number {n} says a few more words")
    view.set_partial("and then some")
    qtbot.waitUntil(lambda: captions.tentative_words() == ["and", "then", "some"], timeout=2000)
    assert 1 <= len(captions.lines) <= 2
    everything = f"{view.final_text()} and then some"
    assert everything.endswith(shown(captions)) and len(shown(captions)) < len(everything) // 10
    assert TENTATIVE_COLOR in captions.label.text()
    view.set_partial("")
    add(view, 40, "the end")
    qtbot.waitUntil(lambda: shown(captions).endswith("the end"), timeout=2000)
    assert captions.tentative_words() == []
    captions.resize(360, captions.height())  # narrower: still two lines at most, still the tail
    assert 1 <= len(captions.lines) <= 2 and shown(captions).endswith("the end")
    view.clear_all()  # a new session starts empty
    qtbot.waitUntil(lambda: captions.lines == [], timeout=2000)


def test_new_words_do_not_move_the_words_shown(qtbot, fed):
    view, captions = fed
    add(view, 0, "short one")
    qtbot.waitUntil(lambda: captions.text() == "short one", timeout=2000)
    add(view, 1, "and more")
    qtbot.waitUntil(lambda: shown(captions) == "short one and more", timeout=2000)


# ---- in the real window -----------------------------------------------------------------------------
@pytest.fixture
def window(qtbot):
    settings = config.Settings().with_overrides(stt__threads=2, stt__model="tiny.en", audio__source="file")
    win = MainWindow(settings)
    qtbot.addWidget(win)
    win.show()
    yield win
    if win.running:
        with qtbot.waitSignal(win.sessionFinished, timeout=30000):
            win.stop()


def view_menu_action(win: MainWindow, text: str):
    (menu,) = [a.menu() for a in win.menuBar().actions() if a.text() == "&View"]
    (action,) = [a for a in menu.actions() if a.text() == text]
    return action


def test_view_captions_opens_an_always_on_top_window_and_closing_it_unchecks(qtbot, window):
    action = view_menu_action(window, "Captions")
    assert action is window.captions_action and action.isCheckable() and not action.isChecked()
    assert not window.captions.isVisible()
    action.trigger()
    qtbot.waitExposed(window.captions)
    assert window.captions.isWindow() and window.captions.isVisible()
    assert window.captions.windowFlags() & Qt.WindowType.WindowStaysOnTopHint
    assert window.captions.label.font().pointSize() >= 28
    window.captions.close()
    assert not action.isChecked() and not window.captions.isVisible()
    action.trigger()  # opens again
    assert window.captions.isVisible()
    action.trigger()  # and the menu closes it too
    assert not window.captions.isVisible()


@pytest.mark.integration
def test_captions_follow_a_real_transcription(qtbot, window):
    window.captions_action.trigger()
    qtbot.waitExposed(window.captions)
    seen: list[tuple[str, list[str]]] = []
    timer = QTimer()
    timer.timeout.connect(lambda: seen.append((window.captions.text(), window.captions.tentative_words())))
    timer.start(10)
    transcribe(qtbot, window, CLIP)
    timer.stop()
    assert any(tentative for _text, tentative in seen), "the partial showed in grey"
    assert any(text and not tentative for text, tentative in seen), "final words showed"
    qtbot.waitUntil(lambda: window.captions.tentative_words() == [], timeout=2000)
    final = window.view.final_text()
    assert shown(window.captions) and final.endswith(shown(window.captions)) and 1 <= len(window.captions.lines) <= 2
