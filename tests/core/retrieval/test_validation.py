"""Validation during training on real Bandai val clips with a tiny model: the cheap protocols
(All, CAR, side, words) and their keys. Equality with ``motionlex evaluate`` is checked in
test_evaluate.py."""

from __future__ import annotations

import pytest

from motionlex.core.data.pairs import load_pair_examples
from motionlex.core.retrieval.validation import validation_metrics
from motionlex.core.text.orders import names_side


def test_validation_metrics_side_and_word_keys(bandai_val, model, stats):
    examples = load_pair_examples([bandai_val], "all", progress=False)
    out = validation_metrics(model, examples, stats)
    n_side = sum(names_side(e.caption) for e in examples)
    assert n_side > 0 and out["side/text/n"] == out["side/motion/n"] == n_side
    for side in ("text", "motion"):
        assert out[f"side/{side}"] == out[f"side/{side}/dense"]
        for sim in ("dense", "lexical", "fused"):
            assert 0 <= out[f"side/{side}/{sim}"] <= 100
    assert 0 <= out["words/precision@10"] <= 1 and 0 <= out["words/query_recall@10"] <= 1
    assert out["words/n_motions"] == len({e.motion_id for e in examples})
    fast = validation_metrics(model, examples, stats, words=False)
    assert not any(k.startswith("words/") for k in fast)
    assert fast["side/text"] == pytest.approx(out["side/text"])
