"""Frames pasted in front of a capture: the T-pose (and the blend out of it) that some
conversions of the CMU database put before the take, found from joint steps alone.

Two rules, one per kind of file:

- :func:`leading_inserted_frames`, for BVH files at their capture rate (120 fps CMU):
  cgspeed's T-pose and the few frames that blend out of it.
- :func:`pasted_first_frame`, for joint files already resampled to a dataset's rate
  (``.npy``, 20 fps): the converted T-pose survives as one frame 0 from which the body
  jumps to its captured pose. The shared data's Daz-flavour CMU conversions
  (``cmu_kitml``, ``cmu_extra``; ``meta.json`` says ``tpose_frame_dropped`` but frame 0 is
  still the blended T-pose) set the whole clip's floor, origin and facing from that frame:
  against the same takes read from BVH, 6 cm too high and 10 cm aside (``cmu_07_03``).

A wrongly dropped frame costs 1/20 s; a pasted frame kept moves the whole canonical form.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from motionlex.core.motion.file_checks import MotionFileError
from motionlex.core.motion.motion import MIN_FRAMES

INSERTED_JUMP_RATIO = 5.0
"""A first step this many times the clip's typical step marks frame 0 as pasted in front of
the capture (:func:`leading_inserted_frames`)."""
BLEND_STEP_RATIO = 3.5
"""After a pasted frame 0, frames whose next step is still this many times the typical step
are the blend out of it (:func:`leading_inserted_frames`)."""
MAX_INSERTED_S = 0.25
"""At most this much time is dropped as inserted frames (:func:`leading_inserted_frames`)."""
FIRST_STEP_SPIKE = 1.9
"""A joint file's frame 0 is pasted when its step to frame 1 is this many times the larger
of the next two steps (:func:`pasted_first_frame`)."""
FIRST_STEP_JUMP = 2.5
"""... and this many times the clip's median step (:func:`pasted_first_frame`)."""


def leading_inserted_frames(
    positions: np.ndarray,
    fps: float,
    *,
    ratio: float = INSERTED_JUMP_RATIO,
    blend_ratio: float = BLEND_STEP_RATIO,
    max_seconds: float = MAX_INSERTED_S,
) -> int:
    """How many leading frames were pasted in front of the capture (cgspeed's T-pose + blend).

    The cgspeed BVH conversions of the CMU database (B. Hahne, 2008) put a T-pose in front
    of every take, as their readme says; the Daz-friendly files here also blend out of it
    over the next few frames (not documented; measured: frames 0-3 of ``cmu_07_03``,
    ``cmu_08_01`` and ``cmu_10_04``, 120 fps; the hands, 1.24 m apart in the T-pose, are at
    the clip's usual distance from frame 4 on).

    Rule, on ``step[t]``, the largest joint displacement from frame ``t`` to ``t + 1``, and
    ``typical``, the median of ``step[1:]``:

    - frame 0 is pasted in when ``step[0] > ratio * typical`` and ``step[0]`` is larger than
      every step after the dropped frames (a real motion starting fast, a kick, has its
      fastest steps later; the pasted jump, 24-29 m/s at 120 fps, is no human speed);
    - then frames ``1, 2, ...`` are dropped while their step stays above
      ``blend_ratio * typical``, for at most ``max_seconds`` in all, and never so many that
      fewer than 2 frames are left.

    Measured ``step / typical`` for steps 0-5: ``cmu_07_03`` 12.0 11.2 10.3 7.2 2.8 1.1,
    ``cmu_08_01`` 8.3 7.2 6.4 4.4 2.0 1.2, ``cmu_10_04`` 11.0 10.8 9.5 6.7 2.6 0.3 (4 frames
    dropped each: the last blend step is 4.4-7.2, the first captured one 2.0-2.8, hence
    :data:`BLEND_STEP_RATIO` 3.5); the Bandai and iClone files' first step is at most 1.8
    (nothing dropped).

    Args:
        positions: ``(T, J, 3)`` joint positions (any unit); pass body joints only so that
            fingers do not decide.
        fps: frame rate, for the ``max_seconds`` cap.
        ratio: threshold of the first step (:data:`INSERTED_JUMP_RATIO`).
        blend_ratio: threshold of the blend steps (:data:`BLEND_STEP_RATIO`).
        max_seconds: most time dropped (:data:`MAX_INSERTED_S`).

    Returns:
        The number of leading frames to drop (0 when frame 0 is not pasted in, or ``T < 3``).
    """
    if positions.shape[0] < 3:
        return 0
    step = np.linalg.norm(np.diff(positions, axis=0), axis=-1).max(axis=1)
    typical = max(float(np.median(step[1:])), 1e-9)
    if not step[0] > ratio * typical:
        return 0
    cap = min(positions.shape[0] - 2, max(1, int(max_seconds * fps)))
    n = 1
    while n < cap and step[n] > blend_ratio * typical:
        n += 1
    return n if step[0] > step[n:].max() else 0


def pasted_first_frame(
    positions: np.ndarray,
    *,
    spike: float = FIRST_STEP_SPIKE,
    jump: float = FIRST_STEP_JUMP,
) -> int:
    """Whether frame 0 of a resampled joint file is pasted in front of the capture (1) or
    not (0).

    Rule, on ``step[t]``, the largest joint displacement from frame ``t`` to ``t + 1``:
    frame 0 is pasted when ``step[0] > spike * max(step[1], step[2])`` (the body jumps to
    its pose and then moves at its own pace: no human motion halves its fastest joint's
    speed from one 20 fps frame to the next), ``step[0] > jump * median(step[1:])`` (the
    jump is large for the clip's pace) and ``step[0] >= max(step[1:])`` (it is the clip's
    fastest step: a pasted pose is no human speed).

    Measured on the shared data (``../shared/data``) (``step[0] / max(step[1], step[2])``, then
    ``/ median``): the Daz-flavour CMU conversions 1.99-33.0 and 2.6-17.6 (40 of their 54
    files pass both; the other 14 are mostly runs whose steps are all large and whose
    first frame is no outlier); every other file (3,002 Bandai, 7 HumanML3D, 57 CMU of
    other flavours) is below on one of the two: at most 2.12 (Bandai
    ``bn2_walk-turn-right_elderly_010``, median ratio 1.05) and 2.81 (CMU ``cmu_05_19``,
    median ratio 0.09). A fast real start (Bandai ``raise-up-both-hands_active_053``,
    21 times its median step) keeps its pace over the next frames (spike 1.03).

    Args:
        positions: ``(T, J, 3)`` joint positions (any unit), body joints only.
        spike: threshold against the next two steps (:data:`FIRST_STEP_SPIKE`).
        jump: threshold against the median step (:data:`FIRST_STEP_JUMP`).

    Returns:
        1 when frame 0 is pasted in, else 0 (also for ``T < 4``: too short to judge).
    """
    if positions.shape[0] < 4:
        return 0
    step = np.linalg.norm(np.diff(positions, axis=0), axis=-1).max(axis=1)
    typical = max(float(np.median(step[1:])), 1e-9)
    after = max(float(step[1]), float(step[2]), 1e-9)
    return int(bool(step[0] > spike * after and step[0] > jump * typical
                    and step[0] >= step[1:].max()))


def frames_to_skip(skip_frames: object, positions: np.ndarray, source: str,
                   auto: Callable[[np.ndarray], int]) -> int:
    """The leading frames a loader drops: ``auto(positions)`` for ``"auto"`` (the loader's
    rule: :func:`leading_inserted_frames`, :func:`pasted_first_frame`), else the int given.

    Args:
        skip_frames: ``"auto"`` or an int (not a bool).
        positions: ``(T, J, 3)`` body joint positions of the file.
        source: the file, for the message.
        auto: the rule for ``"auto"``.

    Raises:
        MotionFileError: an int that would leave fewer than :data:`MIN_FRAMES` frames, or
            anything else (names the file).
    """
    last = positions.shape[0] - MIN_FRAMES
    if isinstance(skip_frames, str) and skip_frames == "auto":
        return auto(positions)
    if (isinstance(skip_frames, (int, np.integer)) and not isinstance(skip_frames, bool)
            and 0 <= skip_frames <= last):
        return int(skip_frames)
    raise MotionFileError(f"{source}: skip_frames must be 'auto' or an int in [0, {last}], "
                          f"got {skip_frames!r}")
