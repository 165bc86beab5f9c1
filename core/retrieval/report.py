"""Report figures with matplotlib (no Qt): motion-patch images.

The patch image is shown as the papers show it (Yu et al., CVPR 2024, Fig. 4): the x, y, z
coordinates of the 80 sample points as R, G, B, frames as rows, one labelled column block
per body part.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from motionlex.core.atomic import atomic_file
from motionlex.core.motion.skeleton import PART_NAMES
from motionlex.core.patches import PATCH_LEN, POINTS_PER_PART


def save_figure(fig: Any, path: Path) -> Path:
    """Save a matplotlib figure as PNG atomically (nothing half-written) and close it.

    Returns:
        ``path``.
    """
    import matplotlib.pyplot as plt

    try:
        with atomic_file(path) as tmp:
            fig.savefig(tmp, format="png")
    finally:
        plt.close(fig)
    return path


def patch_image_rgb(image: np.ndarray, valid_frames: int | None = None) -> np.ndarray:
    """Map a ``(3, T, 80)`` patch image to displayable ``(T, 80, 3)`` uint8 RGB.

    Each channel is min-max scaled over the valid frames (robust to the padded zeros).

    Args:
        image: ``(3, T, 80)`` float patch image (metres or z-scores).
        valid_frames: frames to show; default all.

    Returns:
        ``(T', 80, 3)`` uint8.

    Raises:
        ValueError: on a shape other than ``(3, T, 80)``.
    """
    image = np.asarray(image, dtype=np.float32)
    if image.ndim != 3 or image.shape[0] != 3:
        raise ValueError(f"expected a patch image (3, T, 80), got {image.shape}")
    img = image[:, : valid_frames or image.shape[1]].transpose(1, 2, 0)
    lo = img.reshape(-1, 3).min(axis=0)
    hi = img.reshape(-1, 3).max(axis=0)
    scaled = (img - lo) / np.where(hi - lo > 1e-9, hi - lo, 1.0)
    return (np.clip(scaled, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def save_patch_figure(
    image: np.ndarray,
    path: str | Path,
    title: str = "",
    valid_frames: int | None = None,
    fps: float = 20.0,
) -> Path:
    """Render a motion-patch image with body-part labels to a PNG (written atomically).

    Args:
        image: ``(3, T, 80)`` float patch image.
        path: output ``.png``.
        title: figure title (e.g. the caption).
        valid_frames: number of real frames (padding is not drawn).
        fps: frame rate for the time axis (seconds).

    Returns:
        The written path.

    Raises:
        ValueError: on a bad image shape.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rgb = patch_image_rgb(image, valid_frames)
    t = rgb.shape[0]
    fig, ax = plt.subplots(figsize=(6.4, max(3.0, min(9.0, 2.0 + t / 40.0))), dpi=120)
    ax.imshow(rgb, aspect="auto", interpolation="nearest", extent=(0, 80, t / fps, 0))
    for p in range(1, len(PART_NAMES)):
        ax.axvline(p * POINTS_PER_PART, color="white", lw=1.5)
    for r in range(PATCH_LEN, t, PATCH_LEN):
        ax.axhline(r / fps, color="white", lw=0.4, alpha=0.6)
    ax.set_xticks([(p + 0.5) * POINTS_PER_PART for p in range(len(PART_NAMES))])
    ax.set_xticklabels([n.replace("_", " ") for n in PART_NAMES])
    ax.set_ylabel("time (s)")
    ax.set_title(title or "motion patches (x, y, z as R, G, B)", fontsize=9)
    fig.tight_layout()
    return save_figure(fig, Path(path))
