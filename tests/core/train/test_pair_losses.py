"""core/train/pair_losses.py: the CAR pair term (``column_pair_loss``) by hand, and the edges
of the motion pair term and the CAR accuracy (their basic hand values are in
test_losses.py and test_contrastive.py)."""

from __future__ import annotations

import math

import pytest
import torch

from motionlex.core.train.pair_losses import (
    car_pairwise_accuracy,
    column_pair_loss,
    motion_pair_loss,
    side_pair_loss,
)


def sp(x: float) -> float:
    """softplus(x) = -log sigmoid(-x), by hand."""
    return math.log1p(math.exp(x))


# 3 motions; columns: 3 true captions, then K = 4 extra captions owned by rows 0, 2, 2, 1
LOGITS = torch.tensor([
    [4.0, 0.0, 0.0, 3.0, 9.0, 9.0, 9.0],
    [0.0, 1.0, 0.0, 9.0, 9.0, 9.0, 2.5],
    [0.0, 0.0, 2.0, 9.0, 1.0, 5.0, 9.0],
])
OWNER = torch.tensor([0, 2, 2, 1])


def test_column_pair_loss_hand_values():
    """Each chosen extra column against its owner's true caption: the mean of
    softplus(L_neg - L_ii) over the chosen columns; the other cells play no part."""
    every = torch.tensor([True, True, True, True])
    expected = (sp(3.0 - 4.0) + sp(1.0 - 2.0) + sp(5.0 - 2.0) + sp(2.5 - 1.0)) / 4
    assert float(column_pair_loss(LOGITS, OWNER, every)) == pytest.approx(expected, rel=1e-6)
    some = torch.tensor([False, True, False, True])
    expected = (sp(1.0 - 2.0) + sp(2.5 - 1.0)) / 2
    assert float(column_pair_loss(LOGITS, OWNER, some)) == pytest.approx(expected, rel=1e-6)
    # an int 0/1 selection reads as a bool one
    assert float(column_pair_loss(LOGITS, OWNER, some.long())) == pytest.approx(expected,
                                                                                 rel=1e-6)


def test_column_pair_loss_leaves_out_false_negatives():
    """A chosen column flagged as saying the same as its row's caption is no pair: left out
    of the sum and of the count; a flag on a column not chosen changes nothing."""
    every = torch.tensor([True, True, True, True])
    mask = torch.zeros(3, 7, dtype=torch.bool)
    mask[2, 5] = True  # extra column 2 (owner 2)
    mask[0, 6] = True  # a cell of column 3, but not of its owner's row (1): ignored
    expected = (sp(3.0 - 4.0) + sp(1.0 - 2.0) + sp(2.5 - 1.0)) / 3
    got = column_pair_loss(LOGITS, OWNER, every, mask)
    assert float(got) == pytest.approx(expected, rel=1e-6)
    mask[:, 3:] = True  # every pair flagged: nothing left
    assert float(column_pair_loss(LOGITS, OWNER, every, mask)) == 0.0


def test_column_pair_loss_gradient_moves_the_pairs_apart():
    x = LOGITS.clone().requires_grad_(True)
    column_pair_loss(x, OWNER, torch.tensor([True, False, False, True])).backward()
    g = x.grad
    assert float(g[0, 0]) < 0 < float(g[0, 3])  # raise the true pair, lower the negative
    assert float(g[1, 1]) < 0 < float(g[1, 6])
    used = torch.zeros_like(g, dtype=torch.bool)
    used[0, 0] = used[0, 3] = used[1, 1] = used[1, 6] = True
    assert torch.all(g[~used] == 0)
    # by hand: d/dx softplus(n - p) = sigmoid(n - p), halved by the mean over 2 pairs
    assert float(g[0, 3]) == pytest.approx(torch.sigmoid(torch.tensor(-1.0)).item() / 2)


def test_column_pair_loss_without_pairs_is_zero_with_a_graph():
    x = LOGITS.clone().requires_grad_(True)
    out = column_pair_loss(x, OWNER, torch.zeros(4, dtype=torch.bool))
    assert out.dtype == torch.float32 and out.shape == () and float(out.detach()) == 0.0
    out.backward()
    assert x.grad is not None and torch.all(x.grad == 0)
    # no extra column at all (K = 0)
    square = LOGITS[:, :3].clone().requires_grad_(True)
    none = torch.zeros(0, dtype=torch.long)
    out = column_pair_loss(square, none, none.bool())
    assert float(out.detach()) == 0.0 and out.requires_grad


def test_column_pair_loss_rejects_selections_of_another_length():
    with pytest.raises(ValueError, match=r"must be \(4,\) for 4 extra columns; got \(3,\) and "
                                         r"\(4,\)"):
        column_pair_loss(LOGITS, OWNER[:3], torch.ones(4, dtype=torch.bool))
    with pytest.raises(ValueError, match=r"got \(4,\) and \(1, 4\)"):
        column_pair_loss(LOGITS, OWNER, torch.ones(1, 4, dtype=torch.bool))


def test_half_precision_logits_give_float32_losses():
    half = LOGITS.to(torch.bfloat16)
    every = torch.ones(4, dtype=torch.bool)
    got = column_pair_loss(half, OWNER, every)
    assert got.dtype == torch.float32
    assert float(got) == pytest.approx(float(column_pair_loss(LOGITS, OWNER, every)), rel=1e-6)
    extra = torch.tensor([[5.0], [float("-inf")], [1.0]])
    got = motion_pair_loss(half, extra.to(torch.bfloat16))
    assert got.dtype == torch.float32
    assert float(got) == pytest.approx((sp(5.0 - 4.0) + sp(1.0 - 2.0)) / 2, rel=1e-6)


def test_motion_pair_loss_unused_slots_send_no_gradient():
    """-inf marks an unused slot: it adds nothing, and no NaN reaches the gradients of the
    logits or of the negative motions' logits."""
    logits = LOGITS.clone().requires_grad_(True)
    extra = torch.tensor([[float("-inf"), 6.0], [float("-inf"), float("-inf")],
                          [0.5, float("-inf")]], requires_grad=True)
    out = motion_pair_loss(logits, extra)
    assert float(out.detach()) == pytest.approx((sp(6.0 - 4.0) + sp(0.5 - 2.0)) / 2, rel=1e-6)
    out.backward()
    assert torch.isfinite(logits.grad).all() and torch.isfinite(extra.grad).all()
    assert float(logits.grad[1, 1]) == 0.0  # caption 1 has no negative motion
    assert extra.grad[0, 0] == 0 and extra.grad[1].eq(0).all() and extra.grad[2, 1] == 0
    assert float(extra.grad[0, 1]) > 0 and float(logits.grad[0, 0]) < 0
    zero = motion_pair_loss(logits, torch.full((3, 2), float("-inf")))
    assert float(zero.detach()) == 0.0 and zero.requires_grad


def test_side_pair_loss_averages_column_and_motion_pairs_together():
    """One mean over all side pairs of both kinds (not a mean of the two means)."""
    side = torch.tensor([False, True, True, False])
    mirrored = torch.tensor([[float("-inf")], [float("-inf")], [3.0]])
    expected = (sp(1.0 - 2.0) + sp(5.0 - 2.0) + sp(3.0 - 2.0)) / 3
    got = side_pair_loss(LOGITS, OWNER, side, mirrored)
    assert float(got) == pytest.approx(expected, rel=1e-6)


def test_car_accuracy_counts_strict_wins_only():
    """A tie (the shuffled caption exactly as similar as the true one) is no win."""
    # 2 motions, K = 2: column 2 is motion 0's shuffled caption, column 3 motion 1's
    sim = torch.tensor([[0.5, 0.1, 0.5, 0.0], [0.1, 0.7, 0.0, 0.71]])
    owner = torch.tensor([0, 1])
    assert float(car_pairwise_accuracy(sim, owner)) == 0.0  # a tie and a loss
    sim[1, 3] = 0.69
    assert float(car_pairwise_accuracy(sim, owner)) == pytest.approx(0.5)  # tie, win
    sim[0, 2] = 0.4999
    assert float(car_pairwise_accuracy(sim, owner)) == 1.0


def test_car_accuracy_is_detached_float32_and_checks_the_owner_shape():
    sim = torch.tensor([[0.9, 0.1, 0.2], [0.2, 0.8, 0.95]], requires_grad=True)
    acc = car_pairwise_accuracy(sim.to(torch.bfloat16), torch.tensor([1]))
    assert acc.dtype == torch.float32 and not acc.requires_grad and float(acc) == 0.0
    assert float(car_pairwise_accuracy(sim, torch.tensor([0]))) == 1.0
    with pytest.raises(ValueError, match=r"negative_owner must be \(1,\)"):
        car_pairwise_accuracy(sim, torch.tensor([[0]]))
    with pytest.raises(ValueError, match=r"values must lie in \[0, 2\)"):
        car_pairwise_accuracy(sim, torch.tensor([-1]))
