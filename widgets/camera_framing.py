"""Camera framing of the 3D canvas: how far from a front three-quarter view the camera
stands so that what is shown fits the view.

:func:`points_distance` fits the joints themselves (what the skeleton player frames: a
kick's box had its corners far outside the body, GUI audit w38 #9); :func:`framing_distance`
fits the eight corners of a box (overlaid bodies that part, zoomed per frame).
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
import pyqtgraph.opengl as gl

from motionlex.widgets.gl_canvas import OffscreenGLView

FRAMING_ELEVATION_DEG = 12.0
"""Camera elevation of :func:`frame_box`'s front three-quarter view, degrees."""

FRAMING_AZIMUTH_DEG = -70.0
"""Camera azimuth of :func:`frame_box`'s front three-quarter view, degrees."""


def _camera_axes(elevation: float, azimuth: float) -> tuple[np.ndarray, ...]:
    """``(to_cam, right, up)`` unit vectors of a camera at ``elevation`` / ``azimuth``
    degrees (pyqtgraph's convention), Z up."""
    e, a = math.radians(elevation), math.radians(azimuth)
    to_cam = np.array([math.cos(e) * math.cos(a), math.cos(e) * math.sin(a), math.sin(e)])
    right = np.cross(-to_cam, [0.0, 0.0, 1.0])
    right /= np.linalg.norm(right)
    return to_cam, right, np.cross(right, -to_cam)


def points_distance(view: gl.GLViewWidget | OffscreenGLView, points: np.ndarray,
                    elevation: float = FRAMING_ELEVATION_DEG,
                    azimuth: float = FRAMING_AZIMUTH_DEG) -> float:
    """Smallest camera distance at which every point projects inside the view (plus a 6 %
    margin), the camera looking at the origin of ``points`` from ``elevation`` /
    ``azimuth``: the body's joints themselves, not the corners of a box around them, which
    a three-quarter view puts well outside the body (a kick was drawn at 38 % of the view's
    height, GUI audit w38 #9).

    Args:
        view: the 3D canvas (its size and ``fov``).
        points: ``(M, 3)`` positions relative to the point looked at, metres, Z up.
        elevation, azimuth: camera angles, degrees.

    Returns:
        The distance, metres; at least :func:`framing_distance` of a 0.15 m box.
    """
    w, h = max(view.width(), 1), max(view.height(), 1)
    tan_h = math.tan(math.radians(float(view.opts["fov"])) / 2.0)  # pyqtgraph: horizontal
    tan_v = tan_h * h / w
    to_cam, right, up = _camera_axes(elevation, azimuth)
    p = np.asarray(points, dtype=np.float64).reshape(-1, 3)
    least = framing_distance(view, np.zeros(3), elevation, azimuth)
    if not len(p):
        return least
    need = np.maximum(np.abs(p @ right) / tan_h, np.abs(p @ up) / tan_v) + p @ to_cam
    return max(least, 1.06 * float(need.max()))


def framing_distance(view: gl.GLViewWidget | OffscreenGLView, half: np.ndarray,
                     elevation: float = FRAMING_ELEVATION_DEG,
                     azimuth: float = FRAMING_AZIMUTH_DEG) -> float:
    """Smallest camera distance at which a box fits the view (plus a 6 % margin).

    All eight box corners project inside the view's horizontal and vertical field of view
    when the camera looks at the box centre from ``elevation`` / ``azimuth``.

    Args:
        view: the 3D canvas (its size and ``fov``).
        half: ``(3,)`` box half size, metres (at least 0.15 m is framed per axis).
        elevation, azimuth: camera angles, degrees (pyqtgraph's convention).

    Returns:
        The distance, metres.
    """
    w, h = max(view.width(), 1), max(view.height(), 1)
    half_h = math.radians(float(view.opts["fov"])) / 2.0  # pyqtgraph: horizontal fov
    tan_h = math.tan(half_h)
    tan_v = tan_h * h / w
    to_cam, right, up = _camera_axes(elevation, azimuth)
    signs = np.array([[sx, sy, sz] for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)])
    corners = signs * np.maximum(np.asarray(half, dtype=np.float64), 0.15)  # (8, 3)
    depth = corners @ to_cam  # towards the camera
    need = np.maximum(np.abs(corners @ right) / tan_h, np.abs(corners @ up) / tan_v) + depth
    return 1.06 * float(need.max())


def frame_points(view: gl.GLViewWidget | OffscreenGLView, centre: np.ndarray,
                 points: np.ndarray) -> None:
    """Point the camera at ``centre`` from a front three-quarter view (resets any orbit),
    as far as :func:`points_distance` needs for ``points`` (``(M, 3)``, relative to it)."""
    view.setCameraPosition(
        pos=pg.Vector(float(centre[0]), float(centre[1]), float(centre[2])),
        distance=points_distance(view, points),
        elevation=FRAMING_ELEVATION_DEG,
        azimuth=FRAMING_AZIMUTH_DEG,
    )


def frame_box(view: gl.GLViewWidget | OffscreenGLView, centre: np.ndarray,
              half: np.ndarray) -> None:
    """Point the camera at a box from a front three-quarter view (resets any orbit).

    The distance is the smallest at which all eight box corners project inside the
    view's horizontal and vertical field of view (plus a 6 % margin; :func:`framing_distance`).

    Args:
        view: the 3D canvas.
        centre: ``(3,)`` box centre, metres, Z up.
        half: ``(3,)`` box half size, metres (at least 0.15 m is framed per axis).
    """
    view.setCameraPosition(
        pos=pg.Vector(float(centre[0]), float(centre[1]), float(centre[2])),
        distance=framing_distance(view, half),
        elevation=FRAMING_ELEVATION_DEG,
        azimuth=FRAMING_AZIMUTH_DEG,
    )
