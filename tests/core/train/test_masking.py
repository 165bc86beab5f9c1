"""BERT token masking and patch masking (core/train/masking.py)."""

from __future__ import annotations

import pytest
import torch

from motionlex.core.train.losses import IGNORE_INDEX
from motionlex.core.train.masking import mask_tokens, random_patch_mask


def test_mask_tokens_labels_only_chosen_eligible_tokens() -> None:
    ids = torch.arange(2 * 12).reshape(2, 12) + 1000
    eligible = torch.ones(2, 12, dtype=torch.bool)
    eligible[:, 0] = eligible[1, 6:] = False  # [CLS] and padding never masked
    g = torch.Generator().manual_seed(0)
    masked, labels = mask_tokens(ids, eligible, 0.5, mask_token_id=7, vocab_size=50, generator=g)
    chosen = labels != IGNORE_INDEX
    assert not (chosen & ~eligible).any() and chosen.any(dim=1).all()
    assert torch.equal(labels[chosen], ids[chosen])
    assert torch.equal(masked[~chosen], ids[~chosen])  # unchosen tokens untouched
    again = mask_tokens(ids, eligible, 0.5, mask_token_id=7, vocab_size=50,
                        generator=torch.Generator().manual_seed(0))
    assert torch.equal(again[0], masked) and torch.equal(again[1], labels)


def test_mask_tokens_splits_chosen_tokens_80_10_10() -> None:
    """Of the chosen tokens, 80 % become [MASK], 10 % a random id, 10 % stay (BERT Sec. 3.1):
    on 200,000 chosen tokens each share is within 0.5 points of its target, and the rate of
    choice follows ``probability``."""
    n = 400_000
    ids = torch.full((1, n), 1000)  # outside [0, V): a random replacement never equals it
    eligible = torch.ones(1, n, dtype=torch.bool)
    masked, labels = mask_tokens(ids, eligible, 0.5, mask_token_id=7, vocab_size=50,
                                 generator=torch.Generator().manual_seed(3))
    chosen = labels != IGNORE_INDEX
    m = masked[chosen]
    share = {"mask": (m == 7).float().mean().item(),
             "kept": (m == 1000).float().mean().item(),
             "random": ((m != 7) & (m != 1000)).float().mean().item()}
    assert chosen.float().mean().item() == pytest.approx(0.5, abs=0.005)
    assert share["mask"] == pytest.approx(0.8, abs=0.005), share
    assert share["kept"] == pytest.approx(0.1, abs=0.005), share
    assert share["random"] == pytest.approx(0.1 * 49 / 50, abs=0.005), share  # 1/50 draw 7
    assert int(m[(m != 7) & (m != 1000)].max()) < 50


def test_mask_tokens_masks_at_least_one_token_per_row() -> None:
    ids = torch.full((3, 5), 9)
    eligible = torch.tensor([[0, 1, 1, 0, 0], [0, 0, 0, 0, 0], [0, 1, 0, 0, 0]], dtype=torch.bool)
    _, labels = mask_tokens(ids, eligible, 1e-6, mask_token_id=7, vocab_size=50,
                            generator=torch.Generator().manual_seed(1))
    assert (labels != IGNORE_INDEX).sum(dim=1).tolist() == [1, 0, 1]


def test_mask_tokens_rejects_bad_arguments() -> None:
    ids = torch.zeros(2, 3, dtype=torch.long)
    with pytest.raises(ValueError, match=r"must be in \(0, 1\]"):
        mask_tokens(ids, ids.bool(), 0.0, mask_token_id=1, vocab_size=5)
    with pytest.raises(ValueError, match="eligible must be bool"):
        mask_tokens(ids, ids, 0.5, mask_token_id=1, vocab_size=5)


def test_random_patch_mask_counts_and_padding() -> None:
    valid = torch.zeros(3, 10, dtype=torch.bool)
    valid[0, :10], valid[1, :4] = True, True  # row 2 has no real patch
    m = random_patch_mask(valid, 0.5, torch.Generator().manual_seed(0))
    assert m.sum(dim=1).tolist() == [5, 2, 0]
    assert not (m & ~valid).any()
    assert random_patch_mask(valid[1:2], 0.01).sum() == 1  # at least one


def test_random_patch_mask_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match=r"mask ratio must be in \(0, 1\]"):
        random_patch_mask(torch.ones(1, 4, dtype=torch.bool), 1.5)
    with pytest.raises(ValueError, match="valid must be bool"):
        random_patch_mask(torch.ones(1, 4), 0.5)
