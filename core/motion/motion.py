"""Motion: validated joint positions with their skeleton, canonical form and mirroring.

The one data path of motionlex starts here (../shared/DESIGN.md): any file becomes a
:class:`Motion` with ``joints (T, J, 3)`` in metres, then :func:`to_canonical` brings it to
the HumanML3D convention: 20 fps, Y up, floor at y = 0, root XZ at the origin and facing +Z
on the first frame (Guo et al., CVPR 2022, HumanML3D ``motion_representation`` pipeline).
Joints from outside are checked as plausible metres by :mod:`.joint_arrays`
(``make_motion``, ``validate_joints``, ``load_joints_npy``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

import numpy as np

from motionlex.core.motion.file_checks import (
    FPS_RANGE,
    check_finite_joints,
    check_fps_type,
)
from motionlex.core.motion.skeleton import Skeleton, as_skeleton

logger = logging.getLogger(__name__)

CANONICAL_FPS = 20.0
"""Frame rate of the canonical form (HumanML3D)."""

KIT_FPS = 12.5
"""Frame rate of KIT-ML's processed joints."""


def joints_fps(skeleton: Skeleton) -> float:
    """The frame rate a joint array of ``skeleton`` is read at when none is given: 12.5 for
    KIT-ML's ``kit21``, else the canonical 20 (HumanML3D's)."""
    return KIT_FPS if skeleton.name == "kit21" else CANONICAL_FPS

MIN_FRAMES = 2

def _require_motion(motion: object, what: str) -> None:
    if not isinstance(motion, Motion):
        raise TypeError(f"{what} expected a Motion (make_motion(joints, fps, skeleton) builds "
                        f"one), got {type(motion).__name__}")



@dataclass(frozen=True, eq=False)
class Motion:
    """Joint positions of one motion on one skeleton.

    Attributes:
        joints: ``(T, J, 3)`` float32, metres, with ``T >= 2`` and ``J`` equal to
            ``skeleton.num_joints``.
        fps: frames per second (> 0).
        skeleton: the kinematic tree and body-part chains.
        source: file the motion came from (for error messages and export), or ``None``.
        name: an identifier such as the dataset id.

    Construction checks the structure (a :class:`Skeleton`, ``fps`` finite and > 0, joints
    ``(T >= 2, J, 3)``) and that every coordinate is finite (one vectorised pass, about
    0.3 ms per 1,000 frames of 22 joints); :func:`~.joint_arrays.make_motion` also checks
    that the values are plausible metres and stores float32: use it for joints from outside.

    Raises:
        TypeError: ``skeleton`` is not a :class:`Skeleton` (a name such as ``"smpl22"``:
            :func:`~.skeleton.get_skeleton` turns it into one); ``fps`` is not a number
            (``True``, ``"20"``); ``joints`` is not an array (a list) or not numeric.
        ValueError: ``fps`` or the joints' shape breaks the rules above; NaN or inf in the
            joints (naming the first bad frame and joint).
    """

    joints: np.ndarray
    fps: float
    skeleton: Skeleton
    source: str | None = None
    name: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.skeleton, Skeleton):
            raise TypeError(f"Motion skeleton must be a Skeleton, not "
                            f"{type(self.skeleton).__name__} {self.skeleton!r:.40} "
                            f"(get_skeleton({self.skeleton!r:.20}) gives one by name)")
        src = self.source or self.name or "<array>"
        check_fps_type(self.fps, f"{src}: frame rate")
        if not (np.isfinite(self.fps) and self.fps > 0):
            raise ValueError(f"{src}: frame rate must be a number > 0, got {self.fps!r}")
        if not hasattr(self.joints, "shape"):
            raise TypeError(f"{src}: joints must be an array (T, {self.skeleton.num_joints}, 3), "
                            f"got {type(self.joints).__name__} (make_motion(joints, fps, "
                            f"skeleton) converts one)")
        shape = tuple(self.joints.shape)
        if (len(shape) != 3 or shape[0] < MIN_FRAMES or shape[1] != self.skeleton.num_joints
                or shape[2] != 3):
            raise ValueError(f"{src}: joints must be (T >= {MIN_FRAMES}, "
                             f"{self.skeleton.num_joints}, 3) for {self.skeleton.name}, "
                             f"got {shape}")
        check_finite_joints(self.joints, self.skeleton, src)

    def __repr__(self) -> str:
        return (f"Motion(name={self.name!r}, T={self.num_frames}, J={self.joints.shape[1]}, "
                f"fps={self.fps:g}, skeleton={self.skeleton.name!r}, source={self.source!r})")

    @property
    def num_frames(self) -> int:
        """Number of frames ``T``."""
        return int(self.joints.shape[0])

    @property
    def duration(self) -> float:
        """Duration in seconds, ``T / fps``."""
        return self.num_frames / self.fps

    def crop_seconds(self, start: float, end: float, *, canonical: bool = False) -> "Motion":
        """Frames between ``start`` and ``end`` seconds (HumanML3D caption spans).

        Args:
            start / end: the span, seconds (``start == end == 0``: the whole clip; ``end``
                0 or past the clip: to its end).
            canonical: bring the crop to canonical form again (:func:`to_canonical`: pelvis
                at XZ = 0 and facing +Z on the crop's first frame; the floor stays the whole
                clip's, as in HumanML3D's crops), for a crop of a canonical motion that
                becomes a training or evaluation clip of its own.

        Returns:
            A new :class:`Motion` of the span's frames (``self`` for the whole clip).

        Raises:
            ValueError: a negative or non-finite ``start`` or ``end``, or a span that leaves
                fewer than 2 frames.
        """
        for what, t in (("start", start), ("end", end)):
            if not (np.isfinite(t) and t >= 0):
                raise ValueError(f"{self.source or self.name}: crop {what} must be a finite "
                                 f"number of seconds >= 0, got {t}")
        if start == 0.0 and end == 0.0:
            return self
        a = max(0, int(np.floor(start * self.fps)))
        b = min(self.num_frames, int(np.floor(end * self.fps))) if end > 0 else self.num_frames
        if b - a < MIN_FRAMES:
            why = (f"starts after the clip's end ({self.duration:.2f} s)" if a >= self.num_frames
                   else f"keeps {max(0, b - a)} frame(s) of {self.num_frames} at {self.fps} fps")
            raise ValueError(f"{self.source or self.name}: span {start:.2f}-{end:.2f} s {why}")
        crop = replace(self, joints=self.joints[a:b])
        return to_canonical(crop, self.fps, floor=False) if canonical else crop


def resample(motion: Motion, fps: float) -> Motion:
    """Linearly resample a motion in time to ``fps``.

    The output covers the same duration: ``T' = floor((T - 1) * fps / fps_in) + 1`` frames,
    frame ``k`` taken at ``k / fps`` seconds by linear interpolation between the two
    neighbouring input frames (no extrapolation past the last one).

    Args:
        motion: the motion, ``joints (T, J, 3)`` float32 metres at ``fps_in = motion.fps``.
        fps: target frame rate, frames per second (> 0, at most ``FPS_RANGE[1]``, 1000).

    Returns:
        A new :class:`Motion` (same skeleton, source and name) with ``joints (T', J, 3)``
        float32, metres, and ``fps`` as a float; ``motion`` itself when ``fps`` equals
        ``motion.fps`` within 1e-9.

    Raises:
        TypeError: ``motion`` is not a :class:`Motion` (an array:
            :func:`~.joint_arrays.make_motion` makes one), or ``fps`` is not a number.
        ValueError: when ``fps`` is not finite and > 0, above 1000 fps (the highest rate a
            motion file may have, :data:`FPS_RANGE`), or the result would have fewer than
            2 frames.
    """
    _require_motion(motion, "resample")
    check_fps_type(fps, "target fps")
    if not np.isfinite(fps) or fps <= 0:
        raise ValueError(f"target fps must be finite and > 0, got {fps}")
    if fps > FPS_RANGE[1]:
        raise ValueError(f"target fps {fps:g} is above {FPS_RANGE[1]:g} fps, the highest frame "
                         f"rate motionlex reads or makes ({motion.num_frames} frames at "
                         f"{motion.fps:g} fps would become about "
                         f"{motion.duration * fps:.3g} frames)")
    if abs(fps - motion.fps) < 1e-9:
        return motion
    t_in = motion.num_frames
    t_out = int(np.floor((t_in - 1) * fps / motion.fps + 1e-9)) + 1
    if t_out < MIN_FRAMES:
        raise ValueError(
            f"{motion.source or motion.name}: {t_in} frames at {motion.fps} fps give "
            f"{t_out} frame(s) at {fps} fps"
        )
    pos = np.arange(t_out) * (motion.fps / fps)
    i0 = np.clip(np.floor(pos).astype(np.int64), 0, t_in - 1)
    i1 = np.clip(i0 + 1, 0, t_in - 1)
    w = (pos - i0).astype(np.float32)[:, None, None]
    joints = motion.joints[i0] * (1.0 - w) + motion.joints[i1] * w
    return replace(motion, joints=joints.astype(np.float32), fps=float(fps))


def facing_direction(joints0: np.ndarray, skeleton: Skeleton) -> np.ndarray:
    """Horizontal forward direction of a pose from its hips and shoulders.

    ``across = (r_hip - l_hip) + (r_shoulder - l_shoulder)`` points to the body's right;
    ``forward = up x across`` (Y up), as in the HumanML3D pipeline.

    Args:
        joints0: ``(J, 3)`` one pose, metres.
        skeleton: hips are the second joint of each leg chain, shoulders the third joint
            from the end of each arm chain (shoulder, elbow, wrist); or a built-in one's name.

    Returns:
        ``(3,)`` float64 unit vector with zero Y.

    Raises:
        ValueError: when the pose has no horizontal left-right extent.
    """
    return _facing_directions(np.asarray(joints0)[None], skeleton, single=True)[0]


def facing_directions(joints: np.ndarray, skeleton: Skeleton) -> np.ndarray:
    """:func:`facing_direction` of every frame at once.

    Args:
        joints: ``(T, J, 3)`` poses, metres.
        skeleton: as in :func:`facing_direction`.

    Returns:
        ``(T, 3)`` float64 unit vectors with zero Y.

    Raises:
        ValueError: when a frame has no horizontal left-right extent or non-finite hips or
            shoulders (the first such frame is named).
    """
    return _facing_directions(joints, skeleton, single=False)


def _facing_directions(joints: np.ndarray, skeleton: Skeleton, single: bool) -> np.ndarray:
    """:func:`facing_directions`; ``single``: for :func:`facing_direction`, whose errors
    name it and no frame."""
    c = as_skeleton(skeleton, "facing_direction" if single else "facing_directions").chains
    l_hip, r_hip = c[3][1], c[4][1]
    l_sh, r_sh = c[1][max(-3, -len(c[1]))], c[2][max(-3, -len(c[2]))]
    across = (joints[:, r_hip] - joints[:, l_hip]) + (joints[:, r_sh] - joints[:, l_sh])
    across = np.asarray(across, dtype=np.float64)
    across[:, 1] = 0.0
    n = np.linalg.norm(across, axis=-1)
    bad = np.flatnonzero(~(n >= 1e-8))
    if bad.size:
        where = "" if single else f"frame {bad[0]}: "
        why = "hips and shoulders coincide" if np.isfinite(n[bad[0]]) else \
            "hip or shoulder positions are not finite"
        raise ValueError(f"{where}cannot find a facing direction: {why}")
    forward = np.cross(np.array([0.0, 1.0, 0.0]), across / n[:, None])
    return forward / np.linalg.norm(forward, axis=-1, keepdims=True)


def to_canonical(motion: Motion, fps: float = CANONICAL_FPS, *, floor: bool = True) -> Motion:
    """Bring a motion to the canonical form of ../shared/DESIGN.md.

    Resample to ``fps``; put the floor (lowest body-part chain joint over the clip: not a
    floor marker, prop or finger) at y = 0; move the
    pelvis (first joint of the torso chain; the tree root of BVH files can be a floor-level
    marker) to XZ = 0 on frame 0; rotate about Y so that the body faces +Z on frame 0
    (left side at +X).

    Args:
        motion: a motion in metres, Y up.
        fps: target frame rate (20, HumanML3D).
        floor: put the floor at y = 0 (False: keep the heights, for a crop of a canonical
            clip, whose floor is the whole clip's: a crop spent in the air or on a step
            stays there, as HumanML3D's caption-span crops do).

    Returns:
        A new :class:`Motion` (same skeleton, ``fps`` frames per second).

    Raises:
        TypeError: ``motion`` is not a :class:`Motion` or ``fps`` not a number.
        ValueError: see :func:`resample` and :func:`facing_direction`.
    """
    _require_motion(motion, "to_canonical")
    m = resample(motion, fps)
    j = m.joints.astype(np.float64)
    if floor:
        body = sorted({k for c in m.skeleton.chains for k in c})
        j[..., 1] -= j[:, body, 1].min()
    root0 = j[0, m.skeleton.chains[0][0]].copy()  # the pelvis (torso chain start)
    j[..., 0] -= root0[0]
    j[..., 2] -= root0[2]
    try:
        fwd = facing_direction(j[0], m.skeleton)
    except ValueError as e:
        raise ValueError(f"{m.source}: {e}" if m.source else str(e)) from e
    angle = np.arctan2(fwd[0], fwd[2])  # rotate by -angle about Y to face +Z
    c, s = np.cos(-angle), np.sin(-angle)
    rot = np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])
    j = j @ rot.T
    return replace(m, joints=j.astype(np.float32))


def mirror_motion(motion: Motion) -> Motion:
    """Mirror a motion left-right: swap left/right joints and negate x.

    The reflection is about the world plane ``x = 0`` (a canonical motion keeps facing +Z).
    Only the joints change: captions are not side-swapped here; the text half is
    :func:`motionlex.core.text.sides.mirror_caption`. Mirroring twice is the identity.

    Args:
        motion: the motion, ``joints (T, J, 3)`` float32 metres; its skeleton's
            ``mirror_pairs`` give the left/right joint pairs.

    Returns:
        A new :class:`Motion` (same fps, skeleton, source and name) with ``joints (T, J, 3)``
        float32, metres: ``joints[:, perm]`` with x negated, ``perm`` from
        :meth:`~motionlex.core.motion.skeleton.Skeleton.mirror_permutation`.

    Raises:
        TypeError: ``motion`` is not a :class:`Motion`.
    """
    _require_motion(motion, "mirror_motion")
    perm = motion.skeleton.mirror_permutation()
    j = motion.joints[:, perm, :].copy()
    j[..., 0] *= -1.0
    return replace(motion, joints=j)
