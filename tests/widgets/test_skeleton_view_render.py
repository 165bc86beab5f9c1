"""SkeletonView's drawing: the body in its part colours, offscreen and widget render modes,
one render per new frame, GL items reused, labels drawn over the bodies."""

from __future__ import annotations

import numpy as np
import pyqtgraph.opengl as gl
import pytest
from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QColor

from motionlex.core.motion.skeleton import SMPL22
from motionlex.widgets.colors import PART_COLORS_HEX
from motionlex.widgets.gl_canvas import OffscreenGLView, y_up_to_z_up
from motionlex.widgets.skeleton_view import SkeletonView

FPS = 20.0


def _coloured_mask(rgba: np.ndarray, hex_color: str, tol: int = 40) -> np.ndarray:
    c = QColor(hex_color)
    target = np.array([c.red(), c.green(), c.blue()], dtype=np.int32)
    return np.abs(rgba[..., :3].astype(np.int32) - target).sum(axis=-1) < tol


@pytest.fixture
def view(make_skeleton_view) -> SkeletonView:
    return make_skeleton_view()


def _show(view: SkeletonView, joints: np.ndarray) -> None:
    view.set_motion(joints, SMPL22.bones(), FPS, SMPL22.part_of_joint())


def test_renders_body_in_frame_and_pixels_change(qtbot, view, humanml3d_joints, screenshot_dir):
    joints = humanml3d_joints["000000"]
    _show(view, joints)
    first = view.grab_frame()
    view.seek(60)
    later = view.grab_frame()
    assert first.shape[2] == 4 and first.shape[:2] == later.shape[:2]
    # every body part is drawn in its colour
    for hex_color in PART_COLORS_HEX:
        assert _coloured_mask(later, hex_color).sum() > 20, hex_color
    # the body is framed: inside the canvas and at least a third of its height
    body = np.zeros(later.shape[:2], dtype=bool)
    for hex_color in PART_COLORS_HEX:
        body |= _coloured_mask(later, hex_color)
    rows, cols = np.nonzero(body)
    h, w = body.shape
    assert rows.min() > 0 and rows.max() < h - 1 and cols.min() > 0 and cols.max() < w - 1
    assert (rows.max() - rows.min()) > h / 3
    # the pose changed between frame 0 and frame 60
    changed = np.any(first[..., :3] != later[..., :3], axis=-1).mean()
    assert changed > 0.002
    view.grab().save(str(screenshot_dir / "widget_skeleton_view.png"))


# ---------------------------------------------------------------- render modes and repaints
class _EventCounter(QObject):
    """Counts events of some types delivered to the watched objects."""

    def __init__(self, *types: QEvent.Type) -> None:
        super().__init__()
        self.types = set(types)
        self.count = 0

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt override
        if event.type() in self.types:
            self.count += 1
        return False


def _body_mask(rgba: np.ndarray) -> np.ndarray:
    body = np.zeros(rgba.shape[:2], dtype=bool)
    for hex_color in PART_COLORS_HEX:
        body |= _coloured_mask(rgba, hex_color)
    return body


def test_offscreen_and_widget_modes_draw_the_same_pose(qtbot, make_skeleton_view,
                                                        humanml3d_joints):
    joints = humanml3d_joints["000000"]
    frames = {}
    for mode in ("offscreen", "widget"):
        w = make_skeleton_view(mode)
        assert w.render_mode == mode
        assert isinstance(w.gl_view, OffscreenGLView) == (mode == "offscreen")
        _show(w, joints)
        w.seek(60)
        qtbot.wait(20)
        frames[mode] = w.grab_frame()
    off, wid = frames["offscreen"], frames["widget"]
    assert off.shape == wid.shape
    a, b = _body_mask(off), _body_mask(wid)
    assert a.sum() > 500  # a whole body is drawn
    assert (a ^ b).sum() <= 0.02 * a.sum()  # the same pixels are body pixels in both modes


def test_unknown_render_mode_is_refused(gl_platform):
    with pytest.raises(ValueError, match="render_mode"):
        SkeletonView(render_mode="opengl")


def test_offscreen_view_renders_once_per_new_frame_only(qtbot, make_skeleton_view,
                                                        humanml3d_joints):
    view = make_skeleton_view("offscreen")
    canvas = view.gl_view
    _show(view, humanml3d_joints["000000"])
    qtbot.wait(50)
    n0 = canvas.render_count
    qtbot.wait(200)  # paused, nothing changed: no repaint at all
    assert canvas.render_count == n0
    view.seek(view.frame)  # the frame shown already
    qtbot.wait(50)
    assert canvas.render_count == n0
    view.seek(10)  # bones, joints and camera change together: one render
    qtbot.wait(50)
    assert canvas.render_count == n0 + 1
    # playing at 1x renders at most once per displayed frame (the timer ticks faster)
    f0, n1 = view.frame, canvas.render_count
    view.play()
    qtbot.wait(600)
    view.pause()
    qtbot.wait(30)
    advanced = view.frame - f0
    assert advanced > 3
    assert canvas.render_count - n1 <= advanced + 1


def test_new_motions_reuse_gl_items(view, humanml3d_joints):
    motions = [humanml3d_joints[i] for i in ("000000", "007005", "M010968")]
    _show(view, motions[0])
    before = list(view.gl_view.items)
    _show(view, motions[1])  # another motion: the same bone/joint items, new vertex data
    assert [id(i) for i in view.gl_view.items] == [id(i) for i in before]
    specs = [(m, SMPL22.bones(), FPS, SMPL22.part_of_joint()) for m in motions]
    view.set_motions(specs, labels=["#1", "#2", "#3"])
    grown = list(view.gl_view.items)
    assert sum(isinstance(i, gl.GLTextItem) for i in grown) == 3
    assert all(any(i is j for j in grown) for i in before)  # the first items are kept
    _show(view, motions[2])  # back to one: labels removed, spare items hidden, none made
    items = view.gl_view.items
    assert not any(isinstance(i, gl.GLTextItem) for i in items)
    assert len(items) == len(grown) - 3
    visible = [i for i in items if i.visible() and not isinstance(i, gl.GLGridItem)]
    assert len(visible) == 2  # one motion: its bones and its joints
    np.testing.assert_allclose(view.current_poses()[0], y_up_to_z_up(motions[2][0]), atol=1e-6)


def test_playing_never_asks_for_a_relayout(qtbot, view, humanml3d_joints):
    _show(view, humanml3d_joints["000000"])
    qtbot.wait(50)
    counter = _EventCounter(QEvent.Type.LayoutRequest)
    view.installEventFilter(counter)
    for f in range(1, 115, 7):  # the frame/time read-out changes width as it counts up
        view.seek(f)
        qtbot.wait(5)
    view.removeEventFilter(counter)
    assert counter.count == 0


def test_offscreen_labels_are_drawn_over_the_bodies(qtbot, make_skeleton_view, humanml3d_joints):
    view = make_skeleton_view("offscreen")
    specs = [(humanml3d_joints[i], SMPL22.bones(), FPS, None) for i in ("000000", "007005")]

    def light_pixels() -> int:
        qtbot.wait(20)
        rgb = view.grab_frame()[..., :3].astype(np.int32)
        return int((rgb.min(axis=-1) > 200).sum())

    view.set_motions(specs)
    without = light_pixels()
    view.set_motions(specs, labels=["#1 0.83", "#2 0.71"])
    assert light_pixels() > without + 20  # the two labels' light text
