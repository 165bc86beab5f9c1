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
