"""skeleton_layout: smoothed paths, travel, motions walked in place, side-by-side slots and
zoom windows (pure NumPy, Z-up metres); expected values worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from motionlex.widgets.skeleton_layout import (
    FOLLOW_SMOOTHING_S,
    LOCOMOTION_TRAVEL_M,
    SIDE_GAP_M,
    in_place,
    layout_offsets,
    running_max,
    side_points,
    smooth_path,
    travel,
)

FPS = 20.0


def _body(frames: int, width: float = 0.5, depth: float = 0.3) -> np.ndarray:
    """A rigid 4-joint 'body' (T, 4, 3): a box ``width`` x ``depth`` with feet at z=0 and a
    head at z=1.7, standing at the origin on every frame."""
    pose = np.array([[0.0, 0.0, 0.0], [width, 0.0, 0.0], [0.0, depth, 1.0],
                     [width / 2, depth / 2, 1.7]], dtype=np.float32)
    return np.repeat(pose[None], frames, axis=0)


def _walk(frames: int, speed: float, fps: float = FPS) -> np.ndarray:
    """:func:`_body` moving along +x at ``speed`` metres per second."""
    pts = _body(frames)
    pts[..., 0] += (np.arange(frames, dtype=np.float32) * speed / fps)[:, None]
    return pts


# -- smooth_path ----------------------------------------------------------------------------


def test_smoothing_a_constant_path_changes_nothing():
    c = np.tile(np.array([[1.5, -2.0, 0.9]]), (12, 1))
    out = smooth_path(c, 5)
    assert out.shape == (12, 3) and out.dtype == np.float32
    np.testing.assert_array_equal(out, c.astype(np.float32))


@pytest.mark.parametrize("window", [1, 0, -3])
def test_window_of_one_or_less_keeps_the_path_as_float32(window):
    c = np.arange(15, dtype=np.float64).reshape(5, 3) ** 1.5
    out = smooth_path(c, window)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, c.astype(np.float32))


def test_a_single_frame_is_kept():
    out = smooth_path(np.array([[0.1, 0.2, 0.3]]), 9)
    assert out.shape == (1, 3) and out.dtype == np.float32
    np.testing.assert_allclose(out, [[0.1, 0.2, 0.3]], rtol=1e-6)


def test_a_straight_line_stays_straight_and_its_middle_unchanged():
    """A centred average of a line at constant speed is the line itself away from the ends;
    the ends, held, are pulled in: frame 0 of window 5 is (0 + 0 + 0 + 1 + 2) / 5 = 0.6
    steps along."""
    step = np.array([0.3, -0.1, 0.05])
    c = np.arange(20)[:, None] * step
    out = smooth_path(c, 5)
    np.testing.assert_allclose(out[2:-2], c[2:-2], atol=1e-6)
    np.testing.assert_allclose(out[0], 0.6 * step, atol=1e-6)
    np.testing.assert_allclose(out[-1], (19 - 0.6) * step, atol=1e-6)
    # every smoothed point lies on the line (no sideways drift)
    along = out @ step / (step @ step)
    np.testing.assert_allclose(out, along[:, None] * step, atol=1e-6)


def test_smoothing_is_centred_not_trailing():
    """A step from 0 to 1 between frames 4 and 5, window 3: frame 4 sees (0, 0, 1), frame 5
    sees (0, 1, 1); a trailing average would leave frame 4 at 0."""
    c = np.zeros((10, 3))
    c[5:, 0] = 1.0
    out = smooth_path(c, 3)
    np.testing.assert_allclose(out[:, 0], [0, 0, 0, 0, 1 / 3, 2 / 3, 1, 1, 1, 1], atol=1e-6)
    assert not out[:, 1:].any()


def test_window_longer_than_the_path_holds_its_ends():
    """Two frames a and b, window 5: padded a a a b b b, so (3a + 2b) / 5 and (2a + 3b) / 5."""
    a, b = np.array([0.0, 0.0, 0.0]), np.array([5.0, 10.0, -5.0])
    out = smooth_path(np.stack([a, b]), 5)
    np.testing.assert_allclose(out, [(3 * a + 2 * b) / 5, (2 * a + 3 * b) / 5], atol=1e-5)


# -- travel -----------------------------------------------------------------------------------


def test_a_body_standing_still_travels_nothing():
    assert travel(_body(30)) == 0.0


def test_travel_is_the_path_beyond_the_body_size():
    """A 0.5 m wide body walking 3 m along x: a 3.5 m box less its own 0.5 m."""
    pts = _walk(61, speed=1.0)  # 60 steps of 0.05 m
    assert travel(pts) == pytest.approx(3.0, abs=1e-5)
    diagonal = pts.copy()
    diagonal[..., 1] += np.linspace(0, 1.0, 61, dtype=np.float32)[:, None]  # 1 m sideways
    assert travel(diagonal) == pytest.approx(3.0, abs=1e-5)  # the larger side counts


def test_jumping_and_spreading_the_arms_are_no_travel():
    jump = _body(10)
    jump[..., 2] += np.linspace(0, 2.0, 10, dtype=np.float32)[:, None]  # 2 m up: not horizontal
    assert travel(jump) == 0.0
    spread = _body(10)
    spread[5:, 1, 0] = 1.6  # a hand reaches out from 0.5 m to 1.6 m: one frame is that wide
    assert travel(spread) == pytest.approx(0.0, abs=1e-6)


# -- in_place ---------------------------------------------------------------------------------


def test_in_place_removes_a_straight_walk_and_keeps_the_pose():
    pts = _walk(60, speed=1.5)
    out = in_place(pts, FPS)
    assert out.shape == pts.shape and out.dtype == np.float32
    half = int(round(FOLLOW_SMOOTHING_S * FPS)) // 2
    # away from the held ends the smoothed path is the path: the body centre sits at x=y=0
    np.testing.assert_allclose(out[half:-half].mean(axis=1)[:, :2], 0.0, atol=1e-5)
    np.testing.assert_array_equal(out[..., 2], pts[..., 2])  # heights kept exactly
    # each frame only moves as a whole: joint-to-joint vectors unchanged
    np.testing.assert_allclose(out - out[:, :1], pts - pts[:, :1], atol=1e-5)
    # the held ends stay off centre: frame 0's smoothed centre is (0 * 6 + 1 + ... + 5) / 11
    # steps along, frame 59's as far the other way, so the walk keeps 2 * 15 / 11 steps
    assert travel(out) == pytest.approx(2 * 15 / 11 * 1.5 / FPS, abs=1e-5)


def test_in_place_centres_a_body_standing_off_the_origin():
    pts = _body(8)
    pts[..., :2] += np.array([2.0, -3.0], dtype=np.float32)
    out = in_place(pts, FPS)
    np.testing.assert_allclose(out.mean(axis=1)[:, :2], 0.0, atol=1e-6)
    np.testing.assert_array_equal(out[..., 2], pts[..., 2])
    assert not np.shares_memory(out, pts)


# -- side_points ------------------------------------------------------------------------------


def _checked(points: np.ndarray, fps: float = FPS) -> tuple:
    """The (points, bones, fps, rgba) tuple of check_motions."""
    bones = np.array([[0, 1], [1, 2], [2, 3]], dtype=np.int64)
    return points, bones, fps, np.ones((points.shape[1], 4), np.float32)


def test_side_points_puts_only_travelling_motions_in_place():
    walk, stand = _walk(60, speed=1.5), _body(40)
    assert travel(walk) > LOCOMOTION_TRAVEL_M > travel(stand)
    points, moved = side_points([_checked(walk), _checked(stand)])
    assert moved == [True, False]
    assert points[1] is stand  # kept as given
    np.testing.assert_array_equal(points[0], in_place(walk, FPS))
    assert travel(points[0]) < LOCOMOTION_TRAVEL_M


def test_side_points_uses_each_motions_own_frame_rate():
    walk = _walk(60, speed=1.5)
    (at_60,), _ = side_points([_checked(walk, 60.0)])
    np.testing.assert_array_equal(at_60, in_place(walk, 60.0))
    assert not np.allclose(at_60, in_place(walk, FPS))  # another smoothing window


def test_side_points_on_real_humanml3d_motions(humanml3d_joints):
    """007005 walks ~2.9 m, 000000 kicks on the spot (Y up, mapped to Z up as (x, -z, y))."""
    z_up = {i: np.stack([j[..., 0], -j[..., 2], j[..., 1]], axis=-1)
            for i, j in humanml3d_joints.items()}
    walk, kick = z_up["007005"], z_up["000000"]
    points, moved = side_points([_checked(walk), _checked(kick)])
    assert moved == [True, False]
    assert points[1] is kick
    assert travel(points[0]) < LOCOMOTION_TRAVEL_M < travel(walk)
    np.testing.assert_array_equal(points[0][..., 2], walk[..., 2])  # heights kept


# -- running_max ------------------------------------------------------------------------------


def test_running_max_over_a_centred_window_with_held_ends():
    v = np.array([[1.0, 0.0], [5.0, 0.0], [2.0, 4.0], [0.0, 0.0], [0.0, 0.0]])
    out = running_max(v, 3)
    np.testing.assert_array_equal(out, [[5, 0], [5, 4], [5, 4], [2, 4], [0, 0]])
    out5 = running_max(np.array([[3.0], [0.0], [0.0], [0.0], [0.0], [0.0]]), 5)
    assert out5.ravel().tolist() == [3, 3, 3, 0, 0, 0]  # frame 2 still sees frame 0


@pytest.mark.parametrize("window", [1, 0])
def test_running_max_small_window_is_a_copy(window):
    v = np.array([[1.0], [3.0], [2.0]])
    out = running_max(v, window)
    np.testing.assert_array_equal(out, v)
    out[0, 0] = 99.0
    assert v[0, 0] == 1.0  # the input is not touched


def test_running_max_of_one_frame_and_its_dtype():
    np.testing.assert_array_equal(running_max(np.array([[2.0, 7.0]]), 41), [[2.0, 7.0]])
    ints = running_max(np.array([[1], [4], [2]]), 3)
    assert ints.dtype == np.float64 and ints.ravel().tolist() == [4.0, 4.0, 4.0]


# -- layout_offsets ---------------------------------------------------------------------------


def _span(lo: float, hi: float, frames: int = 3) -> np.ndarray:
    pts = np.zeros((frames, 2, 3), dtype=np.float32)
    pts[:, 0, 0], pts[:, 1, 0] = lo, hi
    pts[:, :, 1] = 0.7  # y and z play no part
    pts[:, :, 2] = 1.2
    return pts


def test_side_offsets_by_hand():
    """Widths 1, 0.5 and 2 m with two 0.4 m gaps: 4.3 m wide, centred, so the slots are
    [-2.15, -1.15], [-0.75, -0.25] and [0.15, 2.15]."""
    assert SIDE_GAP_M == 0.4
    pts = [_span(5.0, 6.0), _span(-1.0, -0.5), _span(0.0, 2.0)]
    offsets = layout_offsets(pts, "side")
    assert [o.dtype for o in offsets] == [np.float32] * 3
    np.testing.assert_allclose([o[0] for o in offsets], [-7.15, 0.25, 0.15], atol=1e-6)
    assert not np.any([o[1:] for o in offsets])
    slots = [(p[..., 0].min() + o[0], p[..., 0].max() + o[0]) for p, o in zip(pts, offsets)]
    np.testing.assert_allclose(slots, [(-2.15, -1.15), (-0.75, -0.25), (0.15, 2.15)], atol=1e-6)


def test_one_motion_or_overlay_stays_where_it_is():
    one = layout_offsets([_span(3.0, 4.0)], "side")
    assert len(one) == 1 and one[0].shape == (3,) and not one[0].any()
    overlay = layout_offsets([_span(3.0, 4.0), _span(-9.0, -8.0)], "overlay")
    assert len(overlay) == 2 and not np.any(overlay)
    overlay[0][0] = 1.0  # each motion has its own array
    assert overlay[1][0] == 0.0
