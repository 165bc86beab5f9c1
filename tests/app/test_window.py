"""The explorer window under Xvfb with a real tiny model and a real index: searching, results,
playback keys, worker errors and exports (opening galleries: test_window_galleries.py; the
layout: test_window_layout.py)."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from motionlex.app import settings as cfg
from motionlex.app.window import MainWindow
from motionlex.widgets.lexical_groups import drawn_words

QUERY = "a person waves the right hand"
LONG_WAIT_MS = 90000  # model and index loads on a busy 2-core machine


def _wait_motion(qtbot, window: MainWindow, row: int) -> None:
    qtbot.waitUntil(lambda: window.current_motion is not None
                    and window.current_motion.row == row, timeout=LONG_WAIT_MS)


def test_empty_window_says_how_to_open(qtbot, window):
    assert window.gallery is None and window.model_info is None
    welcome = window.findChild(type(window._welcome), "welcome")
    assert welcome.isVisible()
    assert "Open checkpoint" in welcome.text() and "Open gallery" in welcome.text()
    assert window.gallery_label.text() == "no gallery"
    # the status bar says what the page says: the checkpoint is optional (GUI audit B #10:
    # it said "Open a checkpoint and a gallery", beside "no model")
    assert window.device_label.text() == "no model loaded"
    assert "shipped model" in window.device_label.toolTip()
    said = window.statusBar().currentMessage()
    assert said.startswith("Open a gallery (File") and "shipped model" in said, said
    menus = [a.text().replace("&", "") for a in window.menuBar().actions()]
    assert menus == ["File", "Search", "Playback", "View", "Help"]
    assert not window.act_export_glb.isEnabled() and not window.act_similar.isEnabled()
    assert not window.analysis.act_describe.isEnabled()  # nothing to describe
    # nothing else that cannot act is on (GUI audit w38 #8): Search, the chronology toggle
    # (neither button pressed) and its caption box
    assert not window.act_search.isEnabled()
    chrono = window.analysis.chronology
    for source in ("query", "caption"):
        assert not chrono.button(source).isEnabled() and not chrono.button(source).isChecked()
    assert not window.car_panel.caption_edit.isEnabled()
    # the cursor starts in the query box (it went to the chronology panel's caption box)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.query_edit, timeout=5000)
    # a query with nothing open is answered in the status bar, not with an exception
    qtbot.keyClicks(window.query_edit, "walk")
    qtbot.keyClick(window.query_edit, Qt.Key.Key_Return)
    # in the welcome page's words (it said "File > Open gallery" beside "File › Open gallery…")
    assert window.statusBar().currentMessage() == \
        "Open a gallery first (File \u203a Open gallery\u2026)."
    assert "File &rsaquo; Open gallery&hellip;" in welcome.text()
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
    bars = w.lexical_bars  # one row per word, its forms summed (the model's word groups)
    assert bars.is_grouped() and bars.word_groups() == w.state.model.word_groups
    assert bars.words("query") == drawn_words(result.query_words, None, bars.word_groups(),
                                              20).pairs
    assert bars.words("result") == drawn_words(m.words, None, bars.word_groups(), 20).pairs
    w.act_group_words.setChecked(False)  # View > Group word forms, remembered
    assert bars.words("query") == result.query_words[:20] and not bars.is_grouped()
    assert w.settings.value(cfg.KEY_GROUP_WORDS) in (False, "false")
    w.act_group_words.setChecked(True)
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

    def broken(text, **options):
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
    assert w.state.query_label == f"motion {take.name}" and result.query_own == frozenset()
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


def test_a_query_searched_as_typed_enters_the_history_once_used(qtbot, loaded, monkeypatch):
    """Audit 35 #2: a query searched as it was typed, whose results were then browsed
    (Down, Shift+Down, compare), was not brought back by Up: only Enter kept a query. It
    is kept once the user moves on from its results, and the prefixes typed on the way are
    not."""
    w = loaded
    w.act_live.setChecked(True)
    w.activateWindow()
    w.focus_query()
    qtbot.waitUntil(w.query_edit.hasFocus, timeout=5000)
    w.query_edit.clear()
    for part in ("a pers", "on claps"):  # a pause in typing: each is searched
        with qtbot.waitSignal(w.resultsShown, timeout=LONG_WAIT_MS):
            qtbot.keyClicks(w.query_edit, part)
    assert "a person claps" not in w.query_edit.history  # still in the box, being read
    qtbot.keyClick(w.query_edit, Qt.Key.Key_Down)  # into the results: moved on
    qtbot.waitUntil(lambda: not w.query_edit.hasFocus(), timeout=5000)
    assert w.query_edit.history[-1] == "a person claps"
    assert "a pers" not in w.query_edit.history
    # a live query replaced by another once its results were read is kept too
    from motionlex.app import live_queries

    monkeypatch.setattr(live_queries, "READ_AFTER_S", 0.0)
    for query in ("a person bows", "a person jumps"):
        w.focus_query()  # the text selected: typing replaces it
        with qtbot.waitSignal(w.resultsShown, timeout=LONG_WAIT_MS):
            qtbot.keyClicks(w.query_edit, query)
    assert w.query_edit.history[-2:] == ["a person claps", "a person bows"]
    w.query_edit.clear()
    qtbot.keyClick(w.query_edit, Qt.Key.Key_Up)
    assert w.query_edit.text() == "a person bows"
    w.close()  # closing keeps the one shown
    assert w.query_edit.history[-1] == "a person jumps"


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
    assert "is a folder" in w.error_box.text()
    assert w.error_box.text().count(str(tmp_path / "v.gif")) == 1  # named once (w38 #8)
    w.error_box.done(0)
    # a motion export to a suffix its kind does not write is refused as a video's is (a
    # GLB named wave.txt was written silently, audit 35 #5)
    for name, kind, said in (("wave.txt", "glb", "GLB export writes .glb, not .txt"),
                             ("wave.bvh", "poses", "pose-sequence export writes .glb, not "
                                                   ".bvh"),
                             ("wave.glb", "bvh", "BVH export writes .bvh, not .glb"),
                             ("wave.avi", "video", "video export writes .gif or .mp4, not "
                                                   ".avi"),
                             ("wave.jpg", "png", "window PNG export writes .png, not .jpg")):
        assert not w.dialogs.export_to(tmp_path / name, kind)
        assert f"{tmp_path / name}: {said}" in w.error_box.text()
        # the path once: "Export to X failed: X: GLB export writes…" (GUI audit w38 #8)
        assert w.error_box.text().count(str(tmp_path / name)) == 1, w.error_box.text()
        w.error_box.done(0)
        assert not (tmp_path / name).exists()
    assert w.dialogs.export_to(tmp_path / "WAVE.GLB", "glb")  # any case
    qtbot.waitUntil(lambda: (tmp_path / "WAVE.GLB").is_file(), timeout=LONG_WAIT_MS)


def test_about_names_model_device_and_gallery(loaded):
    text = loaded.about_text()
    assert "tiny" in text and loaded.model_info.device_name in text and "26 motions" in text


def test_group_word_forms_is_read_from_the_settings(qtbot, make_window, settings_file):
    s = cfg.open_settings(settings_file)
    s.setValue(cfg.KEY_GROUP_WORDS, False)
    s.sync()
    w = make_window()
    assert not w.act_group_words.isChecked()
    w.lexical_bars.set_word_groups({"hands": "hand", "hand": "hand"})
    w.lexical_bars.set_query_words([("hands", 0.5), ("hand", 0.4)])
    assert [x for x, _ in w.lexical_bars.words("query")] == ["hands", "hand"]
    w.act_group_words.setChecked(True)
    assert w.lexical_bars.words("query") == [("hand", 0.9)]


def test_more_results_asks_the_last_query_again_for_up_to_1000(qtbot, loaded,
                                                                 monkeypatch):
    """GUI audit 37 #16: a query showed its first 100 results, and the results filter
    searched only those; View > Show up to 1,000 results asks again (remembered)."""
    from motionlex.app.messages import DEFAULT_K, MORE_K

    w = loaded
    asked: list[int] = []
    rank = w.client.rank
    monkeypatch.setattr(w.client, "rank", lambda *a, **kw: (asked.append(kw["k"]),
                                                            rank(*a, **kw))[1])
    w.query_edit.setText("a person walks")
    with qtbot.waitSignal(w.resultsShown, timeout=60000):
        w.search_from_box()
    with qtbot.waitSignal(w.resultsShown, timeout=60000) as got:
        w.act_more_results.setChecked(True)
    assert asked == [DEFAULT_K, MORE_K] and got.args[0].text == "a person walks"
    assert cfg.read_bool(w.settings, cfg.KEY_MORE_RESULTS, False)


def test_a_failed_screenshot_leaves_the_file_there_as_it_was(qtbot, window, tmp_path,
                                                              monkeypatch):
    """The screenshot goes through the exporter's PNG path (a temporary name, then moved
    into place): it was saved straight onto the final name, so a failing write left half a
    PNG there (code review 36 F4)."""
    import imageio.v3 as iio
    from PySide6.QtGui import QImage, QPixmap

    png = window.save_screenshot(tmp_path / "shots" / "w.png")  # the folder is made
    assert iio.imread(png).shape[:2] == (window.height(), window.width())
    before = png.read_bytes()

    def half_written(self, name, *args) -> bool:  # a full disk: part written, then False
        with open(name, "wb") as f:
            f.write(b"\x89PNG half")
        return False

    monkeypatch.setattr(QImage, "save", half_written)
    monkeypatch.setattr(QPixmap, "save", half_written)
    with pytest.raises(OSError, match="w.png"):
        window.save_screenshot(png)
    assert png.read_bytes() == before and sorted(png.parent.iterdir()) == [png]
