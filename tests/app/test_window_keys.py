"""The explorer window's keyboard: playback keys that give way to the focused widget."""

from __future__ import annotations

from PySide6.QtCore import Qt


def _focus(qtbot, widget) -> None:
    widget.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.waitUntil(widget.hasFocus, timeout=3000)


def test_space_and_arrows_go_to_the_focused_toggle_and_tab_bar(qtbot, window):
    """Tabbed to "Query orders", Space paused playback instead of pressing the button;
    "Result caption" could not be reached from the keyboard (Tab skips a button group's
    unpressed buttons); Right on the Chronology | Describe tabs stepped a frame."""
    w = window
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow, timeout=5000)
    played: list[str] = []
    for act, name in ((w.act_play, "play"), (w.act_step_fwd, "step"),
                      (w.act_step_back, "back")):
        act.triggered.connect(lambda _c=False, n=name: played.append(n))
    chron = w.analysis.chronology
    chron.set_query_available(True)
    chron.set_source("query")
    query, caption = chron.button("query"), chron.button("caption")
    assert caption.focusPolicy() & Qt.FocusPolicy.TabFocus
    _focus(qtbot, query)
    qtbot.keyClick(query, Qt.Key.Key_Tab)  # the next stop is the other toggle
    assert caption.hasFocus()
    with qtbot.waitSignal(chron.sourceClicked) as clicked:
        qtbot.keyClick(caption, Qt.Key.Key_Space)
    assert clicked.args == ["caption"] and chron.source() == "caption" and played == []
    qtbot.keyClick(caption, Qt.Key.Key_Left)  # the arrows move between the buttons
    assert query.hasFocus() and played == []
    tabs = w.analysis.tabs.tabBar()
    _focus(qtbot, tabs)
    qtbot.keyClick(tabs, Qt.Key.Key_Right)
    assert w.analysis.tabs.currentIndex() == 1 and played == []
    qtbot.keyClick(tabs, Qt.Key.Key_Left)
    assert w.analysis.tabs.currentIndex() == 0 and played == []
    qtbot.keyClick(tabs, Qt.Key.Key_Space)  # unused by a tab bar: play / pause
    assert played == ["play"]
    _focus(qtbot, w.results_list.view)  # the results list leaves all three to playback
    for key in (Qt.Key.Key_Space, Qt.Key.Key_Right, Qt.Key.Key_Left):
        qtbot.keyClick(w.results_list.view, key)
    assert played == ["play", "play", "step", "back"]
