"""Synthesis of a demo motion from an action's track: floor contact, root path, parameters.

Per frame:

- the lowest contact point (heels and toes) is put on the floor (y = 0), so the root height
  follows the legs (squats, sitting, gait bob); while airborne (jumps, the flight phase of a
  run) the root follows a ballistic parabola between take-off and landing;
- the root moves horizontally so that the support foot (the one that touched down last, or
  both feet when both stay down) does not slide; airborne frames carry the feet by the
  action's flight velocity (a jump in place lands where it took off); gait roots are then
  averaged over one step, as a pelvis moves at a nearly steady speed;
- a foot that stays on the floor is held in place by two-bone leg IK
  (:func:`motionlex.core.data.demo.kinematics.lock_feet`).

:func:`synthesize` is the public entry: an action label and its parameters -> a canonical
SMPL-22 :class:`~motionlex.core.motion.motion.Motion` at 20 fps.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from scipy.spatial.transform import Rotation

from motionlex.core.data.demo.actions import ACTIONS, GENERATORS, PARAM_CHOICES, PARAM_RANGES
from motionlex.core.data.demo.kinematics import (
    FPS,
    GRAVITY,
    HEEL,
    TOE_HEIGHT,
    Track,
    euler_to_matrix,
    forward_kinematics,
    lock_feet,
)
from motionlex.core.motion.joint_arrays import make_motion
from motionlex.core.motion.motion import (
    Motion,
    to_canonical,
)
from motionlex.core.motion.skeleton import SMPL22

logger = logging.getLogger(__name__)


def _angles(tr: Track) -> np.ndarray:
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


def realise(tr: Track, name: str) -> Motion:
    """Forward kinematics, floor contact, ballistic flight and footskate-free root motion."""
    n = len(tr.t)
    rot = euler_to_matrix(_angles(tr))
    rot[:, 0] = Rotation.from_euler("y", tr.heading[:, None]).as_matrix() @ rot[:, 0]
    joints, glob = forward_kinematics(rot, np.zeros((n, 3)))
    ankles = joints[:, [7, 8]] + np.einsum("tkij,j->tki", glob[:, [7, 8]], HEEL)
    toes = joints[:, [10, 11]] - np.array([0.0, TOE_HEIGHT, 0.0])
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
    lock_feet(joints, pts + root[:, None], down)
    return to_canonical(make_motion(joints.astype(np.float32), FPS, SMPL22, name=name))


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
    return realise(GENERATORS[label](p), name or label)
