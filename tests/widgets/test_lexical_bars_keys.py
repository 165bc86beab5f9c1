"""LexicalBars from the keyboard: the current word, its frame, the keys, Enter as a click."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QColor, QKeyEvent
from PySide6.QtWidgets import QApplication

from motionlex.widgets.lexical_bars import LexicalBars
from motionlex.widgets.lexical_cursor import first_word, kept_cursor, moved_cursor
from motionlex.widgets.lexical_keys import ACCESSIBLE_NAME

# as in test_lexical_bars.py: a HumanML3D query's WordPieces and a retrieved motion's
QUERY = [("kick", 2.1), ("left", 1.7), ("leg", 1.5), ("man", 0.4), ("##s", 0.2)]
RESULT = [("leg", 1.2), ("kick", 1.9), ("right", 1.1), ("foot", 0.8), ("swing", 0.6)]


def _shown(qtbot, size=(520, 220)) -> LexicalBars:
    w = LexicalBars(max_words=20)
    w.resize(*size)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    return w


def _focus(qtbot, w: LexicalBars) -> None:
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow, timeout=5000)
    w.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(w.hasFocus, timeout=3000)


@pytest.fixture
def bars(qtbot) -> LexicalBars:
    w = _shown(qtbot)
    w.set_query_words(QUERY)
    w.set_result_words(RESULT)
    return w


def _highlight_pixels(w: LexicalBars, side: str, word: str) -> int:
    """Pixels of the palette's highlight colour on ``word``'s row edges (the frame)."""
    img = w.grab().toImage()
    rect = w.word_rect(side, word)
    hi = QColor(w.palette().highlight().color())
    edge = [(x, y) for x in range(rect.left(), rect.right() + 1)
            for y in (rect.top(), rect.top() + 1, rect.bottom() - 1, rect.bottom())]
    edge += [(x, y) for y in range(rect.top(), rect.bottom() + 1)
             for x in (rect.left(), rect.left() + 1, rect.right() - 1, rect.right())]

    def near(c: QColor) -> bool:  # the screen's depth may shift a channel by a step or two
        return abs(c.red() - hi.red()) + abs(c.green() - hi.green()) + abs(
            c.blue() - hi.blue()) < 12

    return sum(1 for x, y in edge if near(img.pixelColor(x, y)))


def test_arrows_move_the_current_word_and_enter_searches_it_in_both_columns(qtbot, bars):
    """The panel was mouse-only: no focus, no current word, no keys."""
    assert bars.focusPolicy() == Qt.FocusPolicy.StrongFocus
    assert bars.current_word() == ("query", "kick")  # the first word, heaviest first
    _focus(qtbot, bars)
    qtbot.keyClick(bars, Qt.Key.Key_Down)
    qtbot.keyClick(bars, Qt.Key.Key_Down)
    assert bars.current_word() == ("query", "leg")
    with qtbot.waitSignal(bars.wordClicked, timeout=1000) as got:
        qtbot.keyClick(bars, Qt.Key.Key_Return)
    assert got.args == ["leg"]
    qtbot.keyClick(bars, Qt.Key.Key_Right)  # the result column, the same row
    assert bars.current_word() == ("result", "right")  # kick, leg, right
    for key in (Qt.Key.Key_Enter, Qt.Key.Key_Space):
        with qtbot.waitSignal(bars.wordClicked, timeout=1000) as got:
            qtbot.keyClick(bars, key)
        assert got.args == ["right"]
    qtbot.keyClick(bars, Qt.Key.Key_End)
    assert bars.current_word() == ("result", "swing")
    qtbot.keyClick(bars, Qt.Key.Key_Down)  # at the last word: stays
    qtbot.keyClick(bars, Qt.Key.Key_Right)  # in the right column: stays
    assert bars.current_word() == ("result", "swing")
    qtbot.keyClick(bars, Qt.Key.Key_Left)
    assert bars.current_word() == ("query", "##s")
    qtbot.keyClick(bars, Qt.Key.Key_Home)
    qtbot.keyClick(bars, Qt.Key.Key_Up)
    assert bars.current_word() == ("query", "kick")
    with qtbot.waitSignal(bars.wordClicked, timeout=1000) as got:
        qtbot.keyClick(bars, Qt.Key.Key_Space)
    assert got.args == ["kick"]
    # with a modifier the keys are not the cursor's (Shift+Down selects nothing here)
    with qtbot.assertNotEmitted(bars.wordClicked):
        qtbot.keyClick(bars, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)
        qtbot.keyClick(bars, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert bars.current_word() == ("query", "kick")


def test_a_held_enter_searches_once(qtbot, bars):
    _focus(qtbot, bars)
    got: list[str] = []
    bars.wordClicked.connect(got.append)
    for repeat in (False, True, True):
        QApplication.sendEvent(bars, QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_Return,
                                               Qt.KeyboardModifier.NoModifier, "\r", repeat))
    assert got == ["kick"]


def test_the_current_word_is_framed_only_while_the_panel_has_the_focus(qtbot, bars):
    """A cursor nobody sees is no cursor; unfocused, the panel looks as it always did."""
    unfocused = _highlight_pixels(bars, "query", "kick")
    assert bars.cursor_rect() is None
    _focus(qtbot, bars)
    qtbot.keyClick(bars, Qt.Key.Key_Right)
    qtbot.keyClick(bars, Qt.Key.Key_Down)
    qtbot.wait(10)
    assert bars.current_word() == ("result", "leg")  # kick, leg
    assert bars.cursor_rect() == bars.word_rect("result", "leg")
    framed = _highlight_pixels(bars, "result", "leg")
    rect = bars.word_rect("result", "leg")
    assert framed > rect.width()  # top and bottom edges at least
    assert _highlight_pixels(bars, "query", "kick") == unfocused  # the old row: no frame
    bars.clearFocus()
    qtbot.waitUntil(lambda: not bars.hasFocus(), timeout=3000)
    qtbot.wait(10)
    assert bars.cursor_rect() is None
    assert _highlight_pixels(bars, "result", "leg") < framed // 4


def test_a_click_makes_the_word_current(qtbot, bars):
    bars.activateWindow()
    qtbot.waitUntil(bars.isActiveWindow, timeout=5000)
    rect = bars.word_rect("result", "foot")
    with qtbot.waitSignal(bars.wordClicked, timeout=1000):
        qtbot.mouseClick(bars, Qt.MouseButton.LeftButton, pos=rect.center())
    assert bars.current_word() == ("result", "foot")
    qtbot.waitUntil(bars.hasFocus, timeout=3000)  # a click gives the focus (StrongFocus)
    qtbot.keyClick(bars, Qt.Key.Key_Up)
    assert bars.current_word() == ("result", "right")


def test_the_current_word_survives_new_lists_that_keep_it(qtbot, bars):
    """A new result (or a re-ranked query) must not throw the user back to the top."""
    bars.set_current_word("result", "foot")
    bars.set_result_words([("walk", 2.0), ("foot", 1.5), ("kick", 0.5)])  # foot moved up
    assert bars.current_word() == ("result", "foot")
    bars.set_query_words([("walk", 1.0)])  # the other column changing leaves it be
    assert bars.current_word() == ("result", "foot")
    bars.set_result_words([("run", 1.0), ("jog", 0.9)])  # gone: the panel's first word
    assert bars.current_word() == ("query", "walk")
    bars.set_current_word("result", "jog")
    bars.set_query_words([])
    bars.set_result_words([("jog", 2.0), ("run", 1.0)])  # kept, though now on top
    assert bars.current_word() == ("result", "jog")
    bars.set_result_words([("hop", 1.0)])  # no query words: the result's first
    assert bars.current_word() == ("result", "hop")
    bars.set_query_words([("walk", 1.0)])
    assert bars.current_word() == ("result", "hop")
    bars.set_result_words([("skip", 1.0)])
    assert bars.current_word() == ("query", "walk")
    with pytest.raises(ValueError, match="not a drawn word"):
        bars.set_current_word("result", "walk")  # a query word, not the result's
    with pytest.raises(ValueError, match="side must be"):
        bars.set_current_word("motion", "walk")


def test_an_empty_panel_ignores_the_keys_and_leaves_them_to_the_window(qtbot):
    w = _shown(qtbot)
    assert w.current_word() is None
    _focus(qtbot, w)
    with qtbot.assertNotEmitted(w.wordClicked):
        for key in (Qt.Key.Key_Down, Qt.Key.Key_Right, Qt.Key.Key_End, Qt.Key.Key_Return,
                    Qt.Key.Key_Space):
            qtbot.keyClick(w, key)
    assert w.current_word() is None and w.cursor_rect() is None

    def claims(key) -> bool:  # the window's shortcuts give way when the panel accepts
        event = QKeyEvent(QEvent.Type.ShortcutOverride, key, Qt.KeyboardModifier.NoModifier)
        event.ignore()
        QApplication.sendEvent(w, event)
        return event.isAccepted()

    assert not claims(Qt.Key.Key_Space) and not claims(Qt.Key.Key_Right)
    w.set_query_words(QUERY)
    assert w.current_word() == ("query", "kick")
    assert claims(Qt.Key.Key_Space) and claims(Qt.Key.Key_Left) and claims(Qt.Key.Key_Up)
    assert not claims(Qt.Key.Key_A)
    w.clear()
    assert w.current_word() is None and not claims(Qt.Key.Key_Space)


def test_the_current_word_scrolls_into_view(qtbot):
    """Twenty words in a short panel scroll: End and Home must show the word they reach."""
    w = _shown(qtbot, (380, 280))
    w.set_query_words([(f"q{i}", 1.0 - i * 0.04) for i in range(20)])
    w.set_result_words([(f"r{i}", 1.0 - i * 0.04) for i in range(12)])
    assert w.scroll_bar.isVisible() and not w.is_word_shown("query", "q19")
    _focus(qtbot, w)
    qtbot.keyClick(w, Qt.Key.Key_End)
    assert w.current_word() == ("query", "q19") and w.is_word_shown("query", "q19")
    qtbot.keyClick(w, Qt.Key.Key_Right)  # row 19 of 12: the result column's last
    assert w.current_word() == ("result", "r11") and w.is_word_shown("result", "r11")
    qtbot.keyClick(w, Qt.Key.Key_Home)
    assert w.current_word() == ("result", "r0") and w.is_word_shown("result", "r0")
    for _ in range(15):
        qtbot.keyClick(w, Qt.Key.Key_Down)
    assert w.current_word() == ("result", "r11") and w.is_word_shown("result", "r11")


def test_the_panel_says_its_name_and_its_keys(qtbot, bars):
    assert bars.accessibleName() == ACCESSIBLE_NAME == "Lexical evidence"
    for tip in (bars.statusTip(), bars.accessibleDescription(), bars.toolTip()):
        assert "Tab" in tip and "Enter" in tip and "Left / Right" in tip


def test_cursor_moves_without_a_widget():
    words = {"query": ["a", "b", "c"], "result": ["x"]}
    assert first_word(words) == ("query", "a")
    assert first_word({"query": [], "result": ["x"]}) == ("result", "x")
    assert first_word({"query": [], "result": []}) is None
    assert kept_cursor(None, words) == ("query", "a")
    assert kept_cursor(("query", "b"), words) == ("query", "b")
    assert kept_cursor(("result", "x"), words) == ("result", "x")
    assert kept_cursor(("result", "gone"), words) == ("query", "a")
    assert moved_cursor(("query", "c"), Qt.Key.Key_Right, words) == ("result", "x")
    assert moved_cursor(("result", "x"), Qt.Key.Key_Left, words) == ("query", "a")
    assert moved_cursor(("query", "b"), Qt.Key.Key_Right, {"query": ["a", "b"], "result": []}
                        ) == ("query", "b")  # into an empty column: stays
    assert moved_cursor(("query", "a"), Qt.Key.Key_A, words) is None
    with pytest.raises(ValueError, match="not in the 'query' column"):
        moved_cursor(("query", "zz"), Qt.Key.Key_Down, words)
