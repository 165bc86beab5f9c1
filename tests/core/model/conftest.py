"""Fixtures of the model tests: a small 'pretrained' text model, forward outputs (the tiny
model and its batch: tests/core/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import torch

from motionlex.core.model.model import MotionTextModel
from motionlex.core.model.text_encoder import MINILM_PACKAGE_ID, resolve_text_source


def _outputs(model: MotionTextModel, batch: dict) -> list[torch.Tensor]:
    with torch.no_grad():
        m = model.forward_motion(batch["patches"], batch["row_mask"])
        t = model.forward_text(batch["texts"])
    return [m.dense, m.lexical, t.dense, t.lexical]


@pytest.fixture
def outputs() -> Callable[[MotionTextModel, dict], list[torch.Tensor]]:
    """``outputs(model, batch)``: motion dense/lexical and text dense/lexical, no grad."""
    return _outputs


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
