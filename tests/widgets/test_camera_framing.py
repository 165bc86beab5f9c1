"""camera_framing: the distance that fits a body's joints, against the box around them."""

from __future__ import annotations

import numpy as np

from motionlex.widgets.camera_framing import framing_distance, points_distance


class _View:
    """What framing reads of a 3D canvas: its size and field of view (the explorer's 3D view
    at 1440x900, portrait)."""

    opts = {"fov": 45.0}

    def width(self) -> int:
        return 617

    def height(self) -> int:
        return 797


def test_the_joints_need_no_more_room_than_their_box(shared_data):
    """A kick's box has corners far outside the body in a three-quarter view: the joints
    themselves need less distance (GUI audit w38 #9); a box's own corners need as much as
    the box framing says."""
    view = _View()
    kick = np.load(shared_data / "bandai" / "new_joints" / "bn1_kick_normal_001.npy")
    pts = np.stack([kick[..., 0], -kick[..., 2], kick[..., 1]], axis=-1).reshape(-1, 3)
    centre = (pts.min(axis=0) + pts.max(axis=0)) / 2
    half = (pts.max(axis=0) - pts.min(axis=0)) / 2
    joints, box = points_distance(view, pts - centre), framing_distance(view, half)
    assert joints < 0.85 * box
    corners = np.array([[x, y, z] for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)]) * half
    assert np.isclose(points_distance(view, corners), box)
    # nothing (or a point) to frame: at least a 0.15 m box's distance
    least = framing_distance(view, np.zeros(3))
    assert points_distance(view, np.zeros((0, 3))) == least
    assert points_distance(view, np.zeros((1, 3))) == least
