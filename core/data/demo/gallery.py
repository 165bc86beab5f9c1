"""Built-in demo gallery: seeded procedural SMPL-22 motions with captions from their parameters.

motionlex builds this gallery at first start (:func:`ensure_demo_dataset`), so the explorer
and the command line have motions to show before the user points them at HumanML3D, KIT-ML
or BVH files. Nothing here reads ``../shared/data``: the body is a hard-coded rest pose.

Body: :data:`REST_POSE`, 22 joints in HumanML3D's joint order (``skeleton.SMPL22``), metres,
Y up, facing +Z, left side at +X, standing on the floor (a ~1.7 m tall person; head joint at
1.59 m). Its bone lengths are HumanML3D's (which uses one SMPL body for every clip), averaged
left/right so that the body is exactly symmetric and a mirrored motion is again a motion of
this body. Motions are animated as rotations of every joint about its parent
(:func:`forward_kinematics`), so bone lengths never change.

Animation: each action writes joint angles over time (degrees, named channels such as
``thigh_L`` = forward swing of the left thigh from vertical) from keyframes (monotone cubic
interpolation) or periodic gait curves. Then, per frame:

- the lowest contact point (heels and toes) is put on the floor (y = 0), so the root height
  follows the legs (squats, sitting, gait bob); while airborne (jumps, the flight phase of a
  run) the root follows a ballistic parabola between take-off and landing;
- the root moves horizontally so that the support foot (the one that touched down last, or
  both feet when both stay down) does not slide; airborne frames carry the feet by the
  action's flight velocity (a jump in place lands where it took off); gait roots are then
  averaged over one step, as a pelvis moves at a nearly steady speed;
- a foot that stays on the floor is held in place by two-bone leg IK (its accumulated drift
  is removed from the ankle and faded out after lift-off), as in Kovar, Schreiner,
  Gleicher, "Footskate Cleanup for Motion Capture Editing", SCA 2002.

Actions (labels; hyphens read as spaces in zero-shot prompts): walk (forward, backward, in a
circle), run, jump (1-3 times, up or forward), wave (left/right hand), squat, kick (left/
right leg), punch (left/right), turn (left/right, 90 or 180 degrees), sit-down, stand-up,
bow, clap, raise-arms (both, left or right). Each is parameterised (``speed``, ``count``,
``side``, ``direction``, ``height``/``depth``; see :data:`PARAM_CHOICES`) and every caption is
written from the parameters, with several paraphrases chosen by the seed. Left and right are
exact mirror images: ``mirror_motion(synthesize(label, side="left"))`` equals
``synthesize(label, side="right")`` and ``mirror_caption`` maps one caption to the other.

Compositions of 2-3 events use :func:`motionlex.core.data.compose.concatenate_motions` (aligned,
crossfaded seams; the crossfade shortens bones, so :func:`restore_bone_lengths` follows) and
captions joined with ", then " (:func:`compose.compose_captions`).

Frame rate: 20 fps (:data:`motion.CANONICAL_FPS`); every motion is in canonical form.
"""

from __future__ import annotations

import json
import logging
import math
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from scipy.spatial.transform import Rotation

from motionlex.core.atomic import atomic_directory
from motionlex.core.cache import cache_dir
from motionlex.core.data.compose import (
    ComposedMotion,
    ComposedPair,
    compose_captions,
    compose_pair,
    concatenate_motions,
)
from motionlex.core.motion.motion import (
    CANONICAL_FPS,
    Motion,
    make_motion,
    to_canonical,
    validate_joints,
)
from motionlex.core.motion.skeleton import SMPL22

logger = logging.getLogger(__name__)

DEMO_VERSION = 1
"""Bump whenever generated motions or captions change (the cache folder is versioned)."""
MANIFEST_NAME = "demo.json"
"""Written last into a demo dataset folder; its presence marks a complete folder."""
FPS = CANONICAL_FPS
GRAVITY = 9.81
"""m/s^2, for ballistic flight."""
BLEND_FRAMES = 8
"""Seam overlap of composed motions (0.4 s)."""
MAX_COMPOSED_FRAMES = 224
"""Composed motions fit the motion-patch model's 224 frames (11.2 s)."""
SINGLE_SECONDS = (2.0, 6.0)
"""Duration range of a single-action demo motion, seconds."""

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

_HEEL = np.array([0.0, -0.048, -0.030])  # heel contact point in the ankle's frame
_TOE_HEIGHT = 0.003  # rest height of the toe joints above the floor

SIDES = ("left", "right")
SPEEDS = ("slow", "normal", "fast")
_SPEED_FACTOR = {"slow": 1.35, "normal": 1.0, "fast": 0.75}  # multiplies durations

PARAM_CHOICES: dict[str, dict[str, tuple]] = {
    "walk": {"direction": ("forward", "backward", "circle"), "side": SIDES, "speed": SPEEDS,
             "cycles": (2, 3, 4)},
    "run": {"speed": SPEEDS, "cycles": (3, 4, 5)},
    "jump": {"count": (1, 2, 3), "direction": ("up", "forward"),
             "height": ("normal", "low", "high"), "speed": SPEEDS},
    "wave": {"side": SIDES, "count": (2, 3, 4), "speed": SPEEDS},
    "squat": {"count": (1, 2, 3), "depth": ("normal", "deep"), "speed": SPEEDS},
    "kick": {"side": SIDES, "count": (1, 2), "speed": SPEEDS},
    "punch": {"side": SIDES, "count": (1, 2, 3), "speed": SPEEDS},
    "turn": {"side": SIDES, "angle": (90, 180), "speed": SPEEDS},
    "sit-down": {"speed": SPEEDS},
    "stand-up": {"speed": SPEEDS},
    "bow": {"depth": ("slight", "deep"), "speed": SPEEDS},
    "clap": {"count": (2, 3, 4, 5), "speed": SPEEDS},
    "raise-arms": {"side": ("both",) + SIDES, "speed": SPEEDS},
}
"""Allowed values of each action's discrete parameters (the first is the default, except
``speed`` whose default is ``"normal"``). Every action also takes the float parameters of
:data:`PARAM_RANGES`. For walk, ``side`` is the direction of the circle (ignored otherwise)."""

PARAM_RANGES: dict[str, tuple[float, float, float]] = {
    "tempo": (0.85, 1.15, 1.0),
    "pad_start": (0.0, 1.5, 0.4),
    "pad_end": (0.0, 3.0, 0.4),
}
"""``name: (min, max, default)``: ``tempo`` multiplies every duration; ``pad_start`` and
``pad_end`` are seconds of quiet standing (or sitting) before and after the action."""

ACTIONS: tuple[str, ...] = tuple(PARAM_CHOICES)
"""Every action label, in a fixed order."""
_STANDING = tuple(a for a in ACTIONS if a not in ("sit-down", "stand-up"))
"""Actions that start and end standing (free to compose in any order)."""


# ============================================================================ kinematics
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


# ============================================================================ animation
def _ease(t: np.ndarray, t0: float, t1: float) -> np.ndarray:
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


def _periodic(phase: np.ndarray, keys: Sequence[tuple[float, float]]) -> np.ndarray:
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


# Gait curves of the LEFT leg over one cycle (phase 0 = left heel strike), degrees:
# thigh = forward swing from vertical, knee = flexion, foot = pitch (+ toes down) from flat.
# Shapes after the normal-gait sagittal angles in Winter, "Biomechanics and Motor Control of
# Human Movement" (4th ed., 2009, ch. 4) and Perry and Burnfield, "Gait Analysis" (2010);
# running after Novacheck, "The biomechanics of running", Gait & Posture 7, 1998.
_WALK = {
    "thigh": [(0.0, 25), (0.15, 20), (0.5, -12), (0.62, -6), (0.75, 14), (0.88, 28)],
    "knee": [(0.0, 3), (0.13, 17), (0.4, 4), (0.55, 28), (0.72, 62), (0.88, 24)],
    "foot": [(0.0, -18), (0.08, 0), (0.42, 0), (0.6, 32), (0.72, 8), (0.88, -8)],
}
_RUN = {
    "thigh": [(0.0, 28), (0.2, 2), (0.38, -22), (0.52, -8), (0.72, 38), (0.86, 44)],
    "knee": [(0.0, 20), (0.12, 40), (0.38, 16), (0.56, 75), (0.72, 105), (0.88, 45)],
    "foot": [(0.0, -5), (0.1, 0), (0.3, 12), (0.4, 35), (0.6, 25), (0.8, 0), (0.92, -10)],
}
_RUN_STANCE = 0.38  # fraction of a cycle each foot is on the ground


@dataclass
class _Track:
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
        self.ch[name] = self.ch.get(name, 0.0) + np.broadcast_to(values, self.t.shape)

    def get(self, name: str) -> np.ndarray:
        return np.asarray(self.ch.get(name, np.zeros_like(self.t)))

    def keys(self, keys: Sequence[tuple[float, Mapping[str, float]]]) -> None:
        """Add keyframed channels: ``(time, {channel: value})``; missing channels are 0."""
        times = [float(k) for k, _ in keys]
        if any(b <= a for a, b in zip(times, times[1:])):
            raise RuntimeError(f"keyframe times must increase: {times}")
        names = sorted(set().union(*(d.keys() for _, d in keys)))
        values = np.array([[float(d.get(name, 0.0)) for name in names] for _, d in keys])
        curves = _pchip(self.t, times, values)
        for i, name in enumerate(names):
            self.add(name, curves[:, i])


def _new_track(p: Mapping[str, Any], duration: float) -> _Track:
    n = int(round((p["pad_start"] + duration + p["pad_end"]) * FPS)) + 1
    return _Track(np.arange(n) / FPS - p["pad_start"])


def _lr(side: str) -> tuple[str, str, float]:
    """(active suffix, other suffix, sign): sign +1 for left (+X), -1 for right."""
    return ("L", "R", 1.0) if side == "left" else ("R", "L", -1.0)


def _both(d: dict[str, float], **kw: float) -> dict[str, float]:
    """Set ``name_L`` and ``name_R`` of every keyword to its value."""
    for k, v in kw.items():
        d[f"{k}_L"] = v
        d[f"{k}_R"] = v
    return d


def _sf(p: Mapping[str, Any]) -> float:
    return _SPEED_FACTOR[p["speed"]] * float(p["tempo"])


# ----------------------------------------------------------------------------- actions
def _gait(p: Mapping[str, Any], run: bool) -> _Track:
    """Walk (forward, backward, circle) or run: periodic gait with ramped start and stop."""
    speed = p["speed"]
    if run:
        period = {"slow": 0.8, "normal": 0.7, "fast": 0.62}[speed] * p["tempo"]
        amp = {"slow": 0.8, "normal": 1.0, "fast": 1.15}[speed]
        curves, cycles, direction = _RUN, p["cycles"], 1.0
    else:
        period = {"slow": 1.35, "normal": 1.1, "fast": 0.95}[speed] * p["tempo"]
        amp = {"slow": 0.8, "normal": 1.0, "fast": 1.15}[speed]
        curves, cycles = _WALK, p["cycles"]
        direction = -1.0 if p["direction"] == "backward" else 1.0
    ramp = 0.5 * period
    dur = cycles * period + 2 * ramp
    tr = _new_track(p, dur)
    tl = tr.t
    env = _ease(tl, 0.0, ramp) * (1.0 - _ease(tl, dur - ramp, dur))
    phase = direction * np.clip(tl, 0.0, dur) / period
    # the leading leg: the inner one of a circle (so left and right circles are mirrors)
    a, o, sgn = _lr(p["side"] if not run and p["direction"] == "circle" else "left")
    for suffix, ph in ((a, phase), (o, phase + 0.5)):
        for name, keys in curves.items():
            scale = amp if name != "knee" else math.sqrt(amp)
            tr.add(f"{name}_{suffix}", env * scale * _periodic(ph, keys))
    swing = np.cos(2 * np.pi * phase)  # +1 when the leading thigh is forward
    arm = (34.0 if run else 18.0) * amp
    tr.add(f"sh_flex_{a}", -env * arm * swing)  # arms swing opposite to the legs
    tr.add(f"sh_flex_{o}", env * arm * swing)
    elbow = 75.0 if run else 8.0
    tr.add(f"elbow_{a}", env * (elbow + 8 * amp * (1 - swing)))
    tr.add(f"elbow_{o}", env * (elbow + 8 * amp * (1 + swing)))
    tr.add("pelvis_yaw", -sgn * env * 5.0 * amp * swing)
    tr.add("twist", sgn * env * 8.0 * amp * swing)
    tr.add("lean", env * ((10.0 if run else 3.0) * amp if direction > 0 else -1.0))
    tr.smooth = 0.5 * period
    if run:
        full = env > 0.97
        tr.air = full & (np.mod(phase, 0.5) > _RUN_STANCE) & (tl > 0) & (tl < dur)
        tr.flight_vel = None
    elif p["direction"] == "circle":
        _, _, sgn = _lr(p["side"])
        w = np.cumsum(env)
        tr.heading = sgn * 2.0 * np.pi * w / w[-1]
    return tr


def _jump(p: Mapping[str, Any]) -> _Track:
    """1-3 jumps, up or forward: crouch, take-off, ballistic flight, landing, absorb."""
    sf = _sf(p)
    flight = {"low": 0.40, "normal": 0.50, "high": 0.58}[p["height"]]
    dist = {"low": 0.35, "normal": 0.5, "high": 0.6}[p["height"]]
    crouch = _both({"lean": 28}, thigh=55, knee=85, sh_flex=-35, elbow=15)
    takeoff = _both({"lean": 5}, thigh=-3, knee=0, foot=35, sh_flex=100, elbow=10)
    tuck = _both({"lean": 8}, thigh=30, knee=50, foot=20, sh_flex=110, elbow=20)
    land = _both({"lean": 10}, thigh=15, knee=20, foot=12, sh_flex=45, elbow=15)
    absorb = _both({"lean": 25}, thigh=50, knee=78, sh_flex=20, elbow=20)
    t = 0.45 * sf
    keys: list[tuple[float, dict]] = [(0.0, {}), (t, crouch)]
    flights = []
    for i in range(p["count"]):
        t_off = t + 0.25 * math.sqrt(sf)
        t_land = t_off + flight
        keys += [(t_off, takeoff), (t_off + 0.5 * flight, tuck), (t_land, land)]
        flights.append((t_off, t_land))
        t = t_land + 0.2 * sf
        keys.append((t, absorb))
        if i < p["count"] - 1:
            t += 0.12 * sf
            keys.append((t, crouch))
    dur = t + 0.5 * sf
    keys.append((dur, {}))
    tr = _new_track(p, dur)
    tr.keys(keys)
    for a, b in flights:
        tr.air |= (tr.t > a + 1e-9) & (tr.t < b - 1e-9)
    tr.flight_vel = (0.0, dist / flight if p["direction"] == "forward" else 0.0)
    return tr


def _wave(p: Mapping[str, Any]) -> _Track:
    """Raise one arm, wave the forearm side to side ``count`` times, lower it."""
    a, o, sgn = _lr(p["side"])
    sf = _sf(p)
    up, cycle = 0.75 * sf, 0.55 * sf
    dur = 2 * up + p["count"] * cycle
    tr = _new_track(p, dur)
    tl = tr.t
    r = _ease(tl, 0.0, up) * (1.0 - _ease(tl, dur - up, dur))
    waving = _ease(tl, up - 0.15, up + 0.1) * (1.0 - _ease(tl, dur - up - 0.1, dur - up + 0.15))
    tr.add(f"sh_abd_{a}", 135.0 * r)
    tr.add(f"sh_flex_{a}", 15.0 * r)
    tr.add(f"elbow_z_{a}", 35.0 * r + 25.0 * waving * np.sin(2 * np.pi * (tl - up) / cycle))
    tr.add("side_lean", -sgn * 3.0 * r)
    tr.add(f"sh_abd_{o}", 3.0 * r)
    return tr


def _squat(p: Mapping[str, Any]) -> _Track:
    """``count`` squats: hips back and down with heels on the floor, arms forward."""
    sf = _sf(p)
    thigh, drop, lean = (80, 25, 30) if p["depth"] == "normal" else (105, 32, 40)
    bottom = _both({"lean": lean}, thigh=thigh, knee=thigh + drop, foot=0, sh_flex=75, elbow=10)
    down, hold, gap = 0.8 * sf, 0.25 * sf, 0.25 * sf
    keys: list[tuple[float, dict]] = [(0.0, {})]
    t = 0.0
    for i in range(p["count"]):
        keys += [(t + down, bottom), (t + down + hold, bottom), (t + 2 * down + hold, {})]
        t += 2 * down + hold + (gap if i < p["count"] - 1 else 0.0)
        if i < p["count"] - 1:
            keys.append((t, {}))
    tr = _new_track(p, t)
    tr.keys(keys)
    return tr


def _kick(p: Mapping[str, Any]) -> _Track:
    """``count`` front kicks: chamber the knee, extend, retract, put the foot down."""
    a, o, sgn = _lr(p["side"])
    sf = _sf(p)
    base = {"lean": -4, f"thigh_{o}": 4, f"knee_{o}": 10, f"foot_{o}": 0,
            f"sh_abd_{a}": 25, f"sh_abd_{o}": 25, f"sh_flex_{o}": 25, f"elbow_{a}": 30,
            f"elbow_{o}": 45}
    chamber = {**base, "lean": -8, f"thigh_{a}": 65, f"knee_{a}": 95, f"foot_{a}": 10}
    extend = {**base, "lean": -14, f"thigh_{a}": 80, f"knee_{a}": 5, f"foot_{a}": 30}
    keys: list[tuple[float, dict]] = [(0.0, {}), (0.25 * sf, base)]
    t = 0.25 * sf
    for _ in range(p["count"]):
        keys += [(t + 0.35 * sf, chamber), (t + 0.5 * sf, extend), (t + 0.72 * sf, chamber),
                 (t + 1.05 * sf, base)]
        t += 1.05 * sf
    dur = t + 0.35 * sf
    keys.append((dur, {}))
    tr = _new_track(p, dur)
    tr.keys(keys)
    return tr


def _punch(p: Mapping[str, Any]) -> _Track:
    """Guard up, ``count`` straight punches with one arm, guard down."""
    a, o, sgn = _lr(p["side"])
    sf = _sf(p)
    guard = _both({"lean": 6}, thigh=8, knee=14, foot=0, sh_flex=35, sh_horiz=15, elbow=125)
    hit = {**guard, f"sh_flex_{a}": 88, f"sh_horiz_{a}": 12, f"elbow_{a}": 4,
           "twist": -sgn * 18}
    t = 0.45 * sf
    keys: list[tuple[float, dict]] = [(0.0, {}), (t, guard)]
    for _ in range(p["count"]):
        keys += [(t + 0.16 * sf, hit), (t + 0.45 * sf, guard)]
        t += 0.55 * sf
        keys.append((t, guard))
    dur = t + 0.45 * sf
    keys.append((dur, {}))
    tr = _new_track(p, dur)
    tr.keys(keys)
    return tr


def _turn(p: Mapping[str, Any]) -> _Track:
    """Turn in place by 90 or 180 degrees, stepping on the spot."""
    a, o, sgn = _lr(p["side"])
    sf = _sf(p)
    dur = (1.3 if p["angle"] == 90 else 2.0) * sf
    tr = _new_track(p, dur)
    tl = tr.t
    tr.heading = sgn * math.radians(p["angle"]) * _ease(tl, 0.0, dur)
    env = _ease(tl, 0.0, 0.2 * sf) * (1.0 - _ease(tl, dur - 0.25 * sf, dur))
    phase = np.clip(tl, 0.0, dur) / (0.8 * sf)
    for suffix, ph in ((a, phase), (o, phase + 0.5)):  # step first with the inner foot
        lift = env * np.maximum(0.0, np.sin(2 * np.pi * ph)) ** 2
        tr.add(f"thigh_{suffix}", 24.0 * lift)
        tr.add(f"knee_{suffix}", 44.0 * lift)
        tr.add(f"foot_{suffix}", 10.0 * lift)
    tr.add("twist", sgn * 8.0 * np.sin(np.pi * _ease(tl, 0.0, dur)))
    return tr


_SEATED = _both({"lean": 10, "head": 0}, thigh=88, knee=88, foot=0, sh_flex=35, sh_abd=6,
                elbow=50)
_RISING = _both({"lean": 40}, thigh=70, knee=75, foot=0, sh_flex=30, elbow=25)


def _sit_down(p: Mapping[str, Any]) -> _Track:
    """Lean forward, move the hips back and down to chair height; stay seated."""
    sf = _sf(p)
    move = 1.6 * sf
    dur = move + 0.6 * sf
    tr = _new_track(p, dur)
    tr.keys([(0.0, {}), (0.5 * move, _RISING), (move, _SEATED), (dur, _SEATED)])
    return tr


def _stand_up(p: Mapping[str, Any]) -> _Track:
    """Start seated at chair height, lean forward and rise to standing."""
    sf = _sf(p)
    move = 1.6 * sf
    dur = 0.5 * sf + move
    tr = _new_track(p, dur)
    s = 0.5 * sf
    tr.keys([(0.0, _SEATED), (s, _SEATED), (s + 0.45 * move, _RISING), (dur, {})])
    return tr



def _bow(p: Mapping[str, Any]) -> _Track:
    """Bend the upper body forward from the hips, hold, come back up."""
    sf = _sf(p)
    depth = 28.0 if p["depth"] == "slight" else 55.0
    down, hold, up = 0.8 * sf, 0.5 * sf, 0.9 * sf
    low = _both({"lean": depth, "head": 12}, thigh=-0.12 * depth, foot=0, sh_flex=8,
                elbow=12)
    tr = _new_track(p, down + hold + up)
    tr.keys([(0.0, {}), (down, low), (down + hold, low), (down + hold + up, {})])
    return tr


def _clap(p: Mapping[str, Any]) -> _Track:
    """Bring both hands in front of the chest and clap ``count`` times."""
    sf = _sf(p)
    t_in, period = 0.45 * sf, 0.42 * sf
    dur = 2 * t_in + p["count"] * period
    tr = _new_track(p, dur)
    tl = tr.t
    r = _ease(tl, 0.0, t_in) * (1.0 - _ease(tl, dur - t_in, dur))
    inside = (tl > t_in) & (tl < dur - t_in)
    together = np.where(inside, 0.5 * (1.0 - np.cos(2 * np.pi * (tl - t_in) / period)), 0.0)
    for s in ("L", "R"):
        tr.add(f"sh_flex_{s}", 50.0 * r)
        tr.add(f"sh_horiz_{s}", r * (8.0 + 37.0 * together))
        tr.add(f"elbow_{s}", 80.0 * r)
    return tr


def _raise_arms(p: Mapping[str, Any]) -> _Track:
    """Raise both arms (or one) above the head, hold, lower them."""
    sf = _sf(p)
    up, hold = 0.9 * sf, 1.0 * sf
    dur = 2 * up + hold
    tr = _new_track(p, dur)
    r = _ease(tr.t, 0.0, up) * (1.0 - _ease(tr.t, dur - up, dur))
    sides = ("L", "R") if p["side"] == "both" else (_lr(p["side"])[0],)
    for s in sides:
        tr.add(f"sh_flex_{s}", 160.0 * r)
        tr.add(f"sh_abd_{s}", 15.0 * r)
        tr.add(f"elbow_{s}", -5.0 * r)
    if p["side"] != "both":
        tr.add("side_lean", -_lr(p["side"])[2] * 3.0 * r)
    return tr


_GENERATORS = {
    "walk": lambda p: _gait(p, run=False), "run": lambda p: _gait(p, run=True),
    "jump": _jump, "wave": _wave, "squat": _squat, "kick": _kick, "punch": _punch,
    "turn": _turn, "sit-down": _sit_down, "stand-up": _stand_up, "bow": _bow, "clap": _clap,
    "raise-arms": _raise_arms,
}


# ----------------------------------------------------------------------------- realisation
def _angles(tr: _Track) -> np.ndarray:
    """``(T, 22, 3)`` radians (x, y, z) of every joint from the track's channels."""
    g = tr.get
    d = np.deg2rad
    n = len(tr.t)
    ang = np.zeros((n, 22, 3))
    lean = g("lean")
    pel = 0.4 * lean
    ang[:, 0, 0] = d(pel)
    ang[:, 0, 1] = d(g("pelvis_yaw"))
    for j in (3, 6, 9):  # spine1..3 share the rest of the lean, the twist and the side bend
        ang[:, j, 0] = d(0.2 * lean)
        ang[:, j, 1] = d(g("twist") / 3.0)
        ang[:, j, 2] = -d(g("side_lean") / 3.0)
    ang[:, 12, 0] = d(g("head") - 0.5 * lean)  # neck: keep looking ahead
    for s, sgn, (hip, knee, ankle, collar, sh, el) in (
        ("L", 1.0, (1, 4, 7, 13, 16, 18)), ("R", -1.0, (2, 5, 8, 14, 17, 19))
    ):
        thigh, kn, foot = g(f"thigh_{s}"), g(f"knee_{s}"), g(f"foot_{s}")
        ang[:, hip, 0] = d(-thigh - pel)  # thigh angle is in world (pelvis tilt removed)
        ang[:, hip, 2] = d(sgn * g(f"hip_abd_{s}"))
        ang[:, knee, 0] = d(kn)
        ang[:, ankle, 0] = d(foot + thigh - kn)  # foot pitch is in world
        flex, abd = g(f"sh_flex_{s}") + 0.0, g(f"sh_abd_{s}") + 4.0
        shrug = 0.1 * np.clip(np.maximum(flex, abd) - 90.0, 0.0, 90.0)
        ang[:, collar, 2] = d(sgn * shrug)
        ang[:, sh, 0] = d(-flex - lean)  # arms hang in world unless raised
        ang[:, sh, 1] = d(-sgn * g(f"sh_horiz_{s}"))
        ang[:, sh, 2] = d(sgn * (abd - shrug))
        ang[:, el, 0] = d(-(g(f"elbow_{s}") + 10.0))
        ang[:, el, 2] = d(sgn * g(f"elbow_z_{s}"))
    return ang


def _realise(tr: _Track, name: str) -> Motion:
    """Forward kinematics, floor contact, ballistic flight and footskate-free root motion."""
    n = len(tr.t)
    rot = euler_to_matrix(_angles(tr))
    rot[:, 0] = Rotation.from_euler("y", tr.heading[:, None]).as_matrix() @ rot[:, 0]
    joints, glob = forward_kinematics(rot, np.zeros((n, 3)))
    ankles = joints[:, [7, 8]] + np.einsum("tkij,j->tki", glob[:, [7, 8]], _HEEL)
    toes = joints[:, [10, 11]] - np.array([0.0, _TOE_HEIGHT, 0.0])
    pts = np.stack([ankles[:, 0], toes[:, 0], ankles[:, 1], toes[:, 1]], axis=1)  # (T, 4, 3)
    ground = -pts[..., 1].min(axis=1)  # root height that puts the lowest point on the floor
    y = ground.copy()
    air = np.asarray(tr.air, bool).copy()
    air[0] = air[-1] = False
    # lowest point of each foot, horizontal, relative to the root: (T, 2, 2)
    low = np.take_along_axis(pts.reshape(n, 2, 2, 3), np.argmin(
        pts[..., 1].reshape(n, 2, 2), axis=2)[:, :, None, None], axis=2)[:, :, 0][..., [0, 2]]
    air_step = np.zeros((n, 2))
    edges = np.flatnonzero(np.diff(air.astype(np.int8)))
    for a, b in zip(edges[::2] + 1, edges[1::2] + 1):  # airborne frames [a, b)
        k = b - a + 1
        s = np.arange(1, k) / k
        height = GRAVITY * (k / FPS) ** 2 / 8.0
        y[a:b] = (1 - s) * ground[a - 1] + s * ground[b] + 4.0 * height * s * (1 - s)
        if tr.flight_vel is not None:  # land where the flight velocity carries the feet
            h = tr.heading[a - 1]
            vx, vz = tr.flight_vel
            travel = np.array([math.cos(h) * vx + math.sin(h) * vz,
                               -math.sin(h) * vx + math.cos(h) * vz]) * k / FPS
            total = travel + low[a - 1].mean(axis=0) - low[b].mean(axis=0)
            air_step[a:b + 1] = total / k
    y = np.maximum(y, ground)
    # support foot: the one that touched down last (a foot is down within 5 mm of the floor)
    foot_h = pts[..., 1].reshape(n, 2, 2).min(axis=2)  # (T, 2) lowest point of each foot
    down = (foot_h - foot_h.min(axis=1, keepdims=True) < 0.005) & ~air[:, None]
    xz = np.zeros((n, 2))
    vel = np.zeros(2)
    support = [0, 1] if down[0].all() else [int(np.argmin(foot_h[0]))]  # both: no side wins
    for t in range(1, n):
        if air[t] or air[t - 1]:
            step = air_step[t] if tr.flight_vel is not None else vel
            support = [0, 1]
        else:
            landed = [f for f in (0, 1) if down[t, f] and not down[t - 1, f]]
            if len(landed) == 1:  # a new step: the foot that just touched down carries
                support = landed
            else:
                support = [f for f in support if down[t, f]] or [f for f in (0, 1)
                                                                 if down[t, f]]
            step = np.zeros(2)
            for f in support:
                k = 2 * f + int(pts[t, 2 * f + 1, 1] < pts[t, 2 * f, 1])  # heel or toe
                step -= (pts[t, k, [0, 2]] - pts[t - 1, k, [0, 2]]) / len(support)
            vel = step
        xz[t] = xz[t - 1] + step
    if tr.smooth > 0:
        from scipy.ndimage import uniform_filter1d

        xz = uniform_filter1d(xz, size=max(1, int(round(tr.smooth * FPS))), axis=0,
                              mode="nearest")
    root = np.stack([xz[:, 0], y, xz[:, 1]], axis=1)
    joints += root[:, None]
    _lock_feet(joints, pts + root[:, None], down)
    return to_canonical(make_motion(joints.astype(np.float32), FPS, SMPL22, name=name))


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


def _lock_feet(joints: np.ndarray, pts: np.ndarray, down: np.ndarray,
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


def compose_events(motions: Sequence[Motion], blend_frames: int = BLEND_FRAMES
                   ) -> ComposedMotion:
    """Concatenate demo motions in order (aligned, crossfaded seams) with rigid bones.

    :func:`motionlex.core.data.compose.concatenate_motions`, then :func:`restore_bone_lengths`
    (seams only differ).

    Args:
        motions: ``n >= 2`` canonical SMPL-22 motions at 20 fps.
        blend_frames: seam overlap, frames.

    Returns:
        :class:`motionlex.core.data.compose.ComposedMotion` (canonical, bones of
        :data:`REST_POSE`).

    Raises:
        ValueError: as :func:`motionlex.core.data.compose.concatenate_motions`.
    """
    composed = concatenate_motions(motions, blend_frames)
    return _rigid(composed)


def _rigid(composed: ComposedMotion) -> ComposedMotion:
    joints = restore_bone_lengths(composed.motion.joints)
    return replace(composed, motion=replace(composed.motion, joints=joints))


# ============================================================================ parameters
def default_params(label: str) -> dict[str, Any]:
    """The default parameters of an action (first choice of each, speed ``"normal"``).

    Raises:
        KeyError: unknown action label (lists the known ones).
    """
    choices = _choices(label)
    out: dict[str, Any] = {k: v[0] for k, v in choices.items()}
    if "speed" in out:
        out["speed"] = "normal"
    out.update({k: v[2] for k, v in PARAM_RANGES.items()})
    return out


def _choices(label: str) -> dict[str, tuple]:
    try:
        return PARAM_CHOICES[label]
    except KeyError:
        raise KeyError(f"unknown demo action {label!r}; known: {list(ACTIONS)}") from None


def check_params(label: str, params: Mapping[str, Any] | None = None, **overrides: Any
                 ) -> dict[str, Any]:
    """Complete and validate an action's parameters.

    Args:
        label: an action of :data:`ACTIONS`.
        params: some or all parameters (missing ones take :func:`default_params`).
        **overrides: applied over ``params``.

    Returns:
        A full, JSON-ready parameter dict.

    Raises:
        KeyError: unknown action.
        ValueError: an unknown parameter name, a value not among :data:`PARAM_CHOICES`, or a
            float outside :data:`PARAM_RANGES` (the message lists what is allowed).
    """
    choices = _choices(label)
    out = default_params(label)
    given = {**(dict(params) if params else {}), **overrides}
    for k, v in given.items():
        if k in choices:
            if v not in choices[k] or isinstance(v, bool):
                raise ValueError(f"{label}: {k}={v!r} is not allowed; expected one of "
                                 f"{list(choices[k])}")
            out[k] = v
        elif k in PARAM_RANGES:
            lo, hi, _ = PARAM_RANGES[k]
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not lo <= v <= hi:
                raise ValueError(f"{label}: {k}={v!r} must be a number in [{lo}, {hi}]")
            out[k] = float(v)
        else:
            raise ValueError(f"{label}: unknown parameter {k!r}; expected some of "
                             f"{sorted(choices) + sorted(PARAM_RANGES)}")
    return out


def sample_params(label: str, rng: np.random.Generator, pad: tuple[float, float] = (0.2, 0.6)
                  ) -> dict[str, Any]:
    """Draw an action's parameters uniformly (tempo and pads uniform in their ranges).

    Args:
        label: an action of :data:`ACTIONS`.
        rng: the only source of randomness.
        pad: range of ``pad_start`` and ``pad_end``, seconds.

    Returns:
        A full parameter dict (see :func:`check_params`).

    Raises:
        KeyError: unknown action.
    """
    choices = _choices(label)
    p: dict[str, Any] = {}
    for k in sorted(choices):
        v = choices[k][int(rng.integers(len(choices[k])))]
        p[k] = v.item() if isinstance(v, np.generic) else v
    lo, hi, _ = PARAM_RANGES["tempo"]
    p["tempo"] = round(float(rng.uniform(lo + 0.05, hi - 0.05)), 3)
    p["pad_start"] = round(float(rng.uniform(*pad)), 2)
    p["pad_end"] = round(float(rng.uniform(*pad)), 2)
    return check_params(label, p)


def synthesize(label: str, params: Mapping[str, Any] | None = None, *, name: str = "",
               **overrides: Any) -> Motion:
    """Generate one action as a canonical SMPL-22 motion; deterministic in its parameters.

    Args:
        label: an action of :data:`ACTIONS`.
        params: parameters (see :func:`check_params`); missing ones take their defaults.
        name: the motion's name (default: the label).
        **overrides: parameters given by keyword, e.g. ``side="left", count=3``.

    Returns:
        :class:`Motion` with ``joints (T, 22, 3)`` float32, metres, 20 fps, canonical form
        (floor at y = 0, root at the origin facing +Z on frame 0), ``skeleton`` SMPL22.

    Raises:
        KeyError: unknown action.
        ValueError: bad parameters (see :func:`check_params`).

    Source: module docstring (forward kinematics, floor contact, footskate-free root).
    """
    p = check_params(label, params, **overrides)
    return _realise(_GENERATORS[label](p), name or label)


# ============================================================================ captions
SUBJECTS = ("a person", "a person", "someone", "the person")
"""Caption subjects (drawn uniformly; "a person" twice as often)."""
_TIMES = {1: "once", 2: "twice", 3: "three times", 4: "four times", 5: "five times"}
_NUM = {1: "a", 2: "two", 3: "three", 4: "four", 5: "five"}


def _plural(n: int, word: str) -> str:
    return f"{_NUM[n]} {word}" + ("" if n == 1 else ("es" if word.endswith("ch") else "s"))


def _predicates(label: str, p: Mapping[str, Any]) -> list[str]:
    """Caption predicates (without subject) that are true of ``synthesize(label, p)``."""
    speed = p.get("speed", "normal")
    pre = {"slow": "slowly ", "fast": "quickly "}.get(speed, "")
    post = {"slow": " slowly", "fast": " quickly"}.get(speed, "")
    side = p.get("side", "")
    n = int(p.get("count", 1))
    times = _TIMES[n]
    if label == "walk":
        if p["direction"] == "forward":
            out = [f"{pre}walks forward", f"walks straight ahead{post}",
                   f"{pre}takes a few steps forward", f"is walking forward{post}"]
        elif p["direction"] == "backward":
            out = [f"{pre}walks backward", f"walks backwards{post}",
                   f"{pre}takes a few steps back", f"steps backward{post}"]
        else:
            out = [f"{pre}walks in a circle", f"walks around in a circle{post}",
                   f"{pre}walks in a circle to the {side}", f"{pre}walks around in a full circle"]
    elif label == "run":
        out = {"slow": ["jogs forward", "is jogging forward", "jogs ahead slowly",
                        "jogs forward at an easy pace"],
               "normal": ["runs forward", "is running forward", "runs ahead",
                          "runs straight forward"],
               "fast": ["runs forward quickly", "sprints forward", "runs fast",
                        "quickly runs ahead"]}[speed]
    elif label == "jump":
        hi = " high" if p["height"] == "high" else ""
        adj = {"high": "big ", "low": "small ", "normal": ""}[p["height"]]
        once = "" if n == 1 else f" {times}"
        if p["direction"] == "up":
            out = [f"jumps{hi}{once}", f"jumps up{hi} {times}", f"jumps in place{once}",
                   f"does {_NUM[n]} {adj}jump" + ("s" if n > 1 else "")]
            if p["height"] == "low":
                out[:2] = [f"jumps up a little{once}", f"does {_NUM[n]} little hop"
                           + ("s" if n > 1 else "") + " in place"]
        else:
            out = [f"jumps forward{once}", f"jumps forward {times}", f"leaps forward{once}",
                   f"does {_NUM[n]} {adj}jump" + ("s" if n > 1 else "") + " forward"]
            if p["height"] == "high":
                out[0] = f"jumps high and far forward{once}"
    elif label == "wave":
        out = [f"waves the {side} hand {times}", f"waves with the {side} hand{post}",
               f"{pre}waves their {side} hand", f"waves hello with the {side} hand {times}"]
    elif label == "squat":
        deep = p["depth"] == "deep"
        if n == 1:
            out = [f"{pre}squats down" + (" deeply" if deep else ""),
                   f"does a {'deep ' if deep else ''}squat{post}",
                   f"{pre}bends the knees into a {'deep ' if deep else ''}squat",
                   f"squats {'low ' if deep else ''}once{post}"]
        else:
            out = [f"squats {'deeply ' if deep else ''}{times}",
                   f"{pre}does {_NUM[n]} {'deep ' if deep else ''}squats",
                   f"squats down {times}{post}",
                   f"{pre}squats {'low ' if deep else ''}{times}"]
    elif label == "kick":
        out = [f"kicks with the {side} leg" + ("" if n == 1 else f" {times}"),
               f"{pre}kicks forward with their {side} foot" + ("" if n == 1 else f" {times}"),
               f"does {_plural(n, 'kick')} with the {side} leg",
               f"kicks {times} with the {side} leg{post}"]
    elif label == "punch":
        out = [f"punches with the {side} hand" + ("" if n == 1 else f" {times}"),
               f"{pre}throws {_plural(n, 'punch')} with the {side} arm",
               f"punches forward with their {side} fist {times}",
               f"{pre}punches {times} with the {side} hand"]
    elif label == "turn":
        if p["angle"] == 90:
            out = [f"{pre}turns {side}", f"turns to the {side}{post}",
                   f"turns ninety degrees to the {side}",
                   f"{pre}makes a quarter turn to the {side}"]
        else:
            out = [f"{pre}turns around", f"turns around to the {side}{post}",
                   f"turns 180 degrees to the {side}", f"{pre}makes a half turn to the {side}"]
    elif label == "sit-down":
        out = [f"{pre}sits down", f"sits down on a chair{post}", f"{pre}takes a seat",
               f"{pre}sits down on a seat"]
    elif label == "stand-up":
        out = [f"{pre}stands up", f"gets up from a chair{post}",
               f"{pre}rises from a seated position", f"stands up from sitting{post}"]
    elif label == "bow":
        if p["depth"] == "slight":
            out = [f"{pre}bows slightly", f"{pre}gives a slight bow",
                   f"{pre}bends forward a little in a bow", f"makes a small bow{post}"]
        else:
            out = [f"bows deeply{post}", f"{pre}gives a deep bow",
                   f"{pre}bends far forward in a deep bow", f"{pre}bows down low"]
    elif label == "clap":
        out = [f"claps {times}", f"claps their hands {times}", f"{pre}claps their hands",
               f"{pre}claps {times} in front of the chest"]
    elif label == "raise-arms":
        if side == "both":
            out = [f"raises both arms{post}", f"{pre}raises both hands above the head",
                   f"lifts both arms up{post}", f"{pre}puts both hands up in the air"]
        else:
            out = [f"raises the {side} arm{post}", f"{pre}raises the {side} hand above the head",
                   f"lifts the {side} arm up{post}", f"{pre}puts the {side} hand up in the air"]
    else:  # pragma: no cover - guarded by _choices
        raise KeyError(label)
    seen: dict[str, None] = {}
    for s in out:
        seen.setdefault(" ".join(s.split()), None)
    return list(seen)


def caption_variants(label: str, params: Mapping[str, Any] | None = None,
                     subject: str = "a person", **overrides: Any) -> list[str]:
    """Every caption template of an action, filled from its parameters.

    Args:
        label: an action of :data:`ACTIONS`.
        params: parameters (see :func:`check_params`).
        subject: the caption's subject, e.g. ``"a person"``.
        **overrides: parameters by keyword.

    Returns:
        At least 3 distinct captions, e.g. ``"a person waves the left hand three times"``;
        variant ``i`` of a left-side action is ``mirror_caption`` of variant ``i`` of the
        right-side one.

    Raises:
        KeyError, ValueError: as :func:`check_params`.
    """
    p = check_params(label, params, **overrides)
    return [f"{subject} {pred}" for pred in _predicates(label, p)]


# ============================================================================ gallery
@dataclass(frozen=True)
class DemoItem:
    """One demo motion with its captions and the parameters it was generated from.

    Attributes:
        id: dataset id (``"demo_s000"`` single action, ``"demo_c000"`` composed).
        motion: canonical SMPL-22 :class:`Motion`, ``joints (T, 22, 3)`` float32, metres,
            20 fps.
        captions: 3 captions, each true to the motion (composed: events in order, joined
            with ", then ").
        labels: action label of every event, in order, e.g. ``("walk", "jump")``.
        params: ``{"events": [params of each event]}`` (JSON-ready).
        boundaries: start frame of each event in ``motion`` (``(0,)`` for a single action;
            composed events overlap their neighbours by :data:`BLEND_FRAMES` frames).
    """

    id: str
    motion: Motion
    captions: tuple[str, ...]
    labels: tuple[str, ...]
    params: dict
    boundaries: tuple[int, ...] = (0,)


def _draw_captions(labels: Sequence[str], params: Sequence[Mapping[str, Any]],
                   rng: np.random.Generator, k: int = 3, subjects: Sequence[str] = SUBJECTS
                   ) -> tuple[str, ...]:
    """``k`` different captions; composed ones joined in event order with ", then "."""
    preds = [_predicates(lab, p) for lab, p in zip(labels, params)]
    out: list[str] = []
    used: set[tuple[int, ...]] = set()
    for _ in range(20 * k):
        choice = tuple(int(rng.integers(len(ps))) for ps in preds)
        if choice in used and len(used) < math.prod(len(ps) for ps in preds):
            continue  # paraphrase the events differently before repeating a wording
        used.add(choice)
        subject = subjects[int(rng.integers(len(subjects)))]
        events = [f"{subject} {ps[c]}" for ps, c in zip(preds, choice)]
        cap = events[0] if len(events) == 1 else compose_captions(events)[0]
        if cap not in out:
            out.append(cap)
        if len(out) == k:
            break
    return tuple(out)



def _single(label: str, rng: np.random.Generator, pad: tuple[float, float],
            bounds: tuple[float, float]) -> tuple[dict[str, Any], Motion]:
    """Draw parameters until the motion lasts within ``bounds`` seconds (pad to the minimum)."""
    for _ in range(50):
        p = sample_params(label, rng, pad)
        track = _GENERATORS[label](p)
        if track.t.size / FPS < bounds[0]:
            p["pad_end"] = round(p["pad_end"] + bounds[0] - (track.t.size - 1) / FPS + 0.05, 2)
            track = _GENERATORS[label](p)
        if bounds[0] <= track.t.size / FPS <= bounds[1]:
            return p, _realise(track, label)
    raise RuntimeError(f"{label}: no parameters within {bounds} s in 50 draws")  # not reached


def demo_items(n_single: int = 130, n_composed: int = 70, seed: int = 0) -> list[DemoItem]:
    """The demo gallery: single actions and 2-3-event compositions, deterministic in ``seed``.

    Single action ``i`` is :data:`ACTIONS` ``[i % 13]`` (every action equally often) with
    parameters drawn uniformly from its own generator (``SeedSequence([seed, 0, i])``), so a
    smaller gallery is a prefix of a larger one; 2-6 s each. Composition ``i``
    (``SeedSequence([seed, 1, i])``) draws 2 or 3 different actions (sit-down only last or
    followed by stand-up, stand-up only after sit-down), quiet pads of 0.1-0.3 s, at most
    :data:`MAX_COMPOSED_FRAMES` frames, concatenated by
    :func:`motionlex.core.data.compose.concatenate_motions`.

    Args:
        n_single: number of single-action motions (>= 0).
        n_composed: number of composed motions (>= 0).
        seed: the gallery's seed.

    Returns:
        ``n_single + n_composed`` :class:`DemoItem` (singles first).

    Raises:
        ValueError: a negative count.
    """
    if n_single < 0 or n_composed < 0:
        raise ValueError(f"n_single and n_composed must be >= 0, got {n_single}, {n_composed}")
    items: list[DemoItem] = []
    for i in range(n_single):
        rng = np.random.default_rng(np.random.SeedSequence([seed, 0, i]))
        label = ACTIONS[i % len(ACTIONS)]
        p, motion = _single(label, rng, (0.2, 0.6), SINGLE_SECONDS)
        iid = f"demo_s{i:03d}"
        items.append(DemoItem(iid, replace(motion, name=iid), _draw_captions([label], [p], rng),
                              (label,), {"events": [p]}))
    for i in range(n_composed):
        rng = np.random.default_rng(np.random.SeedSequence([seed, 1, i]))
        items.append(_composed_item(f"demo_c{i:03d}", rng))
    return items


def _draw_labels(rng: np.random.Generator, k: int) -> list[str]:
    """``k`` different action labels; sitting down only last or before standing up."""
    labels = [str(x) for x in rng.choice(_STANDING, size=k, replace=False)]
    r = rng.random()
    if r < 0.08:
        labels[-1] = "sit-down"
    elif r < 0.16:
        labels[-2:] = ["sit-down", "stand-up"]
    return labels


def _composed_item(iid: str, rng: np.random.Generator) -> DemoItem:
    k = 2 + int(rng.random() < 0.4)
    labels = _draw_labels(rng, k)
    budget = MAX_COMPOSED_FRAMES + BLEND_FRAMES * (k - 1)
    for _ in range(50):
        parts = [_single(lab, rng, (0.1, 0.3), (1.5, 5.0)) for lab in labels]
        if sum(m.num_frames for _, m in parts) <= budget:
            break
    else:  # pragma: no cover - durations are far below the budget on average
        raise RuntimeError(f"{iid}: no composition of {labels} within {budget} frames")
    params = [p for p, _ in parts]
    composed = compose_events([m for _, m in parts], BLEND_FRAMES)
    return DemoItem(iid, replace(composed.motion, name=iid),
                    _draw_captions(labels, params, rng), tuple(labels), {"events": params},
                    composed.boundaries)


def chronology_pairs(seed: int = 0, n: int = 20) -> list[ComposedPair]:
    """Motion-side chronology test: two events in order, and the same two in reverse.

    Pair ``i`` (``SeedSequence([seed, 2, i])``) draws two different standing actions (not
    sit-down/stand-up, so either order is a plausible motion), synthesises each, and builds
    :func:`motionlex.core.data.compose.compose_pair`: ``caption`` ("a person walks forward, then
    jumps twice") with ``motion`` in that order, and ``motion_negative`` with the same two
    clips in the reverse order (``text_negative`` is its caption).

    Args:
        seed: the set's seed.
        n: number of pairs (>= 0).

    Returns:
        ``n`` :class:`motionlex.core.data.compose.ComposedPair` with ``labels`` (true order) set;
        ``permutation == (1, 0)``; ``motion.boundaries`` / ``motion_negative.boundaries``
        give where each clip starts.

    Raises:
        ValueError: ``n < 0``.
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    out = []
    for i in range(n):
        rng = np.random.default_rng(np.random.SeedSequence([seed, 2, i]))
        labels = [str(x) for x in rng.choice(_STANDING, size=2, replace=False)]
        parts = [_single(lab, rng, (0.1, 0.3), (1.5, 5.0)) for lab in labels]
        caps = [_draw_captions([lab], [p], rng, k=1, subjects=("a person",))[0]
                for lab, (p, _) in zip(labels, parts)]
        samples = [(replace(m, name=f"{lab}{j}"), c)
                   for j, (lab, (_, m), c) in enumerate(zip(labels, parts, caps))]
        pair = compose_pair(samples, rng, BLEND_FRAMES)
        out.append(replace(pair, motion=_rigid(pair.motion),
                           motion_negative=_rigid(pair.motion_negative), labels=tuple(labels)))
    return out


# ============================================================================ dataset on disk
def _tokens(caption: str) -> str:
    words = "".join(ch if ch.isalnum() or ch in " '" else " " for ch in caption.lower()).split()
    return " ".join(f"{w}/X" for w in words)


def write_demo_dataset(root: str | os.PathLike, items: Sequence[DemoItem] | None = None, *,
                       seed: int = 0) -> Path:
    """Write demo items as a HumanML3D-layout dataset folder, atomically.

    Layout (read by :class:`motionlex.core.data.datasets.MotionDataset`): ``new_joints/{id}.npy``
    ``(T, 22, 3)`` float32 metres; ``texts/{id}.txt`` lines ``caption#tokens#0.0#0.0``
    (tokens lower-cased words tagged ``/X``, as the shared data does where no tagger ran);
    ``all.txt``, ``train.txt`` / ``val.txt`` / ``test.txt`` (a seeded 80/10/10 split);
    ``meta.json`` (id -> ``synthetic``, ``labels``, ``params``, ``boundaries``, and
    ``action`` for single actions); and :data:`MANIFEST_NAME` (version, seed, ids). The
    folder is built under a temporary name and renamed into place, so ``root`` is either
    the complete old folder or the complete new one.

    Args:
        root: the dataset folder to create or replace.
        items: what to write (default: ``demo_items(seed=seed)``).
        seed: seed of the default items and of the split.

    Returns:
        ``root`` as a Path.

    Raises:
        ValueError: no items, duplicate ids, or an id that is not a plain file name.
        motionlex.core.motion.motion.MotionFileError: an item's joints are not valid SMPL-22 metres
            (nothing is written).
        FileExistsError: ``root`` exists and is not a folder.
    """
    root = Path(root)
    t0 = time.perf_counter()
    items = list(demo_items(seed=seed) if items is None else items)
    if not items:
        raise ValueError(f"{root}: no demo items to write")
    ids = [it.id for it in items]
    if len(set(ids)) != len(ids):
        dup = sorted({i for i in ids if ids.count(i) > 1})
        raise ValueError(f"{root}: duplicate item ids {dup[:10]}")
    bad = [i for i in ids if not i or i != Path(i).name or i.startswith(".") or "#" in i]
    if bad:
        raise ValueError(f"{root}: item ids must be plain file names, got {bad[:10]}")
    order = np.random.default_rng(np.random.SeedSequence([seed, 3])).permutation(len(ids))
    n_test = n_val = max(1, len(ids) // 10) if len(ids) >= 10 else 0
    split_of = {}
    for rank, idx in enumerate(order):
        split_of[ids[idx]] = ("test" if rank < n_test else "val" if rank < n_test + n_val
                              else "train")
    with atomic_directory(root) as tmp:
        (tmp / "new_joints").mkdir()
        (tmp / "texts").mkdir()
        meta = {}
        for it in items:
            joints = validate_joints(it.motion.joints, SMPL22, f"demo item {it.id}")
            np.save(tmp / "new_joints" / f"{it.id}.npy", joints)
            lines = [f"{c}#{_tokens(c)}#0.0#0.0" for c in it.captions]
            (tmp / "texts" / f"{it.id}.txt").write_text("\n".join(lines) + "\n",
                                                        encoding="utf-8")
            entry = {"synthetic": True, "source": f"motionlex.core.demo v{DEMO_VERSION}",
                     "labels": list(it.labels), "params": it.params,
                     "boundaries": [int(b) for b in it.boundaries],
                     "frames": int(it.motion.num_frames), "fps": FPS, "split": split_of[it.id]}
            if len(it.labels) == 1:
                entry["action"] = it.labels[0]
            meta[it.id] = entry
        for split in ("train", "val", "test"):
            chosen = [i for i in ids if split_of[i] == split]
            (tmp / f"{split}.txt").write_text("".join(f"{i}\n" for i in chosen))
        (tmp / "all.txt").write_text("".join(f"{i}\n" for i in ids))
        (tmp / "meta.json").write_text(json.dumps(meta, indent=1))
        manifest = {"generator": "motionlex.core.demo", "version": DEMO_VERSION, "seed": seed,
                    "synthetic": True, "count": len(ids), "ids": ids}
        (tmp / MANIFEST_NAME).write_text(json.dumps(manifest, indent=1))
    logger.info("wrote demo dataset %s: %d motions in %.1f s", root, len(ids),
                time.perf_counter() - t0)
    return root


def default_demo_dir() -> Path:
    """Where the built-in demo dataset lives.

    Returns:
        ``cache_dir()/demo-v{DEMO_VERSION}`` (:func:`motionlex.core.cache.cache_dir`:
        ``$MOTIONLEX_CACHE`` if set, else the platform's user cache folder for motionlex).
    """
    return cache_dir(f"demo-v{DEMO_VERSION}")


def demo_dataset_complete(root: str | os.PathLike, seed: int = 0) -> bool:
    """True when ``root`` holds a complete demo dataset of this version and seed.

    Checks the manifest (:data:`MANIFEST_NAME`: version, seed) and that every listed id has
    its motion and caption files.
    """
    root = Path(root)
    try:
        man = json.loads((root / MANIFEST_NAME).read_text())
        if man.get("version") != DEMO_VERSION or man.get("seed") != seed:
            return False
        ids = man["ids"]
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return bool(ids) and all((root / "new_joints" / f"{i}.npy").is_file()
                             and (root / "texts" / f"{i}.txt").is_file() for i in ids)


def ensure_demo_dataset(root: str | os.PathLike | None = None, *, seed: int = 0) -> Path:
    """The demo dataset folder, generated first if it is absent or incomplete.

    Args:
        root: folder (default :func:`default_demo_dir`).
        seed: gallery seed.

    Returns:
        The folder, complete (see :func:`demo_dataset_complete`).

    Raises:
        OSError: the folder cannot be written.
    """
    root = Path(root) if root is not None else default_demo_dir()
    if demo_dataset_complete(root, seed):
        return root
    logger.info("building the demo dataset at %s", root)
    return write_demo_dataset(root, seed=seed)
