"""Retrieval metrics on NumPy similarity matrices (no model involved).

Conventions used by every function here:

- A similarity matrix ``sim`` is ``(N_text, N_motion)``: ``sim[i, j]`` scores text ``i``
  against motion ``j`` (higher = more similar). Text-to-motion (``"t2m"``) ranks each row;
  motion-to-text (``"m2t"``) ranks each column, i.e. the rows of ``sim.T``. Two-direction
  functions return ``{"t2m": {...}, "m2t": {...}}``; the protocols built on them (All,
  Small batches, Threshold, zero-shot) are :mod:`.protocols`, CAR :mod:`.chronology`, side
  accuracy :mod:`.side`, the word metrics :mod:`.word_protocol`.
- Pairwise preferences (CAR, side accuracy) are one function, :func:`preference_accuracy`;
  word precision/recall@k, on word lists, live with the word protocol
  (:mod:`.word_protocol`). Zero-shot classification metrics are :mod:`.classification`.
- ``positives`` is a bool matrix of the same shape as the similarity it goes with.
- Ranks are 1-based and may be fractional because of fair tie handling (see
  :func:`rank_of_first_positive`). ``R@k`` is the percentage of queries with rank ``<= k``;
  ``MedR`` is the median rank (mean of the two middle values for an even count).
  Values are not rounded (TMR rounds to 2 decimals for display only).
- Float inputs may be float16/32/64 (integers are accepted and cast); NaN is rejected.

Source: Petrovich et al., TMR (ICCV 2023), ``Mathux/TMR/src/model/metrics.py`` and
``Mathux/TMR/retrieval.py``; protocols of Yu et al., Motion Patches (CVPR 2024), Sec. 4.2;
CAR of Fujiwara et al. (ECCV 2024), Sec. 3 Eq. (2) and Table 1.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

import numpy as np

logger = logging.getLogger(__name__)


DEFAULT_KS: tuple[int, ...] = (1, 2, 3, 5, 10)
"""The recall cut-offs reported by TMR and Motion Patches."""

SIMILARITIES = ("dense", "lexical", "fused")
"""The similarities every retrieval number is reported for (:func:`.protocols.scored`)."""

CAR_SETTINGS = ("orig->event", "event->event")
"""The two CAR settings (:func:`.chronology.car_report`)."""


_CHUNK_ROWS = 1024  # rows ranked at once: bounds temporary memory to ~1024 x G elements


def _as_scores(x: object, name: str, ndim: int = 2) -> np.ndarray:
    """Return ``x`` as a float array of ``ndim`` dims (float16/32/64 kept, ints -> float64)."""
    arr = np.asarray(x)
    if arr.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dims, got shape {arr.shape}")
    if arr.dtype == bool or not (
        np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer)
    ):
        raise ValueError(f"{name} must be a real float array, got dtype {arr.dtype}")
    if not np.issubdtype(arr.dtype, np.floating):
        arr = arr.astype(np.float64)
    if np.isnan(arr).any():
        bad = np.argwhere(np.isnan(arr))[0].tolist()
        raise ValueError(f"{name} contains NaN (first at index {bad})")
    return arr


def _as_mask(x: object, name: str, shape: tuple[int, ...]) -> np.ndarray:
    """Return ``x`` as a bool array of exactly ``shape`` (0/1 integers are accepted)."""
    arr = np.asarray(x)
    if arr.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {arr.shape}")
    if arr.dtype != bool:
        if not np.issubdtype(arr.dtype, np.integer) or not np.isin(arr, (0, 1)).all():
            raise ValueError(f"{name} must be bool (or 0/1 integers), got dtype {arr.dtype}")
        arr = arr.astype(bool)
    return arr


def _check_ks(ks: Sequence[int]) -> tuple[int, ...]:
    ks = tuple(ks)
    if not ks or any(isinstance(k, bool) or int(k) != k or k < 1 for k in ks):
        raise ValueError(f"ks must be a non-empty sequence of integers >= 1, got {ks}")
    return tuple(int(k) for k in ks)


def rank_of_first_positive(sim: np.ndarray, positives: np.ndarray) -> np.ndarray:
    """1-based rank of the best-scoring positive of each query, with fair tie handling.

    Let ``b`` be the highest score among row ``q``'s positives, ``A`` the number of gallery
    items scoring strictly above ``b`` (all negatives, by definition of ``b``), and ``n`` /
    ``p`` the numbers of negatives / positives scoring exactly ``b`` (``p >= 1``). Then::

        rank = 1 + A + n / (p + 1)

    This is the exact expected position of the first positive when ties are broken uniformly
    at random (among ``p`` positives and ``n`` negatives in random order, the expected number
    of negatives before the first positive is ``n / (p + 1)``). With one tied positive it is
    the average rank of the tied block (``1 + A + n/2``); positives tied with each other (e.g.
    duplicate captions with identical embeddings) do not push each other down. TMR's
    "averaging" instead averages the positions of all tied items, positives included, which
    gives a worse rank when several positives tie (``Mathux/TMR/src/model/metrics.py``).

    Args:
        sim: ``(Q, G)`` float similarities, queries in rows, gallery in columns.
        positives: ``(Q, G)`` bool, ``True`` where gallery item ``g`` is a correct answer
            for query ``q``.

    Returns:
        ``(Q,)`` float64 ranks, each in ``[1, G]``; integers unless ties occur.

    Raises:
        ValueError: if ``sim`` is not a 2-D real array without NaN, if ``positives`` has
            another shape or is not boolean, or if a row has no positive (the row is named).
    """
    sim = _as_scores(sim, "sim")
    positives = _as_mask(positives, "positives", sim.shape)
    has_pos = positives.any(axis=1)
    if not has_pos.all():
        rows = np.flatnonzero(~has_pos)
        raise ValueError(
            f"positives row {int(rows[0])} has no positive; every query needs at least one "
            f"({rows.size} such rows, first ones: {rows[:10].tolist()})"
        )
    ranks = np.empty(sim.shape[0], dtype=np.float64)
    for start in range(0, sim.shape[0], _CHUNK_ROWS):
        s = sim[start : start + _CHUNK_ROWS]
        p = positives[start : start + _CHUNK_ROWS]
        best = np.where(p, s, -np.inf).max(axis=1, keepdims=True)
        above = np.count_nonzero(s > best, axis=1)
        tied = s == best
        tied_pos = np.count_nonzero(tied & p, axis=1)
        tied_neg = np.count_nonzero(tied, axis=1) - tied_pos
        ranks[start : start + _CHUNK_ROWS] = 1.0 + above + tied_neg / (tied_pos + 1.0)
    return ranks


def _as_ranks(ranks: object) -> np.ndarray:
    r = np.asarray(ranks, dtype=np.float64) if not isinstance(ranks, np.ndarray) else ranks
    if r.ndim != 1 or r.size == 0:
        raise ValueError(f"ranks must be a non-empty 1-D array, got shape {np.shape(ranks)}")
    r = r.astype(np.float64, copy=False)
    if not np.isfinite(r).all() or (r < 1).any():
        raise ValueError(f"ranks must be finite and >= 1 (1-based), got min {np.nanmin(r)}")
    return r


def recall_at_k(ranks: np.ndarray, ks: Sequence[int] = DEFAULT_KS) -> dict[str, float]:
    """Recall at k in percent: the share of queries whose rank is ``<= k``.

    A fractional rank counts only when it is ``<= k`` (rank 1.5 is in R@2, not in R@1).

    Args:
        ranks: ``(Q,)`` 1-based ranks from :func:`rank_of_first_positive`.
        ks: cut-offs, integers ``>= 1``.

    Returns:
        ``{"R@k": percent}`` for each ``k`` in ``ks``, in that order.

    Raises:
        ValueError: if ``ranks`` is not a non-empty 1-D array of finite values ``>= 1`` or
            ``ks`` holds something other than integers ``>= 1``.

    Source: Recall@k as in ``Mathux/TMR/src/model/metrics.py`` (``cols2metrics``), which
    gives the same figures when no scores tie. With ties TMR is more lenient: it compares
    its 0-based averaged column with ``< k``, so a positive tied with one negative for the
    top (rank 1.5 here, column 0.5 there) counts in its R@1; here it counts from R@2 on.
    Ties are rare in dense scores; lexical scores tie at 0 for motions sharing no word.
    """
    r = _as_ranks(ranks)
    return {f"R@{k}": 100.0 * float(np.count_nonzero(r <= k)) / r.size for k in _check_ks(ks)}


def median_rank(ranks: np.ndarray) -> float:
    """MedR: the median rank of the first positive (TMR's MedR, Petrovich et al. 2023).

    Args:
        ranks: ``(Q,)`` 1-based ranks, one per query (:func:`rank_of_first_positive`),
            any integer or float dtype.

    Returns:
        The median as a float (an even count gives the mean of the two middle values).

    Raises:
        ValueError: if ``ranks`` is not a non-empty 1-D array of finite values ``>= 1``.
    """
    return float(np.median(_as_ranks(ranks)))


def retrieval_metrics(
    sim: np.ndarray, positives: np.ndarray, ks: Sequence[int] = DEFAULT_KS
) -> dict[str, float]:
    """R@k (percent) and MedR of one retrieval direction: queries are the rows of ``sim``.

    Args:
        sim: ``(Q, G)`` float similarities (pass ``sim_t2m`` for t2m, ``sim_t2m.T`` for m2t).
        positives: ``(Q, G)`` bool.
        ks: recall cut-offs.

    Returns:
        ``{"R@1": ..., "R@2": ..., "R@3": ..., "R@5": ..., "R@10": ..., "MedR": ...}``
        (the R keys follow ``ks``).

    Raises:
        ValueError: as :func:`rank_of_first_positive` and :func:`recall_at_k`.
    """
    ranks = rank_of_first_positive(sim, positives)
    return {**recall_at_k(ranks, ks), "MedR": median_rank(ranks)}


def bidirectional_metrics(
    sim: np.ndarray,
    positives: np.ndarray,
    *,
    sim_m2t: np.ndarray | None = None,
    ks: Sequence[int] = DEFAULT_KS,
) -> dict[str, dict[str, float]]:
    """Text-to-motion and motion-to-text metrics of one ``(N_text, N_motion)`` matrix.

    Args:
        sim: ``(N_text, N_motion)`` float; t2m ranks its rows.
        positives: ``(N_text, N_motion)`` bool, ``True`` where the text describes the motion.
        sim_m2t: optional ``(N_text, N_motion)`` matrix ranked for m2t instead of ``sim``
            (its columns are ranked); needed when scores are normalised per query, as
            :func:`fuse` does.
        ks: recall cut-offs.

    Returns:
        ``{"t2m": metrics, "m2t": metrics}`` as :func:`retrieval_metrics`.

    Raises:
        ValueError: on shape mismatch, or a text or motion without any positive.
    """
    sim = _as_scores(sim, "sim")
    other = sim if sim_m2t is None else _as_scores(sim_m2t, "sim_m2t")
    if other.shape != sim.shape:
        raise ValueError(f"sim_m2t must have shape {sim.shape} like sim, got {other.shape}")
    positives = _as_mask(positives, "positives", sim.shape)
    return {
        "t2m": retrieval_metrics(sim, positives, ks),
        "m2t": retrieval_metrics(other.T, positives.T, ks),
    }


def flatten_metrics(nested: Mapping[str, object], prefix: str = "") -> dict[str, float]:
    """Flatten ``{"t2m": {"R@1": x}}`` into ``{"t2m/<prefix>/R@1": x}`` for metrics.json.

    The prefix (e.g. ``"All"`` or ``"All/fused"``) goes after the first level (the
    direction); deeper levels are joined with ``/``. An empty prefix is left out.

    Raises:
        TypeError: if a leaf is not a real number.
    """
    out: dict[str, float] = {}

    def walk(node: object, key: str) -> None:
        if isinstance(node, Mapping):
            for k, v in node.items():
                walk(v, f"{key}/{k}")
        elif isinstance(node, (int, float, np.integer, np.floating)) and not isinstance(node, bool):
            out[key.lstrip("/")] = float(node)
        else:
            raise TypeError(f"metric {key.lstrip('/')!r} must be a number, got {node!r}")

    for top, sub in nested.items():
        walk(sub, f"{top}/{prefix.strip('/')}" if prefix.strip("/") else str(top))
    return out


def top_k(scores: np.ndarray, k: int, exclude: Sequence[int] = ()) -> np.ndarray:
    """Indices of the ``k`` highest scores, best first, ties broken by lower index.

    Args:
        scores: ``(N,)`` float.
        k: number wanted (fewer when the gallery is smaller).
        exclude: rows never returned, ints in ``[0, N)`` (duplicates allowed).

    Returns:
        ``(min(k, N - len(set(exclude))),)`` int64.

    Raises:
        ValueError: an ``exclude`` row outside ``[0, N)`` (a negative row is not counted
            from the end).
    """
    s = np.asarray(scores, np.float64)
    excluded = np.unique(np.asarray(exclude, np.int64))
    if len(excluded) and (excluded[0] < 0 or excluded[-1] >= len(s)):
        bad = excluded[(excluded < 0) | (excluded >= len(s))]
        raise ValueError(f"exclude rows must be in [0, {len(s)}), got {bad.tolist()[:5]}")
    k = min(int(k), len(s) - len(excluded))
    if k <= 0:
        return np.zeros(0, np.int64)
    # the top k + |exclude| rows, then the excluded ones dropped (excluded rows are not set
    # to -inf in place: one -inf among equal scores makes numpy's introselect ~15x slower)
    m = min(k + len(excluded), len(s))
    cand = np.argpartition(-s, m - 1)[:m] if m < len(s) else np.arange(len(s))
    if len(excluded):
        cand = cand[~np.isin(cand, excluded)]
    key = np.where(np.isnan(s[cand]), -np.inf, s[cand])  # NaN ranks last
    cand = cand[np.lexsort((cand, -key))][:k]
    kth = s[cand[-1]]
    if np.isnan(kth) or kth == -np.inf:  # NaN or -inf scores among the k: the exact way
        full = np.where(np.isnan(s), -np.inf, s)
        order = np.lexsort((np.arange(len(s)), -full))
        return order[~np.isin(order, excluded)][:k].astype(np.int64)
    tied = s == kth
    tied[excluded] = False
    if np.count_nonzero(tied) > np.count_nonzero(s[cand] == kth):
        # argpartition picked arbitrary rows among those tied with the k-th score (common
        # in lexical mode, where many rows score 0): keep the lowest-index ones
        above = cand[s[cand] > kth]
        cand = np.concatenate([above, _first_true(tied, k - len(above))])
    return cand.astype(np.int64)


def _first_true(mask: np.ndarray, n: int, chunk: int = 1 << 16) -> np.ndarray:
    """Indices of the first ``n`` True entries of the bool ``mask`` (chunked: a million-row
    mask of mostly True does not become a million indices)."""
    found: list[np.ndarray] = []
    for a in range(0, len(mask), chunk):
        idx = np.flatnonzero(mask[a:a + chunk])[:n] + a
        found.append(idx)
        n -= len(idx)
        if n <= 0:
            break
    return np.concatenate(found) if found else np.zeros(0, np.int64)


def preference_accuracy(sim_true: np.ndarray, sim_alternatives: np.ndarray) -> float:
    """Percent of items whose true pairing scores strictly above every alternative.

    The one pairwise-preference metric: CAR (true order vs shuffled orders,
    :func:`car_accuracy`) and side accuracy (true caption vs side-swapped caption, true
    motion vs mirrored motion, :mod:`.side`) are both this function. A tie is a failure.
    NaN in ``sim_alternatives`` marks a missing alternative (ragged ``K``).

    Args:
        sim_true: ``(N,)`` float similarity of each item's true pairing.
        sim_alternatives: ``(N,)`` or ``(N, K)`` float similarity of its alternative(s).

    Returns:
        Accuracy in percent, ``[0, 100]``.

    Raises:
        ValueError: on empty input, mismatched ``N``, NaN in ``sim_true`` or a row of
            ``sim_alternatives`` that is all NaN.

    Source: Fujiwara et al., ECCV 2024, Sec. 3, Eq. (2) (``g`` is 1 only if the true score
    is larger).
    """
    true = _as_scores(sim_true, "sim_true", ndim=1)
    alt = np.asarray(sim_alternatives)
    if alt.ndim == 1:
        alt = alt[:, None]
    if alt.ndim != 2 or alt.shape[0] != true.shape[0] or true.size == 0:
        raise ValueError(
            f"sim_alternatives must be ({true.shape[0]},) or ({true.shape[0]}, K) with N >= 1, "
            f"got {np.shape(sim_alternatives)}"
        )
    if not np.issubdtype(alt.dtype, np.floating):
        alt = _as_scores(alt, "sim_alternatives")
    missing = np.isnan(alt).all(axis=1)
    if missing.any():
        raise ValueError(f"sim_alternatives row {int(np.argmax(missing))} has no (non-NaN) score")
    return 100.0 * float(np.count_nonzero(true > np.nanmax(alt, axis=1))) / true.size


def car_accuracy(sim_true: np.ndarray, sim_shuffled: np.ndarray) -> float:
    """Chronologically Accurate Retrieval accuracy in percent (:func:`preference_accuracy`).

    "orig->event" passes the original caption as true and the shuffled re-joined events as
    shuffled; "event->event" passes the events re-joined in their true order as true.

    Args:
        sim_true: ``(N,)`` similarity of each motion to its true caption.
        sim_shuffled: ``(N,)`` or ``(N, K)`` similarity to its shuffled caption(s), NaN for
            a missing one (float16/32/64; integers are cast).

    Returns:
        The share of motions whose true caption beats every shuffled one, in percent.

    Raises:
        ValueError: as :func:`preference_accuracy`.

    Source: Fujiwara et al., ECCV 2024, Sec. 3, Eq. (2).
    """
    return preference_accuracy(sim_true, sim_shuffled)


def m2t_with_negatives(
    sim_m2t: np.ndarray,
    sim_m2shuffled: np.ndarray,
    positives: np.ndarray | None = None,
    ks: Sequence[int] = DEFAULT_KS,
    shuffled_positives: np.ndarray | None = None,
) -> dict[str, float]:
    """Motion-to-text metrics with shuffled captions added as negative gallery texts.

    Args:
        sim_m2t: ``(N_motion, N_text)`` float, motions in rows (note: transposed w.r.t. the
            ``(N_text, N_motion)`` convention of the protocols).
        sim_m2shuffled: ``(N_motion, K)`` similarity of each motion to all ``K`` shuffled
            captions of the gallery (every motion against every shuffled caption).
        positives: ``(N_motion, N_text)`` bool; default the diagonal (needs square).
        shuffled_positives: ``(N_motion, K)`` bool: shuffled captions that read as one of
            the motion's own captions (another motion's reordering can: "sits, then walks"
            shuffled from "walks, then sits"), which count as positives as identical
            captions do in protocol All; default none (every shuffled caption a negative).

    Returns:
        :func:`retrieval_metrics` over a gallery of ``N_text + K`` texts.

    Raises:
        ValueError: on mismatched shapes or a motion without positive.

    Source: Fujiwara et al., ECCV 2024, Table 1 ("motion-to-text retrieval including
    shuffled texts"); the ``N x (N + K)`` matrix of their Sec. 4.1.
    """
    sim = _as_scores(sim_m2t, "sim_m2t")
    neg = _as_scores(sim_m2shuffled, "sim_m2shuffled")
    if neg.shape[0] != sim.shape[0]:
        raise ValueError(f"sim_m2shuffled must have {sim.shape[0]} rows, got shape {neg.shape}")
    if positives is None:
        if sim.shape[0] != sim.shape[1]:
            raise ValueError(f"positives=None needs a square sim_m2t, got {sim.shape}")
        positives = np.eye(sim.shape[0], dtype=bool)
    pos = _as_mask(positives, "positives", sim.shape)
    shuf_pos = (np.zeros(neg.shape, dtype=bool) if shuffled_positives is None
                else _as_mask(shuffled_positives, "shuffled_positives", neg.shape))
    full_pos = np.concatenate([pos, shuf_pos], axis=1)
    dtype = np.result_type(sim.dtype, neg.dtype)
    return retrieval_metrics(np.concatenate([sim, neg], axis=1).astype(dtype), full_pos, ks)


def is_count_key(key: str) -> bool:
    """Whether a flat metric key names a count (``n/texts``, ``CAR/n``, ``words/n_motions``,
    ``zero-shot/classes``) rather than a percent, rank or score."""
    parts = key.split("/")
    return (parts[0] == "n" or parts[-1] == "n" or parts[-1].startswith("n_")
            or key == "zero-shot/classes")


def integer_counts(metrics: dict[str, float]) -> dict[str, float]:
    """``metrics`` with every whole-numbered count (:func:`is_count_key`) as an ``int``, so
    that ``metrics.json`` and ``val_metrics.json`` store ``"n/texts": 140``, not ``140.0``."""
    return {k: int(v) if is_count_key(k) and float(v).is_integer() else v
            for k, v in metrics.items()}

