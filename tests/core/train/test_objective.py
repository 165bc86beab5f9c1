"""The objective base: loss settings, batch checks, caption masking helpers
(core/train/objective.py)."""

from __future__ import annotations

import pytest
import torch

from motionlex.core.model.factory import create_model
from motionlex.core.train.objective import (
    ObjectiveConfig,
    caption_tokens,
    ramped_flops_weight,
)
from motionlex.core.train.objectives import LexCMLPObjective


def test_objective_config_rejects_invalid_values() -> None:
    with pytest.raises(ValueError, match="lexical_align_weight must be >= 0"):
        ObjectiveConfig(lexical_align_weight=-1.0)
    with pytest.raises(ValueError, match="lexmmm_uniformity_weight must be >= 0, got -0.5"):
        ObjectiveConfig(lexmmm_uniformity_weight=-0.5)
    with pytest.raises(ValueError, match=r"cmmm_mask_ratio must be in \(0, 1\]"):
        ObjectiveConfig(cmmm_mask_ratio=0.0)
    with pytest.raises(ValueError, match=r"unknown objective keys: 'flops'"):
        ObjectiveConfig.from_dict({"flops": 1.0})
    assert ObjectiveConfig.from_dict(ObjectiveConfig().to_dict()) == ObjectiveConfig()


def test_ramped_flops_weight_is_full_without_a_step() -> None:
    assert ramped_flops_weight(None, 0.1, 100) == 0.1
    assert ramped_flops_weight(50, 0.1, 100) == pytest.approx(0.025)


def test_caption_tokens_never_offer_special_or_padding_tokens() -> None:
    model = create_model("tiny", device="cpu")
    tok, eligible = caption_tokens(model, ["a person walks", "someone jumps up twice"])
    ids = tok["input_ids"]
    special = torch.isin(ids, model.special_token_ids)
    assert not (eligible & special).any() and not (eligible & ~tok["attention_mask"].bool()).any()
    assert eligible.sum(dim=1).tolist() == [3, 4]


def test_check_batch_is_a_classmethod_of_each_objective() -> None:
    with pytest.raises(ValueError, match=r"phase 'lexcmlp' batch lacks \['texts'\]"):
        LexCMLPObjective.check_batch({"patches": torch.zeros(1), "row_mask": torch.zeros(1)})
