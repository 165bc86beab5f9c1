"""Batch sampler: no motion and no caption twice in one batch."""

from __future__ import annotations

import numpy as np
import pytest

from motionlex.core.data.batches import unique_batches
from motionlex.core.data.pairs import PairExample
from motionlex.core.motion.skeleton import SMPL22
from motionlex.core.text.orders import normalize_caption

_J = np.zeros((4, SMPL22.num_joints, 3), np.float32)


def _ex(caption: str, mid: str) -> PairExample:
    return PairExample(_J, caption, (caption,), mid, None, SMPL22)


def test_batches_hold_unique_motions_and_captions():
    exs = [_ex(f"caption {i % 7}", f"m{i % 11}") for i in range(60)]
    exs += [_ex("Caption 0 ", "extra")]  # identical to "caption 0" after normalize_caption
    batches = unique_batches(exs, 5, np.random.default_rng(0))
    assert batches and all(len(b) == 5 for b in batches)
    for b in batches:
        assert len({exs[i].motion_id for i in b}) == 5
        assert len({normalize_caption(exs[i].caption) for i in b}) == 5
    flat = [i for b in batches for i in b]
    assert len(flat) == len(set(flat))
    again = unique_batches(exs, 5, np.random.default_rng(0))
    assert again == batches  # seeded


def test_last_partial_batch_kept_or_dropped():
    exs = [_ex(f"c{i}", f"m{i}") for i in range(7)]
    assert [len(b) for b in unique_batches(exs, 3, np.random.default_rng(1))] == [3, 3]
    kept = unique_batches(exs, 3, np.random.default_rng(1), drop_last=False)
    assert sorted(len(b) for b in kept) == [1, 3, 3]


def test_bad_batch_size():
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        unique_batches([], 0, np.random.default_rng(0))
