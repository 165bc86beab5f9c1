"""ViT helpers: patch order, token masks, position tables, configs (core/model/vit.py)."""

from __future__ import annotations

import pytest
import torch

from motionlex.core.model.vit import (
    build_vit_config,
    patchify,
    resize_position_embeddings,
    row_mask_to_token_mask,
)


def test_patchify_rejects_non_multiple_size() -> None:
    with pytest.raises(ValueError, match="multiples of 16"):
        patchify(torch.zeros(1, 3, 224, 81), 16)


def test_row_mask_to_token_mask() -> None:
    m = row_mask_to_token_mask(torch.arange(14).unsqueeze(0) < 2, 5)
    assert m.shape == (1, 70)
    assert m[0, :10].all() and not m[0, 10:].any()


def test_resize_position_embeddings_keeps_cls_and_rows() -> None:
    g = torch.Generator().manual_seed(0)
    rows = torch.randn(14, 8, generator=g)
    cls = torch.randn(1, 1, 8, generator=g)
    table = torch.cat([cls, rows.repeat_interleave(14, dim=0).unsqueeze(0)], dim=1)  # (1, 197, 8)
    new = resize_position_embeddings(table, (14, 14), (14, 5))
    assert new.shape == (1, 71, 8)
    torch.testing.assert_close(new[:, :1], cls)
    # each grid row is constant across columns, so bicubic resizing of the columns keeps it
    torch.testing.assert_close(new[0, 1:].reshape(14, 5, 8), rows[:, None].expand(14, 5, 8))
    torch.testing.assert_close(resize_position_embeddings(new, (14, 5), (14, 5)), new)


def test_resize_position_embeddings_rejects_wrong_table() -> None:
    with pytest.raises(ValueError, match=r"\(1, 1 \+ 14\*14, D\)"):
        resize_position_embeddings(torch.zeros(1, 71, 8), (14, 14), (14, 5))


def test_build_vit_config_rejects_indivisible_heads() -> None:
    with pytest.raises(ValueError, match="divisible"):
        build_vit_config(
            hidden_size=30,
            num_layers=1,
            num_heads=4,
            intermediate_size=8,
            image_size=(224, 80),
            patch_size=16,
        )
