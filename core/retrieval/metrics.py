"""Retrieval metrics and evaluation protocols on NumPy similarity matrices (no model involved).

Conventions used by every function here:

- A similarity matrix ``sim`` is ``(N_text, N_motion)``: ``sim[i, j]`` scores text ``i``
  against motion ``j`` (higher = more similar). Text-to-motion (``"t2m"``) ranks each row;
  motion-to-text (``"m2t"``) ranks each column, i.e. the rows of ``sim.T``. Protocol
  functions return ``{"t2m": {...}, "m2t": {...}}``.
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
from collections.abc import Callable, Mapping, Sequence
from typing import Literal

import numpy as np

logger = logging.getLogger(__name__)

DEFAULT_KS: tuple[int, ...] = (1, 2, 3, 5, 10)
"""The recall cut-offs reported by TMR and Motion Patches."""

_CHUNK_ROWS = 1024  # rows ranked at once: bounds temporary memory to ~1024 x G elements


# ----------------------------------------------------------------------------- validation
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


# ----------------------------------------------------------------------------- ranks and metrics
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

    Source: Recall@k as in ``Mathux/TMR/src/model/metrics.py`` (``cols2metrics``).
    """
    r = _as_ranks(ranks)
    return {f"R@{k}": 100.0 * float(np.count_nonzero(r <= k)) / r.size for k in _check_ks(ks)}


def median_rank(ranks: np.ndarray) -> float:
    """Median of the ranks (an even count gives the mean of the two middle values).

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


# ----------------------------------------------------------------------------- protocols
def normalize_caption(text: str) -> str:
    """Caption key for the "All" protocol: lower-case, whitespace collapsed, trailing dots cut.

    ``"A person  walks. "`` and ``"a person walks"`` match; word forms, inner punctuation and
    left/right are kept, so a mirrored caption that swapped "left" for "right" is a different
    caption (and a mirrored copy without left/right words is the same one).
    """
    return " ".join(text.lower().split()).rstrip(". ")


def caption_positives(
    captions_of_texts: Sequence[str],
    captions_of_motions: Sequence[str],
    normalize: Callable[[str], str] | None = normalize_caption,
) -> np.ndarray:
    """``(N_text, N_motion)`` bool: ``True`` where the two captions are the same string.

    Args:
        captions_of_texts: the query texts, length ``N_text``.
        captions_of_motions: the caption each motion was annotated with, length ``N_motion``.
        normalize: applied to both sides before comparing; ``None`` compares exact strings
            (TMR's behaviour).

    Raises:
        TypeError: if an entry is not a string.
    """
    keys = []
    for name, caps in (
        ("captions_of_texts", captions_of_texts),
        ("captions_of_motions", captions_of_motions),
    ):
        for i, c in enumerate(caps):
            if not isinstance(c, str):
                raise TypeError(f"{name}[{i}] must be a str, got {type(c).__name__}")
        keys.append([normalize(c) if normalize else c for c in caps])
    _, codes = np.unique(np.array(keys[0] + keys[1], dtype=object), return_inverse=True)
    codes = codes.reshape(-1)
    n = len(keys[0])
    return codes[:n, None] == codes[None, n:]


def protocol_all(
    sim: np.ndarray,
    captions_of_texts: Sequence[str],
    captions_of_motions: Sequence[str],
    *,
    normalize: Callable[[str], str] | None = normalize_caption,
    sim_m2t: np.ndarray | None = None,
    ks: Sequence[int] = DEFAULT_KS,
) -> dict[str, dict[str, float]]:
    """The "All" protocol: the whole split is the gallery, identical captions are positives.

    A text's positives are every motion whose caption equals it after ``normalize`` (this
    covers mirrored copies and repeated captions); symmetrically for m2t.

    Args:
        sim: ``(N_text, N_motion)`` float similarities.
        captions_of_texts / captions_of_motions: see :func:`caption_positives`.
        normalize: see :func:`normalize_caption`; ``None`` for exact strings.
        sim_m2t: see :func:`bidirectional_metrics`.
        ks: recall cut-offs.

    Returns:
        ``{"t2m": metrics, "m2t": metrics}``.

    Raises:
        ValueError: if the caption counts do not match ``sim``'s shape, or a text (motion)
            has no motion (text) with the same caption.

    Source: Yu et al., CVPR 2024, Sec. 4.2 "All" and its footnote on mirrored duplicates.
    """
    sim = _as_scores(sim, "sim")
    counts = (len(captions_of_texts), len(captions_of_motions))
    if counts != sim.shape:
        raise ValueError(
            f"caption counts (texts, motions) must match sim's shape {sim.shape}, got {counts}"
        )
    pos = caption_positives(captions_of_texts, captions_of_motions, normalize)
    return bidirectional_metrics(sim, pos, sim_m2t=sim_m2t, ks=ks)


def small_batch_indices(n: int, batch_size: int = 32, seed: int = 0) -> np.ndarray:
    """``(n // batch_size, batch_size)`` int64 indices of a seeded shuffle, remainder dropped.

    The permutation is ``np.random.RandomState(seed).permutation(n)``, identical to TMR's
    ``np.random.seed(0); np.random.shuffle(np.arange(n))`` (``Mathux/TMR/retrieval.py``).

    Raises:
        ValueError: if ``batch_size < 1`` or ``n < batch_size``.
    """
    if batch_size < 1 or n < batch_size:
        raise ValueError(f"need 1 <= batch_size <= n, got batch_size={batch_size}, n={n}")
    perm = np.random.RandomState(seed).permutation(n).astype(np.int64)
    nb = n // batch_size
    return perm[: nb * batch_size].reshape(nb, batch_size)


def protocol_small_batches(
    sim: np.ndarray,
    batch_size: int = 32,
    seed: int = 0,
    *,
    positives: np.ndarray | None = None,
    sim_m2t: np.ndarray | None = None,
    ks: Sequence[int] = DEFAULT_KS,
) -> dict[str, dict[str, float]]:
    """The "Small batches" protocol: metrics in batches of 32 pairs, averaged over batches.

    Pairs (text ``i``, motion ``i``) are shuffled by :func:`small_batch_indices`; each batch
    ranks its own ``batch_size`` x ``batch_size`` block, and every metric (MedR included) is
    the mean over batches.

    Args:
        sim: ``(N, N)`` float, text ``i`` paired with motion ``i``.
        batch_size, seed: see :func:`small_batch_indices`.
        positives: optional ``(N, N)`` bool; default the diagonal (Guo et al./TMR). The
            block of each batch is used, and its diagonal is always positive.
        sim_m2t: see :func:`bidirectional_metrics`.
        ks: recall cut-offs.

    Returns:
        ``{"t2m": metrics, "m2t": metrics}``, averaged over ``N // batch_size`` batches.

    Raises:
        ValueError: if ``sim`` is not square, ``N < batch_size``, or shapes mismatch.

    Source: Guo et al. CVPR 2022 via ``Mathux/TMR/retrieval.py`` (protocol "guo");
    Yu et al., CVPR 2024, Sec. 4.2 "Small Batches".
    """
    sim = _as_scores(sim, "sim")
    n = sim.shape[0]
    if sim.shape != (n, n):
        raise ValueError(f"sim must be square (text i paired with motion i), got {sim.shape}")
    other = sim if sim_m2t is None else _as_scores(sim_m2t, "sim_m2t")
    if other.shape != sim.shape:
        raise ValueError(f"sim_m2t must have shape {sim.shape} like sim, got {other.shape}")
    pos = np.eye(n, dtype=bool) if positives is None else _as_mask(positives, "positives", (n, n))
    results = []
    for idx in small_batch_indices(n, batch_size, seed):
        block = np.ix_(idx, idx)
        bpos = pos[block] | np.eye(batch_size, dtype=bool)
        results.append(bidirectional_metrics(sim[block], bpos, sim_m2t=other[block], ks=ks))
    return {
        d: {key: float(np.mean([r[d][key] for r in results])) for key in results[0][d]}
        for d in ("t2m", "m2t")
    }


def caption_similarity(
    captions: Sequence[str], encode_fn: Callable[[list[str]], np.ndarray]
) -> np.ndarray:
    """``(N, N)`` float32 cosine similarity between captions, from any sentence encoder.

    Each distinct string is encoded once. The embeddings are L2-normalised here (a no-op for
    already normalised ones), so ``encode_fn`` may be e.g. MiniLM's mean-pooled output.

    Args:
        captions: ``N`` strings.
        encode_fn: maps a list of ``U`` strings to a ``(U, D)`` float array.

    Raises:
        ValueError: if ``captions`` is empty or ``encode_fn`` returns another shape, NaN or a
            zero vector.
    """
    caps = list(captions)
    if not caps:
        raise ValueError("captions must not be empty")
    uniq, inverse = np.unique(np.array(caps, dtype=object), return_inverse=True)
    emb = _as_scores(encode_fn([str(u) for u in uniq]), "encode_fn output").astype(np.float64)
    if emb.shape[0] != len(uniq):
        raise ValueError(f"encode_fn must return ({len(uniq)}, D) embeddings, got {emb.shape}")
    norms = np.linalg.norm(emb, axis=1, keepdims=True)
    if (norms == 0).any():
        raise ValueError(f"encode_fn returned a zero vector for {uniq[int(np.argmin(norms))]!r}")
    emb = (emb / norms)[inverse.reshape(-1)]
    return (emb @ emb.T).astype(np.float32)


def protocol_threshold(
    sim: np.ndarray,
    text_text_sim: np.ndarray,
    threshold: float = 0.95,
    *,
    scale: Literal["tmr", "cosine"] = "tmr",
    sim_m2t: np.ndarray | None = None,
    ks: Sequence[int] = DEFAULT_KS,
) -> dict[str, dict[str, float]]:
    """The "Threshold" protocol: motion ``j`` is a positive of text ``i`` when their captions
    are similar enough, ``s(i, j) >= threshold``; the paired motion ``i`` always is.

    ``scale="tmr"`` compares ``s = (cos + 1) / 2`` as TMR does (its ``real_threshold =
    2 * threshold - 1``), so the default 0.95 means cosine ``>= 0.9``; ``scale="cosine"``
    compares the cosine itself. TMR uses ``>`` where this uses ``>=`` (equal only on exact
    float equality).

    Args:
        sim: ``(N, N)`` float, text ``i`` paired with motion ``i``.
        text_text_sim: ``(N, N)`` cosine similarity of the captions, e.g. from
            :func:`caption_similarity` with the offline MiniLM (the caller chooses the model).
        threshold: on the scale chosen by ``scale``.
        sim_m2t, ks: see :func:`bidirectional_metrics`.

    Returns:
        ``{"t2m": metrics, "m2t": metrics}``; m2t uses the transposed positives.

    Raises:
        ValueError: if ``sim`` is not square, ``text_text_sim`` has another shape, or
            ``scale`` is unknown.

    Source: ``Mathux/TMR/src/model/metrics.py`` (``contrastive_metrics`` with threshold).
    """
    sim = _as_scores(sim, "sim")
    n = sim.shape[0]
    if sim.shape != (n, n):
        raise ValueError(f"sim must be square (text i paired with motion i), got {sim.shape}")
    tts = _as_scores(text_text_sim, "text_text_sim")
    if tts.shape != sim.shape:
        raise ValueError(f"text_text_sim must have shape {sim.shape}, got {tts.shape}")
    if scale == "tmr":
        s = (tts.astype(np.float64) + 1.0) / 2.0
    elif scale == "cosine":
        s = tts
    else:
        raise ValueError(f"scale must be 'tmr' or 'cosine', got {scale!r}")
    pos = (s >= threshold) | np.eye(n, dtype=bool)
    return bidirectional_metrics(sim, pos, sim_m2t=sim_m2t, ks=ks)


# ----------------------------------------------------------------------------- fusion
def normalize_lexical(lexical: np.ndarray, axis: int = 1) -> np.ndarray:
    """Divide each query's lexical scores by that query's maximum, into ``[0, 1]``.

    Lexical (SPLADE) scores are non-negative and unbounded; a per-query max only rescales
    a query's scores, so the lexical ranking is unchanged, and it needs nothing but the
    query's own scores (usable at query time). A query whose scores are all 0 stays 0.

    Args:
        lexical: ``(N_text, N_motion)`` float, ``>= 0``.
        axis: the gallery axis: 1 when texts are the queries (t2m), 0 for m2t.

    Raises:
        ValueError: on a non-2-D array, negative scores, or ``axis`` not 0 or 1.
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

    The criterion is averaged over the chosen direction(s); on a tie the first weight of
    ``grid`` wins (default grid ``0, 0.05, ..., 1``).

    Args:
        dense_val / lexical_val: ``(N_text, N_motion)`` validation similarities.
        positives: ``(N_text, N_motion)`` bool, e.g. from :func:`caption_positives`.
        grid: candidate weights in ``[0, 1]``.
        direction: ``"t2m"``, ``"m2t"`` or ``"both"``.

    Raises:
        ValueError: on an empty grid, unknown direction, or as :func:`fuse`.
    """
    weights = np.linspace(0.0, 1.0, 21) if grid is None else np.asarray(grid, dtype=np.float64)
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
    best = int(np.argmax(scores))
    logger.info("chosen fusion weight %.3f (criterion %.3f)", weights[best], scores[best])
    return float(weights[best])


# ----------------------------------------------------------------------------- CAR
def car_accuracy(sim_true: np.ndarray, sim_shuffled: np.ndarray) -> float:
    """Chronologically Accurate Retrieval accuracy in percent.

    A motion succeeds when its true caption scores strictly above every shuffled version;
    a tie is a failure (``g`` returns 1 only if the true score is larger). The setting is
    set by what the caller scored: "orig->event" passes the original caption as true and
    the shuffled re-joined events as shuffled; "event->event" passes the events re-joined
    in their true order as true. NaN in ``sim_shuffled`` marks a missing version (ragged
    ``K``).

    Args:
        sim_true: ``(N,)`` similarity of each motion to its true caption.
        sim_shuffled: ``(N,)`` or ``(N, K)`` similarity to its shuffled caption(s).

    Raises:
        ValueError: on empty input, mismatched ``N``, NaN in ``sim_true`` or a row of
            ``sim_shuffled`` that is all NaN.

    Source: Fujiwara et al., ECCV 2024, Sec. 3, Eq. (2).
    """
    true = _as_scores(sim_true, "sim_true", ndim=1)
    shuf = np.asarray(sim_shuffled)
    if shuf.ndim == 1:
        shuf = shuf[:, None]
    if shuf.ndim != 2 or shuf.shape[0] != true.shape[0] or true.size == 0:
        raise ValueError(
            f"sim_shuffled must be ({true.shape[0]},) or ({true.shape[0]}, K) with N >= 1, "
            f"got {np.shape(sim_shuffled)}"
        )
    if not np.issubdtype(shuf.dtype, np.floating):
        shuf = _as_scores(shuf, "sim_shuffled")
    missing = np.isnan(shuf).all(axis=1)
    if missing.any():
        raise ValueError(f"sim_shuffled row {int(np.argmax(missing))} has no (non-NaN) score")
    best_wrong = np.nanmax(shuf, axis=1)
    return 100.0 * float(np.count_nonzero(true > best_wrong)) / true.size


def m2t_with_negatives(
    sim_m2t: np.ndarray,
    sim_m2shuffled: np.ndarray,
    positives: np.ndarray | None = None,
    ks: Sequence[int] = DEFAULT_KS,
) -> dict[str, float]:
    """Motion-to-text metrics with shuffled captions added as always-negative gallery texts.

    Args:
        sim_m2t: ``(N_motion, N_text)`` float, motions in rows (note: transposed w.r.t. the
            ``(N_text, N_motion)`` convention of the protocols).
        sim_m2shuffled: ``(N_motion, K)`` similarity of each motion to all ``K`` shuffled
            captions of the gallery (every motion against every shuffled caption).
        positives: ``(N_motion, N_text)`` bool; default the diagonal (needs square).

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
    full_pos = np.concatenate([pos, np.zeros(neg.shape, dtype=bool)], axis=1)
    dtype = np.result_type(sim.dtype, neg.dtype)
    return retrieval_metrics(np.concatenate([sim, neg], axis=1).astype(dtype), full_pos, ks)


# ----------------------------------------------------------------------------- classification
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
