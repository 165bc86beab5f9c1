"""Zero-shot classification metrics: top-k accuracy and confusion matrix (NumPy only).

Source: Yu et al., CVPR 2024, Sec. 5.2 (BABEL-60 Top-1/Top-5).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from motionlex.core.retrieval.metrics import _as_scores, _check_ks, rank_of_first_positive


def classification_metrics(
    scores: np.ndarray, labels: np.ndarray, ks: Sequence[int] = (1, 5)
) -> dict[str, float]:
    """Top-k accuracy in percent of zero-shot classification (motion vs class prompts).

    A sample is correct at ``k`` when its true class's fair rank (see
    :func:`rank_of_first_positive`) is ``<= k``: a true class tied with one other class at
    the top has rank 1.5 and counts in top-2, not top-1.

    Args:
        scores: ``(N, C)`` float, e.g. cosine of each motion to each class prompt.
        labels: ``(N,)`` integer classes in ``[0, C)``.
        ks: cut-offs, each ``<= C``.

    Returns:
        ``{"top1": ..., "top5": ...}`` (keys follow ``ks``).

    Raises:
        ValueError: on shape mismatch, labels out of range or not integer, or ``k > C``.

    Source: Yu et al., CVPR 2024, Sec. 5.2 (BABEL-60 Top-1/Top-5).
    """
    s = _as_scores(scores, "scores")
    n, c = s.shape
    y = _check_labels(labels, "labels", n, c)
    ks = _check_ks(ks)
    if max(ks) > c:
        raise ValueError(f"every k must be <= number of classes {c}, got ks={ks}")
    onehot = np.zeros((n, c), dtype=bool)
    onehot[np.arange(n), y] = True
    ranks = rank_of_first_positive(s, onehot)
    return {f"top{k}": 100.0 * float(np.count_nonzero(ranks <= k)) / n for k in ks}


def _check_labels(labels: object, name: str, n: int | None, c: int) -> np.ndarray:
    """Return ``labels`` as ``(n,)`` int64 in ``[0, c)`` (any length when ``n`` is None)."""
    y = np.asarray(labels)
    n = y.shape[0] if n is None and y.ndim == 1 else n
    if y.shape != (n,) or y.dtype == bool or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"{name} must be ({n},) integers, got shape {y.shape} dtype {y.dtype}")
    if y.size and (y.min() < 0 or y.max() >= c):
        raise ValueError(f"{name} must lie in [0, {c}), got range [{y.min()}, {y.max()}]")
    return y.astype(np.int64)


def confusion_matrix(pred: np.ndarray, labels: np.ndarray, num_classes: int) -> np.ndarray:
    """``(C, C)`` int64 counts: row = true label, column = predicted class (sklearn's layout).

    ``pred`` is typically ``scores.argmax(axis=1)`` (ties go to the lowest class index).

    Raises:
        ValueError: if ``num_classes < 1``, shapes differ, or values are not integers in
            ``[0, num_classes)``.
    """
    if num_classes < 1:
        raise ValueError(f"num_classes must be >= 1, got {num_classes}")
    y = _check_labels(labels, "labels", None, num_classes)
    p = _check_labels(pred, "pred", y.shape[0], num_classes)
    flat = np.bincount(y * num_classes + p, minlength=num_classes * num_classes)
    return flat.reshape(num_classes, num_classes).astype(np.int64)
