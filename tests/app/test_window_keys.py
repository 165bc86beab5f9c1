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
    chron.set_active(True)  # a motion's orders are shown (no motion: the toggle is off)
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


def test_tab_goes_from_the_query_box_to_the_results(qtbot, window):
    """Tab went from the query box to the 3D view and the chronology panel's caption box,
    the results last; the scroll area around the chronology panel was a stop of its own."""
    from PySide6.QtWidgets import QApplication, QScrollArea

    from motionlex.app.keyboard import tab_order

    w = window
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow, timeout=5000)
    w._centre.setCurrentWidget(w.skeleton_view)  # as when a gallery is open
    _focus(qtbot, w.query_edit)
    expected = [w.results_list.view, w.results_list.filter_edit, w.skeleton_view,
                w.lexical_bars, w.analysis.tabs.tabBar(),
                w.analysis.chronology.button("query")]
    w.analysis.chronology.set_query_available(True)
    w.analysis.chronology.set_active(True)  # a motion's orders shown (none: the toggle is off)
    for want in expected:
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        assert QApplication.focusWidget() is want, QApplication.focusWidget()
    assert tab_order(w)[:2] == [w.query_edit, w.results_list.view]
    assert tab_order(w)[5:7] == [w.skeleton_view, w.lexical_bars]
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Backtab)  # and back again
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Backtab)
    assert QApplication.focusWidget() is w.lexical_bars
    scroll = w.findChild(QScrollArea, "analysis_scroll")
    assert not scroll.focusPolicy() & Qt.FocusPolicy.TabFocus


def test_the_word_panel_takes_space_and_the_arrows_only_while_focused(qtbot, window):
    """The lexical evidence panel could not be reached from the keyboard; tabbed to, its
    arrows and Space must choose and search a word, not step or play the motion, and
    elsewhere (and on an empty panel) they still step and play."""
    from PySide6.QtWidgets import QApplication

    w = window
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow, timeout=5000)
    w._centre.setCurrentWidget(w.skeleton_view)  # as when a gallery is open
    played: list[str] = []
    for act, name in ((w.act_play, "play"), (w.act_step_fwd, "step"),
                      (w.act_step_back, "back")):
        act.triggered.connect(lambda _c=False, n=name: played.append(n))
    searched: list[str] = []
    w.search = lambda text: searched.append(text) or True
    bars = w.lexical_bars
    bars.set_query_words([("kick", 2.1), ("left", 1.7), ("leg", 1.5)])
    bars.set_result_words([("kick", 1.9), ("leg", 1.2), ("right", 1.1), ("foot", 0.8)])
    assert bars.accessibleName() == "Lexical evidence"
    _focus(qtbot, w.skeleton_view)
    qtbot.keyClick(w.skeleton_view, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is bars
    for key in (Qt.Key.Key_Down, Qt.Key.Key_Down, Qt.Key.Key_Right, Qt.Key.Key_Left,
                Qt.Key.Key_Right):
        qtbot.keyClick(bars, key)
    assert bars.current_word() == ("result", "right") and played == []
    qtbot.keyClick(bars, Qt.Key.Key_Space)
    qtbot.keyClick(bars, Qt.Key.Key_Up)
    qtbot.keyClick(bars, Qt.Key.Key_Return)
    assert searched == ["right", "leg"] and played == []
    bars.clear()  # an empty panel leaves the keys to playback
    qtbot.keyClick(bars, Qt.Key.Key_Space)
    qtbot.keyClick(bars, Qt.Key.Key_Right)
    assert played == ["play", "step"] and searched == ["right", "leg"]
    bars.set_query_words([("kick", 2.1)])
    _focus(qtbot, w.results_list.view)  # elsewhere the arrows and Space play and step
    for key in (Qt.Key.Key_Space, Qt.Key.Key_Right, Qt.Key.Key_Left):
        qtbot.keyClick(w.results_list.view, key)
    assert played == ["play", "step", "play", "step", "back"]
    assert searched == ["right", "leg"]


def test_the_did_you_mean_line_is_accepted_with_ctrl_enter(qtbot, window):
    """The suggestion was mouse-only: Ctrl+Enter (Search > Use the suggested spelling)
    puts it in the box and searches it."""
    w = window
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow, timeout=5000)
    assert not w.act_use_suggestion.isEnabled()
    assert w.act_use_suggestion in w.menuBar().actions()[1].menu().actions()  # Search
    w.query_hint.set_vocabulary(["a", "person", "waves", "the", "left", "hand"])
    searched: list[str] = []
    w.search = lambda text: searched.append(text) or True
    _focus(qtbot, w.query_edit)
    qtbot.keyClicks(w.query_edit, "a persn wavs")
    qtbot.waitUntil(w.act_use_suggestion.isEnabled, timeout=3000)
    # "wavs", still typed, is not named yet (audit B #8); accepting corrects it too
    assert "wavs" not in w.query_hint.shown_text()
    qtbot.keyClick(w.query_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert w.query_edit.text() == "a person waves" and searched[-1] == "a person waves"
    qtbot.waitUntil(lambda: not w.act_use_suggestion.isEnabled(), timeout=3000)


def test_esc_clears_a_filter_box_before_it_cancels(qtbot, window):
    """Esc in the results or gallery filter box did nothing to the box (the window's Esc,
    Cancel, took it); it clears a box that holds text, and is Cancel again once empty."""
    w = window
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow, timeout=5000)
    cancels: list[bool] = []
    w.act_cancel.triggered.connect(lambda _c=False: cancels.append(True))
    for box in (w.results_list.filter_edit, w.gallery_browser.filter_edit):
        _focus(qtbot, box)
        qtbot.keyClicks(box, "jump")
        qtbot.keyClick(box, Qt.Key.Key_Escape)
        assert box.text() == "" and box.hasFocus() and cancels == []
        qtbot.keyClick(box, Qt.Key.Key_Escape)
        assert cancels == [True]
        cancels.clear()


def test_the_demo_banner_links_are_reached_from_the_keyboard(qtbot, window, monkeypatch):
    """The synthetic-demo banner's "File > Open gallery…" and "hide" links took only the
    mouse (review 36 #25): Tab reaches the banner after the results filter, Tab again
    each link, and Return follows it."""
    from PySide6.QtWidgets import QApplication

    from motionlex.app.texts import DEMO_BANNER_TEXT

    w = window
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow, timeout=5000)
    w._centre.setCurrentWidget(w.skeleton_view)  # as when a gallery is open
    opened: list[bool] = []
    monkeypatch.setattr(w.act_open_gallery, "trigger", lambda: opened.append(True))
    banner = w.demo_banner
    banner.setText(DEMO_BANNER_TEXT.format(size=200))
    banner.show()  # as when the demo gallery opens
    assert banner.textInteractionFlags() & Qt.TextInteractionFlag.LinksAccessibleByKeyboard
    _focus(qtbot, w.results_list.filter_edit)
    qtbot.keyClick(w.results_list.filter_edit, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is banner
    qtbot.keyClick(banner, Qt.Key.Key_Tab)  # the first link
    qtbot.keyClick(banner, Qt.Key.Key_Return)
    assert opened == [True] and banner.isVisible()
    qtbot.keyClick(banner, Qt.Key.Key_Tab)  # "hide"
    qtbot.keyClick(banner, Qt.Key.Key_Return)
    assert not banner.isVisible() and opened == [True]
