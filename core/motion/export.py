"""Exporting a motion to files other tools read: animated GLB, pose-sequence GLB, BVH.

One home for the explorer's File > Export (:mod:`motionlex.app.export`, one shown motion)
and ``motionlex export`` (many files, headless). No Qt.

- ``glb``: an animated glTF stick figure, nodes named by the skeleton's joints
  (:func:`~motionlex.core.motion.gltf.write_animated_glb`).
- ``poses``: every 10th frame as a static pose, side by side 0.6 m apart, in one GLB
  (:func:`~motionlex.core.motion.gltf.write_pose_sequence_glb`).
- ``bvh`` (:func:`export_bvh`): a motion read from a BVH file that still exists (and, when
  its checksum is given, is unchanged) is exported as a byte copy of that file (its native
  skeleton, frame rate and rotations); any other motion (HumanML3D/SMPL-22, KIT-ML-21, a
  changed or missing source) is written from its joint positions by
  :func:`motionlex.core.motion.bvh_write.write_bvh`, which solves joint rotations on a
  T-pose rest skeleton of the motion's median bone lengths.

Every file is written to a temporary name in the target folder and renamed into place
(:func:`motionlex.core.atomic.atomic_file`), so a failed export leaves no partial file.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
from pathlib import Path

import numpy as np

from motionlex.core.atomic import atomic_file
from motionlex.core.checksums import file_sha256
from motionlex.core.motion.bvh_index import file_true_fps
from motionlex.core.motion.gltf import write_animated_glb, write_pose_sequence_glb
from motionlex.core.motion.motion import Motion
from motionlex.core.motion.skeleton import Skeleton, as_skeleton

logger = logging.getLogger(__name__)

MOTION_EXPORTS = ("glb", "poses", "bvh")
"""Kinds of :func:`export_motion`."""

EXPORT_SUFFIX = {"glb": ".glb", "poses": ".glb", "bvh": ".bvh"}
"""File suffix of each kind."""

_FRAME_TIME = re.compile(rb"^([ \t]*Frame Time:[ \t]*)[^\r\n]*", re.MULTILINE | re.IGNORECASE)

POSE_EVERY = 10
"""The pose-sequence GLB shows every ``POSE_EVERY``-th frame (0.5 s at 20 fps)."""


def copy_source_bvh(source: str | os.PathLike, path: str | os.PathLike,
                    sha256: str | None = None, fps: float | None = None) -> Path:
    """Export a motion in its native skeleton by copying its source BVH file.

    Args:
        source: the motion's source ``.bvh`` file.
        path: output file (replaced atomically).
        sha256: the source's checksum recorded in the index; when given, a changed source is
            refused.
        fps: the take's true frame rate when its header's is wrong (cgspeed's 120 fps
            headers): the copy's ``Frame Time:`` line says ``1 / fps``; None, or a rate
            that the header already states (to 1 part in 10^5, its printed precision),
            copies the file byte for byte.

    Returns:
        The path written.

    Raises:
        FileNotFoundError: the source is gone.
        ValueError: the source is not a ``.bvh`` file, or it changed since it was indexed.
    """
    src = Path(source)
    if src.suffix.lower() != ".bvh":
        raise ValueError(f"{src} is not a BVH file; only motions read from BVH can be "
                         "exported to BVH in their native skeleton")
    if not src.is_file():
        raise FileNotFoundError(f"source BVH not found: {src}")
    if sha256 is not None:
        got = file_sha256(src)
        if got != sha256:
            raise ValueError(f"{src} changed since it was indexed (SHA-256 {got[:12]}... vs "
                             f"{sha256[:12]}...); re-open the gallery to re-index it")
    data = None if fps is None else src.read_bytes()
    if data is not None and _states_frame_time(data, 1.0 / fps):
        data = None  # the header is right already: a byte copy
    with atomic_file(path) as tmp:
        if data is None:
            shutil.copyfile(src, tmp)
        else:
            text, count = _FRAME_TIME.subn(rb"\g<1>%.8g" % (1.0 / fps), data, count=1)
            if not count:
                raise ValueError(f"{src}: no 'Frame Time:' line to set to 1/{fps:g} s")
            Path(tmp).write_bytes(text)
    return Path(path)


def _states_frame_time(bvh: bytes, frame_time: float) -> bool:
    """Whether the BVH text's ``Frame Time:`` line gives ``frame_time`` (seconds) to within
    1 part in 10^5 (headers print 6 significant digits or fewer)."""
    m = _FRAME_TIME.search(bvh)
    if m is None:
        return False
    try:
        stated = float(bvh[m.end(1):m.end()].strip())
    except ValueError:
        return False
    return abs(stated - frame_time) <= 1e-5 * frame_time


def source_bvh_problem(source: str | os.PathLike | None, sha256: str | None) -> str | None:
    """Why ``source`` cannot be copied as the BVH export (None when it can)."""
    if source is None or not str(source):
        return "the motion has no source file"
    src = Path(source)
    if src.suffix.lower() != ".bvh":
        return f"the source {src.name} is not a BVH file"
    if not src.is_file():
        return f"the source BVH {src} is gone"
    if sha256:
        if file_sha256(src) != sha256:
            return f"the source BVH {src} changed since it was indexed"
    return None


def export_bvh(path: str | os.PathLike, joints: np.ndarray, fps: float, skeleton: Skeleton,
               *, source: str | os.PathLike | None = None, sha256: str | None = None,
               scale: float = 100.0, source_fps: float | None = None) -> Path:
    """Export any motion as a BVH file.

    A motion whose ``source`` is a BVH file that still exists and (when ``sha256`` is
    given) is unchanged is exported as a copy of that file, in its native skeleton and
    frame rate. Otherwise the joint positions are written with solved joint rotations
    (:func:`motionlex.core.motion.bvh_write.write_bvh`), and the reason is logged.

    Args:
        path: output ``.bvh`` file (replaced atomically).
        joints: ``(T, J, 3)`` float joint positions, metres, Y up (the shown, canonical
            motion); used only when the source is not copied.
        fps: frames per second of ``joints`` (> 0).
        skeleton: the skeleton of ``joints`` (``J`` joints; names become BVH joint names),
            or a built-in skeleton's name.
        source: the motion's source file, or None.
        sha256: the source's SHA-256 recorded in the gallery index; None or ``""`` skips
            the check.
        scale: file units per metre for a written file (100: centimetres).
        source_fps: the source's true frame rate when its header's is wrong (written into
            the copy's ``Frame Time:``, :func:`copy_source_bvh`); None: the ``true_fps`` of
            an ``index.json`` beside the source (:func:`~.bvh_index.file_true_fps`), else
            the header's.

    Returns:
        The path written.

    Raises:
        ValueError: (writing from joints) bad shape, NaN/inf, a joint count other than the
            skeleton's, or ``fps``/``scale`` not positive.
        OSError: the file cannot be written.
    """
    # imported here: scipy.spatial costs 0.3 s of the explorer's start
    from motionlex.core.motion.bvh_write import write_bvh

    skeleton = as_skeleton(skeleton, str(path))  # or a built-in one's name, "smpl22"

    problem = source_bvh_problem(source, sha256)
    if problem is None:  # checked (and hashed) just now: copy without a second hash
        if source_fps is None:  # as load_motion_file read it
            source_fps = file_true_fps(source)  # type: ignore[arg-type]
        out = copy_source_bvh(source, path, fps=source_fps)  # type: ignore[arg-type]
        logger.info("exported BVH %s as a copy of its source %s", out, source)
        return out
    logger.info("%s; writing BVH %s from joint positions", problem, path)
    return write_bvh(path, joints, skeleton, fps, scale=scale)


def export_motion(motion: Motion, path: str | os.PathLike, kind: str = "glb", *,
                  source_sha256: str | None = None, source_fps: float | None = None) -> Path:
    """Write ``motion`` as ``kind`` to ``path``.

    Args:
        motion: the motion (canonical form expected: metres, Y up; its ``fps``, its
            skeleton's joint names and body parts are used; ``source`` decides a BVH copy).
        path: output file (replaced atomically).
        kind: one of :data:`MOTION_EXPORTS` (see the module docstring).
        source_sha256: for ``bvh``, the source's SHA-256 recorded when it was indexed (a
            changed source is then written from joints, not copied).
        source_fps: for ``bvh``, the source's true frame rate when its header's is wrong
            (the copy's ``Frame Time:`` is set from it); None keeps the header.

    Returns:
        The path written.

    Raises:
        ValueError: an unknown kind, or the writers' errors (bad joints).
        OSError: the file cannot be written.
    """
    sk = motion.skeleton
    if kind == "glb":  # nodes named by the skeleton's joints (SMPL-22's, the BVH's own)
        return write_animated_glb(path, motion.joints, sk.bones(), motion.fps,
                                  sk.part_of_joint(inherit=True), name=motion.name,
                                  joint_names=sk.joint_names)
    if kind == "poses":
        frames = list(range(0, motion.num_frames, POSE_EVERY))
        return write_pose_sequence_glb(path, motion.joints, sk.bones(), frames,
                                       sk.part_of_joint(inherit=True), spacing_m=0.6)
    if kind == "bvh":
        return export_bvh(path, motion.joints, motion.fps, sk, source=motion.source,
                          sha256=source_sha256 or None, source_fps=source_fps)
    raise ValueError(f"kind must be one of {', '.join(MOTION_EXPORTS)}, got {kind!r}")
