"""Where the skeleton player puts several motions: slots side by side, motions walked in
place, smoothed paths and windows of the camera framing. Pure NumPy, Z-up metres."""

from __future__ import annotations

import numpy as np

SIDE_GAP_M = 0.4
"""Gap in metres between neighbouring motions' x extents in the ``'side'`` layout."""

LOCOMOTION_TRAVEL_M = 1.0
"""Bodies that travel farther than this (metres, horizontally, beyond their own size) are
followed by the camera by default: framing a whole walk or run would leave a tiny figure."""

FOLLOW_SMOOTHING_S = 0.5
"""Width of the moving average over the followed centre, seconds (no jitter from swinging
arms or steps)."""

ZOOM_WINDOW_S = 2.0
"""Overlaid bodies that drift apart are framed frame by frame: the camera holds the largest
spread within this window (seconds, centred) and eases between, so it never zooms per step."""


def smooth_path(centres: np.ndarray, window: int) -> np.ndarray:
    """Moving average of a path over ``window`` frames (centred, ends held).

    Args:
        centres: ``(N, 3)`` float positions per frame, metres.
        window: frames averaged, an even count rounded up to the next odd one so the
            average stays centred (10 -> 11); ``<= 1``: the path unchanged.

    Returns:
        ``(N, 3)`` float32 smoothed positions.
    """
    c = np.asarray(centres, dtype=np.float64)
    if window <= 1 or len(c) < 2:
        return c.astype(np.float32)
    half = window // 2
    padded = np.concatenate([np.repeat(c[:1], half, 0), c, np.repeat(c[-1:], half, 0)])
    kernel = np.ones(2 * half + 1) / (2 * half + 1)
    out = np.stack([np.convolve(padded[:, k], kernel, mode="valid") for k in range(3)], axis=1)
    return out.astype(np.float32)


def travel(points: np.ndarray) -> float:
    """How far a body travels beyond its own size, metres: the larger horizontal side of the
    box of all frames less the largest single-frame box side (``(T, J, 3)`` Z-up points)."""
    pts = np.asarray(points)
    size = (pts.max(axis=(0, 1)) - pts.min(axis=(0, 1)))[:2]
    pose = (pts.max(axis=1) - pts.min(axis=1)).max(axis=0)[:2]
    return float(max(0.0, *(size - pose)))


def in_place(points: np.ndarray, fps: float) -> np.ndarray:
    """A motion walked on the spot: its smoothed horizontal path removed.

    The moving average of the body centre (over :data:`FOLLOW_SMOOTHING_S`) is subtracted
    from x and y of every joint, so steps, turns and sway stay and only the travel goes;
    heights are kept.

    Args:
        points: ``(T, J, 3)`` float joint positions, metres, Z up.
        fps: frame rate, frames per second.

    Returns:
        ``(T, J, 3)`` float32 positions, the path centred on x = y = 0.
    """
    pts = np.asarray(points, dtype=np.float32)
    path = smooth_path(pts.mean(axis=1), int(round(FOLLOW_SMOOTHING_S * fps)))
    out = pts.copy()
    out[..., :2] -= path[:, None, :2]
    return out


def side_points(checked: list[tuple]) -> tuple[list[np.ndarray], list[bool]]:
    """Points of several motions to stand side by side: a motion that travels more than
    :data:`LOCOMOTION_TRAVEL_M` is shown :func:`in_place`, so its slot is one body wide
    (a walk framed whole would leave every figure tiny); the others keep their paths.

    Returns:
        ``(points, moved)``: one ``(T, J, 3)`` array per motion, and whether each was
        put in place.
    """
    moved = [travel(c[0]) > LOCOMOTION_TRAVEL_M for c in checked]
    return [in_place(c[0], c[2]) if m else c[0] for c, m in zip(checked, moved)], moved


def running_max(values: np.ndarray, window: int) -> np.ndarray:
    """Largest value within ``window`` frames (centred) of each frame, per column.

    Args:
        values: ``(N, K)`` float values per frame.
        window: frames considered (``<= 1``: the values unchanged).

    Returns:
        ``(N, K)`` float array.
    """
    v = np.asarray(values, dtype=np.float64)
    half = max(int(window) // 2, 0)
    if half == 0 or len(v) < 2:
        return v.copy()
    padded = np.concatenate([np.repeat(v[:1], half, 0), v, np.repeat(v[-1:], half, 0)])
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * half + 1, axis=0)
    return windows.max(axis=-1)


def layout_offsets(points: list[np.ndarray], layout: str) -> list[np.ndarray]:
    """Per-motion ``(3,)`` offsets (Z-up frame, metres) for the chosen layout, the group
    centred on x=0; ``'side'`` and ``'paths'`` leave :data:`SIDE_GAP_M` between neighbours'
    x extents (of all frames: a path across x widens its slot)."""
    zero = np.zeros(3, dtype=np.float32)
    if layout == "overlay" or len(points) == 1:
        return [zero.copy() for _ in points]
    offsets = []
    cursor = 0.0
    for pts in points:
        lo, hi = float(pts[..., 0].min()), float(pts[..., 0].max())
        off = zero.copy()
        off[0] = cursor - lo
        offsets.append(off)
        cursor += (hi - lo) + SIDE_GAP_M
    total = cursor - SIDE_GAP_M
    for off in offsets:
        off[0] -= total / 2.0
    return offsets
