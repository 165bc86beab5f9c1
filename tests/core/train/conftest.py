"""Fixtures of the objective tests: the tiny model and a small phase batch."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch

from motionlex.core.model.factory import create_model
from motionlex.core.model.model import MotionTextModel

CAPTIONS = (
    "a person walks forward then turns around",
    "someone jumps up twice",
    "a man sits down on a chair",
    "the person waves with the right hand",
)


@pytest.fixture
def make_batch() -> Callable[[int], dict]:
    """``make_batch(seed)``: 4 random motions with 14, 9, 5 and 2 real rows, their captions,
    and the first caption's events swapped as one CAR negative."""

    def build(seed: int = 0) -> dict:
        g = torch.Generator().manual_seed(seed)
        real = torch.tensor([14, 9, 5, 2])
        return {
            "patches": torch.randn(4, 3, 224, 80, generator=g),
            "row_mask": torch.arange(14).unsqueeze(0) < real.unsqueeze(1),
            "texts": list(CAPTIONS),
            "negative_texts": ["then turns around a person walks forward"],
            "negative_owner": torch.tensor([0]),
        }

    return build


@pytest.fixture(scope="module")
def tiny() -> MotionTextModel:
    torch.manual_seed(0)
    return create_model("tiny", device="cpu").eval()
