"""SkeletonView comparing real walks: side by side in place, overlaid with a zooming camera,
labels over each body in each motion's colour."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtGui import QColor, QFontMetrics, QVector3D

from motionlex.core.motion.skeleton import SMPL22
from motionlex.widgets.colors import overlay_label_hex
from motionlex.widgets.skeleton_scene import LABEL_LIFT_M, in_place, running_max, travel
from motionlex.widgets.skeleton_view import SkeletonView

FPS = 20.0
WALKS = ("bn1_walk_normal_001", "bn1_walk_happy_001", "bn1_walk_tired_001", "bn1_dash_happy_001")
LABELS = ["#1 0.878", "#2 0.877", "#3 0.861", "#4 0.850"]


@pytest.fixture
def walks(shared_data) -> list[np.ndarray]:
    root = shared_data / "bandai" / "new_joints"
    paths = [root / f"{name}.npy" for name in WALKS]
    if not all(p.is_file() for p in paths):
        pytest.skip(f"real walking motions not found under {root}")
    return [np.load(p).astype(np.float32) for p in paths]


@pytest.fixture
def view(qtbot, gl_platform) -> SkeletonView:
    w = SkeletonView()
    w.resize(570, 570)  # the player's canvas at the default window size
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    return w


def _ndc(view: SkeletonView, points: np.ndarray) -> np.ndarray:
    """``(N, 2)`` normalised device coordinates of Z-up points under the view's camera."""
    gv = view.gl_view
    w, h = gv.width(), gv.height()
    m = gv.projectionMatrix((0, 0, w, h), (0, 0, w, h)) * gv.viewMatrix()
    mat = np.array(m.data(), dtype=np.float64).reshape(4, 4).T  # Qt stores column-major
    clip = np.c_[points.astype(np.float64), np.ones(len(points))] @ mat.T
    return clip[:, :2] / clip[:, 3:4]


def _figures(view: SkeletonView) -> list[tuple[float, float, float]]:
    """Per shown body: (largest |NDC| of its joints, its height as a share of the view
    height, its centre's NDC x)."""
    out = []
    for pose in view.current_poses():
        ndc = _ndc(view, pose)
        out.append((float(np.abs(ndc).max()), float(np.ptp(ndc[:, 1]) / 2.0),
                    float(ndc[:, 0].mean())))
    return out


def _painted_box(item):
    """The label's text box where it is painted (its group's raise included), view px."""
    at = item.align_text(item.compute_projection().map(QVector3D(*item.pos)).toPointF())
    return QFontMetrics(item.font).boundingRect(item.text).translated(at.toPoint())


def _specs(motions):
    return [(m, SMPL22.bones(), FPS, SMPL22.part_of_joint()) for m in motions]


def test_side_by_side_walks_fit_evenly_and_large(view, walks, screenshot_dir):
    """Four walks side by side were 40-60 px tall in a 570 px view, unevenly spaced, and
    the last one left the view: each walked its whole path in a slot as wide as it."""
    assert all(travel(y) > 3.0 for y in (m[:, :, [0, 2]] for m in walks))  # they do travel
    view.set_motions(_specs(walks), layout="side", labels=LABELS)
    assert view.in_place == [True] * 4
    assert not view.follow_root  # in place, nothing to follow: the camera holds still
    for f in range(0, view.num_frames, 5):
        view.seek(f)
        figs = _figures(view)
        assert max(r for r, _, _ in figs) <= 1.0, f"a body left the view at frame {f}"
        assert min(s for _, s, _ in figs) > 0.2, f"frame {f}: figures {figs}"
        xs = [x for _, _, x in figs]
        assert xs == sorted(xs)  # first motion leftmost
        gaps = np.diff(xs)
        assert gaps.max() < 1.6 * gaps.min(), f"frame {f}: uneven spacing {gaps}"
        # each label stays over its own body's head
        for t, pose in zip(view._scene.tracks, view.current_poses()):
            np.testing.assert_allclose(t.label_pos[f][:2], pose.mean(axis=0)[:2], atol=1e-5)
            assert t.label_pos[f][2] == pytest.approx(pose[:, 2].max() + LABEL_LIFT_M)
    view.seek(view.num_frames // 2)
    view.gl_view.grabFramebuffer().save(str(screenshot_dir / "widget_compare_side_walks.png"))


def test_side_by_side_with_paths_keeps_how_far_each_goes(view, walks):
    """An animator comparing forward jumps saw them jump on the spot (GUI audit 36 #7): the
    'paths' layout keeps every path, still side by side, the group followed and in view."""
    view.set_motions(_specs(walks), layout="paths", labels=LABELS)
    assert view.in_place == [False] * 4
    assert view.follow_root  # the bodies travel: the camera goes with them
    shown = [t.points for t in view._scene.tracks]
    for pts, m in zip(shown, walks):  # each path as recorded, only shifted into its slot
        z_up_travel = travel(pts)
        assert z_up_travel == pytest.approx(travel(m[:, :, [0, 2, 1]]), rel=1e-4)
        assert z_up_travel > 3.0
    starts = [float(p[0, :, 0].mean()) for p in shown]
    assert starts == sorted(starts)  # first motion leftmost
    for f in range(0, view.num_frames, 10):
        view.seek(f)
        assert max(r for r, _, _ in _figures(view)) <= 1.0, f"a body left the view at {f}"


def test_in_place_keeps_steps_and_removes_the_path(walks):
    m = walks[0][:, :, [0, 2, 1]] * np.array([1.0, -1.0, 1.0], dtype=np.float32)  # Z up
    shown = in_place(m, FPS)
    assert travel(shown) < 0.5 < 3.0 < travel(m)
    np.testing.assert_allclose(shown[..., 2], m[..., 2])  # heights kept
    # the body's own shape per frame is untouched (only a horizontal shift per frame)
    np.testing.assert_allclose(shown - shown[:, :1], m - m[:, :1], atol=1e-5)
    assert running_max(np.array([[0.0], [3.0], [1.0], [0.0]]), 3).ravel().tolist() == [
        3.0, 3.0, 3.0, 1.0]


def test_overlaid_walks_are_followed_and_labels_go_with_their_bodies(qtbot, view, walks,
                                                                     screenshot_dir):
    """Overlaid, the labels stayed as a list beside one body while the others walked away,
    and the first and the fourth label were both white."""
    view.set_motions(_specs(walks), layout="overlay", labels=LABELS)
    tracks = view._scene.tracks
    colours = [t.label.color.name().upper() for t in tracks]
    assert colours == [QColor(overlay_label_hex(i)).name().upper() for i in range(4)]
    assert len(set(colours)) == 4  # every label names its body by colour
    # the first keeps its body-part colours; its label takes its torso's (spine) colour
    spine = tracks[0].scatter.color[SMPL22.part_of_joint() == 0][0, :3]
    assert QColor.fromRgbF(*spine).name().upper() == colours[0]
    for i in (1, 2, 3):
        body = tracks[i].scatter.color[0, :3]
        assert QColor.fromRgbF(*body).name().upper() == colours[i]
    assert view.follow_root  # they travel: followed
    view.seek(0)
    qtbot.wait(20)
    boxes = [t.label.own_box() for t in tracks]
    assert boxes[0].intersects(boxes[1])  # together, their labels would cover each other...
    painted = [_painted_box(t.label) for t in tracks]
    assert not [(a, b) for a in range(4) for b in range(a + 1, 4)
                if painted[a].intersects(painted[b])]  # ...so they are painted stacked
    # in rank order, read top down: "#1" over "#2" (it read "#2 0.913" over "#1 0.916",
    # audit 35)
    met = [(a, b) for a in range(4) for b in range(a + 1, 4) if boxes[a].intersects(boxes[b])]
    assert met and all(painted[a].bottom() < painted[b].top() for a, b in met), (met, painted)
    sizes = []
    for f in range(0, view.num_frames, 5):
        view.seek(f)
        figs = _figures(view)
        assert max(r for r, _, _ in figs) <= 1.0, f"a body left the view at frame {f}"
        sizes.append(min(s for _, s, _ in figs))
        for t, pose in zip(tracks, view.current_poses()):
            np.testing.assert_allclose(t.label_pos[f][:2], pose.mean(axis=0)[:2], atol=1e-5)
    # together they are framed large; the camera backs off while the dash pulls ahead
    # (never further than the spread needs) and comes back as the walkers catch up
    assert sizes[0] > 0.3 and sizes[-1] > 0.25
    assert min(sizes) > 0.12 and max(sizes) > 1.8 * min(sizes)
    qtbot.wait(20)
    view.gl_view.grabFramebuffer().save(str(screenshot_dir / "widget_compare_overlay_walks.png"))


def test_labels_that_would_leave_the_top_of_the_view_go_beside_instead():
    """Overlaid bodies framed to fill the view left their labels stacked above its top
    edge (docs/explorer-compare.png showed half of one label and none of the others)."""
    from PySide6.QtCore import QPoint, QRect

    from motionlex.widgets.skeleton_labels import LABEL_GAP_PX, _free_spot

    first = QRect(100, 40, 60, 16)
    spot = _free_spot(QRect(100, 40, 60, 16), [first], 400)  # room above: stacked
    assert spot.x() == 0 and -(16 + LABEL_GAP_PX) <= spot.y() < 0
    assert not QRect(first).translated(spot).intersects(first)
    near_top = QRect(100, 4, 60, 16)  # no room above it: beside it, inside the view
    spot = _free_spot(QRect(110, 6, 60, 16), [near_top], 400)
    moved = QRect(110, 6, 60, 16).translated(spot)
    assert spot.y() == 0 and moved.left() > near_top.right() and moved.right() < 400
    at_right = QRect(330, 4, 60, 16)  # no room right of it either: to its left
    moved = QRect(335, 4, 60, 16).translated(_free_spot(QRect(335, 4, 60, 16), [at_right], 400))
    assert moved.right() < at_right.left() and moved.top() == 4
    three = [near_top, QRect(near_top).translated(60 + LABEL_GAP_PX, 0)]
    moved = QRect(100, 4, 60, 16).translated(_free_spot(QRect(100, 4, 60, 16), three, 400))
    assert not any(moved.intersects(p) for p in three) and moved.top() >= 0
    assert _free_spot(QRect(0, 0, 10, 10), [], 400) == QPoint()


def test_labels_at_the_edge_of_the_view_come_inside():
    """The last of eight side-by-side labels was cut at the right edge of a narrow view."""
    from PySide6.QtCore import QPoint, QRect

    from motionlex.widgets.skeleton_labels import _into_view

    assert _into_view(QRect(350, 40, 80, 16), 400) == QPoint(-30, 0)  # right edge at 399
    assert _into_view(QRect(-12, -5, 80, 16), 400) == QPoint(12, 5)
    assert _into_view(QRect(10, 40, 80, 16), 400) == QPoint()
