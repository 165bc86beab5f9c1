"""Contrastive, CAR, reconstruction and FLOPS losses (core/train/losses.py) on hand-computed
values."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from motionlex.core.model.factory import create_model
from motionlex.core.text.orders import normalize_caption
from motionlex.core.train.losses import (
    contrastive_loss,
    flops_loss,
    flops_weight,
    masked_lm_loss,
    masked_patch_loss,
    near_duplicate_mask,
    same_text_mask,
    uniformity_loss,
    word_loss,
)
from motionlex.core.train.pair_losses import car_pairwise_accuracy, side_pair_loss


def _nll(own: float, row: list[float]) -> float:
    return -math.log(math.exp(own) / sum(math.exp(x) for x in row))


def test_contrastive_loss_with_car_negative_hand_computed() -> None:
    # 2 motions x (2 captions + 1 shuffled caption of motion 0), already scaled logits
    s11, s12, s1n = 2.0, 0.5, 1.5
    s21, s22, s2n = 0.3, 1.0, 0.8
    logits = torch.tensor([[s11, s12, s1n], [s21, s22, s2n]])
    out = contrastive_loss(logits)

    m2t = 0.5 * (_nll(s11, [s11, s12, s1n]) + _nll(s22, [s21, s22, s2n]))
    t2m = 0.5 * (_nll(s11, [s11, s21]) + _nll(s22, [s12, s22]))
    assert float(out.m2t) == pytest.approx(m2t, rel=1e-6)
    assert float(out.t2m) == pytest.approx(t2m, rel=1e-6)
    assert float(out.loss) == pytest.approx((m2t + t2m) / 2, rel=1e-6)

    # the extra column raises the m2t loss (CAR, ECCV 2024, eq. 5) and leaves t2m unchanged
    plain = contrastive_loss(logits[:, :2])
    m2t_plain = 0.5 * (_nll(s11, [s11, s12]) + _nll(s22, [s21, s22]))
    assert float(plain.m2t) == pytest.approx(m2t_plain, rel=1e-6)
    assert float(out.m2t) > float(plain.m2t)
    assert float(out.t2m) == float(plain.t2m)


def test_contrastive_loss_square_matches_clip_formula() -> None:
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(4, 4, generator=g) * 5
    out = contrastive_loss(logits)
    labels = torch.arange(4)
    expected = (
        torch.nn.functional.cross_entropy(logits, labels)
        + torch.nn.functional.cross_entropy(logits.t(), labels)
    ) / 2
    torch.testing.assert_close(out.loss, expected)


def test_contrastive_loss_rejects_fewer_columns_than_rows() -> None:
    with pytest.raises(ValueError, match=r"\(N, N \+ K\)"):
        contrastive_loss(torch.zeros(3, 2))


def test_car_pairwise_accuracy_hand_example() -> None:
    sim = torch.tensor(
        [
            [0.9, 0.1, 0.5, 0.95],  # negative 0 (owner 0) scores 0.5 < 0.9; negative 1 above
            [0.2, 0.7, 0.1, 0.3],
        ]
    )
    owner = torch.tensor([0, 0])
    assert float(car_pairwise_accuracy(sim, owner)) == pytest.approx(0.5)
    assert math.isnan(float(car_pairwise_accuracy(sim[:, :2], torch.zeros(0, dtype=torch.long))))


def test_car_pairwise_accuracy_rejects_owner_count() -> None:
    with pytest.raises(ValueError, match=r"\(2,\)"):
        car_pairwise_accuracy(torch.zeros(2, 4), torch.tensor([0]))


def test_car_pairwise_accuracy_rejects_owner_out_of_range() -> None:
    with pytest.raises(ValueError, match=r"\[0, 2\)"):
        car_pairwise_accuracy(torch.zeros(2, 3), torch.tensor([2]))


def test_masked_lm_loss_counts_only_masked_tokens() -> None:
    logits = torch.tensor([[[2.0, 0.0, 0.0], [0.0, 1.0, 0.0]], [[0.0, 0.0, 3.0], [1.0, 1.0, 1.0]]])
    labels = torch.tensor([[0, -100], [1, -100]])
    expected = 0.5 * (_nll(2.0, [2.0, 0.0, 0.0]) + _nll(0.0, [0.0, 0.0, 3.0]))
    assert float(masked_lm_loss(logits, labels)) == pytest.approx(expected, rel=1e-6)


def test_masked_lm_loss_rejects_no_masked_token() -> None:
    with pytest.raises(ValueError, match="no masked token"):
        masked_lm_loss(torch.zeros(1, 2, 3), torch.full((1, 2), -100))


def test_masked_lm_loss_rejects_shape_mismatch() -> None:
    with pytest.raises(ValueError, match=r"\(B, L\)"):
        masked_lm_loss(torch.zeros(1, 2, 3), torch.zeros(1, 3, dtype=torch.long))


def test_masked_patch_loss_only_masked_patches() -> None:
    target = torch.zeros(1, 3, 2)
    pred = torch.tensor([[[1.0, 1.0], [2.0, 0.0], [100.0, 100.0]]])
    mask = torch.tensor([[True, True, False]])
    # patch 0: mean((1,1)^2) = 1; patch 1: mean((2,0)^2) = 2 -> 1.5; patch 2 ignored
    assert float(masked_patch_loss(pred, target, mask)) == pytest.approx(1.5)


def test_masked_patch_loss_rejects_shape_mismatch() -> None:
    with pytest.raises(ValueError, match=r"\(B, N, P\)"):
        masked_patch_loss(torch.zeros(1, 3, 2), torch.zeros(1, 3, 4), torch.ones(1, 3, dtype=bool))


def test_masked_patch_loss_rejects_non_bool_mask() -> None:
    with pytest.raises(ValueError, match="bool"):
        masked_patch_loss(torch.zeros(1, 3, 2), torch.zeros(1, 3, 2), torch.ones(1, 3))


def test_masked_patch_loss_rejects_empty_mask() -> None:
    with pytest.raises(ValueError, match="no masked patch"):
        masked_patch_loss(torch.zeros(1, 3, 2), torch.zeros(1, 3, 2), torch.zeros(1, 3, dtype=bool))


def test_flops_loss_hand_value() -> None:
    w = torch.tensor([[1.0, 0.0, 0.0], [3.0, 2.0, 0.0]])
    # column means of |w|: 2, 1, 0 -> 2^2 + 1^2 + 0 = 5
    assert float(flops_loss(w)) == pytest.approx(5.0)


def test_flops_loss_rejects_non_matrix() -> None:
    with pytest.raises(ValueError, match=r"\(N, V\)"):
        flops_loss(torch.ones(5))
    with pytest.raises(ValueError, match=r"\(N, V\)"):
        flops_loss(torch.ones(0, 5))


def test_flops_weight_quadratic_warmup() -> None:
    assert flops_weight(0, 0.1, 100) == 0.0
    assert flops_weight(50, 0.1, 100) == pytest.approx(0.1 * 0.25)
    assert flops_weight(100, 0.1, 100) == pytest.approx(0.1)
    assert flops_weight(10_000, 0.1, 100) == pytest.approx(0.1)
    assert flops_weight(0, 0.1, 0) == pytest.approx(0.1)


def test_flops_weight_rejects_negative_arguments() -> None:
    with pytest.raises(ValueError, match="step=-1"):
        flops_weight(-1, 0.1, 100)


def test_flops_drives_text_lexical_sparsity_down() -> None:
    """A few FLOPS-only optimisation steps on a real tiny model leave fewer non-zero words."""
    torch.manual_seed(0)
    model = create_model("tiny", device="cpu").eval()
    captions = [
        "a person walks forward and then turns around",
        "someone jumps up twice",
        "a man sits down on a chair",
        "the person waves with the right hand",
    ]
    params = [p for n, p in model.named_parameters() if n.startswith("text.mlm.cls")]
    opt = torch.optim.Adam(params, lr=1e-2)

    def nonzeros() -> float:
        with torch.no_grad():
            return float((model.forward_text(captions).lexical > 0).float().sum(-1).mean())

    before = nonzeros()
    for _ in range(5):
        opt.zero_grad()
        flops_loss(model.forward_text(captions).lexical).backward()
        opt.step()
    after = nonzeros()
    assert before > 1000  # an untrained head is dense
    assert after < 0.6 * before
    assert math.isfinite(after)


# ------------------------------------------------------------ false negatives, side, words
def test_false_negative_mask_removes_identical_caption_both_directions() -> None:
    # motions 0 and 1 have the same caption; column 2 is an extra (CAR/side) caption.
    logits = torch.tensor([[2.0, 1.5, 0.3], [1.0, 3.0, 0.2]])
    mask = torch.tensor([[True, True, False], [True, True, False]])  # diagonal ignored
    res = contrastive_loss(logits, false_negatives=mask)
    m2t = (-torch.log_softmax(torch.tensor([2.0, 0.3]), 0)[0]
           - torch.log_softmax(torch.tensor([3.0, 0.2]), 0)[0]) / 2
    torch.testing.assert_close(res.m2t, m2t)
    # text-to-motion: each caption sees only its own motion (the other is masked): loss 0
    torch.testing.assert_close(res.t2m, torch.tensor(0.0))
    plain = contrastive_loss(logits)
    assert float(plain.m2t) > float(res.m2t) and float(plain.t2m) > 0


def test_t2m_negatives_join_text_to_motion_only() -> None:
    logits = torch.tensor([[2.0, 0.0], [0.0, 2.0]])
    extra = torch.tensor([[1.0], [float("-inf")]])  # caption 0 vs its mirrored motion
    res = contrastive_loss(logits, t2m_negatives=extra)
    plain = contrastive_loss(logits)
    torch.testing.assert_close(res.m2t, plain.m2t)
    t2m = (-torch.log_softmax(torch.tensor([2.0, 0.0, 1.0]), 0)[0]
           - torch.log_softmax(torch.tensor([0.0, 2.0]), 0)[1]) / 2
    torch.testing.assert_close(res.t2m, t2m)


def test_contrastive_loss_rejects_bad_mask_and_extra_shapes() -> None:
    with pytest.raises(ValueError, match="false_negatives must be"):
        contrastive_loss(torch.zeros(2, 3), false_negatives=torch.zeros(2, 2, dtype=torch.bool))
    with pytest.raises(ValueError, match="t2m_negatives must be"):
        contrastive_loss(torch.zeros(2, 3), t2m_negatives=torch.zeros(3, 1))


def test_same_text_mask_uses_the_caption_key() -> None:
    mask = same_text_mask(["A person walks.", "a person waves the left hand"],
                          ["a person walks", "a person waves the left hand",
                           "a  person walks ", "a person waves the right hand"])
    assert mask.tolist() == [[True, False, True, False], [False, True, False, False]]


def test_same_text_mask_is_every_pair_of_caption_keys_compared() -> None:
    """The tensor comparison of caption ids equals comparing every (row, column) pair of
    keys, repeated captions and empty sides included."""
    rng = np.random.default_rng(0)
    pool = ["A person walks.", "a person walks", "someone jumps", "Someone jumps!", "sits"]
    rows = [pool[i] for i in rng.integers(0, len(pool), 40)]
    cols = rows + [pool[i] for i in rng.integers(0, len(pool), 25)]
    pairs = [[normalize_caption(r) == normalize_caption(c) for c in cols] for r in rows]
    assert same_text_mask(rows, cols).tolist() == pairs
    assert same_text_mask([], cols).shape == (0, 65)
    assert same_text_mask(rows, []).shape == (40, 0)


def test_near_duplicate_mask_threshold() -> None:
    emb = torch.nn.functional.normalize(torch.tensor([[1.0, 0.0], [0.99, 0.1], [0.0, 1.0]]), dim=1)
    assert near_duplicate_mask(emb, 2, 0.9).tolist() == [[True, True, False], [True, True, False]]
    # the extra columns (a row's event-shuffled / side-swapped caption, near-identical in
    # wording by design) are hard negatives: never filtered
    shuffled = torch.cat([emb, emb[:1], emb[1:2] * 0.999])
    assert near_duplicate_mask(shuffled, 3, 0.9).tolist() == [
        [True, True, False, False, False], [True, True, False, False, False],
        [False, False, True, False, False]]


def test_word_loss_hand_value_and_empty_rows() -> None:
    logits = torch.tensor([[2.0, 0.0, torch.finfo(torch.float32).min], [1.0, 1.0, 1.0]])
    target = torch.tensor([[0.5, 0.5, 0.0], [0.0, 0.0, 0.0]])
    logp = torch.log_softmax(torch.tensor([2.0, 0.0]), 0)
    torch.testing.assert_close(word_loss(logits, target), -(0.5 * logp).sum())
    assert float(word_loss(logits, torch.zeros(2, 3))) == 0.0
    with pytest.raises(ValueError, match="temperature"):
        word_loss(logits, target, 0.0)
    with pytest.raises(ValueError, match=r"\(B, V\)"):
        word_loss(logits, target[:1])


def test_uniformity_loss_hand_values() -> None:
    """Collapsed embeddings score the maximum 0; orthonormal ones ``log exp(-2 * 2) = -4``
    (every pair at squared distance 2); scale does not matter (rows are normalised)."""
    assert float(uniformity_loss(torch.ones(5, 3))) == pytest.approx(0.0, abs=1e-6)
    assert float(uniformity_loss(3.0 * torch.eye(4))) == pytest.approx(-4.0, abs=1e-5)
    gen = torch.Generator().manual_seed(0)
    spread = torch.nn.functional.normalize(torch.randn(64, 8, generator=gen), dim=-1)
    bunched = spread[:, :1].abs() + 0.1 * spread  # every row near the first axis
    assert -4.0 < float(uniformity_loss(spread)) < float(uniformity_loss(bunched))
    with pytest.raises(ValueError, match="B >= 2"):
        uniformity_loss(torch.ones(1, 3))


def test_side_pair_loss_hand_values() -> None:
    # 2 motions; columns: 2 true captions, a CAR column of row 0, a side column of row 1
    logits = torch.tensor([[3.0, 0.0, 1.0, -5.0], [0.0, 2.0, 0.0, 2.5]])
    owner, side = torch.tensor([0, 1]), torch.tensor([False, True])
    sp = lambda x: math.log1p(math.exp(x))  # noqa: E731 - softplus
    got = side_pair_loss(logits, owner, side)
    assert float(got) == pytest.approx(sp(2.5 - 2.0))  # only the side column, not CAR's
    # caption 0's mirrored motion scores 4 against its motion's 3; caption 1 has none
    mirrored = torch.tensor([[4.0], [float("-inf")]])
    got = side_pair_loss(logits, owner, side, mirrored)
    assert float(got) == pytest.approx((sp(0.5) + sp(1.0)) / 2)
    # a side column that says the same as its row's caption is no pair
    mask = torch.zeros(2, 4, dtype=torch.bool)
    mask[1, 3] = True
    assert float(side_pair_loss(logits, owner, side, mirrored, mask)) == pytest.approx(sp(1.0))
    # no side pair: zero that still backpropagates
    x = logits.clone().requires_grad_(True)
    zero = side_pair_loss(x, owner, torch.tensor([False, False]))
    zero.backward()
    assert float(zero.detach()) == 0.0 and x.grad is not None
    # gradient raises the true pair and lowers the swapped caption
    x = logits.clone().requires_grad_(True)
    side_pair_loss(x, owner, side).backward()
    assert float(x.grad[1, 1]) < 0 < float(x.grad[1, 3])
    with pytest.raises(ValueError, match="extra columns"):
        side_pair_loss(logits, torch.tensor([0]), torch.tensor([True]))
