"""Demo actions: their labels and parameters, and a joint-angle track generator for each.

Actions (labels; hyphens read as spaces in zero-shot prompts): walk (forward, backward, in a
circle), run, jump (1-3 times, up or forward), wave (left/right hand), squat, kick (left/
right leg), punch (left/right), turn (left/right, 90 or 180 degrees), sit-down, stand-up,
bow, clap, raise-arms (both, left or right). Each is parameterised (``speed``, ``count``,
``side``, ``direction``, ``height``/``depth``; see :data:`PARAM_CHOICES`). Left and right are
exact mirror images.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from motionlex.core.data.demo.kinematics import FPS, Track, ease, periodic_curve

logger = logging.getLogger(__name__)


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
STANDING = tuple(a for a in ACTIONS if a not in ("sit-down", "stand-up"))
"""Actions that start and end standing (free to compose in any order)."""


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


def _new_track(p: Mapping[str, Any], duration: float) -> Track:
    n = int(round((p["pad_start"] + duration + p["pad_end"]) * FPS)) + 1
    return Track(np.arange(n) / FPS - p["pad_start"])


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


def _gait(p: Mapping[str, Any], run: bool) -> Track:
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
    env = ease(tl, 0.0, ramp) * (1.0 - ease(tl, dur - ramp, dur))
    phase = direction * np.clip(tl, 0.0, dur) / period
    # the leading leg: the inner one of a circle (so left and right circles are mirrors)
    a, o, sgn = _lr(p["side"] if not run and p["direction"] == "circle" else "left")
    for suffix, ph in ((a, phase), (o, phase + 0.5)):
        for name, keys in curves.items():
            scale = amp if name != "knee" else math.sqrt(amp)
            tr.add(f"{name}_{suffix}", env * scale * periodic_curve(ph, keys))
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


def _jump(p: Mapping[str, Any]) -> Track:
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


def _wave(p: Mapping[str, Any]) -> Track:
    """Raise one arm, wave the forearm side to side ``count`` times, lower it."""
    a, o, sgn = _lr(p["side"])
    sf = _sf(p)
    up, cycle = 0.75 * sf, 0.55 * sf
    dur = 2 * up + p["count"] * cycle
    tr = _new_track(p, dur)
    tl = tr.t
    r = ease(tl, 0.0, up) * (1.0 - ease(tl, dur - up, dur))
    waving = ease(tl, up - 0.15, up + 0.1) * (1.0 - ease(tl, dur - up - 0.1, dur - up + 0.15))
    tr.add(f"sh_abd_{a}", 135.0 * r)
    tr.add(f"sh_flex_{a}", 15.0 * r)
    tr.add(f"elbow_z_{a}", 35.0 * r + 25.0 * waving * np.sin(2 * np.pi * (tl - up) / cycle))
    tr.add("side_lean", -sgn * 3.0 * r)
    tr.add(f"sh_abd_{o}", 3.0 * r)
    return tr


def _squat(p: Mapping[str, Any]) -> Track:
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


def _kick(p: Mapping[str, Any]) -> Track:
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


def _punch(p: Mapping[str, Any]) -> Track:
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


def _turn(p: Mapping[str, Any]) -> Track:
    """Turn in place by 90 or 180 degrees, stepping on the spot."""
    a, o, sgn = _lr(p["side"])
    sf = _sf(p)
    dur = (1.3 if p["angle"] == 90 else 2.0) * sf
    tr = _new_track(p, dur)
    tl = tr.t
    tr.heading = sgn * math.radians(p["angle"]) * ease(tl, 0.0, dur)
    env = ease(tl, 0.0, 0.2 * sf) * (1.0 - ease(tl, dur - 0.25 * sf, dur))
    phase = np.clip(tl, 0.0, dur) / (0.8 * sf)
    for suffix, ph in ((a, phase), (o, phase + 0.5)):  # step first with the inner foot
        lift = env * np.maximum(0.0, np.sin(2 * np.pi * ph)) ** 2
        tr.add(f"thigh_{suffix}", 24.0 * lift)
        tr.add(f"knee_{suffix}", 44.0 * lift)
        tr.add(f"foot_{suffix}", 10.0 * lift)
    tr.add("twist", sgn * 8.0 * np.sin(np.pi * ease(tl, 0.0, dur)))
    return tr


_SEATED = _both({"lean": 10, "head": 0}, thigh=88, knee=88, foot=0, sh_flex=35, sh_abd=6,
                elbow=50)
_RISING = _both({"lean": 40}, thigh=70, knee=75, foot=0, sh_flex=30, elbow=25)


def _sit_down(p: Mapping[str, Any]) -> Track:
    """Lean forward, move the hips back and down to chair height; stay seated."""
    sf = _sf(p)
    move = 1.6 * sf
    dur = move + 0.6 * sf
    tr = _new_track(p, dur)
    tr.keys([(0.0, {}), (0.5 * move, _RISING), (move, _SEATED), (dur, _SEATED)])
    return tr


def _stand_up(p: Mapping[str, Any]) -> Track:
    """Start seated at chair height, lean forward and rise to standing."""
    sf = _sf(p)
    move = 1.6 * sf
    dur = 0.5 * sf + move
    tr = _new_track(p, dur)
    s = 0.5 * sf
    tr.keys([(0.0, _SEATED), (s, _SEATED), (s + 0.45 * move, _RISING), (dur, {})])
    return tr



def _bow(p: Mapping[str, Any]) -> Track:
    """Bend the upper body forward from the hips, hold, come back up."""
    sf = _sf(p)
    depth = 28.0 if p["depth"] == "slight" else 55.0
    down, hold, up = 0.8 * sf, 0.5 * sf, 0.9 * sf
    low = _both({"lean": depth, "head": 12}, thigh=-0.12 * depth, foot=0, sh_flex=8,
                elbow=12)
    tr = _new_track(p, down + hold + up)
    tr.keys([(0.0, {}), (down, low), (down + hold, low), (down + hold + up, {})])
    return tr


def _clap(p: Mapping[str, Any]) -> Track:
    """Bring both hands in front of the chest and clap ``count`` times."""
    sf = _sf(p)
    t_in, period = 0.45 * sf, 0.42 * sf
    dur = 2 * t_in + p["count"] * period
    tr = _new_track(p, dur)
    tl = tr.t
    r = ease(tl, 0.0, t_in) * (1.0 - ease(tl, dur - t_in, dur))
    inside = (tl > t_in) & (tl < dur - t_in)
    together = np.where(inside, 0.5 * (1.0 - np.cos(2 * np.pi * (tl - t_in) / period)), 0.0)
    for s in ("L", "R"):
        tr.add(f"sh_flex_{s}", 50.0 * r)
        tr.add(f"sh_horiz_{s}", r * (8.0 + 37.0 * together))
        tr.add(f"elbow_{s}", 80.0 * r)
    return tr


def _raise_arms(p: Mapping[str, Any]) -> Track:
    """Raise both arms (or one) above the head, hold, lower them."""
    sf = _sf(p)
    up, hold = 0.9 * sf, 1.0 * sf
    dur = 2 * up + hold
    tr = _new_track(p, dur)
    r = ease(tr.t, 0.0, up) * (1.0 - ease(tr.t, dur - up, dur))
    sides = ("L", "R") if p["side"] == "both" else (_lr(p["side"])[0],)
    for s in sides:
        tr.add(f"sh_flex_{s}", 160.0 * r)
        tr.add(f"sh_abd_{s}", 15.0 * r)
        tr.add(f"elbow_{s}", -5.0 * r)
    if p["side"] != "both":
        tr.add("side_lean", -_lr(p["side"])[2] * 3.0 * r)
    return tr


GENERATORS = {
    "walk": lambda p: _gait(p, run=False), "run": lambda p: _gait(p, run=True),
    "jump": _jump, "wave": _wave, "squat": _squat, "kick": _kick, "punch": _punch,
    "turn": _turn, "sit-down": _sit_down, "stand-up": _stand_up, "bow": _bow, "clap": _clap,
    "raise-arms": _raise_arms,
}
