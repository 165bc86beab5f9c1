"""The explorer's status bar: long messages end in "…" with the whole text in the tooltip."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QMainWindow

from motionlex.widgets.elide import ELLIPSIS, is_elided
from motionlex.widgets.status_bar import ElidingStatusBar

LONG = ("Comparing 4 motions overlaid: #1 0.86 (body-part colours), #2 0.84 (yellow), "
        "#3 0.83 (pink), #4 0.80 (white).")


def _window(qtbot, width: int) -> tuple[QMainWindow, ElidingStatusBar]:
    win = QMainWindow()
    bar = ElidingStatusBar(win)
    win.setStatusBar(bar)
    bar.addPermanentWidget(QLabel("gallery: 200 motions (synthetic demo)  CPU (x86_64)"))
    win.resize(width, 300)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    return win, bar


def test_a_long_message_is_cut_with_an_ellipsis_and_whole_in_the_tooltip(qtbot):
    win, bar = _window(qtbot, 640)
    bar.showMessage(LONG, 5000)
    shown = bar.shown_message()
    assert shown.endswith(ELLIPSIS) and is_elided(shown, LONG)
    assert bar.fontMetrics().horizontalAdvance(shown) <= bar.message_room()
    assert bar.currentMessage() == LONG and bar.toolTip() == LONG
    win.resize(1900, 300)  # room enough: the whole message, no tooltip
    qtbot.waitUntil(lambda: bar.shown_message() == LONG, timeout=2000)
    assert bar.toolTip() == "" and bar.currentMessage() == LONG


def test_short_timed_and_cleared_messages(qtbot):
    _win, bar = _window(qtbot, 1200)
    bar.showMessage("Gallery opened: 200 motions.", 150)
    assert bar.shown_message() == bar.currentMessage() == "Gallery opened: 200 motions."
    assert bar.toolTip() == ""
    qtbot.waitUntil(lambda: bar.currentMessage() == "", timeout=2000)  # timed out
    bar.showMessage(LONG)
    bar.clearMessage()
    assert bar.currentMessage() == "" and bar.toolTip() == ""
