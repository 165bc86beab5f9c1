"""Kinematics of the demo body: rest pose, forward kinematics, keyframe curves, foot locking.

Body: :data:`REST_POSE`, 22 joints in HumanML3D's joint order (``skeleton.SMPL22``), metres,
Y up, facing +Z, left side at +X, standing on the floor (a ~1.7 m tall person; head joint at
1.59 m). Its bone lengths are HumanML3D's (which uses one SMPL body for every clip), averaged
left/right so that the body is exactly symmetric and a mirrored motion is again a motion of
this body. Motions are animated as rotations of every joint about its parent
(:func:`forward_kinematics`), so bone lengths never change.

A :class:`Track` holds joint-angle channels over time (degrees, named channels such as
``thigh_L`` = forward swing of the left thigh from vertical), written from keyframes
(monotone cubic interpolation) or periodic gait curves. A foot that stays on the floor is
held in place by two-bone leg IK (:func:`lock_feet`), as in Kovar, Schreiner, Gleicher,
"Footskate Cleanup for Motion Capture Editing", SCA 2002.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.spatial.transform import Rotation

from motionlex.core.motion.motion import (
    CANONICAL_FPS,
)
from motionlex.core.motion.skeleton import SMPL22

logger = logging.getLogger(__name__)


FPS = CANONICAL_FPS
"""Frame rate of every demo motion (the canonical 20 fps)."""
GRAVITY = 9.81
"""m/s^2, for ballistic flight."""

REST_POSE = np.array([
    [0.000, 0.954, 0.000],    # pelvis
    [0.059, 0.866, -0.010],   # l_hip
    [-0.059, 0.866, -0.010],  # r_hip
    [0.000, 1.082, -0.031],   # spine1
    [0.094, 0.476, -0.005],   # l_knee
    [-0.094, 0.476, -0.005],  # r_knee
    [0.000, 1.222, -0.001],   # spine2
    [0.094, 0.048, -0.035],   # l_ankle
    [-0.094, 0.048, -0.035],  # r_ankle
    [0.000, 1.278, 0.009],    # spine3
    [0.119, 0.003, 0.102],    # l_foot (toes)
    [-0.119, 0.003, 0.102],   # r_foot
    [0.000, 1.496, -0.021],   # neck
    [0.077, 1.396, -0.001],   # l_collar
    [-0.077, 1.396, -0.001],  # r_collar
    [0.000, 1.586, 0.029],    # head
    [0.189, 1.339, -0.020],   # l_shoulder
    [-0.189, 1.339, -0.020],  # r_shoulder
    [0.218, 1.081, -0.030],   # l_elbow
    [-0.218, 1.081, -0.030],  # r_elbow
    [0.228, 0.815, 0.005],    # l_wrist
    [-0.228, 0.815, 0.005],   # r_wrist
], dtype=np.float64)
"""``(22, 3)`` float64, metres: standing rest pose, SMPL-22 order, Y up, facing +Z, left at +X.

Bone lengths are HumanML3D's (left/right averaged; within 7 mm of every bone of the real
files), directions those of a relaxed standing pose with the arms hanging."""

HEEL = np.array([0.0, -0.048, -0.030])  # heel contact point in the ankle's frame
TOE_HEIGHT = 0.003  # rest height of the toe joints above the floor


def euler_to_matrix(angles: np.ndarray) -> np.ndarray:
    """Rotation matrices from (x, y, z) Euler angles, composed ``R = Ry @ Rx @ Rz``.

    Args:
        angles: ``(..., 3)`` float, radians, about the x, y and z axes of the parent frame.

    Returns:
        ``(..., 3, 3)`` float64 rotation matrices.

    Raises:
        ValueError: when the last axis is not 3.
    """
    angles = np.asarray(angles, dtype=np.float64)
    if angles.shape[-1:] != (3,):
        raise ValueError(f"expected Euler angles (..., 3), got shape {angles.shape}")
    # intrinsic Y, then X, then Z: R = Ry @ Rx @ Rz
    flat = angles[..., [1, 0, 2]].reshape(-1, 3)
    return Rotation.from_euler("YXZ", flat).as_matrix().reshape(*angles.shape[:-1], 3, 3)


def forward_kinematics(
    rotations: np.ndarray,
    root_positions: np.ndarray,
    rest_pose: np.ndarray = REST_POSE,
    parents: Sequence[int] = SMPL22.parents,
) -> tuple[np.ndarray, np.ndarray]:
    """Joint positions from per-joint local rotations of a rest pose.

    ``G_0 = R_0``, ``G_j = G_parent(j) @ R_j``; ``p_0 = root``,
    ``p_j = p_parent(j) + G_parent(j) @ (rest_j - rest_parent(j))``. Bone lengths are those of
    ``rest_pose`` in every frame.

    Args:
        rotations: ``(T, J, 3, 3)`` float, local rotation of every joint (the root's is
            global); a joint's rotation moves its children.
        root_positions: ``(T, 3)`` float, metres, root joint position.
        rest_pose: ``(J, 3)`` float, metres, the pose with identity rotations.
        parents: ``J`` parent indices, ``-1`` for the root (joint 0); parents before children.

    Returns:
        ``(joints (T, J, 3), global_rotations (T, J, 3, 3))``, float64.

    Raises:
        ValueError: on mismatched shapes, a root other than joint 0, or a child listed before
            its parent.

    Source: standard forward kinematics of a kinematic tree, as in HumanML3D's
    ``common/skeleton.py`` ``forward_kinematics`` (Guo et al., CVPR 2022).
    """
    rotations = np.asarray(rotations, dtype=np.float64)
    root_positions = np.asarray(root_positions, dtype=np.float64)
    rest_pose = np.asarray(rest_pose, dtype=np.float64)
    j = len(parents)
    if rotations.ndim != 4 or rotations.shape[1:] != (j, 3, 3):
        raise ValueError(f"expected rotations (T, {j}, 3, 3), got {rotations.shape}")
    if root_positions.shape != (rotations.shape[0], 3):
        raise ValueError(f"expected root_positions ({rotations.shape[0]}, 3), "
                         f"got {root_positions.shape}")
    if rest_pose.shape != (j, 3):
        raise ValueError(f"expected rest_pose ({j}, 3), got {rest_pose.shape}")
    if parents[0] != -1 or any(not 0 <= p < c for c, p in enumerate(parents) if c > 0):
        raise ValueError(f"parents must have the root at 0 and every parent before its child, "
                         f"got {tuple(parents)}")
    t = rotations.shape[0]
    pos = np.empty((t, j, 3))
    glob = np.empty((t, j, 3, 3))
    pos[:, 0] = root_positions
    glob[:, 0] = rotations[:, 0]
    for c in range(1, j):
        p = parents[c]
        pos[:, c] = pos[:, p] + glob[:, p] @ (rest_pose[c] - rest_pose[p])
        glob[:, c] = glob[:, p] @ rotations[:, c]
    return pos, glob


def ease(t: np.ndarray, t0: float, t1: float) -> np.ndarray:
    """Smoothstep from 0 (t <= t0) to 1 (t >= t1)."""
    if t1 <= t0:
        return (t >= t0).astype(np.float64)
    s = np.clip((t - t0) / (t1 - t0), 0.0, 1.0)
    return s * s * (3.0 - 2.0 * s)


def _pchip(t: np.ndarray, times: Sequence[float], values: np.ndarray) -> np.ndarray:
    """Monotone cubic (PCHIP) through keyframes, held constant outside them.

    Args:
        t: ``(T,)`` seconds. times: ``K`` increasing key times. values: ``(K, C)``.

    Returns:
        ``(T, C)`` float64.

    Source: Fritsch and Carlson, "Monotone piecewise cubic interpolation", SIAM J. Numer.
    Anal. 17(2), 1980 (scipy's ``PchipInterpolator``): no overshoot, zero slope at extrema.
    """
    from scipy.interpolate import PchipInterpolator

    values = np.asarray(values, dtype=np.float64)
    if len(times) == 1:
        return np.broadcast_to(values[0], (len(t), values.shape[1])).copy()
    f = PchipInterpolator(np.asarray(times, float), values, axis=0)
    return f(np.clip(t, times[0], times[-1]))


def periodic_curve(phase: np.ndarray, keys: Sequence[tuple[float, float]]) -> np.ndarray:
    """Periodic cubic Hermite curve (Catmull-Rom tangents) through ``(phase, value)`` keys.

    Args:
        phase: any real phases (period 1).
        keys: phases in ``[0, 1)``, increasing, with values.
    """
    kp = np.array([k for k, _ in keys], dtype=np.float64)
    kv = np.array([v for _, v in keys], dtype=np.float64)
    n = len(kp)
    xp = np.concatenate([kp - 1.0, kp, kp + 1.0])
    xv = np.tile(kv, 3)
    ph = np.mod(phase, 1.0)
    i = np.searchsorted(xp, ph, side="right") - 1  # in [n - 1, 2n - 1]
    i = np.clip(i, 1, 3 * n - 3)
    t0, t1 = xp[i], xp[i + 1]
    v0, v1 = xv[i], xv[i + 1]
    m0 = (xv[i + 1] - xv[i - 1]) / (xp[i + 1] - xp[i - 1])
    m1 = (xv[np.minimum(i + 2, 3 * n - 1)] - xv[i]) / (xp[np.minimum(i + 2, 3 * n - 1)] - xp[i])
    h = t1 - t0
    s = (ph - t0) / h
    s2, s3 = s * s, s * s * s
    return ((2 * s3 - 3 * s2 + 1) * v0 + (s3 - 2 * s2 + s) * h * m0
            + (-2 * s3 + 3 * s2) * v1 + (s3 - s2) * h * m1)


@dataclass(eq=False)
class Track:
    """Joint-angle channels (degrees) and root controls of one action, over its frames."""

    t: np.ndarray  # (n,) seconds since the action started (negative during pad_start)
    ch: dict[str, np.ndarray] = field(default_factory=dict)
    heading: np.ndarray | None = None  # (n,) radians about +Y (0 = facing +Z)
    air: np.ndarray | None = None  # (n,) bool: airborne
    flight_vel: tuple[float, float] | None = None  # body frame (x, z) m/s; None = carry
    smooth: float = 0.0  # seconds: moving average of the root path (one step of a gait)

    def __post_init__(self) -> None:
        n = len(self.t)
        self.heading = np.zeros(n) if self.heading is None else self.heading
        self.air = np.zeros(n, bool) if self.air is None else self.air

    def add(self, name: str, values: np.ndarray | float) -> None:
        """Add ``values`` (an ``(n,)`` array or a scalar, degrees) to channel ``name``."""
        self.ch[name] = self.ch.get(name, 0.0) + np.broadcast_to(values, self.t.shape)

    def get(self, name: str) -> np.ndarray:
        """Channel ``name`` as ``(n,)`` degrees (zeros if unset)."""
        return np.asarray(self.ch.get(name, np.zeros_like(self.t)))

    def keys(self, keys: Sequence[tuple[float, Mapping[str, float]]]) -> None:
        """Add keyframed channels: ``(time, {channel: value})``, seconds and degrees, eased
        between keys by :func:`_pchip` and held outside them; missing channels are 0.

        Raises:
            ValueError: key times that do not strictly increase.
        """
        times = [float(k) for k, _ in keys]
        if any(b <= a for a, b in zip(times, times[1:])):
            raise ValueError(f"keyframe times must increase: {times}")
        names = sorted(set().union(*(d.keys() for _, d in keys)))
        values = np.array([[float(d.get(name, 0.0)) for name in names] for _, d in keys])
        curves = _pchip(self.t, times, values)
        for i, name in enumerate(names):
            self.add(name, curves[:, i])


_LEGS = ((1, 4, 7), (2, 5, 8))  # hip, knee, ankle of the left and right leg
_FOOT_OF_ANKLE = {7: 10, 8: 11}


def _two_bone_ik(hip: np.ndarray, knee: np.ndarray, target: np.ndarray, l1: float, l2: float
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Knee and ankle positions ``(N, 3)`` that reach ``target`` with bone lengths kept.

    The knee stays in the plane of hip, target and the original knee (its bend direction);
    an unreachable target is approached along the hip-target line.

    Source: analytic two-link inverse kinematics (law of cosines), e.g. Kovar, Schreiner,
    Gleicher, "Footskate Cleanup for Motion Capture Editing", SCA 2002, Sec. 4.
    """
    d = target - hip
    dist = np.linalg.norm(d, axis=1, keepdims=True)
    u = d / np.maximum(dist, 1e-9)
    dist = np.clip(dist, abs(l1 - l2) + 1e-6, l1 + l2 - 1e-6)
    bend = knee - hip
    pole = bend - np.sum(bend * u, axis=1, keepdims=True) * u
    norm = np.linalg.norm(pole, axis=1, keepdims=True)
    pole = np.where(norm > 1e-9, pole / np.maximum(norm, 1e-9), np.array([0.0, 0.0, 1.0]))
    a = (l1 * l1 - l2 * l2 + dist * dist) / (2.0 * dist)
    h = np.sqrt(np.maximum(l1 * l1 - a * a, 0.0))
    return hip + a * u + h * pole, hip + dist * u


def lock_feet(joints: np.ndarray, pts: np.ndarray, down: np.ndarray,
               release: float = 0.12) -> None:
    """Remove horizontal sliding of feet on the floor, in place, by leg IK.

    While a foot stays down, the horizontal drift of its lowest point (heel or toe) is
    accumulated and subtracted from the ankle (the foot moves rigidly with it, the knee is
    re-solved by :func:`_two_bone_ik`); after lift-off the correction fades with time
    constant ``release`` seconds.

    Args:
        joints: ``(T, 22, 3)`` world positions, metres (modified).
        pts: ``(T, 4, 3)`` world contact points (l heel, l toe, r heel, r toe).
        down: ``(T, 2)`` bool, foot on the floor.
    """
    n = len(joints)
    decay = math.exp(-1.0 / (release * FPS))
    for f, (hip, knee, ankle) in enumerate(_LEGS):
        corr = np.zeros((n, 3))
        drift = np.zeros(2)
        for t in range(1, n):
            if down[t, f] and down[t - 1, f]:
                k = 2 * f + int(pts[t, 2 * f + 1, 1] < pts[t, 2 * f, 1])
                drift += pts[t, k, [0, 2]] - pts[t - 1, k, [0, 2]]
            else:
                drift *= decay
            corr[t, [0, 2]] = -drift
        idx = np.flatnonzero(np.abs(corr).max(axis=1) > 1e-6)
        if idx.size == 0:
            continue
        l1 = float(np.linalg.norm(REST_POSE[knee] - REST_POSE[hip]))
        l2 = float(np.linalg.norm(REST_POSE[ankle] - REST_POSE[knee]))
        new_knee, new_ankle = _two_bone_ik(joints[idx, hip], joints[idx, knee],
                                           joints[idx, ankle] + corr[idx], l1, l2)
        shift = new_ankle - joints[idx, ankle]
        joints[idx, knee] = new_knee
        joints[idx, ankle] = new_ankle
        joints[idx, _FOOT_OF_ANKLE[ankle]] += shift


def restore_bone_lengths(joints: np.ndarray, rest_pose: np.ndarray = REST_POSE,
                         parents: Sequence[int] = SMPL22.parents) -> np.ndarray:
    """Give every bone its rest length again, keeping its direction (root outward).

    Crossfading joint positions (as :func:`motionlex.core.data.compose.concatenate_motions` does
    at seams) shortens bones whose directions differ between the two poses; this rebuilds
    each frame from the root with ``p_c = p_parent + L_c * unit(q_c - q_parent)`` (``q`` the
    input), then lifts any frame that dips below the floor back onto it.

    Args:
        joints: ``(T, J, 3)`` float, metres, Y up.
        rest_pose: ``(J, 3)`` pose whose bone lengths are wanted.
        parents: parent indices (root 0, parents before children).

    Returns:
        ``(T, J, 3)`` float32 with bone lengths those of ``rest_pose``.

    Raises:
        ValueError: on shapes that do not match ``rest_pose``.
    """
    q = np.asarray(joints, dtype=np.float64)
    if q.ndim != 3 or q.shape[1:] != np.shape(rest_pose):
        raise ValueError(f"expected joints (T, {len(rest_pose)}, 3), got {q.shape}")
    out = q.copy()
    for c in range(1, len(parents)):
        p = parents[c]
        d = q[:, c] - q[:, p]
        n = np.linalg.norm(d, axis=1, keepdims=True)
        length = float(np.linalg.norm(rest_pose[c] - rest_pose[p]))
        out[:, c] = out[:, p] + d / np.maximum(n, 1e-9) * length
    out[..., 1] += np.maximum(0.0, -out[..., 1].min(axis=1))[:, None]
    return out.astype(np.float32)
