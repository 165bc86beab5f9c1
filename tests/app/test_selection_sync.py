"""The results and gallery lists always highlight the motion shown (real tiny model, Xvfb)."""

from __future__ import annotations

LONG_WAIT_MS = 120000


def test_lists_follow_the_shown_motion_and_a_click_shows_it(qtbot, open_window):
    w = open_window((1280, 820), LONG_WAIT_MS)
    gallery, results = w.gallery_browser, w.results_list
    # a gallery click shows that motion
    gallery.select_row(3)
    qtbot.waitUntil(lambda: w.state.selected_row == 3, timeout=LONG_WAIT_MS)
    with qtbot.waitSignal(w.resultsShown, timeout=LONG_WAIT_MS):
        w.search("a person walks")
    top = int(results.record(0)["row"])
    qtbot.waitUntil(lambda: w.state.selected_row == top, timeout=LONG_WAIT_MS)
    # the gallery list now marks the shown motion, not its old row 3
    assert gallery.selected_row() == top
    # so clicking gallery row 3 again is a change, and shows it
    gallery.select_row(3)
    qtbot.waitUntil(lambda: w.state.selected_row == 3, timeout=LONG_WAIT_MS)
    listed = [int(results.record(i)["row"]) for i in range(results.row_count())]
    assert results.selected_row() == (listed.index(3) if 3 in listed else None)
    # and the result that was highlighted before shows again when clicked
    results.select_row(0)
    qtbot.waitUntil(lambda: w.state.selected_row == top, timeout=LONG_WAIT_MS)
    assert gallery.selected_row() == top
