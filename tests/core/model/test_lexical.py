"""Lexical pooling, similarity, vocabularies and top words (core/model/lexical.py)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from motionlex.core.model.lexical import (
    excluded_vocabulary_ids,
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


def test_masked_max_logits_values_and_gradient_on_hand_values() -> None:
    # 2 captions, 3 tokens, 2 words; caption 1's last token is padding and holds the largest
    # logits, caption 0 ties on word 1
    logits = torch.tensor([[[1.0, 5.0], [3.0, 5.0], [2.0, 0.0]],
                           [[0.5, -1.0], [-2.0, 4.0], [9.0, 9.0]]], requires_grad=True)
    mask = torch.tensor([[True, True, True], [True, True, False]])
    pooled = masked_max_logits(logits, mask)
    torch.testing.assert_close(pooled, torch.tensor([[3.0, 5.0], [0.5, 4.0]]))
    (pooled * torch.tensor([[1.0, 2.0], [3.0, 4.0]])).sum().backward()
    # each word's gradient goes to one maximising real token (the first of a tie), padding
    # gets none
    expected = torch.tensor([[[0.0, 2.0], [1.0, 0.0], [0.0, 0.0]],
                             [[3.0, 0.0], [0.0, 4.0], [0.0, 0.0]]])
    torch.testing.assert_close(logits.grad, expected)


def test_masked_max_logits_in_bfloat16_matches_float32() -> None:
    logits, mask = _logits_and_mask()
    low = logits.bfloat16()
    torch.testing.assert_close(masked_max_logits(low, mask), masked_max_logits(low.float(), mask))
    assert masked_max_logits(low, mask).dtype == torch.float32


def test_lexical_similarity_cosine_and_dot() -> None:
    a = torch.tensor([[3.0, 4.0, 0.0]])
    b = torch.tensor([[3.0, 0.0, 0.0], [0.0, 0.0, 2.0]])
    torch.testing.assert_close(lexical_similarity(a, b, "dot"), torch.tensor([[9.0, 0.0]]))
    torch.testing.assert_close(lexical_similarity(a, b, "cosine"), torch.tensor([[0.6, 0.0]]))
    # NumPy rows, as encode_texts / encode_motions return them: a NumPy matrix back
    sim = lexical_similarity(a.numpy(), b.numpy(), "cosine")
    assert isinstance(sim, np.ndarray) and sim.dtype == np.float32
    np.testing.assert_allclose(sim, [[0.6, 0.0]], atol=1e-6)


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
