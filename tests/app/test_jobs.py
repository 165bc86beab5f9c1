"""The worker's read-only jobs as plain generators: helpers and their documented Raises.

Ranking, motion and order jobs on a real model and index are exercised through the worker in
test_worker.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from motionlex.app.jobs import motion_steps, orders_steps, rank_steps, top_pairs
from motionlex.app.messages import MotionRequest, OrdersRequest, RankRequest


def test_top_pairs_orders_and_dedups():
    vocab = ["a", "b", "c", "d"]
    pairs = top_pairs(np.array([3, 1, 2, 0]), np.array([0.5, 2.0, 0.5, 0.0]), vocab, n=3)
    assert pairs == [("b", 2.0), ("c", 0.5), ("d", 0.5)]


def test_rank_steps_raises_without_gallery():
    with pytest.raises(ValueError, match="no gallery is open"):
        next(rank_steps(None, RankRequest(1, "walk")))


def test_motion_steps_raises_without_gallery():
    with pytest.raises(ValueError, match="no gallery is open"):
        next(motion_steps(None, MotionRequest(1, 0), {}))


def test_orders_steps_raises_without_gallery():
    with pytest.raises(ValueError, match="no gallery is open"):
        next(orders_steps(None, None, OrdersRequest(1, 0, "walk then run")))


def test_describe_jobs_raise_without_gallery():
    from motionlex.app.analysis_messages import DescribeRequest
    from motionlex.app.jobs import describe_gallery_steps, describe_steps

    with pytest.raises(ValueError, match="no gallery is open"):
        next(describe_steps(None, None, DescribeRequest(1, 0), 1.0))
    with pytest.raises(ValueError, match="no gallery is open"):
        next(describe_gallery_steps(None, None, 1.0))
