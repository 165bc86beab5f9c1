"""What the skeleton player draws: one GL bone item and one joint item per motion, a shared
timeline, the floor under them and the camera framing.

The GL items are built once per motion slot and then reused: every frame's vertex arrays are
precomputed, and showing a frame only calls ``setData`` with a precomputed slice
(Source: ``pyqtgraph/examples/GLSurfacePlot.py``). Bones use
``GLLinePlotItem(mode='lines')``, which draws one segment per vertex pair, so
``joints[f][bones].reshape(-1, 3)`` is the whole skeleton
(Source: ``pyqtgraph/opengl/items/GLLinePlotItem.py``; skeleton as positions plus joint
pairs: ``eth-ait/aitviewer/aitviewer/renderables/skeletons.py``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
import pyqtgraph.opengl as gl
from PySide6.QtGui import QFont

from motionlex.widgets.camera_framing import frame_box, frame_points, framing_distance
from motionlex.widgets.colors import (
    bone_colors,
    hex_to_rgbaf,
    joint_colors,
    overlay_label_hex,
    overlay_tint,
)
from motionlex.widgets.gl_canvas import OffscreenGLView, place_floor, y_up_to_z_up
from motionlex.widgets.skeleton_labels import LabelGroup, LabelItem
from motionlex.widgets.skeleton_layout import (  # noqa: F401 - part of this module's API
    FOLLOW_SMOOTHING_S,
    LOCOMOTION_TRAVEL_M,
    SIDE_GAP_M,
    ZOOM_WINDOW_S,
    in_place,
    layout_offsets,
    running_max,
    side_points,
    smooth_path,
    travel,
)

LAYOUTS: tuple[str, ...] = ("side", "paths", "overlay")
"""Ways :meth:`SkeletonView.set_motions` arranges several motions: side by side (travelling
motions walked on the spot), side by side with every path kept (``"paths"``: how far a jump
or a walk goes), or overlaid."""

LABEL_LIFT_M = 0.15
"""Height of a motion's label above its highest joint, metres."""

LABEL_HEADROOM_M = 0.45
"""Room the camera framing keeps above the highest joint when motions are labelled,
metres: the lift and about two lines of label text at a body's scale (overlaid bodies framed
to fill the view had their labels above its top edge)."""

STAGGER_FROM = 4
"""Side by side, this many motions or more put every second label one line higher, so
neighbours' labels do not run into each other on a narrow view."""

MotionSpec = tuple  # (joints, bones, fps, part_of_joint | None)
Checked = tuple  # (points (T, J, 3) float32 Z-up, bones (B, 2) int64, fps, rgba (J, 4))


def validate_motion(
    joints: np.ndarray,
    bones: np.ndarray,
    fps: float,
    part_of_joint: np.ndarray | None,
    where: str,
) -> tuple[np.ndarray, np.ndarray, float, np.ndarray | None]:
    """Check one motion's arrays; return them as contiguous float32 / int64 arrays.

    Raises:
        ValueError: on a bad shape or dtype, non-finite joints, bone indices out of range
            or ``fps <= 0`` (the message starts with ``where``).
    """
    j = np.asarray(joints)
    if j.ndim != 3 or j.shape[-1] != 3 or j.shape[0] < 1 or j.shape[1] < 1:
        raise ValueError(f"{where}: joints must have shape (T, J, 3) with T, J >= 1, got {j.shape}")
    if not np.issubdtype(j.dtype, np.number):
        raise ValueError(f"{where}: joints must be numeric, got dtype {j.dtype}")
    j = np.ascontiguousarray(j, dtype=np.float32)
    if not np.isfinite(j).all():
        raise ValueError(f"{where}: joints contain NaN or inf values")
    b = np.asarray(bones)
    if b.ndim != 2 or b.shape[1] != 2 or not np.issubdtype(b.dtype, np.integer):
        raise ValueError(
            f"{where}: bones must be an int array of shape (B, 2), got {b.dtype} {b.shape}"
        )
    if b.size and (b.min() < 0 or b.max() >= j.shape[1]):
        raise ValueError(
            f"{where}: bone joint indices must be in [0, {j.shape[1]}), "
            f"got min {b.min()} max {b.max()}"
        )
    fps_f = float(fps)
    if not math.isfinite(fps_f) or fps_f <= 0:
        raise ValueError(f"{where}: fps must be a positive number, got {fps!r}")
    parts = None if part_of_joint is None else np.asarray(part_of_joint)
    return j, b.astype(np.int64), fps_f, parts


def check_motions(motions: Sequence[MotionSpec], layout: str,
                  labels: Sequence[str] | None) -> list[Checked]:
    """Validate :meth:`SkeletonView.set_motions` arguments before anything is replaced.

    Returns:
        One ``(points, bones, fps, rgba)`` per motion: points ``(T, J, 3)`` float32 metres,
        Z up (:func:`y_up_to_z_up`); rgba ``(J, 4)`` float joint colours.

    Raises:
        ValueError: on an empty list, an unknown layout, a label count that differs from
            the motion count, or a bad motion (the message names the motion's index).
    """
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}, got {layout!r}")
    if len(motions) == 0:
        raise ValueError("set_motions needs at least one motion, got an empty list")
    if labels is not None and len(labels) != len(motions):
        raise ValueError(f"got {len(labels)} labels for {len(motions)} motions")
    checked = []
    for i, spec in enumerate(motions):
        if len(spec) != 4:
            raise ValueError(
                f"motion {i}: expected (joints, bones, fps, part_of_joint), "
                f"got {len(spec)} items"
            )
        j, b, fps, parts = validate_motion(*spec, where=f"motion {i}")
        rgba = joint_colors(parts, j.shape[1])  # validates part_of_joint
        checked.append((y_up_to_z_up(j), b, fps, rgba))
    return checked


@dataclass(eq=False)
class Track:
    """One motion's precomputed vertex arrays and its GL items."""

    segments: np.ndarray  # (T, 2B, 3) float32, Z-up, offset applied
    points: np.ndarray  # (T, J, 3) float32, Z-up, offset applied
    fps: float
    lines: gl.GLLinePlotItem
    scatter: gl.GLScatterPlotItem
    label: LabelItem | None
    label_pos: np.ndarray | None  # (N, 3) float32 label anchor (over the head) per frame
    frame_map: np.ndarray  # (N,) int: timeline frame -> this track's frame

    @property
    def num_frames(self) -> int:
        return int(self.points.shape[0])


class SkeletonScene:
    """The GL items of the motions shown in one 3D canvas, and its floor and camera.

    Args:
        view: the 3D canvas (:func:`~motionlex.widgets.gl_canvas.new_gl_view`).
        grid: its floor item.
        font_family: label font.
    """

    def __init__(self, view: gl.GLViewWidget | OffscreenGLView, grid: gl.GLGridItem,
                 font_family: str) -> None:
        self.view = view
        self.grid = grid
        self.font_family = font_family
        self.tracks: list[Track] = []
        self._item_pool: list[tuple[gl.GLLinePlotItem, gl.GLScatterPlotItem]] = []
        self.follow_centres: np.ndarray | None = None  # (N, 3) camera centre per frame
        self._scene_centre = np.zeros(3)  # metres: middle of the box of all frames
        self.travel_m = 0.0  # how far the bodies travel beyond their own size, metres
        self.follow_halves: np.ndarray | None = None  # (N, 3) per-frame zoom, or None
        self._framed = np.zeros((0, 3))  # (M, 3) every frame's joints from the scene centre
        self._followed = np.zeros((0, 3))  # (M, 3) the same from each frame's follow centre
        self.in_place: list[bool] = []  # per motion: its path removed (side by side)

    def build(self, checked: list[Checked], layout: str,
              labels: Sequence[str] | None) -> tuple[int, float]:
        """Replace the shown motions with ``checked`` (from :func:`check_motions`).

        Returns:
            ``(num_frames, fps)`` of the timeline (the longest motion's, in seconds).
        """
        self.clear_tracks()
        if layout == "side" and len(checked) > 1:
            points, self.in_place = side_points(checked)
        else:
            points, self.in_place = [c[0] for c in checked], [False] * len(checked)
        offsets = layout_offsets(points, layout)
        # the longest in seconds (motions at other frame rates play at their own speed)
        longest = int(np.argmax([c[0].shape[0] / float(c[2]) for c in checked]))
        num_frames = int(checked[longest][0].shape[0])
        timeline_fps = float(checked[longest][2])
        timeline_t = np.arange(num_frames) / timeline_fps
        for i, ((_, b, fps, rgba), pts, off) in enumerate(zip(checked, points, offsets)):
            pts = pts + np.asarray(off, dtype=np.float32)
            segments = np.ascontiguousarray(pts[:, b].reshape(pts.shape[0], -1, 3))
            translucent = layout == "overlay" and i > 0
            colours = rgba.copy()
            tint = overlay_tint(i) if layout == "overlay" else None
            if tint is not None:  # overlaid: one colour per motion, so each reads apart
                colours[:, :3] = hex_to_rgbaf(tint)[:3]
            colours[:, 3] = 0.6 if translucent else 1.0
            lines, scatter = self._items_for(i)
            lines.setData(
                pos=segments[0],
                color=bone_colors(b, colours),
                width=4.0 if not translucent else 3.0,
            )
            scatter.setData(pos=pts[0], color=colours, size=8.0 if not translucent else 6.0)
            lines.setVisible(True)
            scatter.setVisible(True)
            frame_map = np.minimum(np.round(timeline_t * fps).astype(np.int64), pts.shape[0] - 1)
            label = None
            if labels is not None and labels[i]:
                rgb = (235, 235, 235) if layout != "overlay" else tuple(
                    int(round(255 * c)) for c in hex_to_rgbaf(overlay_label_hex(i))[:3])
                label = LabelItem(text=str(labels[i]), color=(*rgb, 255),
                                  font=QFont(self.font_family, 11))
            self.tracks.append(Track(segments, np.ascontiguousarray(pts), fps, lines, scatter,
                                     label, None, frame_map))
        self._place_labels(layout)
        self.hide_items(len(checked))
        self._fit_scene(num_frames, timeline_fps, zoom=layout == "overlay" and len(checked) > 1)
        return num_frames, timeline_fps

    def _place_labels(self, layout: str) -> None:
        """Anchor each label per timeline frame over its own body's head, so it goes where
        the body goes. Side by side, from :data:`STAGGER_FROM` motions every second label is
        a line higher; labels that would still meet on screen (overlaid bodies sharing a
        place) stack in rank order read top down, the last lowest (:class:`LabelGroup`
        places them last first: "#2" stood over "#1")."""
        labelled = [i for i, t in enumerate(self.tracks) if t.label is not None]
        if not labelled:  # a single shown motion: nothing to place
            return
        group = LabelGroup()
        for i in reversed(labelled):
            t = self.tracks[i]
            pose = t.points[t.frame_map]  # (N, J, 3)
            pos = pose.mean(axis=1)
            pos[:, 2] = pose[..., 2].max(axis=1) + LABEL_LIFT_M
            side_by_side = layout != "overlay" and len(self.tracks) >= STAGGER_FROM
            t.label.line = i % 2 if side_by_side else 0
            group.add(t.label)
            t.label_pos = np.ascontiguousarray(pos, dtype=np.float32)
            t.label.setData(pos=t.label_pos[0])
            self.view.addItem(t.label)

    def clear_tracks(self) -> None:
        """Forget the tracks and remove their labels (bone and joint items are kept)."""
        for t in self.tracks:
            if t.label is not None:
                self.view.removeItem(t.label)
        self.tracks = []

    def _items_for(self, i: int) -> tuple[gl.GLLinePlotItem, gl.GLScatterPlotItem]:
        """The bone and joint items of motion ``i``, made on first use and then reused
        (``setData`` rewrites their vertex buffers in place; no GL objects are re-created)."""
        while len(self._item_pool) <= i:
            lines = gl.GLLinePlotItem(
                mode="lines",
                antialias=False,  # GL_LINE_SMOOTH leaves dark rings where joints sit
                glOptions="translucent",
            )
            scatter = gl.GLScatterPlotItem(pxMode=True)
            scatter.setGLOptions("translucent")
            self.view.addItem(lines)
            self.view.addItem(scatter)
            self._item_pool.append((lines, scatter))
        return self._item_pool[i]

    def hide_items(self, keep: int) -> None:
        """Hide the pooled bone and joint items of motions ``keep`` and later."""
        for lines, scatter in self._item_pool[keep:]:
            for item in (lines, scatter):
                if item.visible():
                    item.setVisible(False)

    def show_frame(self, frame: int, follow: bool) -> None:
        """Set every track's items to timeline frame ``frame`` (already clamped); with
        ``follow`` the camera centre moves to that frame's bodies."""
        for t in self.tracks:
            k = int(t.frame_map[frame])
            t.lines.setData(pos=t.segments[k])
            t.scatter.setData(pos=t.points[k])
            if t.label is not None:
                t.label.setData(pos=t.label_pos[frame])
        if follow and self.follow_centres is not None:
            c = self.follow_centres[frame]
            pos = pg.Vector(float(c[0]), float(c[1]), float(c[2]))
            if self.follow_halves is None:
                self.view.setCameraPosition(pos=pos)
            else:  # bodies drifting apart: zoom to hold them (keeping the user's orbit)
                opts = self.view.opts
                distance = framing_distance(self.view, self.follow_halves[frame],
                                            float(opts["elevation"]), float(opts["azimuth"]))
                self.view.setCameraPosition(pos=pos, distance=distance)

    @property
    def is_locomotion(self) -> bool:
        """Whether the bodies travel more than :data:`LOCOMOTION_TRAVEL_M` (a walk, a run):
        the camera then follows them by default."""
        return self.travel_m > LOCOMOTION_TRAVEL_M

    def _fit_scene(self, num_frames: int, fps: float, zoom: bool = False) -> None:
        """Place the floor grid and precompute camera framing for the current tracks: the
        middle of the box of all frames, and for following, the bodies' smoothed middle per
        frame (up and down too), with every frame's joints from each
        (:meth:`_frame_joints`); with ``zoom`` (overlaid bodies, which may part) a box half
        size per frame instead, eased over :data:`ZOOM_WINDOW_S`."""
        all_pts = np.concatenate([t.points.reshape(-1, 3) for t in self.tracks], axis=0)
        lo, hi = all_pts.min(axis=0), all_pts.max(axis=0)
        place_floor(self.grid, lo, hi)
        headroom = LABEL_HEADROOM_M if any(t.label is not None for t in self.tracks) else 0.0
        hi = hi + np.array([0.0, 0.0, headroom], np.float32)  # framed with the labels
        # per timeline frame: bounding box of every motion's current pose
        lo_f = np.full((num_frames, 3), np.inf, dtype=np.float32)
        hi_f = np.full((num_frames, 3), -np.inf, dtype=np.float32)
        for t in self.tracks:
            pose = t.points[t.frame_map]  # (N, J, 3)
            lo_f = np.minimum(lo_f, pose.min(axis=1))
            hi_f = np.maximum(hi_f, pose.max(axis=1))
        hi_f[:, 2] += headroom
        # followed: the bodies' own middle, up and down too (a jump), smoothed
        centres = smooth_path((lo_f + hi_f) / 2.0, int(round(FOLLOW_SMOOTHING_S * fps)))
        self.follow_centres = centres
        self._frame_joints(num_frames, headroom, (lo + hi) / 2.0, centres)
        centres = centres.copy()
        centres[:, 2] = (lo[2] + hi[2]) / 2.0  # the box zoom of overlaid bodies, as before
        self._scene_centre = (lo + hi) / 2.0
        pose_size = (hi_f - lo_f).max(axis=0)
        self.travel_m = float(max(0.0, *((hi - lo) - pose_size)[:2]))
        self.follow_halves = None
        if zoom:  # each body's own travel decides following; the spread sets the zoom
            self.travel_m = max(travel(t.points) for t in self.tracks)
            self.follow_centres = centres  # the box's middle, as the zoom's boxes
            need = np.maximum(hi_f - centres, centres - lo_f)
            need[:, 2] = (hi[2] - lo[2]) / 2.0
            window = int(round(ZOOM_WINDOW_S * fps))
            halves = smooth_path(running_max(need, window), window)
            self.follow_halves = np.maximum(halves, need)  # easing never cuts a body off

    def _frame_joints(self, num_frames: int, headroom: float, centre: np.ndarray,
                      centres: np.ndarray) -> None:
        """Keep every frame's joints (and, with labels, a point ``headroom`` over each
        labelled body's highest joint) from the scene's centre and from each frame's follow
        centre ``centres`` ``(N, 3)``: what the camera frames (:func:`points_distance
        <motionlex.widgets.camera_framing.points_distance>`, the joints themselves, not a
        box around them: a kick was 38 % of the view's height, the iClone jump 34 %, a walk
        78 %, GUI audit w38 #9)."""
        poses = []
        for t in self.tracks:
            pose = t.points[t.frame_map]  # (N, J, 3)
            poses.append(pose)
            if t.label is not None:
                top = pose.mean(axis=1, keepdims=True)
                top[..., 2] = pose[..., 2].max(axis=1, keepdims=True) + headroom
                poses.append(top)
        pts = np.concatenate(poses, axis=1)  # (N, K, 3) float32: 12 bytes a joint a frame
        self._framed = (pts - centre.astype(np.float32)).reshape(-1, 3)
        self._followed = (pts - centres[:num_frames, None, :].astype(np.float32)).reshape(-1, 3)

    def fit_camera(self, follow: bool, frame: int) -> None:
        """Frame every frame's joints of every motion from the scene's centre, or, with
        ``follow``, each from its own frame's follow centre, centred on timeline frame
        ``frame``'s (the camera then keeps its distance as the bodies move); overlaid
        bodies that part (``follow_halves``) are framed by a box per frame.

        ``frame`` is clamped to the current timeline, so a frame of a longer motion shown
        before is safe (aitviewer's rule: setting a frame clamps it).
        """
        if not self.tracks:
            return
        if follow and self.follow_centres is not None:
            f = min(max(int(frame), 0), len(self.follow_centres) - 1)
            if self.follow_halves is None:
                frame_points(self.view, self.follow_centres[f], self._followed)
            else:
                frame_box(self.view, self.follow_centres[f], self.follow_halves[f])
        else:
            frame_points(self.view, self._scene_centre, self._framed)
