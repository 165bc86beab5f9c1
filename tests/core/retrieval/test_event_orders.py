"""Event-order scores of a caption against one motion (the explorer's CAR panel)."""

from __future__ import annotations

import numpy as np
import pytest

from motionlex.core.retrieval.embed import encode_texts
from motionlex.core.retrieval.event_orders import event_order_scores


def test_every_order_scored_true_order_marked(model):
    pytest.importorskip("spacy")
    caption = "a person walks forward, then jumps, then sits down"
    motion = encode_texts(model, ["a person jumps, then walks forward, then sits down"]).dense[0]
    res = event_order_scores(model, caption, 3.0 * motion, max_orders=24)
    assert res.caption == caption and len(res.events) == 3
    assert len(res.orders) == 6 and sum(true for _, _, true in res.orders) == 1
    texts = [t for t, _, _ in res.orders]
    ref = encode_texts(model, texts).dense @ motion  # the motion is re-normalised
    np.testing.assert_allclose([s for _, s, _ in res.orders], ref, atol=1e-5)
    assert len(event_order_scores(model, caption, motion, max_orders=2).orders) == 2
