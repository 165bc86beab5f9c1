"""PlayerKeys: space toggles play (not on auto-repeat), arrows pause and step."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QLineEdit

from motionlex.widgets.player_keys import PlayerKeys


def _keys(calls: list) -> PlayerKeys:
    return PlayerKeys(lambda: calls.append("toggle"), lambda: calls.append("pause"),
                      lambda d: calls.append(("step", d)))


def _press(key: Qt.Key, auto_repeat: bool = False) -> QKeyEvent:
    return QKeyEvent(QEvent.Type.KeyPress, key, Qt.KeyboardModifier.NoModifier, "",
                     auto_repeat)


def test_space_toggles_once_per_press_and_arrows_pause_then_step(qtbot):
    calls: list = []
    keys = _keys(calls)
    assert keys.handle_key(_press(Qt.Key.Key_Space))
    assert keys.handle_key(_press(Qt.Key.Key_Space, auto_repeat=True))  # consumed, no toggle
    assert keys.handle_key(_press(Qt.Key.Key_Right))
    assert keys.handle_key(_press(Qt.Key.Key_Left, auto_repeat=True))  # steps on repeat
    assert not keys.handle_key(_press(Qt.Key.Key_A))
    assert calls == ["toggle", "pause", ("step", 1), "pause", ("step", -1)]


def test_as_an_event_filter_it_takes_only_the_players_keys(qtbot):
    calls: list = []
    box = QLineEdit()
    qtbot.addWidget(box)
    keys = _keys(calls)
    box.installEventFilter(keys)
    qtbot.keyClicks(box, "ab")
    qtbot.keyClick(box, Qt.Key.Key_Space)
    qtbot.keyClick(box, Qt.Key.Key_Left)
    assert box.text() == "ab" and calls == ["toggle", "pause", ("step", -1)]


def test_playback_shortcuts_leave_their_keys_to_a_focused_widget_that_uses_them(qtbot):
    """Space on a focused button paused playback instead of pressing it, and Right on a
    tab bar stepped a frame instead of switching the tab: the window's shortcuts took the
    keys. A list of whole rows still leaves them to playback (Space plays there)."""
    from PySide6.QtGui import QAction, QKeySequence, QStandardItemModel
    from PySide6.QtWidgets import (
        QAbstractItemView,
        QComboBox,
        QMainWindow,
        QTabBar,
        QTableView,
        QToolButton,
        QVBoxLayout,
        QWidget,
    )

    from motionlex.widgets.player_keys import FocusedWidgetKeys, focus_uses_key

    win = QMainWindow()
    qtbot.addWidget(win)
    fired: list[str] = []
    for key in ("Space", "Left", "Right"):
        act = QAction(key, win)
        act.setShortcut(QKeySequence(key))
        act.triggered.connect(lambda _c=False, k=key: fired.append(k))
        win.addAction(act)
    centre = QWidget()
    layout = QVBoxLayout(centre)
    button = QToolButton()
    button.setText("Query orders")
    button.setCheckable(True)
    tabs = QTabBar()
    tabs.addTab("Chronology")
    tabs.addTab("Describe")
    rows = QTableView()
    rows.setModel(QStandardItemModel(3, 2, rows))
    rows.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    for w in (button, tabs, rows, QComboBox()):
        layout.addWidget(w)
    win.setCentralWidget(centre)
    FocusedWidgetKeys(win)
    win.show()
    qtbot.waitExposed(win)
    win.activateWindow()
    qtbot.waitUntil(win.isActiveWindow, timeout=5000)

    def press(widget, key) -> None:
        widget.setFocus()
        qtbot.waitUntil(widget.hasFocus, timeout=2000)
        qtbot.keyClick(widget, key)

    press(button, Qt.Key.Key_Space)
    assert button.isChecked() and fired == []
    press(tabs, Qt.Key.Key_Right)
    assert tabs.currentIndex() == 1 and fired == []
    press(tabs, Qt.Key.Key_Space)  # a tab bar has no use for Space: playback has it
    assert fired == ["Space"]
    press(rows, Qt.Key.Key_Space)
    press(rows, Qt.Key.Key_Right)
    assert fired == ["Space", "Space", "Right"]
    assert focus_uses_key(QComboBox(), Qt.Key.Key_Space)
    assert not focus_uses_key(None, Qt.Key.Key_Space)
    cells = QTableView()  # a table of cells moves between them with the arrows
    cells.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
    assert focus_uses_key(cells, Qt.Key.Key_Right)
