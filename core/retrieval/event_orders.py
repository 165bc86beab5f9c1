"""Every order of one caption's events against one motion: the explorer's chronology panel.

:func:`query_orders` splits a caption into events and embeds every distinct order of them
(the true order first); :func:`event_order_scores` gives each order's dense cosine with one
motion, the true order marked. Ranking a gallery by order agreement is
:mod:`.order_ranking`; CAR over a split is :mod:`.chronology`.

Source: Fujiwara et al., ECCV 2024, Sec. 3-4 (shuffled-event captions, CAR accuracy).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from motionlex.core.model.types import EncoderModel
from motionlex.core.retrieval.embed import encode_texts
from motionlex.core.text.events import split_events
from motionlex.core.text.orders import all_orders, join_events


@dataclass(frozen=True, eq=False)
class QueryOrders:
    """A caption's events and every distinct order of them (past ``max_orders``: the true
    order and a seeded sample, :func:`all_orders`), embedded once.

    Attributes:
        caption: the caption split.
        events: its events, in true order.
        orders: ``O`` index tuples, the true order (identity) first (:func:`all_orders`).
        texts: the ``O`` orders' captions (events joined with ``", then "``).
        dense: ``(O, D)`` float32 L2-normalised dense embeddings of ``texts``.
    """

    caption: str
    events: list[str]
    orders: list[tuple[int, ...]]
    texts: list[str]
    dense: np.ndarray


def query_orders(model: EncoderModel, caption: str, max_orders: int = 24, *,
                 warn_truncated: bool = True) -> QueryOrders:
    """Split a caption into events and embed every distinct order of them, true first (past
    ``max_orders``, the true order and a seeded uniform sample of the others).

    Args:
        model: a ``MotionTextModel`` or ``LiteModel`` (:data:`~.types.EncoderModel`).
        caption: the caption (a query or a motion's caption).
        max_orders: distinct orders embedded at most (4 events: all 24; 5 or more: a
            sample).
        warn_truncated: warn of orders longer than the model reads (cut at its
            ``max_text_length`` tokens: :func:`~.embed.encode_texts`).

    Raises:
        ImportError: spaCy's parser is missing (event splitting).
        ValueError: an empty caption.
    """
    events = split_events(caption)
    if not events:
        raise ValueError(f"no events in caption {caption!r}")
    orders = all_orders(events, limit=max_orders)
    texts = [join_events([events[i] for i in o]) for o in orders]
    return QueryOrders(caption, list(events), orders, texts,
                       encode_texts(model, texts, warn_truncated=warn_truncated).dense)


@dataclass(frozen=True)
class EventOrders:
    """Every order of a caption's events with its similarity to one motion.

    Attributes:
        caption: the caption split.
        events: its events, in true order.
        orders: ``(joined caption, dense cosine, is_true_order)`` per distinct order.
    """

    caption: str
    events: list[str]
    orders: list[tuple[str, float, bool]]


def event_order_scores(model: EncoderModel, caption: str | QueryOrders, motion_dense: np.ndarray,
                       max_orders: int = 24) -> EventOrders:
    """Dense cosine of every order of a caption's events with a motion's embedding.

    An order's caption is its events joined with ``", then "``
    (:func:`~motionlex.core.text.orders.join_events`); the true order scoring highest is what
    CAR accuracy counts.

    Args:
        model: a ``MotionTextModel`` or ``LiteModel`` (:data:`~.types.EncoderModel`)
            that made the embedding.
        caption: the caption (split into events here), or its :func:`query_orders`
            (embedded already: nothing is encoded again).
        motion_dense: ``(D,)`` float dense embedding of the motion (re-normalised here).
        max_orders: distinct orders scored at most (4 events: all 24).

    Returns:
        :class:`EventOrders`; orders in :func:`~motionlex.core.text.orders.all_orders`'s order.

    Raises:
        ImportError: spaCy's parser is missing (event splitting).
        ValueError: ``motion_dense`` is not one ``(D,)`` embedding of the model's width
            (e.g. a ``(N, D)`` batch: score one motion at a time).

    Source: Fujiwara, Tanaka, Yu, "Chronologically Accurate Retrieval for Temporal
    Grounding of Motion-Language Models", ECCV 2024, Sec. 3-4 (shuffled-event captions,
    CAR accuracy).
    """
    motion = np.asarray(motion_dense, np.float32)
    width = int(model.config.embed_dim)
    if motion.ndim == 2 and motion.shape[0] == 1:
        motion = motion[0]
    if motion.shape != (width,):
        raise ValueError(f"motion_dense must be one motion's ({width},) dense embedding, got "
                         f"shape {motion.shape}" + (" (a batch: pass one row, e.g. dense[i])"
                                                    if motion.ndim == 2 else ""))
    q = caption if isinstance(caption, QueryOrders) else query_orders(model, caption,
                                                                      max_orders)
    motion = motion / max(float(np.linalg.norm(motion)), 1e-12)
    sims = q.dense @ motion
    identity = tuple(range(len(q.events)))
    return EventOrders(q.caption, list(q.events), [(t, float(s), tuple(o) == identity)
                                                   for t, s, o in zip(q.texts, sims, q.orders)])
