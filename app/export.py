"""Exporting the shown motion: animated glTF (GLB) stick figures, pose sequences, BVH.

The exports themselves live in :mod:`motionlex.core.motion.export` (one home with
``motionlex export``): GLB writers, and BVH as a byte copy of an unchanged source BVH
(:func:`copy_source_bvh`) or written from the joint positions (:func:`export_bvh`). This
module adds the window's side: the shown :class:`~motionlex.app.messages.MotionData`, the
save dialogs' settings and the export job.

Every file is written to a temporary name in the target folder and renamed into place, so a
failed export leaves no partial file. In the explorer the writers run off the GUI thread as
job generators (:func:`export_steps`; :mod:`motionlex.app.exporter` drives them), and a
cancelled one leaves no file either.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

from motionlex.app.messages import MotionData
from motionlex.core.atomic import atomic_file
from motionlex.core.motion import export as core_export
from motionlex.core.motion.export import MOTION_EXPORTS as MOTION_EXPORTS
from motionlex.core.motion.export import copy_source_bvh as copy_source_bvh
from motionlex.core.motion.export import export_bvh as export_bvh
from motionlex.core.motion.gltf import read_glb_json as read_glb_json
from motionlex.core.motion.motion import Motion

if TYPE_CHECKING:  # no Qt here: the video writer (no Qt) checks its suffix by this module
    from motionlex.app.driver import Progress

logger = logging.getLogger(__name__)


# ---------------------------------------------------------------------------------- actions
EXPORT_DIALOGS: dict[str, tuple[str, str, str]] = {
    "glb": ("Export motion as animated GLB", ".glb", "glTF binary (*.glb)"),
    "poses": ("Export pose sequence as GLB", ".glb", "glTF binary (*.glb)"),
    "bvh": ("Export motion as BVH", ".bvh", "BVH (*.bvh)"),
    "video": ("Export the 3D view as video", ".gif", "Animated GIF (*.gif);;MP4 video (*.mp4)"),
    "png": ("Save window as PNG", ".png", "PNG image (*.png)"),
}
"""Save-dialog title, default suffix and file filters of each export action."""

EXPORT_NAMES: dict[str, str] = {"glb": "GLB export", "poses": "pose-sequence export",
                                "bvh": "BVH export", "video": "video export",
                                "png": "window PNG export"}
"""What an error calls each export action."""


def export_suffixes(kind: str) -> tuple[str, ...]:
    """The suffixes an export of ``kind`` writes, from its save dialog's file types
    (:data:`EXPORT_DIALOGS`): ``(".gif", ".mp4")`` for ``"video"``.

    Raises:
        KeyError: an unknown kind.
    """
    return tuple(re.findall(r"\*(\.[A-Za-z0-9]+)", EXPORT_DIALOGS[kind][2]))


def check_export_suffix(path: str | os.PathLike, kind: str) -> Path:
    """``path`` when its suffix (any case) is one an export of ``kind`` writes.

    Returns:
        ``path`` as a :class:`~pathlib.Path`.

    Raises:
        ValueError: another suffix, or none ("wave.txt: GLB export writes .glb, not
            .txt"): a GLB named ``.txt`` was written silently (audit 35 #5).
        KeyError: an unknown kind.
    """
    p = Path(path)
    ok = export_suffixes(kind)
    if p.suffix.lower() not in ok:
        raise ValueError(f"{p}: {EXPORT_NAMES[kind]} writes {' or '.join(ok)}, not "
                         f"{p.suffix or '(no extension)'}")
    return p


EXPORT_NAME_ENDS: dict[str, str] = {"poses": "_poses"}
"""What a suggested file name adds after the motion's id, where two exports share a suffix
(the animated GLB and the pose sequence were both offered ``<id>.glb``: saving both in one
folder replaced the first)."""


def export_motion(motion: MotionData | None, path: str | os.PathLike, kind: str = "glb") -> Path:
    """Export the shown motion.

    Args:
        motion: the shown motion (None: nothing is shown).
        path: output file.
        kind: ``"glb"`` (animated; nodes named by the skeleton's joints), ``"poses"``
            (every 10th frame, static GLB) or ``"bvh"`` (the source BVH copied when
            unchanged since indexing, its ``Frame Time`` set from the dataset's
            ``true_fps`` when ``index.json`` gives one; else a BVH written from the joint
            positions).

    Returns:
        The path written.

    Raises:
        ValueError: no motion shown, an unknown kind or a suffix the kind does not write
            (:func:`check_export_suffix`).
    """
    if motion is not None and kind in MOTION_EXPORTS:
        path = check_export_suffix(path, kind)
    return _export(motion, path, kind)[0]


def _export(motion: MotionData | None, path: str | os.PathLike, kind: str) -> tuple[Path, str]:
    """:func:`export_motion` and its :func:`bvh_export_note`, the source hashed once."""
    m = motion
    if m is None:
        raise ValueError("no motion is shown; select a result or a gallery item first")
    sha = m.source_sha256 or None
    problem = _bvh_problem(m) if kind == "bvh" else None
    if kind == "bvh" and problem is None:
        sha = None  # an unchanged BVH source: checked (hashed) just now, copy it at once
    shown = Motion(joints=m.joints, fps=m.fps, skeleton=m.skeleton, source=m.source or None,
                   name=m.id)
    true_fps = (m.meta or {}).get("true_fps")  # the folder's index.json: a wrong header rate
    out = core_export.export_motion(
        shown, path, kind, source_sha256=sha,
        source_fps=float(true_fps) if isinstance(true_fps, (int, float)) and true_fps > 0
        else None)
    return out, (f"written from joint positions, not copied: {problem}" if problem else "")


def _bvh_problem(motion: MotionData) -> str | None:
    """Why a BVH-sourced motion's source cannot be copied (None when it can, or when its
    source is no BVH file: written from joints, as expected)."""
    if Path(motion.source or "").suffix.lower() != ".bvh":
        return None
    return core_export.source_bvh_problem(motion.source, motion.source_sha256 or None)


def bvh_export_note(motion: MotionData | None) -> str:
    """What a BVH export of ``motion`` writes, for the status bar: ``""`` for a copy of its
    source BVH or a joint file (written from joints, as expected); for a BVH source that
    cannot be copied, why it is written from joint positions instead."""
    problem = None if motion is None else _bvh_problem(motion)
    return f"written from joint positions, not copied: {problem}" if problem else ""


def export_steps(motion: MotionData | None, path: str | os.PathLike, kind: str = "glb") -> Progress:
    """Job: :func:`export_motion` as a generator, for the export thread.

    Arguments are checked at once (not at the first step), so a bad request fails before it
    is queued. The file is written under a temporary name and moved onto ``path`` after the
    last cancel point: closing the generator (a cancel) leaves ``path`` as it was.

    Yields ``(0, 2)`` before writing and ``(1, 2)`` after (cancel points).

    Returns (as the generator's value):
        ``(path written, note)``: the note is :func:`bvh_export_note`'s (found on the export
        thread, which hashes a BVH source once, not on the GUI thread).

    Raises:
        ValueError: no motion shown, an unknown kind or a suffix the kind does not write
            (at once); the writers' errors at the second step.
    """
    if motion is None:
        raise ValueError("no motion is shown; select a result or a gallery item first")
    if kind not in MOTION_EXPORTS:
        raise ValueError(f"kind must be 'glb', 'poses' or 'bvh', got {kind!r}")
    return _export_steps(motion, check_export_suffix(path, kind), kind)


def _export_steps(motion: MotionData, path: Path, kind: str) -> Progress:
    with atomic_file(path) as tmp:
        yield 0, 2
        note = _export(motion, tmp, kind)[1]
        yield 1, 2
    return path, note
