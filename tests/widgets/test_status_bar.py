"""The explorer's status bar: long messages end in "…" with the whole text in the tooltip."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QMainWindow, QProgressBar, QToolButton, QWidget

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


def _message_rect_right(bar: ElidingStatusBar) -> int:
    """Where Qt stops painting the message (``QStatusBarPrivate::messageRect``): 2 px before
    the first visible permanent widget."""
    return min(w.x() for w in bar.findChildren(QWidget) if w.isVisible() and w.x() > 0) - 2


def test_the_ellipsis_is_not_hidden_under_the_first_permanent_label(qtbot):
    """At 1024 px the message ended "#5 0.6." against "last query 67 ms": the room left out
    the message's own left margin (6 px), so Qt clipped the "…" under the label. The bar
    holds what the explorer's holds: a hidden progress bar and cancel button, then labels."""
    win = QMainWindow()
    bar = ElidingStatusBar(win)
    win.setStatusBar(bar)
    latency = QLabel("")
    progress, cancel = QProgressBar(), QToolButton()
    for w in (progress, cancel, latency, QLabel("gallery: 70 motions"),
              QLabel("CPU (x86_64, 2 threads)")):
        bar.addPermanentWidget(w)
    progress.hide()
    cancel.hide()
    qtbot.addWidget(win)
    win.resize(1024, 300)
    win.show()
    qtbot.waitExposed(win)
    latency.setText("last query 67 ms")  # set with the first results
    qtbot.wait(50)
    fm = bar.fontMetrics()
    message = ("Comparing 10 motions side by side: #1 0.644, #2 0.641, #3 0.630, #4 0.622, "
               "#5 0.617, #6 0.611, #7 0.608, #8 0.600, #9 0.598, #10 0.590.")
    for n in range(40, len(message)):  # every cut lands left of the label, "…" included
        bar.showMessage(message[:n])
        shown = bar.shown_message()
        assert 6 + fm.horizontalAdvance(shown) <= _message_rect_right(bar), shown
    # a permanent label that grows after the message is shown (the latency, set with the
    # results) takes room from it: the message is cut again
    bar.showMessage(message)
    before = bar.shown_message()
    latency.setText("last query 1,267 ms (first query: the model warmed up)")
    qtbot.waitUntil(lambda: bar.shown_message() != before, timeout=2000)
    assert 6 + fm.horizontalAdvance(bar.shown_message()) <= _message_rect_right(bar)
    assert bar.shown_message().endswith(ELLIPSIS) and bar.currentMessage() == message


def test_a_status_tip_qt_shows_itself_is_cut_too(qtbot):
    """Audit 35 #3: the pointer resting on the lexical panel showed its keyboard tip
    uncut, under the permanent labels ("…Left / Riglast query 506 ms"): Qt shows a status
    tip through ``QStatusBar.showMessage`` in C++, past this class's override."""
    from PySide6.QtCore import QPoint
    from PySide6.QtWidgets import QApplication

    win, bar = _window(qtbot, 640)
    panel = QLabel("words", win)
    panel.setStatusTip(LONG)
    win.setCentralWidget(panel)
    qtbot.waitUntil(panel.isVisible, timeout=2000)
    for _ in range(3):  # Qt sends the tip on the pointer's entry
        qtbot.mouseMove(win, QPoint(5, 5))
        qtbot.mouseMove(panel, panel.rect().center())
        QApplication.processEvents()
        if bar.currentMessage():
            break
    assert bar.currentMessage() == LONG  # the whole tip, what was asked
    shown = bar.shown_message()
    assert shown.endswith(ELLIPSIS) and is_elided(shown, LONG)
    assert bar.fontMetrics().horizontalAdvance(shown) <= bar.message_room()
    assert 6 + bar.fontMetrics().horizontalAdvance(shown) <= _message_rect_right(bar)
    assert bar.toolTip() == LONG
    win.resize(1900, 300)  # room enough: whole again
    qtbot.waitUntil(lambda: bar.shown_message() == LONG, timeout=2000)
