"""Reports: the evaluation's Markdown tables and PNG figures (matplotlib, no Qt, no torch).

- :func:`markdown_report`: ``motionlex evaluate``'s ``metrics.md``.
- :func:`save_recall_curves`, :func:`save_car_chart`, :func:`save_confusion`: its figures.
- :func:`save_patch_figure`, :func:`patch_image_rgb`: motion-patch images.

The patch image is shown as the papers show it (Yu et al., CVPR 2024, Fig. 4): the x, y, z
coordinates of the 80 sample points as R, G, B, frames as rows, one labelled column block
per body part.
"""

from __future__ import annotations

import json
import math
import textwrap
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from motionlex.core.atomic import atomic_file
from motionlex.core.motion.skeleton import PART_NAMES
from motionlex.core.patches import PATCH_LEN, POINTS_PER_PART
from motionlex.core.retrieval.metrics import CAR_SETTINGS, DEFAULT_KS, SIMILARITIES
from motionlex.core.wording import count

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


_PROTOCOL_LABELS = {"All": "All", "AllFirst": "All, first caption",
                    "SmallBatches": "Small batches ({b})", "Threshold": "Threshold {t:g}"}


_COLUMNS = tuple(f"R@{k}" for k in DEFAULT_KS) + ("MedR",)


def _cell(metrics: dict[str, float], key: str) -> str:
    v = metrics.get(key)
    return "-" if v is None else f"{v:.2f}"


def protocol_legend(metrics: dict[str, float], cfg: Any) -> str:
    """One paragraph saying which captions and motions each retrieval protocol of the
    report uses (Yu et al., CVPR 2024, Sec. 4.2; TMR's protocols), with the counts here."""
    n = int(metrics.get("n/motions", 0))
    parts = ["Protocols: All queries with every caption (a motion's identical captions are "
             "one positive); All, first caption with each motion's first caption (the papers' "
             "test protocol)"]
    if "t2m/SmallBatches/dense/R@1" in metrics or "t2m/SmallBatches/fused/R@1" in metrics:
        b = int(cfg.small_batch_size)
        parts.append(f"Small batches ({b}) with first captions in seeded batches of {b}, "
                     f"averaged, the remainder dropped ({n // b * b} of {n} motions)")
    if any(k.startswith("t2m/Threshold/") for k in metrics):
        parts.append(f"Threshold {cfg.threshold:g} with first captions, a motion also "
                     f"counting when its caption's sentence similarity to the query's is at "
                     f"least {cfg.threshold:g} on TMR's (cos + 1) / 2 scale (cosine "
                     f"{2 * cfg.threshold - 1:g})")
    return "; ".join(parts) + "."


def markdown_report(metrics: dict[str, float], info: dict[str, Any], cfg: Any) -> str:
    """The Markdown report: retrieval tables in the layout of Yu et al. (CVPR 2024, Tables
    2-3; rows = similarity x protocol, columns R@1 R@2 R@3 R@5 R@10 MedR, one table per
    direction), CAR in the layout of Fujiwara et al. (ECCV 2024, Table 1), then the
    composed chronology test, side accuracy, the lexical word metrics, cross-skeleton
    agreement and zero-shot accuracy.

    Args:
        metrics: the flat metrics of :func:`evaluate`.
        info: ``checkpoint``, ``data``, ``split``, ``notes``.
        cfg: the :class:`.evaluate.EvalConfig` (protocol labels, shuffles, prompt).
    """
    lines = ["# motionlex evaluation", "",
             f"- checkpoint: `{info['checkpoint']}`",
             f"- data: `{info['data']}` [{info['split']}]: "
             f"{count(metrics['n/texts'], 'caption')}, {count(metrics['n/motions'], 'motion')}"]
    lines += [f"- {n}" for n in info.get("notes", [])]
    lines += ["", protocol_legend(metrics, cfg)]
    head = "| Similarity | Protocol | " + " | ".join(_COLUMNS) + " |"
    rule = "|---|---|" + "---:|" * len(_COLUMNS)
    for d, title in (("t2m", "Text-to-motion"), ("m2t", "Motion-to-text")):
        lines += ["", f"## {title} retrieval", "", head, rule]
        for sim in SIMILARITIES:
            for proto, label in _PROTOCOL_LABELS.items():
                if f"{d}/{proto}/{sim}/R@1" not in metrics:
                    continue
                label = label.format(b=cfg.small_batch_size, t=cfg.threshold)
                cells = " | ".join(_cell(metrics, f"{d}/{proto}/{sim}/{c}") for c in _COLUMNS)
                lines.append(f"| {sim} | {label} | {cells} |")
    if "CAR/n" in metrics:
        cols = ("R@1", "R@5", "R@10", "MedR")
        lines += ["", "## Chronologically accurate retrieval (CAR)", "",
                  f"{int(metrics['CAR/n'])} multi-event captions "
                  f"({int(metrics.get('CAR/n_captions', 0))} from the data, "
                  f"{int(metrics['CAR/n'] - metrics.get('CAR/n_captions', 0))} composed), "
                  f"{cfg.car_shuffles} shuffled version(s) each, added to the motion-to-text "
                  f"gallery; chance CAR {metrics['CAR/chance']:.1f} %.", "",
                  "| Similarity | " + " | ".join(
                      f"{s} {c}" for s in CAR_SETTINGS for c in cols + ("CAR",)) + " |",
                  "|---|" + "---:|" * (2 * len(cols) + 2)]
        for sim in SIMILARITIES:
            cells = [_cell(metrics, f"m2t/CAR-{s}/{sim}/{c}") if c != "CAR"
                     else _cell(metrics, f"CAR/{s}/{sim}")
                     for s in CAR_SETTINGS for c in cols + ("CAR",)]
            lines.append(f"| {sim} | " + " | ".join(cells) + " |")
        if "CAR/first/n" in metrics:
            per = "; ".join(f"{s} " + " / ".join(_cell(metrics, f"CAR/first/{s}/{sim}")
                                                  for sim in SIMILARITIES)
                            for s in CAR_SETTINGS)
            lines += ["", f"The papers' CAR set (each motion's first caption, from the data, "
                          f"as Fujiwara et al. Sec. 3.3 test): "
                          f"{int(metrics['CAR/first/n'])} captions, chance "
                          f"{metrics['CAR/first/chance']:.1f} %; CAR "
                          f"({' / '.join(SIMILARITIES)}): {per}."]
    if "chronology/n" in metrics:
        lines += ["", "## Chronology test on composed clips", "",
                  f"{int(metrics['chronology/n'])} pairs; percent passed (chance 50 %).", "",
                  "| Similarity | text side: the motion picks its true-order caption | "
                  "motion side: the caption picks its true-order clip | both |",
                  "|---|---:|---:|---:|"]
        for sim in SIMILARITIES:
            cells = [_cell(metrics, f"chronology/{t}/{sim}") for t in ("text", "motion", "both")]
            lines.append(f"| {sim} | " + " | ".join(cells) + " |")
    if "synthetic_chronology/n" in metrics:
        lines += ["", "## Synthetic chronology test (procedural SMPL-22 motions)", "",
                  f"{int(metrics['synthetic_chronology/n'])} pairs from "
                  "`motionlex.core.data.demo.gallery.chronology_pairs`; percent passed "
                  "(chance 50 %).", "",
                  "| Similarity | text side: the motion picks its true-order caption | "
                  "motion side: the caption picks its true-order motion | both |",
                  "|---|---:|---:|---:|"]
        for sim in SIMILARITIES:
            cells = [_cell(metrics, f"synthetic_chronology/{t}/{sim}")
                     for t in ("text", "motion", "both")]
            lines.append(f"| {sim} | " + " | ".join(cells) + " |")
    lines += _trust_sections(metrics)
    if "zero-shot/n" in metrics:
        keys = sorted({k.rsplit("/", 1)[1] for k in metrics if k.startswith("zero-shot/dense/")})
        lines += ["", "## Zero-shot action classification", "",
                  f"{int(metrics['zero-shot/n'])} motions, "
                  f"{int(metrics['zero-shot/classes'])} classes, prompt `{cfg.prompt}`.", "",
                  "| Similarity | " + " | ".join(keys) + " |", "|---|" + "---:|" * len(keys)]
        for sim in SIMILARITIES:
            cells = [_cell(metrics, f"zero-shot/{sim}/{k}") for k in keys]
            lines.append(f"| {sim} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _trust_sections(metrics: dict[str, float]) -> list[str]:
    """Markdown of side accuracy, word metrics and cross-skeleton agreement (when measured)."""
    lines: list[str] = []
    if "side/text/n" in metrics:
        lines += ["", "## Side accuracy", "",
                  f"{int(metrics['side/text/n'])} captions that name a side; percent passed "
                  "(chance 50 %, a tie fails).", "",
                  "| Similarity | motion: caption vs side-swapped caption | caption: motion vs "
                  "mirrored motion |", "|---|---:|---:|"]
        for sim in SIMILARITIES:
            lines.append(f"| {sim} | {_cell(metrics, f'side/text/{sim}')} | "
                         f"{_cell(metrics, f'side/motion/{sim}')} |")
    if "words/n_motions" in metrics:
        lines += ["", "## Lexical words", "",
                  "| Measure | Value | Items |", "|---|---:|---:|",
                  f"| word precision@10 (motion's 10 heaviest words that are its captions' "
                  f"content lemmas) | {_cell(metrics, 'words/precision@10')} | "
                  f"{int(metrics['words/n_motions'])} motions |",
                  f"| query word recall@10 (caption's content lemmas among its 10 heaviest "
                  f"words) | {_cell(metrics, 'words/query_recall@10')} | "
                  f"{int(metrics['words/n_queries'])} captions |"]
    if "xskel/n" in metrics:
        lines += ["", "## Cross-skeleton agreement (native BVH vs its SMPL-22 conversion)", "",
                  f"{int(metrics['xskel/n'])} takes; dense motion-to-motion similarity; the "
                  "gallery of R@1 and MedR holds the split's motions, every conversion and "
                  "every other BVH take (a take nearer another take of its skeleton than its "
                  "own conversion is a miss). \"Own "
                  "conversion left out\" and npy action@5 count the "
                  f"{int(metrics.get('xskel/action@5/others/n', metrics['xskel/n']))} takes whose "
                  "action has another motion in the gallery.", "",
                  "| BVH -> npy R@1 | npy -> BVH R@1 | mutual @1 | BVH -> npy MedR | cosine | "
                  "BVH action@5 | BVH action@5, own conversion left out | npy action@5 |",
                  "|" + "---:|" * 8,
                  "| " + " | ".join(_cell(metrics, f"xskel/{k}") for k in (
                      "bvh->npy/R@1", "npy->bvh/R@1", "mutual@1", "bvh->npy/MedR", "cosine",
                      "action@5", "action@5/others", "npy_action@5")) + " |"]
    return lines


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


def write_text(path: Path, text: str) -> Path:
    """Write ``text`` atomically (temporary file in the same folder, then rename)."""
    with atomic_file(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path


def write_json(path: Path, value: Any) -> Path:
    """Write ``value`` as indented JSON atomically (non-finite floats become null)."""
    clean = {k: (None if isinstance(v, float) and not math.isfinite(v) else v)
             for k, v in value.items()} if isinstance(value, dict) else value
    return write_text(path, json.dumps(clean, indent=1, default=str) + "\n")


REPORT_FILES = ("metrics.json", "evaluation.json", "metrics.md", "recall_at_k.png", "car.png",
                "zero_shot.json", "confusion_*.png")
"""Names (glob patterns) of the files an evaluation writes into its output folder."""


def remove_stale_reports(out_dir: Path, written: Sequence[Path]) -> list[Path]:
    """Delete report files (:data:`REPORT_FILES`) in ``out_dir`` that this evaluation did not
    write: an earlier run's confusion matrices or CAR chart must not pass for this run's.
    Other files in the folder are left alone.

    Returns:
        The files removed.
    """
    keep = {Path(p).resolve() for p in written}
    stale = sorted({p for pattern in REPORT_FILES for p in Path(out_dir).glob(pattern)
                    if p.is_file() and p.resolve() not in keep})
    for p in stale:
        p.unlink()
    return stale
