"""Fusion of dense and lexical similarity, and the one reader of its weight.

``fused = w * dense + (1 - w) * lexical / max(lexical)`` per query; ``w`` (the dense weight)
is chosen on the validation split (:func:`choose_fusion_weight`) and recorded in a
checkpoint's ``val_metrics.json``, which :func:`checkpoint_fusion_weight` reads for
``motionlex index``, ``motionlex evaluate`` and the explorer alike.

Source: ours, not from the papers (Lyu et al., ICLR 2025, report dense and lexical retrieval
separately; none of the three fuses them): a convex combination of the dense cosine and the
per-query max-normalised lexical score, the weight chosen on validation.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import numpy as np

from motionlex.core.retrieval.metrics import _as_scores, bidirectional_metrics

logger = logging.getLogger(__name__)

DEFAULT_FUSION_WEIGHT = 0.5
"""Dense weight of fused scores when no validation run recorded one."""

VAL_METRICS_FILE = "val_metrics.json"
"""A model folder's (and a training run's) record of the chosen step's validation figures,
with its fusion weight: written by training, read here, by ``compare`` and ``motionlex train``."""


def check_fusion_weight(weight: object) -> float:
    """The dense weight of fused scores as a float in ``[0, 1]``.

    Args:
        weight: a number (a numeric string such as ``"0.5"`` is read as one).

    Raises:
        TypeError: not a number (``None``, a list, ``True``).
        ValueError: outside ``[0, 1]`` or NaN, or a string that is no number.
    """
    if isinstance(weight, bool | np.bool_) or not isinstance(
            weight, int | float | str | np.integer | np.floating):
        raise TypeError(f"fusion weight must be a number in [0, 1], got "
                        f"{type(weight).__name__} {weight!r:.40}")
    try:
        w = float(weight)
    except ValueError:
        raise ValueError(f"fusion weight must be a number in [0, 1], got {weight!r:.40}") from None
    if not 0.0 <= w <= 1.0:
        raise ValueError(f"fusion weight must be in [0, 1], got {weight}")
    return w


def normalize_lexical(lexical: np.ndarray, axis: int = 1) -> np.ndarray:
    """Divide each query's lexical scores by that query's maximum, into ``[0, 1]``.

    Lexical (SPLADE) scores are non-negative and unbounded; a per-query max only rescales
    a query's scores, so the lexical ranking is unchanged, and it needs nothing but the
    query's own scores (usable at query time). A query whose scores are all 0 stays 0.

    Args:
        lexical: ``(N_text, N_motion)`` float, ``>= 0``.
        axis: the gallery axis: 1 when texts are the queries (t2m), 0 for m2t.

    Returns:
        Same shape, in ``[0, 1]``: each query's row (``axis=1``) or column (``axis=0``)
        divided by its maximum; float16/32/64 kept, integers become float64.

    Raises:
        ValueError: on a non-2-D array, negative scores, or ``axis`` not 0 or 1.

    Source: ours (module doc).
    """
    lex = _as_scores(lexical, "lexical")
    if axis not in (0, 1):
        raise ValueError(f"axis must be 0 or 1, got {axis}")
    if (lex < 0).any():
        raise ValueError(f"lexical scores must be >= 0 (sparse dot products), min {lex.min()}")
    top = lex.max(axis=axis, keepdims=True)
    return lex / np.where(top > 0, top, 1)


def fuse(dense: np.ndarray, lexical: np.ndarray, weight: float, *, axis: int = 1) -> np.ndarray:
    """Hybrid score ``weight * dense + (1 - weight) * normalize_lexical(lexical, axis)``.

    Args:
        dense: ``(N_text, N_motion)`` cosine similarities.
        lexical: same shape, non-negative lexical scores.
        weight: in ``[0, 1]``; 1 = dense only, 0 = lexical only.
        axis: gallery axis of the queries (1 for t2m, 0 for m2t; see :func:`normalize_lexical`).

    Returns:
        Same shape, dtype ``result_type(dense, lexical, float32)``.

    Raises:
        ValueError: on shape mismatch, ``weight`` outside ``[0, 1]``, or bad ``lexical``.

    Source: ours (module doc).
    """
    d = _as_scores(dense, "dense")
    lex = normalize_lexical(lexical, axis)
    if lex.shape != d.shape:
        raise ValueError(f"lexical must have dense's shape {d.shape}, got {lex.shape}")
    if not 0.0 <= float(weight) <= 1.0:
        raise ValueError(f"weight must be in [0, 1], got {weight}")
    dtype = np.result_type(d.dtype, lex.dtype, np.float32)
    return (weight * d.astype(dtype) + (1.0 - weight) * lex.astype(dtype)).astype(dtype)


def choose_fusion_weight(
    dense_val: np.ndarray,
    lexical_val: np.ndarray,
    positives: np.ndarray,
    grid: Sequence[float] | None = None,
    *,
    direction: Literal["t2m", "m2t", "both"] = "t2m",
) -> float:
    """Fusion weight maximising ``mean(R@1, R@5, R@10)`` on the validation split.

    The criterion is averaged over the chosen direction(s); on a tie the weight nearest
    0.5 (an even mix) wins, then the smaller one (default grid ``0, 0.05, ..., 1``). A
    saturated validation set (every query right at R@1) ties every weight: it once chose
    0.0, lexical only, which index, search and evaluate then used by default.

    Args:
        dense_val / lexical_val: ``(N_text, N_motion)`` validation similarities.
        positives: ``(N_text, N_motion)`` bool, e.g. from :func:`caption_positives`.
        grid: candidate weights in ``[0, 1]``.
        direction: ``"t2m"``, ``"m2t"`` or ``"both"``.

    Returns:
        The chosen weight, a float in ``[0, 1]``.

    Raises:
        ValueError: on an empty grid, unknown direction, or as :func:`fuse`.

    Source: ours (module doc).
    """
    # the default grid as the decimals it means (linspace gives 0.7000000000000001)
    weights = (np.round(np.linspace(0.0, 1.0, 21), 2) if grid is None
               else np.asarray(grid, dtype=np.float64))
    if weights.ndim != 1 or weights.size == 0:
        raise ValueError(f"grid must be a non-empty 1-D sequence, got shape {weights.shape}")
    dirs = {"t2m": ("t2m",), "m2t": ("m2t",), "both": ("t2m", "m2t")}.get(direction)
    if dirs is None:
        raise ValueError(f"direction must be 't2m', 'm2t' or 'both', got {direction!r}")
    scores = []
    for w in weights:
        res = bidirectional_metrics(
            fuse(dense_val, lexical_val, float(w), axis=1),
            positives,
            sim_m2t=fuse(dense_val, lexical_val, float(w), axis=0) if "m2t" in dirs else None,
            ks=(1, 5, 10),
        )
        scores.append(np.mean([res[d][f"R@{k}"] for d in dirs for k in (1, 5, 10)]))
        logger.debug("fusion weight %.3f: criterion %.3f", w, scores[-1])
    top = np.flatnonzero(np.isclose(scores, np.max(scores), rtol=0.0, atol=1e-9))
    best = int(min(top, key=lambda i: (abs(weights[i] - 0.5), weights[i])))
    logger.info("chosen fusion weight %.3f (criterion %.3f)", weights[best], scores[best])
    return float(weights[best])


def checkpoint_fusion_weight(checkpoint: str | os.PathLike) -> float | None:
    """The fusion weight recorded in a checkpoint's ``val_metrics.json``, if any.

    Looks for the keys ``fusion_weight`` and ``fusion/weight``.

    Returns:
        The weight, or None when the file is absent, unreadable or not a JSON object (a
        warning is logged for an unreadable file), the key is absent, or the value is not
        a number in [0, 1] (a string such as ``"0.6"`` is not read as one).
    """
    path = Path(checkpoint) / VAL_METRICS_FILE
    if not path.is_file():
        return None
    try:
        metrics = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        logger.warning("%s: unreadable, fusion weight not taken from it", path)
        return None
    for key in ("fusion_weight", "fusion/weight"):
        value = metrics.get(key) if isinstance(metrics, dict) else None
        if isinstance(value, (int, float)) and 0.0 <= float(value) <= 1.0:
            return float(value)
    return None
