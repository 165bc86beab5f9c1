"""SkeletonView on real HumanML3D motions: transport, layouts, camera follow, errors."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetrics, QImage, QVector3D

from motionlex.core.motion.skeleton import SMPL22
from motionlex.widgets.gl_canvas import y_up_to_z_up
from motionlex.widgets.skeleton_view import SkeletonView

FPS = 20.0


@pytest.fixture
def view(make_skeleton_view) -> SkeletonView:
    return make_skeleton_view()


def _show(view: SkeletonView, joints: np.ndarray) -> None:
    view.set_motion(joints, SMPL22.bones(), FPS, SMPL22.part_of_joint())


def test_seek_clamps_and_step_wraps(view, humanml3d_joints):
    joints = humanml3d_joints["000000"]
    _show(view, joints)
    n = joints.shape[0]
    assert view.num_frames == n and view.frame == 0
    assert view.seek(-5) == 0
    assert view.seek(10 * n) == n - 1
    assert view.step(1) == 0  # wraps forward
    assert view.step(-1) == n - 1  # wraps backward
    assert view.step(-3) == n - 4
    # the drawn pose is the data's pose at that frame, rotated to Z up
    np.testing.assert_allclose(view.current_poses()[0], y_up_to_z_up(joints[n - 4]), atol=1e-6)


def test_frame_changed_emitted_while_playing(qtbot, view, humanml3d_joints):
    _show(view, humanml3d_joints["000000"])
    view.set_speed(4.0)
    with qtbot.waitSignal(view.playingChanged, timeout=1000) as started:
        view.play()
    assert started.args == [True] and view.is_playing
    with qtbot.waitSignal(view.frameChanged, timeout=2000) as blocker:
        pass
    assert blocker.args[0] > 0 and view.frame > 0
    view.pause()
    assert not view.is_playing


def test_playback_stops_at_end_without_loop(qtbot, view, humanml3d_joints):
    _show(view, humanml3d_joints["000000"][:12])
    view.set_loop(False)
    view.set_speed(4.0)  # 12 frames at 80 frames/s: about 0.15 s
    with qtbot.waitSignal(view.playingChanged, timeout=3000, check_params_cb=lambda p: not p):
        view.play()
    assert view.frame == 11 and not view.is_playing


def test_scrubbing_while_playing_moves_playback_there(qtbot, view, humanml3d_joints):
    """The slider did nothing while the motion played (the next tick put back the frame the
    clock said), and a click on its groove stepped 10 frames instead of jumping there."""
    from PySide6.QtCore import QPoint
    from PySide6.QtWidgets import QStyle, QStyleOptionSlider

    _show(view, humanml3d_joints["000000"])
    n = view.num_frames
    slider = view.findChild(type(view._bar.slider))
    opt = QStyleOptionSlider()
    slider.initStyleOption(opt)

    def handle():
        slider.initStyleOption(opt)
        return slider.style().subControlRect(QStyle.ComplexControl.CC_Slider, opt,
                                             QStyle.SubControl.SC_SliderHandle, slider)

    y = slider.height() // 2
    qtbot.mouseClick(slider, Qt.MouseButton.LeftButton, pos=QPoint(int(slider.width() * 0.8), y))
    assert abs(view.frame - 0.8 * n) < 0.1 * n  # paused: the click jumps there
    view.seek(5)
    view.play()
    qtbot.wait(100)
    qtbot.mouseClick(slider, Qt.MouseButton.LeftButton, pos=QPoint(int(slider.width() * 0.6), y))
    qtbot.wait(150)  # playing on from about 60 %, not from where the clock was (~frame 8)
    assert view.is_playing and 0.5 * n < view.frame < 0.75 * n
    # a drag holds playback at the dragged frame until the release, then plays on
    start = handle().center()
    qtbot.mousePress(slider, Qt.MouseButton.LeftButton, pos=start)
    target = QPoint(int(slider.width() * 0.25), y)
    qtbot.mouseMove(slider, target)
    held = view.frame
    qtbot.wait(300)
    assert view.frame == held and abs(held - 0.25 * n) < 0.12 * n
    qtbot.mouseRelease(slider, Qt.MouseButton.LeftButton, pos=target)
    qtbot.waitUntil(lambda: view.frame > held, timeout=2000)
    assert view.is_playing and view.frame < held + 0.2 * n
    view.pause()
    assert not view.is_playing


def test_keyboard_space_and_arrows(qtbot, view, humanml3d_joints):
    _show(view, humanml3d_joints["000000"])
    qtbot.keyClick(view.gl_view, Qt.Key.Key_Right)
    assert view.frame == 1
    qtbot.keyClick(view, Qt.Key.Key_Left)
    qtbot.keyClick(view, Qt.Key.Key_Left)
    assert view.frame == view.num_frames - 1
    qtbot.keyClick(view, Qt.Key.Key_Space)
    assert view.is_playing
    qtbot.keyClick(view.gl_view, Qt.Key.Key_Space)
    assert not view.is_playing


def test_side_by_side_sync_and_overlay(qtbot, view, humanml3d_joints, screenshot_dir):
    motions = [humanml3d_joints[i] for i in ("000000", "007005", "M010968")]  # 116, 199, 70
    specs = [(m, SMPL22.bones(), FPS, SMPL22.part_of_joint()) for m in motions]
    view.set_motions(specs, layout="side", labels=["#1", "#2", "#3"])
    assert view.num_motions == 3 and view.num_frames == 199
    view.seek(150)
    assert view.motion_frames() == [115, 150, 69]  # shorter motions hold their last frame
    poses = view.current_poses()
    spans = sorted((p[:, 0].min(), p[:, 0].max()) for p in poses)
    for (_, hi), (lo, _) in zip(spans, spans[1:]):
        assert hi < lo  # side by side: x extents do not overlap
    qtbot.wait(50)
    view.gl_view.grabFramebuffer().save(str(screenshot_dir / "widget_skeleton_view_side.png"))

    view.set_motions(specs, layout="overlay", labels=["#1", "#2", "#3"])
    assert view.frame == 0 and view.num_frames == 199
    view.seek(30)
    for pose, m in zip(view.current_poses(), motions):
        np.testing.assert_allclose(pose, y_up_to_z_up(m[30]), atol=1e-6)
    tracks = view._scene.tracks
    # the first keeps its body-part colours, each later one is drawn in one colour of its own
    colours = [np.unique(t.scatter.color[:, :3].round(3), axis=0) for t in tracks]
    assert len(colours[0]) > 1 and len(colours[1]) == 1 and len(colours[2]) == 1
    assert not np.allclose(colours[1], colours[2])
    # each label is over its own body's head; where they would meet, later ones go up
    for t, pose in zip(tracks, view.current_poses()):
        np.testing.assert_allclose(t.label_pos[30][:2], pose.mean(axis=0)[:2], atol=1e-5)
        assert t.label_pos[30][2] > pose[:, 2].max()
    assert [t.label.line for t in tracks] == [0, 0, 0]  # kept apart on screen instead
    assert not _overlapping_labels(view)


def _overlapping_labels(view: SkeletonView) -> list[tuple[str, str]]:
    """Pairs of labels whose text boxes, as painted on the view, intersect."""
    boxes = []
    for t in view._scene.tracks:
        item = t.label
        at = item.align_text(item.compute_projection().map(QVector3D(*item.pos)).toPointF())
        box = QFontMetrics(item.font).boundingRect(item.text).translated(at.toPoint())
        boxes.append((item.text, box))
    return [(a, b) for k, (a, ra) in enumerate(boxes) for b, rb in boxes[k + 1:]
            if ra.intersects(rb)]


def test_eight_labels_side_by_side_on_a_narrow_view_stay_apart(qtbot, view, humanml3d_joints):
    view.resize(520, 400)
    m = humanml3d_joints["000000"]
    specs = [(m, SMPL22.bones(), FPS, SMPL22.part_of_joint())] * 8
    view.set_motions(specs, layout="side", labels=[f"#{k} 0.{90 - k}" for k in range(1, 9)])
    qtbot.wait(50)
    assert [t.label.line for t in view._scene.tracks] == [0, 1] * 4  # every second raised
    assert not _overlapping_labels(view)


def test_motions_with_different_fps_share_time(view, humanml3d_joints):
    m = humanml3d_joints["007005"]
    half_rate = m[::2]  # the same motion at 10 fps
    view.set_motions([(m, SMPL22.bones(), 20.0, None), (half_rate, SMPL22.bones(), 10.0, None)])
    assert view.fps == 10.0  # the half-rate copy lasts 10 s, the original 9.95 s
    view.seek(20)  # 2 s
    assert view.motion_frames() == [40, 20]
    # the timeline is the longest in seconds, not in frames: a short clip at a high rate
    # (3 s at 60 fps, more frames) does not cut a long one (T / 20 s) short
    fast = np.repeat(m[:60], 3, axis=0)  # 180 frames, 3 s at 60 fps
    assert len(fast) > len(m) / 2 and len(m) / 20.0 > 3.0
    view.set_motions([(fast, SMPL22.bones(), 60.0, None), (half_rate, SMPL22.bones(), 10.0, None)])
    assert view.num_frames == len(half_rate)  # the 10 fps motion is the longest
    view.seek(view.num_frames - 1)
    assert view.motion_frames() == [len(fast) - 1, len(half_rate) - 1]  # both at their ends


def test_follow_root_moves_camera_with_body(view, humanml3d_joints):
    joints = humanml3d_joints["007005"]
    _show(view, joints)
    view.set_follow_root(True)
    view.seek(0)
    c0 = view.gl_view.opts["center"]
    view.seek(198)
    c1 = view.gl_view.opts["center"]
    root_path = np.linalg.norm(joints[198, 0, [0, 2]] - joints[0, 0, [0, 2]])
    moved = np.hypot(c1.x() - c0.x(), c1.y() - c0.y())
    assert root_path > 0.5 and moved > 0.5 * root_path



def test_follow_loading_shorter_motion_than_current_frame(view, humanml3d_joints):
    """Regression: with follow on, a motion shorter than the current frame number made
    fit_camera index past the end of the per-frame camera centres (IndexError)."""
    long = humanml3d_joints["007005"]
    _show(view, long)
    view.set_follow_root(True)
    view.seek(long.shape[0] - 1)
    short = long[:10]
    _show(view, short)  # raised IndexError before the frame was clamped
    assert view.frame == 0 and view.num_frames == 10
    view.seek(9)
    assert view.frame == 9


@pytest.mark.parametrize(
    ("joints", "bones", "fps", "parts", "match"),
    [
        (np.zeros((10, 22)), None, 20.0, None, "shape"),
        ("nan", None, 20.0, None, "NaN"),
        (None, np.array([[0, 22]]), 20.0, None, "bone joint indices"),
        (None, None, 0.0, None, "fps"),
        (None, None, 20.0, np.zeros(21, dtype=int), "part_of_joint"),
    ],
)
def test_set_motion_rejects_bad_input(view, humanml3d_joints, joints, bones, fps, parts, match):
    good = humanml3d_joints["M010968"]
    if joints is None:
        joints = good
    elif isinstance(joints, str):
        joints = good.copy()
        joints[3, 4, 1] = np.nan
    bones = SMPL22.bones() if bones is None else bones
    with pytest.raises(ValueError, match=match):
        view.set_motion(joints, bones, fps, parts)


def test_set_motions_rejects_bad_arguments(view, humanml3d_joints):
    spec = (humanml3d_joints["M010968"], SMPL22.bones(), FPS, None)
    with pytest.raises(ValueError, match="motion 1: expected"):
        view.set_motions([spec, spec[:3]])
    with pytest.raises(ValueError, match="at least one"):
        view.set_motions([])
    with pytest.raises(ValueError, match="layout"):
        view.set_motions([spec], layout="grid")
    with pytest.raises(ValueError, match="labels"):
        view.set_motions([spec, spec], labels=["only one"])
    with pytest.raises(ValueError, match="speed"):
        view.set_speed(8.0)


WALK = "bandai/new_joints/bn1_walk_normal_001.npy"  # 130 frames, about 8 m straight ahead


def _figure_in_view(view: SkeletonView) -> tuple[float, float]:
    """(largest |NDC| coordinate of any joint, figure height as a share of the view height)
    for the shown frame, by projecting the joints with the view's camera."""
    gv = view.gl_view
    w, h = gv.width(), gv.height()
    m = gv.projectionMatrix((0, 0, w, h), (0, 0, w, h)) * gv.viewMatrix()
    mat = np.array(m.data(), dtype=np.float64).reshape(4, 4).T  # Qt stores column-major
    pts = view.current_poses()[0].astype(np.float64)
    clip = np.c_[pts, np.ones(len(pts))] @ mat.T
    ndc = clip[:, :2] / clip[:, 3:4]
    return float(np.abs(ndc).max()), float(np.ptp(ndc[:, 1]) / 2.0)


def test_walk_stays_in_view_and_a_good_size(view, shared_data):
    path = shared_data / WALK
    if not path.is_file():
        pytest.skip(f"real walking motion not found: {path}")
    joints = np.load(path).astype(np.float32)
    _show(view, joints)
    assert view.follow_root  # it travels: the camera follows it by default
    sizes, reach = [], []
    for f in range(view.num_frames):
        view.seek(f)
        r, s = _figure_in_view(view)
        reach.append(r)
        sizes.append(s)
    assert max(reach) <= 1.0, f"a joint left the view at frame {int(np.argmax(reach))}"
    assert min(sizes) > 0.45, f"figure only {min(sizes):.0%} of the view height"
    assert max(sizes) / min(sizes) < 1.5  # its size stays steady along the walk
    # framing the whole 8 m path instead (follow off) leaves a much smaller figure
    view.set_follow_root(False)
    framed = []
    for f in range(0, view.num_frames, 10):
        view.seek(f)
        framed.append(_figure_in_view(view)[1])
    assert min(framed) < 0.5 * min(sizes)
    # a motion that stays in place is framed whole, follow off
    _show(view, np.load(shared_data / "humanml3d_samples" / "new_joints" / "000000.npy"))
    assert not view.follow_root
    assert view._bar.follow_box.isChecked() is False
    # "follow" turned off stays off for a later walk (the setting the explorer saves); on
    # again, walks are followed by default again (GUI audit 36 #11)
    _show(view, joints)
    assert not view.follow_root and not view.auto_follow
    view.set_follow_root(True)
    _show(view, np.load(shared_data / "humanml3d_samples" / "new_joints" / "000000.npy"))
    assert not view.follow_root  # in place: framed whole
    _show(view, joints)
    assert view.follow_root and view.auto_follow


@pytest.mark.parametrize("mode", ["offscreen", "widget"])
def test_a_focus_frame_is_drawn_over_the_3d_view_while_it_has_focus(qtbot, make_skeleton_view,
                                                                    humanml3d_joints, mode):
    """Space and the arrows go to the focused 3D view, which showed no sign of the focus
    (audit 33 #6): a highlight frame lies over the canvas while the player or its canvas
    has the focus, and not while a transport button has it."""
    view = make_skeleton_view(render_mode=mode)
    _show(view, humanml3d_joints["000000"])
    view.activateWindow()
    qtbot.waitActive(view)
    frame, canvas = view.focus_frame, view.gl_view

    def edge() -> np.ndarray:  # the canvas's top-left corner and top edge, as drawn
        qtbot.wait(30)
        img = view.grab(canvas.geometry()).toImage().convertToFormat(
            QImage.Format.Format_RGB32)
        return np.array([[img.pixel(x, y) for x in range(0, 60)] for y in range(4)])

    view._bar.play_button.setFocus()
    qtbot.waitUntil(lambda: view._bar.play_button.hasFocus(), timeout=2000)
    assert not frame.shown
    before = edge()
    view.setFocus()
    qtbot.waitUntil(lambda: frame.shown, timeout=2000)
    assert frame.geometry() == canvas.geometry() and frame.isVisible()
    focused = edge()
    assert (focused[:2] != before[:2]).all()  # a border over the top two rows
    assert (focused[:, :2] != before[:, :2]).all()  # and the left two columns
    assert (focused[2:, 2:] == before[2:, 2:]).all()  # 2 px wide: inside, the scene
    view._bar.play_button.setFocus()  # a button: Space presses it, the frame goes
    qtbot.waitUntil(lambda: not frame.shown, timeout=2000)
    assert (edge() == before).all()
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=canvas.rect().center())
    qtbot.waitUntil(lambda: frame.shown, timeout=2000)  # the canvas itself counts too


def test_the_follow_root_docstring_says_the_box_sets_auto_follow():
    """follow_root's docstring said set_follow_root "overrides it for the motion shown";
    since GUI audit 36 #11 it also sets auto_follow for every later motion (review 36 #15)."""
    doc = " ".join(SkeletonView.follow_root.__doc__.split())
    assert "overrides it for the motion shown" not in doc
    assert ":attr:`auto_follow`" in doc.split(":meth:`set_follow_root`")[1]
    assert "later motion" in doc


IN_PLACE = {"kick": "bandai/new_joints/bn1_kick_normal_001.npy",
            "jump": "cmu_extra/new_joints/cmu_13_39.npy",
            "wave": "bandai/new_joints/bn2_wave-left-hand_normal_030.npy"}


def _shares(view: SkeletonView, step: int = 3) -> tuple[float, float]:
    """(largest |NDC| of any joint over the frames, median figure height share)."""
    seen = []
    for f in range(0, view.num_frames, step):
        view.seek(f)
        seen.append(_figure_in_view(view))
    return max(r for r, _ in seen), float(np.median([s for _, s in seen]))


@pytest.mark.parametrize("kind", sorted(IN_PLACE))
def test_motions_in_place_fill_the_view_as_a_walk_does(make_skeleton_view, shared_data,
                                                       kind):
    """GUI audit w38 #9: clips that stay in one place were drawn small and low (a kick at
    38 % of the view's height, a jump's head halfway down) while walks filled 65-78 %: the
    camera framed the corners of a box around every frame, which a three-quarter view puts
    far outside the body. It frames the joints themselves now: a figure in place fills a
    share nearer a walk's, and no joint of any frame leaves the view."""
    view = make_skeleton_view(size=(617, 797))  # the 3D view at 1440x900: portrait
    _show(view, np.load(shared_data / WALK).astype(np.float32))
    assert view.follow_root
    _, walk = _shares(view)
    _show(view, np.load(shared_data / IN_PLACE[kind]).astype(np.float32))
    assert not view.follow_root  # framed whole: the camera stays put
    reach, share = _shares(view, step=1)
    assert reach <= 1.0, f"a joint left the view ({reach:.2f})"
    # a kick's reach and a jump's height stay in view, so they fill less than a walk (its
    # 83 %) but far more than the 40 % and 50 % they had
    assert share >= 0.53 and share >= 0.62 * walk, (share, walk)
