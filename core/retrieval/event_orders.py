"""Event-order scores: every order of a caption's events against one motion (CAR panel)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from motionlex.core.retrieval.embed import encode_texts
from motionlex.core.text.events import all_orders, join_events, split_events


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


def event_order_scores(model: Any, caption: str, motion_dense: np.ndarray,
                       max_orders: int = 24) -> EventOrders:
    """Dense cosine of every order of a caption's events with a motion's embedding.

    An order's caption is its events joined with ``", then "`` (:func:`.events.join_events`);
    the true order scoring highest is what CAR accuracy counts.

    Args:
        model: the :class:`~motionlex.core.model.model.MotionTextModel` of the embedding.
        caption: the caption (split into events here).
        motion_dense: ``(D,)`` float dense embedding of the motion (re-normalised here).
        max_orders: distinct orders scored at most (4 events: all 24).

    Returns:
        :class:`EventOrders`; orders in :func:`.events.all_orders`'s order.

    Raises:
        ImportError: spaCy's parser is missing (event splitting).

    Source: Fujiwara, Tanaka, Yu, "Chronologically Accurate Retrieval for Temporal
    Grounding of Motion-Language Models", ECCV 2024, Sec. 3-4 (shuffled-event captions,
    CAR accuracy).
    """
    events = split_events(caption)
    orders = all_orders(events, limit=max_orders)
    texts = [join_events([events[i] for i in o]) for o in orders]
    text_dense = encode_texts(model, texts).dense
    motion = np.asarray(motion_dense, np.float32)
    motion = motion / max(float(np.linalg.norm(motion)), 1e-12)
    sims = text_dense @ motion
    identity = tuple(range(len(events)))
    return EventOrders(caption, list(events), [(t, float(s), tuple(o) == identity)
                                               for t, s, o in zip(texts, sims, orders)])
