"""Exporting a motion: animated glTF (GLB) stick figures, pose sequences, BVH.

The GLB writers live in :mod:`motionlex.core.motion.gltf` (pure NumPy/trimesh) and are
imported here for the window's export actions.

BVH (:func:`export_bvh`): a motion read from a BVH file that is unchanged since it was
indexed is exported as a byte copy of that file (:func:`copy_source_bvh`: its native
skeleton, frame rate and rotations); any other motion (HumanML3D/SMPL-22, KIT-ML-21, a
changed or missing source) is written from its joint positions by
:func:`motionlex.core.motion.bvh_write.write_bvh`, which solves joint rotations on a T-pose rest
skeleton of the motion's median bone lengths (centimetres, the root with position and
rotation channels, every other joint with rotations).

Every file is written to a temporary name in the target folder and renamed into place, so a
failed export leaves no partial file. In the explorer the writers run off the GUI thread as
job generators (:func:`export_steps`; :mod:`motionlex.app.exporter` drives them), and a
cancelled one leaves no file either.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

import numpy as np

from motionlex.app.driver import Progress
from motionlex.app.messages import MotionData
from motionlex.core.atomic import atomic_file
from motionlex.core.motion.gltf import read_glb_json as read_glb_json
from motionlex.core.motion.gltf import write_animated_glb as write_animated_glb
from motionlex.core.motion.gltf import write_pose_sequence_glb as write_pose_sequence_glb
from motionlex.core.motion.skeleton import Skeleton

logger = logging.getLogger(__name__)


def copy_source_bvh(source: str | os.PathLike, path: str | os.PathLike,
                    sha256: str | None = None) -> Path:
    """Export a motion in its native skeleton by copying its source BVH file.

    Args:
        source: the motion's source ``.bvh`` file.
        path: output file (replaced atomically).
        sha256: the source's checksum recorded in the index; when given, a changed source is
            refused.

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
        from motionlex.core.retrieval.fingerprints import file_sha256

        got = file_sha256(src)
        if got != sha256:
            raise ValueError(f"{src} changed since it was indexed (SHA-256 {got[:12]}... vs "
                             f"{sha256[:12]}...); re-open the gallery to re-index it")
    with atomic_file(path) as tmp:
        shutil.copyfile(src, tmp)
    return Path(path)


def _source_bvh_problem(source: str | os.PathLike | None, sha256: str | None) -> str | None:
    """Why ``source`` cannot be copied as the BVH export (None when it can)."""
    if source is None or not str(source):
        return "the motion has no source file"
    src = Path(source)
    if src.suffix.lower() != ".bvh":
        return f"the source {src.name} is not a BVH file"
    if not src.is_file():
        return f"the source BVH {src} is gone"
    if sha256:
        from motionlex.core.retrieval.fingerprints import file_sha256

        if file_sha256(src) != sha256:
            return f"the source BVH {src} changed since it was indexed"
    return None


def export_bvh(path: str | os.PathLike, joints: np.ndarray, fps: float, skeleton: Skeleton,
               *, source: str | os.PathLike | None = None, sha256: str | None = None,
               scale: float = 100.0) -> Path:
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
        skeleton: the skeleton of ``joints`` (``J`` joints; names become BVH joint names).
        source: the motion's source file, or None.
        sha256: the source's SHA-256 recorded in the gallery index; None or ``""`` skips
            the check.
        scale: file units per metre for a written file (100: centimetres).

    Returns:
        The path written.

    Raises:
        ValueError: (writing from joints) bad shape, NaN/inf, a joint count other than the
            skeleton's, or ``fps``/``scale`` not positive.
        OSError: the file cannot be written.
    """
    # imported here: scipy.spatial costs 0.3 s of the explorer's start
    from motionlex.core.motion.bvh_write import write_bvh

    problem = _source_bvh_problem(source, sha256)
    if problem is None:
        out = Path(path)
        with atomic_file(out) as tmp:
            shutil.copyfile(Path(source), tmp)
        logger.info("exported BVH %s as a copy of its source %s", out, source)
        return out
    logger.info("%s; writing BVH %s from joint positions", problem, path)
    return write_bvh(path, joints, skeleton, fps, scale=scale)


# ---------------------------------------------------------------------------------- actions
EXPORT_DIALOGS: dict[str, tuple[str, str, str]] = {
    "glb": ("Export motion as animated GLB", ".glb", "glTF binary (*.glb)"),
    "poses": ("Export pose sequence as GLB", ".glb", "glTF binary (*.glb)"),
    "bvh": ("Export motion as BVH", ".bvh", "BVH (*.bvh)"),
    "video": ("Export the 3D view as video", ".gif", "Animated GIF (*.gif);;MP4 video (*.mp4)"),
    "png": ("Save window as PNG", ".png", "PNG image (*.png)"),
}
"""Save-dialog title, default suffix and file filters of each export action."""


def export_motion(motion: MotionData | None, path: str | os.PathLike, kind: str = "glb") -> Path:
    """Export the shown motion.

    Args:
        motion: the motion shown in the explorer, or None.
        path: output file.
        kind: ``"glb"`` (animated; nodes named by the skeleton's joints), ``"poses"``
            (every 10th frame, static GLB) or ``"bvh"`` (the source BVH copied when
            unchanged since indexing, else a BVH written from the joint positions).

    Returns:
        The path written.

    Raises:
        ValueError: no motion shown or an unknown kind.
    """
    m = motion
    if m is None:
        raise ValueError("no motion is shown; select a result or a gallery item first")
    if kind == "glb":  # nodes named by the skeleton's joints (SMPL-22's, the BVH's own)
        return write_animated_glb(path, m.joints, m.bones, m.fps, m.part_of_joint, name=m.id,
                                  joint_names=m.skeleton.joint_names)
    if kind == "poses":
        frames = list(range(0, len(m.joints), 10))
        return write_pose_sequence_glb(path, m.joints, m.bones, frames, m.part_of_joint,
                                       spacing_m=0.6)
    if kind == "bvh":
        return export_bvh(path, m.joints, m.fps, m.skeleton, source=m.source,
                          sha256=m.source_sha256 or None)
    raise ValueError(f"kind must be 'glb', 'poses' or 'bvh', got {kind!r}")


MOTION_EXPORTS = ("glb", "poses", "bvh")
"""Kinds of :func:`export_motion`."""


def export_steps(motion: MotionData | None, path: str | os.PathLike, kind: str = "glb") -> Progress:
    """Job: :func:`export_motion` as a generator, for the export thread.

    Arguments are checked at once (not at the first step), so a bad request fails before it
    is queued. The file is written under a temporary name and moved onto ``path`` after the
    last cancel point: closing the generator (a cancel) leaves ``path`` as it was.

    Yields ``(0, 2)`` before writing and ``(1, 2)`` after (cancel points).

    Returns (as the generator's value):
        The path written.

    Raises:
        ValueError: no motion shown or an unknown kind (at once); the writers' errors at
            the second step.
    """
    if motion is None:
        raise ValueError("no motion is shown; select a result or a gallery item first")
    if kind not in MOTION_EXPORTS:
        raise ValueError(f"kind must be 'glb', 'poses' or 'bvh', got {kind!r}")
    return _export_steps(motion, Path(path), kind)


def _export_steps(motion: MotionData, path: Path, kind: str) -> Progress:
    with atomic_file(path) as tmp:
        yield 0, 2
        export_motion(motion, tmp, kind)
        yield 1, 2
    return path
