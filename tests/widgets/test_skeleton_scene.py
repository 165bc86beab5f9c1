"""skeleton_scene: motion validation and the side-by-side layout, without a GL context."""

from __future__ import annotations

import numpy as np
import pytest

from motionlex.widgets.skeleton_scene import (
    SIDE_GAP_M,
    SkeletonScene,
    check_motions,
    layout_offsets,
    validate_motion,
)


def _motion(x0: float = 0.0) -> tuple[np.ndarray, np.ndarray, float, None]:
    joints = np.zeros((5, 3, 3), dtype=np.float32)
    joints[:, 1, 0] = x0 + 0.5
    joints[:, 0, 0] = x0
    return joints, np.array([[0, 1], [1, 2]]), 20.0, None


def test_validate_motion_returns_contiguous_arrays():
    j, b, fps, parts = validate_motion(*_motion(), where="m")
    assert j.dtype == np.float32 and j.flags.c_contiguous
    assert b.dtype == np.int64 and fps == 20.0 and parts is None


@pytest.mark.parametrize(("change", "match"), [
    ({"joints": np.zeros((4, 3))}, "shape"),
    ({"bones": np.array([[0, 3]])}, "bone joint indices"),
    ({"bones": np.array([[0.0, 1.0]])}, "int array"),
    ({"fps": -1.0}, "fps"),
])
def test_validate_motion_raises(change, match):
    joints, bones, fps, parts = _motion()
    args = {"joints": joints, "bones": bones, "fps": fps, "part_of_joint": parts, **change}
    with pytest.raises(ValueError, match=f"m: .*{match}"):
        validate_motion(**args, where="m")


def test_check_motions_maps_to_z_up_and_checks_arguments():
    (pts, _b, _fps, rgba), = check_motions([_motion()], "side", None)
    assert pts.shape == (5, 3, 3) and rgba.shape == (3, 4)
    with pytest.raises(ValueError, match="layout"):
        check_motions([_motion()], "grid", None)
    with pytest.raises(ValueError, match="labels"):
        check_motions([_motion()], "side", ["a", "b"])


def test_side_layout_leaves_a_gap_and_centres_the_group():
    a, b = _motion()[0], _motion(3.0)[0]
    offsets = layout_offsets([a, b], "side")
    right_of_a = a[..., 0].max() + offsets[0][0]
    left_of_b = b[..., 0].min() + offsets[1][0]
    assert np.isclose(left_of_b - right_of_a, SIDE_GAP_M)
    lo, hi = a[..., 0].min() + offsets[0][0], b[..., 0].max() + offsets[1][0]
    assert abs(lo + hi) < 1e-5
    assert all(not off.any() for off in layout_offsets([a, b], "overlay"))


class _CameraRecorder:
    """The part of a GL view that camera framing uses, recording each camera position."""

    opts = {"fov": 60.0}

    def __init__(self) -> None:
        self.centres: list[tuple[float, float, float]] = []

    def width(self) -> int:
        return 640

    def height(self) -> int:
        return 480

    def setCameraPosition(self, pos, **_) -> None:  # noqa: N802 - Qt's name
        self.centres.append((pos.x(), pos.y(), pos.z()))


def test_fit_camera_with_follow_clamps_frame_to_timeline():
    """Regression: a frame past the end (from a longer motion shown before) raised
    IndexError; it is clamped to the last frame, and a negative one to the first."""
    view = _CameraRecorder()
    scene = SkeletonScene(view, grid=None, font_family="Sans")
    scene.tracks = [object()]  # fit_camera only needs "something is shown"
    scene.follow_centres = np.stack([np.arange(10.0), np.zeros(10), np.ones(10)], axis=1)
    scene.fit_camera(follow=True, frame=198)
    scene.fit_camera(follow=True, frame=-3)
    assert view.centres == [(9.0, 0.0, 1.0), (0.0, 0.0, 1.0)]
