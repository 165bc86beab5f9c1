"""THE one motion-file loader: any supported file -> :class:`~motionlex.core.motion.motion.Motion`.

Supported files:

- ``.npy`` joint arrays ``(T, J, 3)`` (HumanML3D ``new_joints``: 22 joints, 20 fps, metres;
  KIT-ML: 21 joints, 12.5 fps, millimetres in the original release). Inside a dataset's
  ``new_joints/`` folder or loose, the frame rate is its skeleton's (12.5 fps for KIT-ML's
  21 joints, else 20) and the units are detected (metres or millimetres), as the dataset
  reader does (:func:`read_joints_file`); a frame 0 pasted in front of the capture (a
  resampled T-pose) is dropped (:func:`~.pasted_frames.pasted_first_frame`).
- ``.bvh`` files on their own skeleton (:func:`motionlex.core.motion.bvh.load_bvh`).

Every caller that opens a motion file by path (the CLI, search by motion, BVH evaluation
sets, dataset folders) goes through :func:`load_motion_file` or :func:`read_joints_file`.
"""

from __future__ import annotations

import logging
import os
from dataclasses import replace
from pathlib import Path
from typing import Literal

import numpy as np

from motionlex.core.motion.bvh import check_timing, load_bvh
from motionlex.core.motion.bvh_index import file_true_fps
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
from motionlex.core.motion.joint_arrays import load_joints_npy
from motionlex.core.motion.motion import (  # noqa: F401  (KIT_FPS: its old home)
    KIT_FPS,
    Motion,
    joints_fps,
    to_canonical,
)
from motionlex.core.motion.pasted_frames import frames_to_skip, pasted_first_frame
from motionlex.core.motion.skeleton import Skeleton, as_skeleton, skeleton_for_joint_count

logger = logging.getLogger(__name__)

HUMAN_EXTENT_M = (0.3, 3.0)
"""Median extent of a person's joints in one frame (largest axis), metres: a ``.npy`` whose
units are detected must be metres or millimetres of a body in this range."""


JOINTS_LOADER_VERSION = 2
"""Version of what :func:`read_joints_file` makes of an unchanged ``.npy`` with its defaults
(the joint-file counterpart of :data:`~.bvh.LOADER_VERSION`; a gallery index records both
and re-encodes rows read by another version). 2: ``skip_frames="auto"`` drops a pasted
frame 0 (:func:`~.pasted_frames.pasted_first_frame`)."""


FEATURE_WIDTHS = {263: "HumanML3D's 263-d", 251: "KIT-ML's 251-d"}
"""Widths of the redundant motion feature vectors (Guo et al., CVPR 2022) that sit beside
the joint files in ``new_joint_vecs/`` and are no joint positions."""


def read_joints_file(
    path: str | os.PathLike,
    *,
    skeleton: Skeleton | str | None = None,
    fps: float | None = None,
    scale: float | None = None,
    name: str | None = None,
    skip_frames: int | Literal["auto"] = "auto",
) -> Motion:
    """Read a dataset's ``(T, J, 3)`` ``.npy`` joint file, detecting what is not given.

    Args:
        path: the ``.npy`` file.
        skeleton: skeleton of the joints, or a built-in skeleton's name (``"smpl22"``);
            default by joint count (22 -> SMPL, 21 -> KIT-ML).
        fps: frame rate; default 12.5 (KIT-ML) or 20 (any other skeleton).
        scale: factor to metres; ``None`` = 1 or 0.001 (KIT-ML's millimetres), whichever
            makes the body a person's size (:func:`detect_unit_scale`).
        name: motion name; defaults to the file stem.
        skip_frames: leading frames to drop, or ``"auto"`` (the default): a frame 0 pasted
            in front of the capture, as a resampled T-pose is
            (:func:`~.pasted_frames.pasted_first_frame`; logged); other files lose nothing.

    Returns:
        The motion as stored (not canonical), less skipped frames: ``joints (T, J, 3)``
        float32 metres.

    Raises:
        TypeError: ``fps`` is neither None nor a number (``"20"``, ``True``); ``skeleton``
            neither a skeleton nor a name.
        ValueError: ``skeleton`` names no built-in skeleton.
        FileNotFoundError: no such file, or a folder.
        MotionFileError: a FIFO, device or socket (never opened); not a plain numeric
            array, truncated, not ``(T, J, 3)`` (axes that look transposed are named),
            no skeleton for its joint count, frames of all zeros (padding,
            :func:`~.file_checks.check_zero_frames`), a frame rate or duration out of range
            (:func:`~.bvh.check_timing`), units that are neither metres nor millimetres of
            a person (:func:`detect_unit_scale`), invalid joints (names the file), or
            ``skip_frames`` neither ``"auto"`` nor an int leaving at least 2 frames.
    """
    if fps is not None:
        check_fps_type(fps, "fps")
    path = Path(path)
    if skeleton is not None:
        skeleton = as_skeleton(skeleton, str(path))
    require_motion_file(path)
    arr = read_npy(path, mmap=True)
    check_numeric(arr.dtype, str(path))  # before any cast: complex, bool, datetime ...
    if arr.ndim != 3 or arr.shape[2] != 3:
        hint = ""
        if arr.ndim == 2 and arr.shape[1] in FEATURE_WIDTHS:  # HumanML3D's / KIT-ML's vectors
            hint = (f"; this looks like {FEATURE_WIDTHS[arr.shape[1]]} feature vectors "
                    "(new_joint_vecs/): read the joint positions in new_joints/ instead")
        elif arr.ndim == 3:
            hint = transposed_hint(arr.shape)
        raise MotionFileError(f"{path}: expected joints (T, J, 3), got {arr.shape}{hint}")
    try:
        skeleton = skeleton or skeleton_for_joint_count(arr.shape[1])
    except ValueError as e:
        raise MotionFileError(f"{path}: {e}") from e
    note = "" if fps is not None else f" (the default for {skeleton.name})"
    if fps is None:
        fps = joints_fps(skeleton)
    check_timing(fps, arr.shape[0], str(path), note)
    check_zero_frames(arr, str(path))  # before the units: zero frames shrink the body
    if scale is None:
        scale = detect_unit_scale(arr, str(path))
    motion = load_joints_npy(path, skeleton, fps=fps, scale=scale, name=name)
    body = sorted({j for chain in motion.skeleton.chains for j in chain})
    skip = frames_to_skip(skip_frames, motion.joints[:, body], str(path), pasted_first_frame)
    if skip and skip_frames == "auto":
        logger.info("%s: frame 0 is pasted in front of the capture (the body jumps from it "
                    "to its first captured pose, a resampled T-pose): dropped", path)
    return replace(motion, joints=motion.joints[skip:]) if skip else motion


def detect_unit_scale(joints: np.ndarray, source: str) -> float:
    """1 (metres) or 0.001 (millimetres): the unit that makes ``joints`` a person's size.

    The statistic is :func:`~.joint_arrays.validate_joints`'s, the median over frames of the
    largest per-axis extent of the joints, on the first 64 frames; it must fall in
    :data:`HUMAN_EXTENT_M` in one of the two units. A centimetre file (a 1.7 m body spans
    170 units) is neither, and is refused rather than read as a 17 cm person.

    Args:
        joints: ``(T, J, 3)`` positions in file units (may be memory-mapped).
        source: the file, for the message.

    Returns:
        The factor to metres (1.0 when no frame is finite: the NaN check reports it).

    Raises:
        MotionFileError: no unit gives a person's size (names the file and the extent).
    """
    head = np.asarray(joints[:64], dtype=np.float64)
    extents = np.ptp(head, axis=1).max(axis=-1) if head.size else np.zeros(0)
    extents = extents[np.isfinite(extents)]
    if not extents.size:
        return 1.0
    extent = float(np.median(extents))
    for scale in (1.0, 0.001):
        if HUMAN_EXTENT_M[0] <= extent * scale <= HUMAN_EXTENT_M[1]:
            return scale
    units = [f"{name} (x {f:g})" for name, f in (("centimetres", 0.01), ("inches", 0.0254))
             if HUMAN_EXTENT_M[0] <= f * extent <= HUMAN_EXTENT_M[1]]
    guess = (" or ".join(units) + "?" if units else
             f"x {1.7 / extent:.3g} would give a 1.7 m person." if extent > 0 else
             "every joint is at one point.")
    raise MotionFileError(
        f"{source}: the body spans {extent:.4g} file units, neither metres nor millimetres "
        f"of a person ({HUMAN_EXTENT_M[0]:g}-{HUMAN_EXTENT_M[1]:g} m); {guess} Convert the "
        "file to metres (from Python, read_joints_file(..., scale=FACTOR))")


def load_motion_file(
    path: str | os.PathLike,
    fps: float | None = None,
    *,
    skip_frames: int | Literal["auto"] = "auto",
    name: str | None = None,
    canonical: bool = True,
) -> Motion:
    """A motion from a ``.bvh`` file or a ``(T, J, 3)`` ``.npy`` joint file.

    A ``.npy`` is read as a dataset reads it, inside a ``new_joints/`` folder or not
    (:func:`read_joints_file`): on the skeleton matching its joint count, at ``fps``
    (default: 12.5 for KIT-ML's 21 joints, else 20; the same file gets the same rate
    wherever it lies), in metres or millimetres, whichever makes the body a person's size
    (:func:`detect_unit_scale`).

    Args:
        path: the file.
        fps: the file's true frame rate; ``None`` = for a BVH file the ``true_fps`` that an
            ``index.json`` beside it gives (:func:`~.bvh_index.file_true_fps`), else its
            header's; for a ``.npy`` the default above.
        skip_frames: leading frames to drop, or ``"auto"`` (the default: the frames pasted
            in front of the capture: in a BVH file a cgspeed T-pose and the blend out of it,
            :func:`~.pasted_frames.leading_inserted_frames`; in a ``.npy`` a resampled
            T-pose frame 0, :func:`~.pasted_frames.pasted_first_frame`; other files lose
            nothing).
        name: motion name; defaults to the file stem.
        canonical: bring the motion to the canonical form (:func:`to_canonical`).

    Returns:
        A validated :class:`Motion`, canonical unless ``canonical=False``.

    Raises:
        TypeError: ``path`` is not a str or ``os.PathLike`` (``3``, an array, a Motion);
            ``fps`` is neither None nor a number (``"20"``, ``True``).
        FileNotFoundError: no such file, or a folder.
        MotionFileError / ValueError: unreadable or invalid motion, a FIFO, device or socket
            (never opened), another extension, a ``skip_frames`` that is neither ``"auto"``
            nor an int leaving 2 frames, or an ``fps`` outside [1, 1000] (0 included: it is
            no default).
    """
    if not isinstance(path, (str, os.PathLike)):  # pathlib's TypeError named no parameter
        raise TypeError(f"load_motion_file: path must be a file path (str or os.PathLike), "
                        f"got {type(path).__name__} {path!r:.40}")
    if fps is not None:
        check_fps_type(fps, "fps")
    p = Path(path)
    require_motion_file(p)
    suffix = p.suffix.lower()
    if suffix == ".bvh":
        fps = file_true_fps(p) if fps is None else fps
        motion = load_bvh(p, fps=fps, skip_frames=skip_frames, name=name)
    elif suffix != ".npy":
        raise ValueError(f"{p}: expected a .npy joint file or a .bvh file")
    else:  # m or mm; the skeleton's rate
        motion = read_joints_file(p, fps=fps, name=name, skip_frames=skip_frames)
    if suffix == ".npy":  # a single file: say so when it is not Y-up (load_bvh does too)
        warn_unless_y_up(motion.joints, motion.skeleton, str(p))
    return to_canonical(motion) if canonical else motion
