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


def test_a_new_query_whose_first_result_the_filter_hides_shows_the_first_shown(
        qtbot, open_window):
    """After "a person walks", the filter "elderly", then another query: no row was
    selected, yet the 3D view, patch image, chronology and the word panel's "selected
    result" kept the walk, no longer in the list. The views follow the list: the first row
    the filter shows, or, when it hides every result, nothing (and the panels say why)."""
    w = open_window((1280, 820), LONG_WAIT_MS)
    results = w.results_list
    query = "a person waves the right hand"
    with qtbot.waitSignal(w.resultsShown, timeout=LONG_WAIT_MS):
        w.search(query)
    second = results.record(1)  # the filter below keeps this one, not the first
    with qtbot.waitSignal(w.resultsShown, timeout=LONG_WAIT_MS):
        w.search("a person walks")
    qtbot.waitUntil(lambda: w.current_motion is not None, timeout=LONG_WAIT_MS)
    results.set_filter_text(second["id"])
    with qtbot.waitSignal(w.motionShown, timeout=LONG_WAIT_MS) as shown:
        w.search(query)
    # the filter keeps that one result, and it is the one selected (its rank is not the
    # point: a CI run under load once found it at rank 6, not 2, with the tiny model)
    shown_rows = results.visible_rows()
    assert [results.record(r)["id"] for r in shown_rows] == [second["id"]]
    assert results.selected_row() == shown_rows[0]
    assert shown.args[0].row == second["row"] == w.state.selected_row
    assert w.current_motion.id == second["id"]
    qtbot.waitUntil(lambda: w.analysis.panel_row == second["row"]
                    and not w.car_panel.is_busy(), timeout=LONG_WAIT_MS)
    assert second["id"].rsplit("/", 1)[-1] in w.analysis.chronology.heading()  # no folder
    # a filter that hides every result: nothing shown, and the panels say why
    results.set_filter_text("nosuchword")
    with qtbot.waitSignal(w.resultsShown, timeout=LONG_WAIT_MS):
        w.search("a person walks")
    qtbot.wait(300)  # the staged views of the ranking
    assert results.visible_count() == 0 and results.selected_row() is None
    assert w.current_motion is None and w.state.selected_row is None
    assert w.skeleton_view.num_motions == 0 and w.patch_view.image_rgb() is None
    assert w.lexical_bars.words("result") == []
    assert "nosuchword" in w.analysis.chronology.heading()
    assert "nosuchword" in w.statusBar().currentMessage()
    assert not w.act_export_glb.isEnabled()
