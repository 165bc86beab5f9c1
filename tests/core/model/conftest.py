"""Fixtures of the model tests: the tiny model, a small 'pretrained' text model, batches."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import torch

from motionlex.core.model.factory import create_model
from motionlex.core.model.model import MotionTextModel
from motionlex.core.model.text_encoder import MINILM_PACKAGE_ID, resolve_text_source

CAPTIONS = [
    "a person walks forward then turns around",
    "someone jumps up twice",
    "a man sits down on a chair",
    "the person waves with the right hand",
]
LENGTHS = [14, 9, 5, 2]


def _batch(seed: int = 0) -> dict:
    g = torch.Generator().manual_seed(seed)
    row_mask = torch.zeros(4, 14, dtype=torch.bool)
    for i, n in enumerate(LENGTHS):
        row_mask[i, :n] = True
    return {
        "patches": torch.randn(4, 3, 224, 80, generator=g),
        "row_mask": row_mask,
        "texts": list(CAPTIONS),
        "negative_texts": ["then turns around a person walks forward"],
        "negative_owner": torch.tensor([0]),
    }


def _outputs(model: MotionTextModel, batch: dict) -> list[torch.Tensor]:
    with torch.no_grad():
        m = model.forward_motion(batch["patches"], batch["row_mask"])
        t = model.forward_text(batch["texts"])
    return [m.dense, m.lexical, t.dense, t.lexical]


@pytest.fixture
def make_batch() -> Callable[[int], dict]:
    """``make_batch(seed)``: 4 random motions (14, 9, 5, 2 real rows), their captions and
    one CAR negative of the first caption."""
    return _batch


@pytest.fixture
def outputs() -> Callable[[MotionTextModel, dict], list[torch.Tensor]]:
    """``outputs(model, batch)``: motion dense/lexical and text dense/lexical, no grad."""
    return _outputs


@pytest.fixture(scope="module")
def tiny() -> MotionTextModel:
    torch.manual_seed(0)
    return create_model("tiny", device="cpu").eval()


@pytest.fixture(scope="module")
def tiny_text_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small 'pretrained' BERT on the MiniLM vocabulary, saved like a hub checkpoint."""
    from transformers import AutoTokenizer, BertConfig, BertForMaskedLM

    d = tmp_path_factory.mktemp("tinybert")
    torch.manual_seed(1)
    cfg = BertConfig(
        hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64
    )
    BertForMaskedLM(cfg).save_pretrained(d)
    AutoTokenizer.from_pretrained(resolve_text_source(MINILM_PACKAGE_ID)).save_pretrained(d)
    return d
