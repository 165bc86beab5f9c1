"""Joint arrays from outside made into a :class:`~.motion.Motion`: checked as plausible metres.

:func:`make_motion` is the way in for joints a caller or a loader holds: :func:`validate_joints`
checks the array (shape against the skeleton, numeric, at least 2 frames, finite, no frames
of all zeros, a scale that is metres and not millimetres or centimetres, no world offset)
and stores it as contiguous float32; :func:`load_joints_npy` reads a ``.npy`` joint file
(HumanML3D ``new_joints``) that way. A :class:`~.motion.Motion` built directly checks its
structure only.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from motionlex.core.motion.file_checks import (
    MotionFileError,
    check_fps_type,
    check_numeric,
    check_zero_frames,
    read_npy,
    require_motion_file,
    transposed_hint,
    warn_unless_y_up,
)
from motionlex.core.motion.motion import CANONICAL_FPS, MIN_FRAMES, Motion
from motionlex.core.motion.skeleton import Skeleton, as_skeleton, joint_count_hint

MAX_ABS_COORD_M = 100.0
"""Coordinates beyond this many metres are taken as a unit error (e.g. millimetres)."""
MIN_BODY_EXTENT_M = 0.05
"""A body whose joints span less than this (metres) is taken as a unit error."""
MAX_BODY_EXTENT_M = 4.0
"""A single body whose joints span more than this in one frame is a unit error."""


def validate_joints(joints: np.ndarray, skeleton: Skeleton, source: str = "<array>", *,
                    holder: str = "the file") -> np.ndarray:
    """Check a joint array and return it as contiguous float32.

    Args:
        joints: ``(T, J, 3)`` array of positions in metres.
        skeleton: the skeleton the joints must match.
        source: file name quoted in error messages.
        holder: what holds the joints, in the joint-count message (``"the file"``, or
            ``"the array"`` for an in-memory array: :func:`make_motion` without a source).

    Returns:
        ``(T, J, 3)`` float32 array.

    Raises:
        MotionFileError: wrong rank, joint count (naming the built-in skeleton of that
            count: :func:`~.skeleton.joint_count_hint`) or last axis; non-numeric data; fewer than
            2 frames; NaN or inf; frames of all zeros (:func:`check_zero_frames`);
            coordinates or body size that are not plausible metres (millimetres or
            centimetres given as metres, or a collapsed body).
    """
    arr = np.asarray(joints)
    check_numeric(arr.dtype, source)
    if arr.ndim != 3 or arr.shape[2] != 3:
        hint = transposed_hint(arr.shape) if arr.ndim == 3 else ""
        raise MotionFileError(f"{source}: expected joints of shape (T, J, 3), got "
                              f"{arr.shape}{hint}")
    if arr.shape[1] != skeleton.num_joints:
        raise MotionFileError(
            f"{source}: skeleton {skeleton.name!r} has {skeleton.num_joints} joints, "
            f"{holder} has {arr.shape[1]}{joint_count_hint(arr.shape[1], skeleton)}"
        )
    if arr.shape[0] < MIN_FRAMES:
        raise MotionFileError(f"{source}: {arr.shape[0]} frame(s); at least {MIN_FRAMES} needed")
    arr = np.ascontiguousarray(arr, dtype=np.float32)
    finite = np.isfinite(arr)
    if not finite.all():
        bad_frames = np.unique(np.nonzero(~finite.all(axis=(1, 2)))[0])
        raise MotionFileError(
            f"{source}: NaN or inf in {len(bad_frames)} frame(s), first at frame {bad_frames[0]}"
        )
    check_zero_frames(arr, source)
    peak = float(np.abs(arr).max())
    extent = float(np.median(np.ptp(arr, axis=1).max(axis=-1)))
    if peak > MAX_ABS_COORD_M and MIN_BODY_EXTENT_M <= extent <= MAX_BODY_EXTENT_M:
        raise MotionFileError(  # a person's size far from the origin: not a unit problem
            f"{source}: coordinates reach {peak:.1f} m from the origin while the body spans "
            f"{extent:.2f} m: a world offset of the whole clip? Subtract it (e.g. the root's "
            f"first position) so the motion lies within {MAX_ABS_COORD_M:g} m of the origin"
        )
    if peak > MAX_ABS_COORD_M or extent > MAX_BODY_EXTENT_M:
        raise MotionFileError(
            f"{source}: implausible scale for metres (largest |coordinate| {peak:.1f}, "
            f"median body extent {extent:.2f}); millimetres or centimetres given as metres? "
            f"Scale them to metres (x 0.001 for mm, x 0.01 for cm)"
        )
    if extent < MIN_BODY_EXTENT_M:
        raise MotionFileError(
            f"{source}: implausible scale for metres (median body extent {extent:.4f} m); "
            "collapsed skeleton or wrong units?"
        )
    return arr


def make_motion(
    joints: np.ndarray,
    fps: float,
    skeleton: Skeleton,
    source: str | None = None,
    name: str = "",
) -> Motion:
    """Validate ``joints`` and build a :class:`Motion`.

    Args:
        joints: ``(T, J, 3)`` numeric array of positions, metres, ``T >= 2``, ``J`` equal to
            ``skeleton.num_joints`` (stored as contiguous float32).
        fps: frame rate of ``joints``, frames per second (finite, > 0).
        skeleton: the skeleton the joints belong to, or a built-in skeleton's name
            (``"smpl22"``, ``"kit21"``: :func:`~.skeleton.get_skeleton`).
        source: file the joints came from, quoted in error messages, or ``None``.
        name: identifier such as the dataset id (quoted in errors when ``source`` is None).

    Returns:
        A new :class:`Motion` with ``fps`` as a float.

    Raises:
        TypeError: ``fps`` is not a number, or ``skeleton`` neither a :class:`Skeleton` nor
            a name.
        ValueError: ``skeleton`` names no built-in skeleton.
        MotionFileError: see :func:`validate_joints`; also for ``fps <= 0`` or not finite.

    An array whose body is not upright along +Y over most of the clip (a Z-up export) is
    logged as a warning (:func:`~.file_checks.warn_unless_y_up`), as the file loaders do:
    motionlex expects Y up, and a Z-up clip gets wrong patches and results.
    """
    src = source or name or "<array>"
    skeleton = as_skeleton(skeleton, src)
    check_fps_type(fps, f"{src}: frame rate")
    if not np.isfinite(fps) or fps <= 0:
        raise MotionFileError(f"{src}: frame rate must be > 0, got {fps}")
    arr = validate_joints(joints, skeleton, src,
                          holder="the file" if source is not None else "the array")
    if source is None:  # an array from the caller (the file loaders warn for files)
        warn_unless_y_up(arr, skeleton, src)
    return Motion(arr, float(fps), skeleton, source, name)


def load_joints_npy(
    path: str | Path,
    skeleton: Skeleton,
    fps: float = CANONICAL_FPS,
    scale: float = 1.0,
    name: str | None = None,
) -> Motion:
    """Read a ``(T, J, 3)`` joint array from a ``.npy`` file (HumanML3D ``new_joints``).

    Args:
        path: the ``.npy`` file.
        skeleton: skeleton of the file's joints.
        fps: the file's frame rate (20 for HumanML3D, 12.5 for KIT-ML).
        scale: factor to metres (0.001 for KIT-ML's millimetre release).
        name: identifier; defaults to the file stem.

    Raises:
        FileNotFoundError: the file does not exist.
        MotionFileError: truncated, pickled or non-numeric file, a FIFO, device or socket,
            or invalid joints.
    """
    path = Path(path)
    require_motion_file(path)
    arr = read_npy(path)
    check_numeric(arr.dtype, str(path))
    return make_motion(arr.astype(np.float32) * np.float32(scale), fps, skeleton, str(path),
                       name or path.stem)
