"""Figures: the evaluation's PNG charts and motion-patch images (matplotlib, no Qt, no torch).

- :func:`save_recall_curves`, :func:`save_car_chart`, :func:`save_confusion`: the figures
  ``motionlex evaluate`` writes beside its ``metrics.md`` (:mod:`.report`).
- :func:`save_patch_figure`, :func:`patch_image_rgb`: motion-patch images.
- :func:`save_figure`: any matplotlib figure, written atomically.

The patch image is shown as the papers show it (Yu et al., CVPR 2024, Fig. 4): the x, y, z
coordinates of the 80 sample points as R, G, B, frames as rows, one labelled column block
per body part.
"""

from __future__ import annotations

import textwrap
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from motionlex.core.atomic import atomic_file
from motionlex.core.motion.skeleton import PART_NAMES
from motionlex.core.patches import PATCH_LEN, POINTS_PER_PART
from motionlex.core.retrieval.metrics import CAR_SETTINGS, SIMILARITIES

MAX_TITLE_LINES = 6
"""Lines of a patch figure's title (wrapped at 72 characters); a longer one is cut with "…"."""


def save_figure(fig: Any, path: Path) -> Path:
    """Save a matplotlib figure atomically (nothing half-written) and close it, in the format
    its suffix names (PNG without one).

    Returns:
        ``path``.

    Raises:
        ValueError: a suffix matplotlib cannot write (the supported ones named).
        IsADirectoryError: ``path`` is a folder.
    """
    import matplotlib.pyplot as plt

    try:
        with atomic_file(path) as tmp:  # refuses a folder first
            fmt = path.suffix.lower().lstrip(".") or "png"
            supported = fig.canvas.get_supported_filetypes()
            if fmt not in supported:
                raise ValueError(f"{path}: cannot write .{fmt} figures; use one of "
                                 f"{', '.join('.' + k for k in sorted(supported))}")
            fig.savefig(tmp, format=fmt)
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
    lines = [w for ln in (title or "motion patches (x, y, z as R, G, B)").splitlines()
             for w in textwrap.wrap(ln, 72, break_long_words=True) or [""]]
    if len(lines) > MAX_TITLE_LINES:  # a title longer than the figure: cut, visibly
        lines = lines[:MAX_TITLE_LINES - 1] + [lines[MAX_TITLE_LINES - 1][:71] + "\u2026"]
    ax.set_title("\n".join(lines), fontsize=9)
    with warnings.catch_warnings():  # a character the font lacks (an emoji) is drawn as a
        warnings.filterwarnings("ignore", "Glyph .* missing from font")  # box: no warning
        fig.tight_layout()
        return save_figure(fig, Path(path))


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def chance_recall(num_positives: np.ndarray, gallery: int, max_k: int) -> np.ndarray:
    """Expected R@k (percent) of a random ranking, k = 1..max_k.

    A query with ``p`` positives among ``G`` items has no positive in its top ``k`` with
    probability ``C(G - p, k) / C(G, k) = prod_{i<k} (G - p - i) / (G - i)``
    (hypergeometric); the curve is one minus its mean over queries.

    Args:
        num_positives: ``(Q,)`` int positives per query (>= 1).
        gallery: ``G``. max_k: largest ``k`` (<= ``G``).

    Returns:
        ``(max_k,)`` float64.
    """
    p = np.asarray(num_positives, np.float64)
    miss = np.ones_like(p)
    out = np.empty(max_k)
    for i in range(max_k):
        miss *= np.clip(gallery - p - i, 0, None) / (gallery - i)
        out[i] = 100.0 * (1.0 - miss.mean())
    return out


def save_recall_curves(ranks: dict[str, np.ndarray], path: str | Path, max_k: int,
                       positives: np.ndarray) -> Path:
    """Recall@k (percent) against k = 1..min(max_k, gallery) on a log axis (the k of R@1,
    R@2, R@3, R@5 apart, where models differ), one panel per direction.

    Args:
        ranks: ``{"t2m/<sim>": (Q,) ranks, "m2t/<sim>": ...}`` (protocol All).
        path: output PNG.
        max_k: largest k drawn.
        positives: ``(N_text, N_motion)`` bool All-protocol positives (for the gallery
            sizes and the chance curve, :func:`chance_recall`).
    """
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), dpi=110, sharey=True)
    titles = {"t2m": "text-to-motion", "m2t": "motion-to-text"}
    for ax, d in zip(axes, ("t2m", "m2t")):
        pos = positives if d == "t2m" else positives.T
        gallery = pos.shape[1]
        kmax = max(1, min(max_k, gallery))
        ks = np.arange(1, kmax + 1)
        for sim in SIMILARITIES:
            r = ranks[f"{d}/{sim}"]
            ax.plot(ks, [100.0 * np.mean(r <= k) for k in ks], label=sim, lw=1.8)
        ax.plot(ks, chance_recall(pos.sum(axis=1), gallery, kmax), "k:", lw=1,
                label="chance")
        ax.set_xlabel("k (log scale)" if kmax > 1 else "k")
        ax.set_title(f"{titles[d]} (All, gallery {gallery})", fontsize=10)
        if kmax > 1:  # log k: the small k where models differ get the room, not k 10-50
            ax.set_xscale("log")
            ax.set_xlim(1, kmax)
            ticks = [k for k in (1, 2, 3, 5, 10, 20, 50, 100, 200, 500, 1000) if k <= kmax]
            ax.set_xticks(ticks, [str(k) for k in ticks])
            ax.xaxis.set_minor_locator(plt.NullLocator())
        else:  # a gallery of one motion: one k (equal limits warn)
            ax.set_xlim(0.5, 1.5)
            ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))  # k is a count
        ax.set_ylim(0, 100)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("recall@k (%)")
    axes[1].legend(loc="lower right")
    fig.tight_layout()
    return save_figure(fig, Path(path))


def save_car_chart(metrics: dict[str, float], path: str | Path) -> Path:
    """Bar chart of CAR accuracy (both settings) and the composed chronology tests (percent)."""
    plt = _pyplot()
    groups = [(f"CAR {s}", f"CAR/{s}/{{}}", metrics.get("CAR/chance")) for s in CAR_SETTINGS]
    groups += [("composed: shuffled\ncaption", "chronology/text/{}", 50.0),
               ("composed: shuffled\nclips", "chronology/motion/{}", 50.0)]
    groups = [g for g in groups if g[1].format("dense") in metrics]
    fig, ax = plt.subplots(figsize=(max(5.0, 2.0 * len(groups)), 4), dpi=110)
    width = 0.8 / len(SIMILARITIES)
    for j, sim in enumerate(SIMILARITIES):
        vals = [metrics[key.format(sim)] for _, key, _ in groups]
        bars = ax.bar(np.arange(len(groups)) + (j - 1) * width, vals, width, label=sim)
        ax.bar_label(bars, fmt="%.0f", fontsize=7)
    for i, (_, _, chance) in enumerate(groups):
        if chance is not None:
            ax.hlines(chance, i - 0.45, i + 0.45, colors="k", linestyles=":", lw=1)
    ax.set_xticks(np.arange(len(groups)), [g[0] for g in groups], fontsize=8)
    ax.set_ylabel("accuracy (%)")
    ax.set_ylim(0, 118)
    ax.set_yticks(range(0, 101, 20))
    n = [f"CAR n={int(metrics['CAR/n'])}" if "CAR/n" in metrics else "",
         f"composed n={int(metrics['chronology/n'])}" if "chronology/n" in metrics else ""]
    ax.set_title("chronology (dotted: chance)  " + ", ".join(x for x in n if x), fontsize=10)
    ax.legend(fontsize=8, loc="upper right", ncol=3)
    fig.tight_layout()
    return save_figure(fig, Path(path))


def save_confusion(matrix: np.ndarray, classes: Sequence[str], path: str | Path,
                   title: str = "") -> Path:
    """Confusion-matrix PNG: rows = true action, columns = predicted action, counts."""
    plt = _pyplot()
    c = len(classes)
    size = min(14.0, 3.0 + 0.35 * c)
    fig, ax = plt.subplots(figsize=(size + 1.0, size), dpi=110)
    im = ax.imshow(matrix, cmap="Blues", interpolation="nearest")
    ax.set_xticks(range(c), classes, rotation=60, ha="right", fontsize=7)
    ax.set_yticks(range(c), classes, fontsize=7)
    ax.set_xlabel("predicted action")
    ax.set_ylabel("true action")
    if c <= 30:
        top = max(1, int(matrix.max()))
        for (i, j), v in np.ndenumerate(matrix):
            if v:
                ax.text(j, i, str(v), ha="center", va="center", fontsize=7,
                        color="white" if v > top / 2 else "black")
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04, label="motions")
    ax.set_title(title or "zero-shot confusion matrix", fontsize=10)
    fig.tight_layout()
    return save_figure(fig, Path(path))
