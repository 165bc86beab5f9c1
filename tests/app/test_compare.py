"""Select several rows of the results list -> Compare plays them together in the 3D view."""

from __future__ import annotations

import pytest

from motionlex.app.compare import MAX_COMPARED, MAX_OVERLAID
from motionlex.widgets.lexical_groups import drawn_words

LONG_WAIT_MS = 90000


@pytest.fixture
def ranked(qtbot, open_window):
    w = open_window((1280, 800), LONG_WAIT_MS)
    with qtbot.waitSignal(w.resultsShown, timeout=LONG_WAIT_MS):
        w.search("a person raises both hands")
    qtbot.waitUntil(lambda: w.current_motion is not None, timeout=LONG_WAIT_MS)
    return w


def test_compare_selected_rows_side_by_side_then_overlaid(qtbot, ranked, screenshot_dir):
    w, rl, sv = ranked, ranked.results_list, ranked.skeleton_view
    assert not rl.compare_button.isEnabled()  # one row selected
    rl.select_rows([0, 2, 3])
    assert rl.selected_rows() == [0, 2, 3]
    assert rl.compare_button.isEnabled() and rl.compare_button.text() == "Compare 3"
    with qtbot.waitSignal(w.comparer.compared, timeout=LONG_WAIT_MS) as blocker:
        rl.compare_button.click()
    data = blocker.args[0]
    hits = w.last_result.hits
    assert [m.row for m in data.motions] == [hits[i]["row"] for i in (0, 2, 3)]
    # the word panel explains the first compared motion
    first = data.motions[0]
    bars = w.lexical_bars  # its words as drawn: one row per word (forms summed)
    assert bars.words("result") == drawn_words(sorted(first.words, key=lambda p: -p[1]),
                                               None, bars.word_groups(), 20).pairs
    assert bars.words("result")
    assert w.lexical_bars.title_text("result").startswith("#1 ")
    assert sv.num_motions == 3 and sv.is_playing
    assert sv.num_frames == max(len(m.joints) for m in data.motions)
    xs = [float(p[:, 0].mean()) for p in sv.current_poses()]
    assert xs == sorted(xs) and xs[2] - xs[0] > 0.5  # side by side, first leftmost
    # the scores first, whole where the bar paints it; the explanation after them (the
    # permanent widgets cut it before "#2 0.69…", GUI audit w38 #7)
    labels = ", ".join(f"#{int(rl.record(i)['rank'])} {rl.record(i)['score']:.3f}"
                       for i in (0, 2, 3))
    assert w.statusBar().currentMessage().startswith(f"Comparing {labels} side by side")
    assert w.statusBar().shown_message().startswith(f"Comparing {labels} side by")
    moved = [f"#{int(rl.record(i)['rank'])}" for i, m in zip((0, 2, 3), sv.in_place) if m]
    assert (f"{'all' if len(moved) == 3 else ', '.join(moved)} on the spot"
            in w.statusBar().currentMessage()) == bool(moved)
    qtbot.wait(300)
    w.save_screenshot(screenshot_dir / "app_compare.png")
    with qtbot.waitSignal(w.comparer.compared, timeout=LONG_WAIT_MS):  # paths kept
        rl.compare_paths.trigger()
    assert sv.num_motions == 3 and sv.in_place == [False] * 3
    assert w.statusBar().currentMessage() == f"Comparing {labels} side by side with their paths."
    with qtbot.waitSignal(w.comparer.compared, timeout=LONG_WAIT_MS):
        rl.compare_overlay.trigger()
    assert sv.num_motions == 3
    xs = [float(p[:, 0].mean()) for p in sv.current_poses()]
    assert max(xs) - min(xs) < 0.5  # overlaid: one place
    msg = w.statusBar().currentMessage()  # which colour is which motion
    assert "overlaid" in msg and "(body-part colours)" in msg and "(yellow)" in msg, msg
    # one result again: the player shows it alone
    with qtbot.waitSignal(w.motionShown, timeout=LONG_WAIT_MS):
        rl.select_row(1)
    assert sv.num_motions == 1 and w.current_motion.row == hits[1]["row"]
    assert not rl.compare_button.isEnabled()


def test_ctrl_click_adds_rows_to_compare(qtbot, ranked):
    """Ctrl+click with the mouse (as the README says): each click showed that row's motion
    and then the window re-marked it alone, so Qt's toggle emptied the selection."""
    from PySide6.QtCore import Qt

    w, rl = ranked, ranked.results_list
    view = rl._view

    def click(display_row: int, modifier=Qt.KeyboardModifier.NoModifier) -> None:
        rect = view.visualRect(view.model().index(display_row, 2))
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, modifier, rect.center())

    click(0)
    with qtbot.waitSignal(w.motionShown, timeout=LONG_WAIT_MS):
        click(1, Qt.KeyboardModifier.ControlModifier)
    click(2, Qt.KeyboardModifier.ControlModifier)
    assert rl.selected_rows() == [0, 1, 2]
    assert rl.compare_button.isEnabled() and rl.compare_button.text() == "Compare 3"
    qtbot.waitUntil(lambda: w.current_motion.row == int(rl.record(2)["row"]),
                    timeout=LONG_WAIT_MS)  # the last clicked row is shown
    assert rl.selected_rows() == [0, 1, 2]  # and showing it kept the selection
    click(1, Qt.KeyboardModifier.ControlModifier)  # a Ctrl+click on a selected row drops it
    assert rl.selected_rows() == [0, 2]
    # without the mouse: Search > Compare (Ctrl+M), enabled by two selected rows
    assert w.act_compare.isEnabled() and w.act_compare_overlay.isEnabled()
    with qtbot.waitSignal(w.comparer.compared, timeout=LONG_WAIT_MS) as got:
        w.act_compare_overlay.trigger()
    assert len(got.args[0].motions) == 2 and w.skeleton_view.num_motions == 2
    click(0)
    assert not w.act_compare.isEnabled()


def test_tab_leaves_the_results_list(qtbot, ranked):
    """Tab moved cell by cell through the table (each row crossed loaded a motion)."""
    from PySide6.QtCore import Qt

    w, rl = ranked, ranked.results_list
    w.activateWindow()
    rl.view.setFocus()
    qtbot.waitUntil(rl.view.hasFocus, timeout=5000)
    shown = w.current_motion.row
    qtbot.keyClick(rl.view, Qt.Key.Key_Tab)
    assert not rl.view.hasFocus() and w.current_motion.row == shown


def test_clicking_the_shown_row_after_a_comparison_shows_it_alone(qtbot, ranked):
    """The current row does not change when one of the compared rows (the one shown
    before) is clicked alone: the comparison used to stay, with its status text."""
    w, rl, sv = ranked, ranked.results_list, ranked.skeleton_view
    # motionShown means every view shows that motion alone: a display step left over from
    # the motion shown before the comparison must not emit it over the comparison
    players = []
    w.motionShown.connect(lambda _m: players.append(sv.num_motions))
    shown = w.current_motion.row
    first = next(i for i in range(rl.row_count()) if int(rl.record(i)["row"]) == shown)
    other = 1 if first == 0 else 0
    rl.select_rows([first, other])
    with qtbot.waitSignal(w.comparer.compared, timeout=LONG_WAIT_MS):
        rl.compare_button.click()
    assert sv.num_motions == 2 and w.comparer.showing
    with qtbot.waitSignal(w.motionShown, timeout=LONG_WAIT_MS):
        rl.select_rows([first])  # as a plain click on it
    assert sv.num_motions == 1 and w.current_motion.row == shown
    assert players and set(players) == {1}, players
    assert not w.comparer.showing
    assert not w.statusBar().currentMessage().startswith("Comparing")


def test_escape_leaves_a_comparison(qtbot, ranked):
    """Esc (nothing to cancel) shows the motion shown before the comparison alone again;
    the labels carry the list's three decimals."""
    from PySide6.QtCore import Qt

    w, rl, sv = ranked, ranked.results_list, ranked.skeleton_view
    shown = w.current_motion.row
    rl.select_rows([0, 1, 2])
    with qtbot.waitSignal(w.comparer.compared, timeout=LONG_WAIT_MS):
        rl.compare_button.click()
    assert sv.num_motions == 3 and w.comparer.showing
    score = float(rl.record(0)["score"])
    assert f"#1 {score:.3f}" in w.statusBar().currentMessage()
    w.activateWindow()
    rl.view.setFocus()
    qtbot.waitUntil(rl.view.hasFocus, timeout=5000)
    qtbot.keyClick(rl.view, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: sv.num_motions == 1, timeout=LONG_WAIT_MS)
    assert w.current_motion.row == shown and not w.comparer.showing
    assert [int(rl.record(r)["row"]) for r in rl.selected_rows()] == [shown]
    assert not rl.compare_button.isEnabled()
    assert not w.comparer.leave()  # nothing left to leave


def test_describe_during_a_comparison_describes_the_first_compared_motion(qtbot, ranked):
    """Describe used the last selected row (none of the shown motions was named), while the
    word panel explained #1: both now refer to the first compared motion."""
    w, rl = ranked, ranked.results_list
    rl.select_rows([3, 1, 2])
    with qtbot.waitSignal(w.comparer.compared, timeout=LONG_WAIT_MS) as got:
        rl.compare_button.click()
    first = got.args[0].motions[0].row
    assert first == int(rl.record(1)["row"])  # #2 is the first of the rows selected
    with qtbot.waitSignal(w.analysis.described, timeout=LONG_WAIT_MS) as described:
        w.analysis.act_describe.trigger()
    assert described.args[0].row == first


def test_compare_needs_two_rows_and_caps_the_count(qtbot, ranked):
    w = ranked
    assert w.comparer.compare([0]) is False
    assert "Select two or more results" in w.statusBar().currentMessage()
    with pytest.raises(ValueError, match="layout must be"):
        w.comparer.compare([0, 1], layout="grid")
    rows = list(range(min(w.results_list.row_count(), MAX_COMPARED + 2)))
    w.results_list.select_rows(rows)  # the button says how many it compares
    assert w.results_list.compare_button.text() == f"Compare {MAX_COMPARED} of {len(rows)}"
    with qtbot.waitSignal(w.comparer.compared, timeout=LONG_WAIT_MS) as blocker:
        assert w.comparer.compare(rows, "side")
    assert len(blocker.args[0].motions) == MAX_COMPARED
    with qtbot.waitSignal(w.comparer.compared, timeout=LONG_WAIT_MS) as blocker:
        assert w.comparer.compare(rows, "overlay")  # one colour each: at most four
    assert len(blocker.args[0].motions) == MAX_OVERLAID == 4
    msg = w.statusBar().currentMessage()  # the lasting text keeps the cap note
    assert "(white)" in msg and msg.count("(") == 5, msg
    assert msg.startswith("Comparing #1 ") and f"overlaid (the first 4 of {len(rows)})." in msg
    # a newer comparison overtakes an older one still on its way
    first = w.comparer.compare([0, 1])
    with qtbot.waitSignal(w.comparer.compared, timeout=LONG_WAIT_MS) as blocker:
        second = w.comparer.compare([2, 3, 4])
    assert first and second and len(blocker.args[0].motions) == 3
    qtbot.wait(200)
    assert w.skeleton_view.num_motions == 3


def test_a_single_motion_on_its_way_does_not_replace_a_comparison(qtbot, ranked):
    """Select one result and compare others before its motion arrives: the comparison
    stays (the single motion's reply and its display steps are dropped)."""
    w, rl, sv = ranked, ranked.results_list, ranked.skeleton_view
    rl.select_row(1)  # fetch in flight, not yet shown
    with qtbot.waitSignal(w.comparer.compared, timeout=LONG_WAIT_MS):
        assert w.comparer.compare([0, 2, 3])
    qtbot.wait(500)  # every queued reply and display step has run
    assert sv.num_motions == 3
    with qtbot.waitSignal(w.motionShown, timeout=LONG_WAIT_MS):  # a new selection shows again
        rl.select_row(2)
    assert sv.num_motions == 1 and w.current_motion.row == w.last_result.hits[2]["row"]


def test_no_comparison_of_old_rows_while_a_gallery_opens(qtbot, ranked):
    """Rows of the shown results name the open gallery: a comparison is refused while
    another gallery opens, and one on its way when a gallery opens is dropped (it read the
    new gallery at the old rows)."""
    w = ranked
    w.state.opening_gallery()
    assert w.comparer.compare([0, 1]) is False
    assert "Wait for the gallery to open" in w.statusBar().currentMessage()
    w.state.job_started("gallery", "Opening gallery")
    w.state.job_finished("gallery", "cancelled")
    shown = []
    w.comparer.compared.connect(shown.append)
    assert w.comparer.compare([0, 1])
    w.state.events.gallery.emit(w.state.gallery)  # a gallery opened before the reply came
    qtbot.wait(800)
    assert shown == [] and w.skeleton_view.num_motions == 1


def test_every_panel_explains_the_first_compared_motion(qtbot, ranked):
    """Shift+Down twice from #1, then Ctrl+M: the words said "#1", while the patch image
    and the chronology panel kept #3 (the current row before the comparison)."""
    import numpy as np
    from PySide6.QtCore import Qt

    w, rl = ranked, ranked.results_list
    with qtbot.waitSignal(w.motionShown, timeout=LONG_WAIT_MS):
        rl.select_row(0)
    for _ in range(2):
        qtbot.keyClick(rl.view, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)
    assert rl.selected_rows() == [0, 1, 2]
    qtbot.wait(500)  # the current row's own motion and orders arrive first
    with qtbot.waitSignal(w.ordersShown, timeout=LONG_WAIT_MS,
                          check_params_cb=lambda r: r.row == int(rl.record(0)["row"])):
        with qtbot.waitSignal(w.comparer.compared, timeout=LONG_WAIT_MS) as got:
            rl.compare_button.click()
    first = got.args[0].motions[0]
    assert first.row == int(rl.record(0)["row"])
    assert first.id.rsplit("/", 1)[-1] in w.analysis.chronology.heading()
    want = w.patch_view.image_rgb()
    w.patch_view.set_image(first.patches, fps=first.fps)  # what #1's image looks like
    assert np.array_equal(want, w.patch_view.image_rgb())


def test_an_export_during_a_comparison_writes_its_first_motion(qtbot, ranked, tmp_path):
    """A GLB export while comparing wrote the motion shown before the comparison (maybe
    none of those compared), and said nothing: it writes #1 and says so."""
    w, rl = ranked, ranked.results_list
    with qtbot.waitSignal(w.motionShown, timeout=LONG_WAIT_MS):
        rl.select_row(3)
    rl.select_rows([1, 2])
    with qtbot.waitSignal(w.comparer.compared, timeout=LONG_WAIT_MS) as got:
        rl.compare_button.click()
    first = got.args[0].motions[0]
    assert w.current_motion.row != first.row  # the motion shown before is another
    out = tmp_path / "first.bvh"
    with qtbot.waitSignal(w.dialogs.exports.finished, timeout=LONG_WAIT_MS):
        assert w.dialogs.export_to(out, "bvh")
        assert "(#1 of the comparison)" in w.statusBar().currentMessage()
    from motionlex.core.motion.files import load_motion_file

    written = load_motion_file(out).num_frames
    assert written == pytest.approx(len(first.joints), abs=1)
    before = len(w.current_motion.joints)
    if abs(before - len(first.joints)) > 1:  # told apart by length: not the one before
        assert abs(written - before) > 1
