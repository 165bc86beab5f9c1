"""Ranking multi-event queries by order agreement, and its measurement against plain ranking.

A query of two or more events ("a person raises both hands, then walks forward") is a
claim about order. Plain ranking scores a motion by its similarity to the query,
``s_true(m)``. Order-aware ranking adds how much the motion prefers the query's true event
order to the best other order of the same events (CAR's per-motion margin):

    margin(m) = s_true(m) - max_{o != true} s_o(m)
    score(m)  = plain(m) + alpha * margin(m)

with ``s_o`` the dense cosine of the order's joined caption (events joined with
``", then "``, :func:`~.event_orders.query_orders`). A single-event query has no other order:
its margin is 0 and the ranking is plain. Event-wise similarity (the mean of the events'
cosines, order-blind) is measured beside them for reference.

:func:`order_ranking_report` measures the three on chronology test pairs (composed clips of a
dataset split, or the synthetic generator's pairs): for every pair's caption, the gallery is
every pair's true-order clip and its reordered clip (``2P`` motions); it reports how often the
caption scores its true-order clip above its reordered clip (the motion side of the
chronology test) and text-to-motion R@1 / mean rank of the true-order clip.

Source: Fujiwara, Tanaka, Yu, ECCV 2024, Sec. 3-4 (shuffled-event captions as hard
negatives; the true order scoring highest is CAR accuracy), applied at ranking time.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from motionlex.core.model.types import EncoderModel
from motionlex.core.patches import PatchStats
from motionlex.core.retrieval.embed import encode_motions, encode_texts
from motionlex.core.retrieval.event_orders import QueryOrders, query_orders
from motionlex.core.retrieval.metrics import rank_of_first_positive, recall_at_k

ORDER_RANKINGS = ("plain", "order")
"""Ranking options of multi-event queries: plain similarity, or plus the order margin."""

DEFAULT_ORDER_ALPHA = 1.0
"""Weight ``alpha`` of the order margin in :func:`order_scores`."""


def order_margins(order_dense: np.ndarray, motion_dense: np.ndarray) -> np.ndarray:
    """How much each motion prefers the true event order to the best other order.

    Args:
        order_dense: ``(O, D)`` float L2-normalised embeddings of the orders' captions, the
            true order first (:attr:`QueryOrders.dense`).
        motion_dense: ``(N, D)`` float L2-normalised motion embeddings.

    Returns:
        ``(N,)`` float32 ``s_true - max_{o>0} s_o`` (dense cosines); zeros when ``O == 1``.

    Raises:
        ValueError: not 2-D, no orders, or embedding sizes that differ.
    """
    q = np.asarray(order_dense, np.float32)
    m = np.asarray(motion_dense, np.float32)
    if q.ndim != 2 or m.ndim != 2 or len(q) == 0:
        raise ValueError(f"expected (O >= 1, D) orders and (N, D) motions, got {q.shape} "
                         f"and {m.shape}")
    if q.shape[1] != m.shape[1]:
        raise ValueError(f"orders have {q.shape[1]} dims, motions {m.shape[1]}")
    if len(q) == 1:
        return np.zeros(len(m), np.float32)
    sims = m @ q.T  # (N, O)
    return (sims[:, 0] - sims[:, 1:].max(axis=1)).astype(np.float32)


def order_scores(plain: np.ndarray, margins: np.ndarray,
                 alpha: float = DEFAULT_ORDER_ALPHA) -> np.ndarray:
    """Order-aware scores ``plain + alpha * margins``.

    Args:
        plain: ``(N,)`` float plain scores (dense cosine or fused).
        margins: ``(N,)`` float from :func:`order_margins`.
        alpha: weight of the margin, ``>= 0`` (0: plain ranking).

    Returns:
        ``(N,)`` float64.

    Raises:
        ValueError: shapes differ or ``alpha < 0``.
    """
    p, g = np.asarray(plain, np.float64), np.asarray(margins, np.float64)
    if p.shape != g.shape:
        raise ValueError(f"plain scores {p.shape} and margins {g.shape} differ in shape")
    if alpha < 0:
        raise ValueError(f"alpha must be >= 0, got {alpha}")
    return p + float(alpha) * g


def _ranking_metrics(scores: np.ndarray) -> dict[str, float]:
    """``scores (P, 2P)``: caption ``i``'s true clip is column ``i``, its reordered clip
    ``P + i``. Pair accuracy (true clip strictly above reordered), R@1 and mean rank of the
    true clip, ties ranked as every retrieval metric ranks them
    (:func:`~.metrics.rank_of_first_positive`: the expected rank under random tie breaking;
    they used to go to the true clip)."""
    p = len(scores)
    rows = np.arange(p)
    true = scores[rows, rows]
    positives = np.zeros(scores.shape, bool)
    positives[rows, rows] = True
    rank = rank_of_first_positive(scores, positives)
    return {"pair": 100.0 * float((true > scores[rows, p + rows]).mean()),
            "R@1": recall_at_k(rank, (1,))["R@1"], "mean_rank": float(rank.mean())}


def order_ranking_report(model: EncoderModel, stats: PatchStats, pairs: Sequence[Any], *,
                         alphas: Sequence[float] = (DEFAULT_ORDER_ALPHA,),
                         batch_size: int = 64) -> dict[str, float]:
    """Plain, order-aware and event-wise ranking on chronology test pairs.

    Args:
        model: a ``MotionTextModel`` or ``LiteModel`` (:data:`~.types.EncoderModel`).
        stats: its patch statistics.
        pairs: ``P`` :class:`~motionlex.core.data.compose.ComposedPair` (``caption``,
            ``events``, ``motion``, ``motion_negative``).
        alphas: margin weights measured (``order@alpha`` keys).
        batch_size: motions per forward pass.

    Returns:
        ``{"<ranking>/pair", "<ranking>/R@1", "<ranking>/mean_rank"}`` for ``plain``,
        ``order@<alpha>`` and ``events`` (percent; mean rank among ``2P``), and ``n``.

    Raises:
        ValueError: no pairs.

    Source: module docstring (Fujiwara et al., ECCV 2024, Sec. 3-4).
    """
    if not pairs:
        raise ValueError("no chronology pairs to rank")
    clips = ([(c.motion.motion.joints, c.motion.motion.skeleton) for c in pairs]
             + [(c.motion_negative.motion.joints, c.motion_negative.motion.skeleton)
                for c in pairs])
    motions = encode_motions(model, clips, stats, batch_size=batch_size,
                             long_clips="first", assume_canonical=True).dense
    captions = [c.caption for c in pairs]
    plain = encode_texts(model, captions).dense @ motions.T  # (P, 2P)
    margins, events = [], []
    for c in pairs:
        q: QueryOrders = query_orders(model, c.caption)
        margins.append(order_margins(q.dense, motions))
        events.append((encode_texts(model, list(q.events)).dense @ motions.T).mean(axis=0))
    margin = np.stack(margins)
    out = {f"plain/{k}": v for k, v in _ranking_metrics(plain).items()}
    for a in alphas:
        scores = np.stack([order_scores(plain[i], margin[i], a) for i in range(len(pairs))])
        out.update({f"order@{a:g}/{k}": v for k, v in _ranking_metrics(scores).items()})
    out.update({f"events/{k}": v for k, v in _ranking_metrics(np.stack(events)).items()})
    out["n"] = float(len(pairs))
    return out
