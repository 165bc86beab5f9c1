"""The explorer window under Xvfb with a real tiny model and a real index."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from motionlex.app import settings as cfg
from motionlex.app.window import MainWindow

QUERY = "a person waves the right hand"
LONG_WAIT_MS = 90000  # model and index loads on a busy 2-core machine


@pytest.fixture
def window(make_window, gl_platform) -> MainWindow:
    return make_window()


@pytest.fixture
def loaded(open_window) -> MainWindow:
    """A window with the tiny checkpoint and the test gallery open, first item shown and the
    uncaptioned rows described (conftest's ``open_window``)."""
    return open_window(timeout_ms=LONG_WAIT_MS)


def _wait_motion(qtbot, window: MainWindow, row: int) -> None:
    qtbot.waitUntil(lambda: window.current_motion is not None
                    and window.current_motion.row == row, timeout=LONG_WAIT_MS)


def test_empty_window_says_how_to_open(qtbot, window):
    assert window.gallery is None and window.model_info is None
    welcome = window.findChild(type(window._welcome), "welcome")
    assert welcome.isVisible()
    assert "Open checkpoint" in welcome.text() and "Open gallery" in welcome.text()
    assert window.gallery_label.text() == "no gallery" and window.device_label.text() == "no model"
    menus = [a.text().replace("&", "") for a in window.menuBar().actions()]
    assert menus == ["File", "Search", "Playback", "View", "Help"]
    assert not window.act_export_glb.isEnabled() and not window.act_similar.isEnabled()
    assert not window.analysis.act_describe.isEnabled()  # nothing to describe
    # the cursor starts in the query box (it went to the chronology panel's caption box)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.query_edit, timeout=5000)
    # a query with nothing open is answered in the status bar, not with an exception
    qtbot.keyClicks(window.query_edit, "walk")
    qtbot.keyClick(window.query_edit, Qt.Key.Key_Return)
    assert "Open a gallery first" in window.statusBar().currentMessage()
    assert window.client.latest("rank") == 0


def test_typed_query_ranks_animates_and_explains(qtbot, loaded, screenshot_dir):
    w = loaded
    assert w.gallery.size == 26 and w.gallery_label.text() == "gallery: 26 motions"
    assert w.device_label.text().startswith(("CPU", "GPU"))
    w.query_edit.clear()
    w.focus_query()
    qtbot.keyClicks(w.query_edit, QUERY)
    with qtbot.waitSignal(w.resultsShown, timeout=LONG_WAIT_MS) as blocker:
        qtbot.keyClick(w.query_edit, Qt.Key.Key_Return)
    result = blocker.args[0]
    assert result.text == QUERY and w.query_edit.history[-1] == QUERY
    # ranked results in the list, best first, and the first one selected
    rl = w.results_list
    assert rl.row_count() == len(result.hits) == 26
    scores = [rl.record(r)["score"] for r in range(rl.row_count())]
    assert scores == sorted(scores, reverse=True)
    assert rl.record(0)["id"] == result.hits[0]["id"] and rl.selected_row() == 0
    assert w.latency_label.text().startswith("last query") and w.last_latency_ms > 0
    # selecting a result shows that motion and plays it
    top = result.hits[0]["row"]
    _wait_motion(qtbot, w, top)
    m = w.current_motion
    sv = w.skeleton_view
    assert sv.num_frames == len(m.joints) and sv.is_playing
    first, f0 = sv.grab_frame(), sv.frame
    qtbot.waitUntil(lambda: abs(sv.frame - f0) >= 4, timeout=5000)
    later = sv.grab_frame()
    changed = np.any(first[..., :3] != later[..., :3], axis=-1).mean()
    assert changed > 0.001  # pixels change between frames
    # the patch view and the bars show this motion's data
    pv = w.patch_view
    assert pv.valid_frames == len(m.joints) and pv.image_rgb().shape == (len(m.joints), 80, 3)
    qtbot.waitUntil(lambda: pv.frame == sv.frame or not sv.is_playing, timeout=2000)
    assert w.lexical_bars.words("query") == result.query_words[:20]
    assert w.lexical_bars.words("result") == m.words[:20]
    # the chronology panel scores event orders for the selected motion
    qtbot.waitUntil(lambda: bool(w.car_panel.shown_orders()) and not w.car_panel.is_busy(),
                    timeout=LONG_WAIT_MS)
    # a text query: the chronology panel shows the query's orders against this motion
    assert len(w.car_panel.true_rows()) == 1 and w.car_panel.caption_edit.text() == QUERY
    out = w.save_screenshot(screenshot_dir / "app_main_window.png")
    assert out.stat().st_size > 20_000
    # choosing another result shows it
    with qtbot.waitSignal(w.motionShown, timeout=LONG_WAIT_MS):
        rl.select_row(3)
    assert w.current_motion.row == result.hits[3]["row"]
    # clicking a word's bar searches for that word
    word = w.lexical_bars.words("result")[0][0]
    rect = w.lexical_bars.word_rect("result", word)
    with qtbot.waitSignal(w.resultsShown, timeout=LONG_WAIT_MS) as blocker:
        qtbot.mouseClick(w.lexical_bars, Qt.MouseButton.LeftButton, pos=rect.center())
    assert blocker.args[0].text == word and w.query_edit.text() == word
    assert w.query_edit.history[-1] == QUERY  # the replaced query is one Up away


def test_worker_error_shows_message_and_app_stays_usable(qtbot, loaded, monkeypatch):
    w = loaded
    searcher = w.client.worker._searcher

    def broken(text):
        raise RuntimeError("embedding exploded")

    monkeypatch.setattr(searcher, "embed_text", broken)
    with qtbot.waitSignal(w.errorShown, timeout=LONG_WAIT_MS) as blocker:
        w.search("a person kicks")
    assert "embedding exploded" in blocker.args[0]
    box = w.error_box
    assert isinstance(box, QMessageBox) and box.isVisible() and "embedding exploded" in box.text()
    assert "embedding exploded" in w.statusBar().currentMessage()
    box.button(QMessageBox.StandardButton.Ok).click()
    qtbot.waitUntil(lambda: w.error_box is None, timeout=2000)
    monkeypatch.undo()
    with qtbot.waitSignal(w.resultsShown, timeout=LONG_WAIT_MS) as blocker:
        w.search("a person kicks")
    assert len(blocker.args[0].hits) == 26


@pytest.mark.parametrize("kind", ["missing", "file", "not_a_dataset"])
def test_bad_gallery_paths_get_a_dialog(qtbot, window, tmp_path, kind):
    path = tmp_path / kind
    if kind == "file":
        path.write_text("not a gallery")
    elif kind == "not_a_dataset":
        path.mkdir()
        (path / "notes.txt").write_text("hello")
    with qtbot.waitSignal(window.errorShown, timeout=LONG_WAIT_MS) as blocker:
        window.open_gallery(path)
    msg = blocker.args[0]
    assert str(path) in msg
    expect = {"missing": "gallery not found", "file": "is a file",
              "not_a_dataset": "not a motion dataset"}[kind]
    assert expect in msg and "Traceback" not in msg
    assert window.error_box.isVisible() and expect in window.error_box.text()
    qtbot.waitUntil(lambda: not window.busy, timeout=5000)
    assert window.gallery is None
    assert cfg.read_recent(window.settings) == []  # a gallery that failed is not remembered
    window.error_box.done(0)
    assert window.search("walk") is False  # still answers, nothing queued


def test_layout_history_and_mode_remembered(qtbot, make_window, gl_platform):
    w1 = make_window((1100, 700))
    w1.lexical_dock.hide()
    w1.query_edit.add_history("a person jumps")
    w1.mode_box.setCurrentIndex(w1.mode_box.findData("dense"))
    w1.close()
    w2 = make_window((1100, 700))
    assert w2.lexical_dock.isHidden() and not w2.patch_dock.isHidden()
    assert w2.query_edit.history[-1] == "a person jumps" and w2.mode == "dense"
    w2.resizeDocks([w2.results_dock, w2.car_dock], [560, 60], Qt.Orientation.Vertical)
    qtbot.waitUntil(lambda: w2.car_dock.height() < 150, timeout=5000)
    w2.reset_layout()
    assert w2.lexical_dock.isVisible()
    # sized as at first start: the chronology panel gets 3/5 of the left column (its
    # orders table was cut to one row after a reset, which kept the docks' build sizes)
    qtbot.waitUntil(lambda: w2.car_dock.height() > 1.3 * w2.results_dock.height(),
                    timeout=5000)
    assert w2.dockWidgetArea(w2.car_dock) == Qt.DockWidgetArea.LeftDockWidgetArea
    assert w2.dockWidgetArea(w2.patch_dock) == Qt.DockWidgetArea.RightDockWidgetArea
    assert w2.tabifiedDockWidgets(w2.results_dock) == [w2.gallery_dock]


def test_keyboard_shortcuts(qtbot, loaded):
    w, sv = loaded, loaded.skeleton_view
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow, timeout=5000)  # window shortcuts need the active window
    w.results_list.view.setFocus()
    sv.pause()
    sv.seek(5)
    qtbot.keyClick(w.results_list.view, Qt.Key.Key_Space)
    assert sv.is_playing
    qtbot.keyClick(w.results_list.view, Qt.Key.Key_Space)
    assert not sv.is_playing
    f = sv.frame
    qtbot.keyClick(w.results_list.view, Qt.Key.Key_Right)
    assert sv.frame == (f + 1) % sv.num_frames
    qtbot.keyClick(w.results_list.view, Qt.Key.Key_Left)
    qtbot.keyClick(w.results_list.view, Qt.Key.Key_Left)
    assert sv.frame == (f - 1) % sv.num_frames
    # speed, loop and camera from the keyboard (the bar's boxes take no focus)
    speed = sv.speed
    qtbot.keyClick(w.results_list.view, Qt.Key.Key_BracketRight)
    assert sv.speed > speed
    qtbot.keyClick(w.results_list.view, Qt.Key.Key_BracketLeft)
    qtbot.keyClick(w.results_list.view, Qt.Key.Key_BracketLeft)
    assert sv.speed < speed
    sv.set_speed(speed)
    loop, follow = sv.loop, sv.follow_root
    w.act_loop.trigger()
    w.act_follow.trigger()
    assert (sv.loop, sv.follow_root) == (not loop, not follow)
    w.act_loop.trigger()
    w.act_follow.trigger()
    assert (sv.loop, sv.follow_root) == (loop, follow)
    # Ctrl+2 / Ctrl+3 / Ctrl+1 set the ranking (the Search menu's radio items follow the
    # box); the box itself is out of the Tab chain (Down there switched the ranking)
    for key, mode in ((Qt.Key.Key_2, "dense"), (Qt.Key.Key_3, "lexical"),
                      (Qt.Key.Key_1, "fused")):
        qtbot.keyClick(w.results_list.view, key, Qt.KeyboardModifier.ControlModifier)
        assert w.mode == mode and w.act_modes[mode].isChecked()
    w.mode_box.setCurrentIndex(w.mode_box.findData("dense"))
    assert w.act_modes["dense"].isChecked() and not w.act_modes["fused"].isChecked()
    w.mode_box.setCurrentIndex(w.mode_box.findData("fused"))
    assert w.mode_box.focusPolicy() == Qt.FocusPolicy.ClickFocus
    # Ctrl+F goes to the query box, where space types a space instead of playing
    qtbot.keyClick(w.results_list.view, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert w.query_edit.hasFocus() and w.query_edit.selectedText() == w.query_edit.text()
    w.act_live.setChecked(False)
    w.query_edit.clear()
    qtbot.keyClicks(w.query_edit, "a b")
    assert w.query_edit.text() == "a b" and not sv.is_playing
    # Ctrl+E from the query box exports (a line edit took it as "end of line" on X11)
    asked = []
    w.dialogs.export = asked.append  # the action's slot, without the file dialog
    qtbot.keyClick(w.query_edit, Qt.Key.Key_Home)
    qtbot.keyClick(w.query_edit, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    assert asked == ["glb"] and w.query_edit.cursorPosition() == 0
    # ... and from every other text box (the filters, the chronology caption box)
    from PySide6.QtWidgets import QLineEdit

    edits = [e for e in w.findChildren(QLineEdit) if e is not w.query_edit]
    assert len(edits) >= 3
    for edit in edits:
        edit.setText("abc")
        edit.setCursorPosition(0)
        qtbot.keyClick(edit, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
        assert edit.cursorPosition() == 0, edit.objectName()
    assert asked == ["glb"] * (1 + len(edits))
    for edit in edits:
        edit.clear()
    # Down past the newest query leaves the box for the results: Space plays there (it
    # typed a space into the query after Enter, 5 Tabs away from the list)
    w.query_edit.setText(w.query_edit.history[-1] if w.query_edit.history else "")
    w.query_edit.setFocus()
    qtbot.keyClick(w.query_edit, Qt.Key.Key_Down)
    visible = w.results_list if w.results_list.row_count() else w.gallery_browser
    assert visible.view.hasFocus() and visible.selected_row() is not None
    text = w.query_edit.text()
    qtbot.keyClick(visible.view, Qt.Key.Key_Space)
    assert sv.is_playing and w.query_edit.text() == text


def test_a_gallery_row_picked_while_ranking_stays_shown(qtbot, loaded):
    """A gallery row chosen while a ranking is on its way (as right after opening a
    gallery, which re-asks the last query) is not replaced by the first result."""
    w = loaded
    with qtbot.waitSignal(w.resultsShown, timeout=LONG_WAIT_MS) as got:
        w.search("a person bows")
        w.gallery_browser.select_row(5)  # before the results arrive
    _wait_motion(qtbot, w, int(w.gallery_browser.record(5)["row"]))
    qtbot.wait(300)
    assert w.current_motion.row == int(w.gallery_browser.record(5)["row"])
    at = w.state.result_position(w.current_motion.row)  # the results mark it, if they hold it
    assert w.results_list.selected_rows() == ([] if at is None else [at])
    assert got.args[0].text == "a person bows"


def test_text_typed_while_a_gallery_opens_is_what_gets_searched(qtbot, loaded,
                                                                  gallery_index):
    """The old gallery's query used to replace the box's text when the new gallery
    arrived, and the rest of the typing was appended to it ("a person wavesn kicks")."""
    w = loaded
    with qtbot.waitSignal(w.resultsShown, timeout=LONG_WAIT_MS):
        w.search("a person waves")
    with qtbot.waitSignal(w.resultsShown, timeout=LONG_WAIT_MS) as got:
        w.open_gallery(gallery_index)  # the gallery is answered on the worker's thread
        w.query_edit.clear()
        qtbot.keyClicks(w.query_edit, "a person kicks")  # typed before it is shown
    assert w.query_edit.text() == "a person kicks"
    assert got.args[0].text == "a person kicks"
    # with search-as-you-type off, text typed but not submitted waits for Enter
    w.act_live.setChecked(False)
    before = w.client.latest("rank")
    with qtbot.waitSignal(w.galleryShown, timeout=LONG_WAIT_MS):
        w.open_gallery(gallery_index)
        w.query_edit.clear()
        qtbot.keyClicks(w.query_edit, "a person ju")
    qtbot.wait(300)
    assert w.query_edit.text() == "a person ju" and w.client.latest("rank") == before


def test_old_gallery_rows_are_not_asked_for_while_a_gallery_opens(qtbot, loaded, bvh_folder):
    """A row clicked in the old gallery's lists while another gallery opens is refused
    with a status note: sent, the worker read it in the new gallery after the load (two
    error boxes: "item 20 out of range for 2 motions", and its event orders)."""
    w = loaded
    errors: list = []
    w.errorShown.connect(errors.append)
    row = w.gallery.size - 1
    asked = (w.client.latest("motion"), w.client.latest("orders"), w.analysis._describe_id)
    shown = w.state.selected_row
    assert shown is not None and shown != row
    with qtbot.waitSignal(w.galleryShown, timeout=LONG_WAIT_MS):
        w.open_gallery(bvh_folder)
        w.gallery_browser.select_row(row)  # a click on the old gallery's browser
        assert "Wait for the gallery to open" in w.statusBar().currentMessage()
        QApplication.processEvents()  # the highlight goes back to the motion shown (it
        assert w.gallery_browser.selected_row() == shown  # stayed on the refused row)
        w.analysis.describe_selected()
        w.analysis.request_orders(row)
        w.car_panel.captionEdited.emit("a person walks, then sits down")  # the shown motion's
        assert (w.client.latest("motion"), w.client.latest("orders"),
                w.analysis._describe_id) == asked
    qtbot.wait(1000)
    assert errors == [] and w.gallery.size <= row


def test_a_motion_file_path_in_the_query_box_ranks_by_that_motion(qtbot, loaded, bvh_folder,
                                                                   tmp_path):
    """A BVH path typed or pasted (quoted, as file managers copy it) ranks by that motion,
    read on the worker: the same take in the gallery comes first. It was ranked as text
    ("unknown words: bvh"). A file that is no motion gets an error naming it; the app
    stays up."""
    w = loaded
    take = sorted(bvh_folder.glob("*.bvh"))[0]
    w.query_edit.setText(f'"{take}"')
    qtbot.wait(400)  # the spelling line's delay: a path is not checked as words
    assert not w.query_hint.isVisible()
    with qtbot.waitSignal(w.resultsShown, timeout=LONG_WAIT_MS) as got:
        w.search_from_box()
    result = got.args[0]
    assert result.text == "" and result.hits[0]["id"].endswith(take.stem)
    assert w.state.query_label == f"motion {take.name}" and result.query_own is None
    assert w.client.latest("rank") == result.request_id
    bad = tmp_path / "notes.bvh"
    bad.write_text("not a motion\n")
    with qtbot.waitSignal(w.errorShown, timeout=LONG_WAIT_MS) as err:
        assert w.search_motion_file(bad)
    assert "notes.bvh" in err.args[0]
    # a mistyped path is an error naming it, not words ranked ("100 results" of runs)
    before = w.client.latest("rank")
    with qtbot.waitSignal(w.errorShown, timeout=5000) as err:
        assert not w.search(str(bvh_folder / "nonexistent.bvh"))
    assert err.args[0].startswith(f"motion file not found: {bvh_folder / 'nonexistent.bvh'}")
    assert w.client.latest("rank") == before
    with qtbot.waitSignal(w.resultsShown, timeout=LONG_WAIT_MS) as again:  # mode switch
        w.search_motion_file(take)
    with qtbot.waitSignal(w.resultsShown, timeout=LONG_WAIT_MS) as again:  # re-asks the file
        w.mode_box.setCurrentIndex(w.mode_box.findText("dense"))
    assert again.args[0].motion_file == str(take) and again.args[0].mode == "dense"
    with qtbot.waitSignal(w.resultsShown, timeout=LONG_WAIT_MS):  # still answering
        w.search("a person waves")
    # live search: words with a "/" are searched; a path being typed is not
    before = w.client.latest("rank")
    w._live_search("a person waves at someone/something")
    assert w.client.latest("rank") == before + 1
    w._live_search(str(bvh_folder / "half-typ"))
    assert w.client.latest("rank") == before + 1


def test_search_as_you_type_sends_one_query(qtbot, loaded):
    w = loaded
    w.act_live.setChecked(True)
    before = w.client.latest("rank")
    w.query_edit.clear()
    with qtbot.waitSignal(w.resultsShown, timeout=LONG_WAIT_MS) as blocker:
        qtbot.keyClicks(w.query_edit, "a person bows")
    assert blocker.args[0].text == "a person bows"
    assert w.client.latest("rank") == before + 1  # debounced: one request for 13 keys


def test_dataset_folder_built_with_progress_then_bvh_export(qtbot, window, tiny_checkpoint,
                                                            bvh_folder, tmp_path):
    with qtbot.waitSignal(window.checkpointShown, timeout=LONG_WAIT_MS):
        window.open_checkpoint(tiny_checkpoint)
    with qtbot.waitSignal(window.galleryShown, timeout=LONG_WAIT_MS) as blocker:
        window.open_gallery(bvh_folder)
        qtbot.waitUntil(lambda: window._progress.isVisible(), timeout=LONG_WAIT_MS)
        assert window._cancel_button.isVisible()
        # the page in view says what is opening (it said "No gallery is open" meanwhile)
        assert f"Opening gallery {bvh_folder}" in window._welcome.text()
    info = blocker.args[0]
    assert info.built and info.size == 2 and window.gallery_browser.row_count() == 2
    assert not window._progress.isVisible()
    _wait_motion(qtbot, window, 0)
    assert window.current_motion.has_bvh and window.act_export_bvh.isEnabled()
    out = window.export_motion(tmp_path / "native.bvh", "bvh")
    assert out.read_bytes() == (bvh_folder / window.current_motion.source.split("/")[-1]
                                ).read_bytes()
    # opened again from File > Open Recent: the cached index is up to date, nothing is built
    said: list[str] = []  # the status texts (later ones, e.g. the caption bank's, replace it)
    window.state.events.status.connect(lambda text, _ms: said.append(text))
    window.recent_menu.aboutToShow.emit()
    recent = [a for a in window.recent_menu.actions() if a.data()]
    assert [a.data() for a in recent] == [str(bvh_folder)]
    assert recent[0].text() == f"&1 {bvh_folder.name}" and recent[0].isEnabled()
    pages: list[str] = []  # what the page says at each step: no "Indexing" (no build)
    # the gallery job's steps only (jobs run one at a time, their signals in order): on a
    # busy machine the first open's caption bank still reported progress here, over the
    # page the first build had left behind
    job = [""]
    window.client.worker.jobStarted.connect(lambda kind, _what: job.__setitem__(0, kind))
    window.client.worker.progress.connect(
        lambda *_: pages.append(window._welcome.text()) if job[0] == "gallery" else None)
    with qtbot.waitSignal(window.galleryShown, timeout=LONG_WAIT_MS) as blocker:
        recent[0].trigger()
    assert not blocker.args[0].built and blocker.args[0].size == 2
    assert pages and not any("Indexing" in p for p in pages), pages
    assert any(t.startswith("Gallery opened: 2 motions") for t in said), said
    assert not any(t.startswith("Gallery built") for t in said)


def test_cancel_gallery_build(qtbot, window, tiny_checkpoint, bandai_subset):
    with qtbot.waitSignal(window.checkpointShown, timeout=LONG_WAIT_MS):
        window.open_checkpoint(tiny_checkpoint)
    outcomes = []
    window.client.worker.jobFinished.connect(lambda k, o: outcomes.append((k, o)))
    window.client.worker.jobStarted.connect(
        lambda k, d: window.client.cancel() if k == "gallery" else None)
    window.open_gallery(bandai_subset)
    qtbot.waitUntil(lambda: ("gallery", "cancelled") in outcomes, timeout=LONG_WAIT_MS)
    qtbot.waitUntil(lambda: not window.busy, timeout=5000)
    assert window.gallery is None and window.error_box is None
    assert "No gallery is open" in window._welcome.text()  # not "Opening…" any more
    assert "cancelled" in window.statusBar().currentMessage()


def test_a_cancelled_gallery_puts_the_results_query_back_in_the_box(qtbot, loaded,
                                                                     bandai_subset):
    """A query typed while another gallery was being built, then Cancel: the box showed that
    query, never run, over the results of the one before. The box shows the results' query
    again, and Up brings the typed one back."""
    w = loaded
    with qtbot.waitSignal(w.resultsShown, timeout=LONG_WAIT_MS):
        w.search("a person kicks")
    outcomes = []
    w.client.worker.jobFinished.connect(lambda k, o: outcomes.append((k, o)))
    w.client.worker.jobStarted.connect(
        lambda k, d: w.client.cancel() if k == "gallery" else None)
    w.open_gallery(bandai_subset)
    w.query_edit.setText("a person jumps")
    w.search_from_box()  # waits for the gallery that is opening
    assert w.state.pending_query == "a person jumps"
    qtbot.waitUntil(lambda: ("gallery", "cancelled") in outcomes, timeout=LONG_WAIT_MS)
    qtbot.waitUntil(lambda: not w.busy, timeout=5000)
    assert w.query_edit.text() == w.last_result.text == "a person kicks"
    assert w.query_edit.history[-1] == "a person jumps"
    message = w.statusBar().currentMessage()
    assert "“a person jumps” was not searched" in message and "“a person kicks”" in message


def test_exports_from_window(qtbot, loaded, tmp_path):
    import imageio.v3 as iio
    import trimesh

    from motionlex.app.export import read_glb_json

    w = loaded
    glb = w.export_motion(tmp_path / "m.glb", "glb")
    assert read_glb_json(glb)["animations"][0]["name"] == w.current_motion.id
    poses = w.export_motion(tmp_path / "p.glb", "poses")
    n = len(range(0, len(w.current_motion.joints), 10))
    assert len(trimesh.load(poses).geometry) == n
    # an .npy motion has no BVH source: the BVH is written from its joints and reads back
    from motionlex.core.motion.bvh import forward_kinematics
    from motionlex.core.motion.bvh_parse import read_bvh

    bvh = read_bvh(w.export_motion(tmp_path / "x.bvh", "bvh"))
    names = list(w.current_motion.skeleton.joint_names)
    order = [bvh.joint_names.index(n) for n in names]  # file order is depth-first
    back = forward_kinematics(bvh)[:, order] / 100.0  # written in centimetres
    src = w.current_motion.joints
    assert back.shape == src.shape and np.abs(back - src).mean() < 0.01
    with pytest.raises(ValueError, match="kind must be"):
        w.export_motion(tmp_path / "x.obj", "obj")
    w.resize(700, 500)
    with qtbot.waitSignal(w.videoSaved, timeout=LONG_WAIT_MS) as blocker:
        w.record_video(tmp_path / "m.gif")
    frames = iio.imread(blocker.args[0], index=None)
    assert frames.shape[0] == w.skeleton_view.num_frames
    assert np.any(frames[0] != frames[len(frames) // 2])  # the figure moves
    png = w.save_screenshot(tmp_path / "w.png")
    assert iio.imread(png).shape[:2] == (w.height(), w.width())
    # a video onto a folder: said in the error box (it escaped, the status said "Saved")
    (tmp_path / "v.gif").mkdir()
    assert not w.dialogs.export_to(tmp_path / "v.gif", "video")
    assert "Export to" in w.error_box.text() and "is a folder" in w.error_box.text()
    w.error_box.done(0)


def test_about_names_model_device_and_gallery(loaded):
    text = loaded.about_text()
    assert "tiny" in text and loaded.model_info.device_name in text and "26 motions" in text


def test_side_columns_keep_their_share_when_the_window_grows(qtbot, window):
    """Qt gave every added pixel to the 3D view: at 1920 px the results' captions stayed
    cut at 17 characters. Each side column keeps its share of the width instead."""
    qtbot.wait(300)  # the first layout settles
    left, right, before = window.results_dock.width(), window.patch_dock.width(), window.width()
    window.resize(int(before * 1.5), window.height())
    qtbot.waitUntil(lambda: window.results_dock.width() > left * 1.3, timeout=5000)
    grown = window.width() / before  # the screen may cap the new width
    assert window.results_dock.width() == pytest.approx(left * grown, rel=0.05)
    assert window.patch_dock.width() == pytest.approx(right * grown, rel=0.05)


def test_side_columns_come_back_after_a_small_window(qtbot, window):
    """1440 -> 1024 -> 1440 left the right column 60 px narrower (its word weights gone):
    at 1024 the columns stop at their minimum widths, and those widths became the shares."""
    window.resize(1440, 900)
    qtbot.wait(300)
    left, right = window.results_dock.width(), window.patch_dock.width()
    for size in ((1024, 640), (1440, 900), (900, 600), (1440, 900)):
        window.resize(*size)
        qtbot.wait(200)
    qtbot.waitUntil(lambda: abs(window.patch_dock.width() - right) <= 8, timeout=5000)
    assert window.results_dock.width() == pytest.approx(left, abs=8)
    # a splitter moved by hand is the new share
    window.resizeDocks([window.patch_dock], [right - 60], Qt.Orientation.Horizontal)
    qtbot.waitUntil(lambda: abs(window.patch_dock.width() - (right - 60)) <= 8, timeout=5000)
    moved = window.patch_dock.width()
    window.resize(1200, 900)
    window.resize(1440, 900)
    qtbot.wait(300)
    assert window.patch_dock.width() == pytest.approx(moved, abs=8)


def test_a_layout_saved_small_keeps_its_shares_in_a_larger_window(qtbot, make_window,
                                                                  gl_platform):
    """Closed at 1024x640, then started with ``--size 1920x1080``: the docks stayed 354 and
    247 px (the restored layout's pixels) and the 3D view took the rest; captions were cut
    at 17 characters and the word weights were not drawn. They keep their shares instead,
    as when a shown window is resized."""
    small = make_window((1024, 640))
    qtbot.wait(300)  # the first layout settles
    shares = [d.width() / small.width() for d in (small.results_dock, small.patch_dock)]
    small.close()
    big = make_window((1920, 1080))  # as main() does: restored, resized, shown
    qtbot.waitUntil(lambda: big.results_dock.width() > 1.3 * shares[0] * 1024, timeout=5000)
    qtbot.wait(200)
    for dock, share in zip((big.results_dock, big.patch_dock), shares):
        assert dock.width() == pytest.approx(share * big.width(), rel=0.05)
    big.resize(1440, 900)  # and the shares hold on a resize afterwards
    qtbot.waitUntil(lambda: abs(big.results_dock.width() - shares[0] * big.width()) < 0.05
                    * shares[0] * big.width(), timeout=5000)


def test_focus_in_a_tabbed_away_dock_brings_it_to_the_front(qtbot, window):
    """Tab went into the hidden Gallery tab: typing filtered a list nobody could see."""
    from PySide6.QtWidgets import QLineEdit

    window.activateWindow()
    window.results_dock.raise_()
    qtbot.waitUntil(lambda: window.gallery_dock.visibleRegion().isEmpty(), timeout=3000)
    edit = window.gallery_browser.findChild(QLineEdit)
    edit.setFocus()
    qtbot.waitUntil(lambda: not window.gallery_dock.visibleRegion().isEmpty(), timeout=3000)
    assert window.results_dock.visibleRegion().isEmpty()  # the other tab went behind


def test_another_checkpoint_turns_text_queries_of_the_open_gallery_off_and_on(
        qtbot, loaded, save_tiny, tiny_checkpoint, tmp_path):
    """Another model for the open gallery: the status said "text queries are off" but the
    window still took the gallery as searchable (Describe enabled, every typed query an
    error). Its own checkpoint again turns them back on."""
    from motionlex.app import texts

    w = loaded
    assert w.state.searchable and w.analysis.act_describe.isEnabled()
    other = save_tiny(tmp_path / "other", seed=1)
    with qtbot.waitSignal(w.checkpointShown, timeout=LONG_WAIT_MS):
        w.open_checkpoint(other)
    assert not w.state.searchable and not w.analysis.act_describe.isEnabled()
    assert w.query_edit.placeholderText() == texts.NOT_SEARCHABLE_PLACEHOLDER
    assert w.search("a person walks") is False  # refused with a status, no error box
    with qtbot.waitSignal(w.checkpointShown, timeout=LONG_WAIT_MS):
        w.open_checkpoint(tiny_checkpoint)
    assert w.state.searchable and w.analysis.act_describe.isEnabled()
    assert w.query_edit.placeholderText() == texts.QUERY_PLACEHOLDER


def test_a_wordless_query_in_the_box_when_a_gallery_opens_still_shows_a_motion(
        qtbot, make_window, gl_platform, tiny_checkpoint, gallery_index):
    """"?!" in the query box is refused (a status says why); the gallery opened with no
    motion shown, Similar and Describe disabled."""
    w = make_window()
    w.query_edit.setText("?!")
    with qtbot.waitSignal(w.motionShown, timeout=LONG_WAIT_MS):
        w.open_checkpoint(tiny_checkpoint)
        w.open_gallery(gallery_index)
    assert w.current_motion is not None and w.act_similar.isEnabled()
    assert w.state.last_result is None  # nothing was ranked for "?!"
