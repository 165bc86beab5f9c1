"""Lexical pooling, similarity, FLOPS and top words (core/lexical.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from motionlex.core.model.lexical import (
    excluded_vocabulary_ids,
    flops_loss,
    flops_weight,
    lexical_similarity,
    masked_max_logits,
    top_words,
)


def _logits_and_mask(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(3, 5, 11, generator=g) * 3
    mask = torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [1, 0, 0, 0, 0]], dtype=torch.bool)
    return logits, mask


def test_masked_max_logits_rejects_non_bool_mask() -> None:
    logits, mask = _logits_and_mask()
    with pytest.raises(ValueError, match="bool"):
        masked_max_logits(logits, mask.long())


def test_masked_max_logits_rejects_wrong_shapes() -> None:
    logits, mask = _logits_and_mask()
    with pytest.raises(ValueError, match=r"\(B, L\)"):
        masked_max_logits(logits, mask[:, :4])
    with pytest.raises(ValueError, match=r"\(B, L, V\)"):
        masked_max_logits(logits[0], mask)


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


def test_lexical_similarity_cosine_and_dot() -> None:
    a = torch.tensor([[3.0, 4.0, 0.0]])
    b = torch.tensor([[3.0, 0.0, 0.0], [0.0, 0.0, 2.0]])
    torch.testing.assert_close(lexical_similarity(a, b, "dot"), torch.tensor([[9.0, 0.0]]))
    torch.testing.assert_close(lexical_similarity(a, b, "cosine"), torch.tensor([[0.6, 0.0]]))


def test_lexical_similarity_rejects_unknown_mode() -> None:
    with pytest.raises(ValueError, match="one of"):
        lexical_similarity(torch.ones(1, 3), torch.ones(1, 3), "l2")


def test_lexical_similarity_rejects_vocab_mismatch() -> None:
    with pytest.raises(ValueError, match=r"\(N, V\)"):
        lexical_similarity(torch.ones(1, 3), torch.ones(1, 4))


def test_excluded_vocabulary_ids() -> None:
    tokens = ["[PAD]", "[unused0]", "walk", "[unused12]", "[CLS]", "unused"]
    assert excluded_vocabulary_ids(tokens, [0, 4]) == [0, 1, 3, 4]


def test_top_words_order_and_zero_weights() -> None:
    tokens = ["a", "walk", "jump", "sit"]
    w = torch.tensor([[0.0, 2.0, 0.5, 0.0], [1.0, 0.0, 0.0, 3.0]])
    out = top_words(w, tokens, k=3)
    assert out == [[("walk", 2.0), ("jump", 0.5)], [("sit", 3.0), ("a", 1.0)]]
    single = top_words(np.array([0.0, 0.0, 0.25, 0.0], dtype=np.float32), tokens, k=10)
    assert single == [[("jump", 0.25)]]


def test_top_words_rejects_bad_k() -> None:
    with pytest.raises(ValueError, match="k must be"):
        top_words(torch.ones(4), ["a", "b", "c", "d"], k=0)


def test_top_words_rejects_wrong_vocab_size() -> None:
    with pytest.raises(ValueError, match="V = 4"):
        top_words(torch.ones(2, 5), ["a", "b", "c", "d"])


def test_flops_drives_text_lexical_sparsity_down() -> None:
    """A few FLOPS-only optimisation steps on a real tiny model leave fewer non-zero words."""
    from motionlex.core.model.factory import create_model

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
            return float((model.lexical_text(captions) > 0).float().sum(-1).mean())

    before = nonzeros()
    for _ in range(5):
        opt.zero_grad()
        flops_loss(model.lexical_text(captions)).backward()
        opt.step()
    after = nonzeros()
    assert before > 1000  # an untrained head is dense
    assert after < 0.6 * before
    assert math.isfinite(after)
