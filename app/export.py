"""Exporting a motion: animated glTF (GLB) stick figures, pose sequences, BVH, video.

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
failed export leaves no partial file.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

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


# ---------------------------------------------------------------------------------- video
class VideoWriter:
    """Frames to an animated GIF (Pillow) or an MP4 (imageio's ffmpeg plugin).

    Frames are appended one at a time; a GIF keeps palette frames in memory and is written
    on :meth:`close`, an MP4 streams. The file appears only on a successful close.

    Args:
        path: ``.gif`` or ``.mp4`` file.
        fps: frames per second (> 0).

    Raises:
        ValueError: another extension or ``fps <= 0``.
        ImportError: MP4 without the ``imageio-ffmpeg`` package.
    """

    def __init__(self, path: str | os.PathLike, fps: float) -> None:
        self.path = Path(path)
        self.fps = float(fps)
        if not np.isfinite(self.fps) or self.fps <= 0:
            raise ValueError(f"fps must be a positive number, got {fps!r}")
        self.kind = self.path.suffix.lower().lstrip(".")
        if self.kind not in ("gif", "mp4"):
            raise ValueError(f"{self.path}: video export writes .gif or .mp4, not "
                             f".{self.kind or '(no extension)'}")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.stem}.", suffix=self.path.suffix,
                                   dir=self.path.parent)
        os.close(fd)
        self._tmp = Path(tmp)
        self._frames: list[Any] = []
        self._writer = None
        self.count = 0
        if self.kind == "mp4":
            try:
                import imageio.v2 as iio2
                import imageio_ffmpeg  # noqa: F401
            except ImportError as e:
                self._tmp.unlink(missing_ok=True)
                raise ImportError("MP4 export needs the imageio-ffmpeg package "
                                  "(pip install imageio-ffmpeg); GIF works without it") from e
            self._writer = iio2.get_writer(str(self._tmp), format="FFMPEG", fps=self.fps,
                                           codec="libx264", quality=7, macro_block_size=2)

    def append(self, frame: np.ndarray) -> None:
        """Add one ``(H, W, 3|4)`` uint8 frame (alpha is dropped).

        Raises:
            ValueError: not an ``(H, W, 3|4)`` uint8 image.
        """
        f = np.asarray(frame)
        if f.ndim != 3 or f.shape[2] not in (3, 4) or f.dtype != np.uint8:
            raise ValueError(f"frame must be (H, W, 3|4) uint8, got {f.dtype} {f.shape}")
        rgb = np.ascontiguousarray(f[..., :3])
        if self.kind == "gif":
            from PIL import Image

            self._frames.append(Image.fromarray(rgb).quantize(colors=128))
        else:
            h, w = rgb.shape[0] // 2 * 2, rgb.shape[1] // 2 * 2
            self._writer.append_data(rgb[:h, :w])
        self.count += 1

    def close(self) -> Path:
        """Finish the file and move it into place.

        Returns:
            The path written.

        Raises:
            ValueError: no frame was appended.
        """
        try:
            if self.count == 0:
                raise ValueError(f"{self.path}: no frames to write")
            if self.kind == "gif":
                ms = max(20, int(round(1000.0 / self.fps / 10.0)) * 10)  # GIF: 10 ms units
                self._frames[0].save(self._tmp, format="GIF", save_all=True,
                                     append_images=self._frames[1:], duration=ms, loop=0)
            else:
                self._writer.close()
            os.replace(self._tmp, self.path)
        finally:
            self._frames = []
            self._tmp.unlink(missing_ok=True)
        logger.info("wrote %s (%d frames at %.3g fps)", self.path, self.count, self.fps)
        return self.path

    def abort(self) -> None:
        """Drop the frames and the temporary file."""
        if self._writer is not None:
            try:
                self._writer.close()
            except Exception:  # noqa: BLE001 - the file is discarded anyway
                logger.debug("closing an aborted MP4 writer failed", exc_info=True)
        self._frames = []
        self._tmp.unlink(missing_ok=True)
