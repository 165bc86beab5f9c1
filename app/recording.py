"""Recording the 3D view to an animated GIF or an MP4 file.

:class:`VideoWriter` turns frames into a file (pure NumPy/Pillow/imageio, no Qt; the file
appears only on a successful close). The frames come from :mod:`motionlex.app.exporter`,
which renders the skeleton view one frame per event-loop turn and encodes on its own thread.
"""

from __future__ import annotations

import logging
import os
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import numpy as np

from motionlex.app.export import check_export_suffix
from motionlex.core.atomic import atomic_file

logger = logging.getLogger(__name__)


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
        self.kind = check_export_suffix(self.path, "video").suffix.lower().lstrip(".")
        # THE atomic write: a temporary file beside the target, renamed onto it by close()
        self._file = ExitStack()
        self._tmp = self._file.enter_context(atomic_file(self.path))
        self._frames: list[Any] = []
        self._writer = None
        self.count = 0
        if self.kind == "mp4":
            try:
                # imported here: optional, and only an MP4 export needs it
                import imageio.v2 as iio2
                import imageio_ffmpeg  # noqa: F401
            except ImportError as e:
                self._discard()
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
            # imported here: only a GIF export needs Pillow (keeps the start fast)
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
        except BaseException:
            self._frames = []
            self._discard()
            raise
        self._frames = []
        self._file.close()  # renames the finished file onto the target
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
        self._discard()

    def _discard(self) -> None:
        """Remove the temporary file; the target stays as it was."""
        err = RuntimeError(f"{self.path}: export abandoned")
        self._file.__exit__(RuntimeError, err, None)  # atomic_file removes its temporary
