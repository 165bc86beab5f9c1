"""QueryEdit: history walking, submitting, and the typing-pause debounce."""

from __future__ import annotations

from PySide6.QtCore import Qt

from motionlex.widgets.query_edit import LIVE_SEARCH_DELAY_MS, QueryEdit


def test_query_history_up_down(qtbot, qapp):
    edit = QueryEdit(["walk", "run"])
    qtbot.addWidget(edit)
    sent = []
    edit.submitted.connect(sent.append)
    qtbot.keyClicks(edit, "jump")
    qtbot.keyClick(edit, Qt.Key.Key_Up)
    assert edit.text() == "run"
    qtbot.keyClick(edit, Qt.Key.Key_Up)
    qtbot.keyClick(edit, Qt.Key.Key_Up)
    assert edit.text() == "walk"
    qtbot.keyClick(edit, Qt.Key.Key_Down)
    assert edit.text() == "run"
    downs = []
    edit.leftDown.connect(lambda: downs.append(edit.text()))
    qtbot.keyClick(edit, Qt.Key.Key_Down)
    assert edit.text() == "jump" and downs == []  # back to the draft
    qtbot.keyClick(edit, Qt.Key.Key_Down)  # past the draft: down to the results
    assert downs == ["jump"] and edit.text() == "jump"
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    qtbot.keyClick(edit, Qt.Key.Key_Return)  # the same query twice: one history entry
    assert sent == ["jump", "jump"] and edit.history == ["walk", "run", "jump"]
    edit.setText("walk")
    qtbot.keyClick(edit, Qt.Key.Key_Return)  # asked again: moves to the end, kept once
    assert edit.history == ["run", "jump", "walk"]
    edit.clear()
    qtbot.keyClick(edit, Qt.Key.Key_Return)  # a blank box: sent as "" (the window says
    assert sent == ["jump", "jump", "walk", ""]  # the query is empty), not kept
    assert edit.history == ["run", "jump", "walk"]


def test_typing_pause_is_reported_once_and_only_when_live(qtbot):
    edit = QueryEdit()
    qtbot.addWidget(edit)
    paused = []
    edit.typingPaused.connect(paused.append)
    qtbot.keyClicks(edit, "a person walks")
    assert paused == []  # not while typing
    qtbot.waitUntil(lambda: paused == ["a person walks"], timeout=LIVE_SEARCH_DELAY_MS + 2000)
    edit.set_live(False)
    qtbot.keyClicks(edit, " fast")
    qtbot.wait(LIVE_SEARCH_DELAY_MS + 100)
    assert paused == ["a person walks"]
    edit.set_live(True)
    edit.clear()
    qtbot.keyClicks(edit, "a")  # shorter than two characters: no search
    qtbot.wait(LIVE_SEARCH_DELAY_MS + 100)
    assert paused == ["a person walks"] and edit.live
