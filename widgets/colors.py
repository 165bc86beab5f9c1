"""Body-part colours shared by the skeleton view, the patch view and any legend.

One colour per body part, in ``PART_NAMES`` order (torso, left arm, right arm, left leg,
right leg), taken from the Okabe-Ito palette, which stays distinguishable under the common
forms of colour blindness. Left limbs are blues, right limbs are oranges, so "left" and
"right" read the same way in the 3D view and in the patch image's column blocks.

Source: M. Okabe and K. Ito, "Color Universal Design (CUD): how to make figures and
presentations that are friendly to colorblind people" (2008), palette of 8 colours.

Pure NumPy plus ``QColor`` helpers; no file access.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QColor

from motionlex.core.motion.skeleton import PART_NAMES

PART_COLORS_HEX: tuple[str, ...] = (
    "#009E73",  # torso: bluish green
    "#56B4E9",  # left arm: sky blue
    "#E69F00",  # right arm: orange
    "#0072B2",  # left leg: blue
    "#D55E00",  # right leg: vermillion
)
"""Hex colour of each body part, in ``PART_NAMES`` order."""

UNASSIGNED_HEX = "#BBBBBB"
"""Colour of joints and bones that belong to no body part (part index ``-1``)."""

ACCENT_HEX = "#CC79A7"
"""Okabe-Ito reddish purple: highlights that must not be confused with a body part."""

OVERLAY_TINTS_HEX: tuple[str, ...] = ("#F0E442", "#CC79A7", "#FFFFFF")
"""Okabe-Ito yellow, reddish purple (it reads as pink), then white: one colour per overlaid
motion after the first (which keeps its body-part colours), none of them a body part's
colour; cycled when more motions are overlaid."""

OVERLAY_TINT_NAMES: tuple[str, ...] = ("yellow", "pink", "white")
"""Plain names of :data:`OVERLAY_TINTS_HEX`, for legends and status messages."""

if len(PART_COLORS_HEX) != len(PART_NAMES):  # pragma: no cover - module consistency
    raise RuntimeError(f"{len(PART_COLORS_HEX)} part colours for {len(PART_NAMES)} parts")


def hex_to_rgbaf(hex_color: str, alpha: float = 1.0) -> tuple[float, float, float, float]:
    """Convert ``"#RRGGBB"`` to an ``(r, g, b, a)`` tuple of floats in ``[0, 1]``.

    Args:
        hex_color: colour as ``"#RRGGBB"``.
        alpha: opacity in ``[0, 1]``.

    Returns:
        ``(r, g, b, alpha)`` floats.

    Raises:
        ValueError: when ``hex_color`` is not ``#RRGGBB`` or ``alpha`` is outside ``[0, 1]``.
    """
    s = hex_color.strip()
    if len(s) != 7 or s[0] != "#":
        raise ValueError(f"expected a colour '#RRGGBB', got {hex_color!r}")
    try:
        r, g, b = (int(s[i : i + 2], 16) / 255.0 for i in (1, 3, 5))
    except ValueError as e:
        raise ValueError(f"expected a colour '#RRGGBB', got {hex_color!r}") from e
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in [0, 1], got {alpha}")
    return (r, g, b, float(alpha))


def part_qcolor(part: int) -> QColor:
    """``QColor`` of body part ``part`` (index into ``PART_NAMES``; ``-1`` = unassigned).

    Raises:
        ValueError: when ``part`` is not in ``[-1, len(PART_NAMES))``.
    """
    if not -1 <= part < len(PART_NAMES):
        raise ValueError(f"part index must be in [-1, {len(PART_NAMES)}), got {part}")
    return QColor(UNASSIGNED_HEX if part < 0 else PART_COLORS_HEX[part])


def part_rgba_table(alpha: float = 1.0) -> np.ndarray:
    """RGBA of every part plus the unassigned colour as the last row.

    Returns:
        ``(len(PART_NAMES) + 1, 4)`` float32 in ``[0, 1]``; row ``-1`` is unassigned,
        so ``table[part_of_joint]`` works with ``-1`` entries.
    """
    rows = [hex_to_rgbaf(h, alpha) for h in PART_COLORS_HEX] + [hex_to_rgbaf(UNASSIGNED_HEX, alpha)]
    return np.asarray(rows, dtype=np.float32)


def joint_colors(
    part_of_joint: np.ndarray | None, num_joints: int, alpha: float = 1.0
) -> np.ndarray:
    """Per-joint RGBA from each joint's body part.

    Args:
        part_of_joint: ``(J,)`` int part index per joint (``-1`` = none), e.g.
            ``Skeleton.part_of_joint()``; ``None`` colours every joint as unassigned.
        num_joints: ``J``.
        alpha: opacity in ``[0, 1]``.

    Returns:
        ``(J, 4)`` float32 in ``[0, 1]``.

    Raises:
        ValueError: when ``part_of_joint`` is not ``(J,)`` or holds an index outside
            ``[-1, len(PART_NAMES))``.
    """
    table = part_rgba_table(alpha)
    if part_of_joint is None:
        return np.repeat(table[-1:], num_joints, axis=0)
    parts = np.asarray(part_of_joint)
    if parts.shape != (num_joints,) or not np.issubdtype(parts.dtype, np.integer):
        raise ValueError(
            f"part_of_joint must be an int array of shape ({num_joints},), "
            f"got {parts.dtype} {parts.shape}"
        )
    if parts.size and (parts.min() < -1 or parts.max() >= len(PART_NAMES)):
        raise ValueError(
            f"part_of_joint values must be in [-1, {len(PART_NAMES)}), "
            f"got min {parts.min()} max {parts.max()}"
        )
    return table[parts]


def overlay_tint(index: int) -> str | None:
    """Colour ``"#RRGGBB"`` of the ``index``-th overlaid motion (0-based), or ``None`` for
    the first, which keeps its body-part colours.

    Raises:
        ValueError: on a negative ``index``.
    """
    if index < 0:
        raise ValueError(f"overlay index must be >= 0, got {index}")
    return None if index == 0 else OVERLAY_TINTS_HEX[(index - 1) % len(OVERLAY_TINTS_HEX)]


def overlay_colour_name(index: int) -> str:
    """Plain name of the ``index``-th overlaid motion's colour: ``"body-part colours"`` for
    the first, then :data:`OVERLAY_TINT_NAMES` cycled (see :func:`overlay_tint`)."""
    if overlay_tint(index) is None:
        return "body-part colours"
    return OVERLAY_TINT_NAMES[(index - 1) % len(OVERLAY_TINT_NAMES)]


def overlay_label_hex(index: int) -> str:
    """Colour ``"#RRGGBB"`` of the ``index``-th overlaid motion's label: its tint, and for
    the first (drawn in body-part colours, see :func:`overlay_tint`) the torso's colour, so
    every overlaid label names its body by colour and no two labels share one.

    Raises:
        ValueError: on a negative ``index``.
    """
    tint = overlay_tint(index)
    return PART_COLORS_HEX[0] if tint is None else tint


def bone_colors(bones: np.ndarray, joint_rgba: np.ndarray) -> np.ndarray:
    """Per-vertex RGBA for ``GLLinePlotItem(mode='lines')`` drawing of bones.

    A bone takes the colour of its child joint (the second of its pair), so the bone from
    the chest to the left collar is drawn as left arm.

    Args:
        bones: ``(B, 2)`` int ``(parent, child)`` joint pairs.
        joint_rgba: ``(J, 4)`` float per-joint colours (see :func:`joint_colors`).

    Returns:
        ``(2 * B, 4)`` float32, one row per line vertex.
    """
    child = np.asarray(bones)[:, 1]
    return np.repeat(joint_rgba[child], 2, axis=0).astype(np.float32)
