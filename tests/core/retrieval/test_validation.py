"""Validation during training on real Bandai val clips with a tiny model: the cheap protocols
(All, CAR, side, words) and their keys. Equality with ``motionlex evaluate`` is checked in
test_evaluate.py."""

from __future__ import annotations

import pytest

from motionlex.core.data.pairs import load_pair_examples
from motionlex.core.retrieval.validation import validation_metrics
from motionlex.core.text.sides import names_side


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


def test_validation_scores_the_clip_order_of_composed_pairs(bandai_val, model, stats):
    """Composed val pairs carry their reordered motion: ``chronology/motion`` is the share of
    captions that prefer their clip order. Swapping every pair's motion with its reordered
    motion turns each pass into a failure and back (no ties on real clips)."""
    from dataclasses import replace

    import numpy as np

    from motionlex.core.data.pairs import composed_examples

    examples = load_pair_examples([bandai_val], "all", progress=False)
    composed = composed_examples(examples, 8, np.random.default_rng(0), test_set=True)
    assert composed and all(e.reordered_joints is not None for e in composed)
    out = validation_metrics(model, examples + composed, stats, words=False)
    assert out["chronology/n"] == len(composed) == out["n/composed"]
    # the gallery is recorded as evaluate records its own: captions and distinct motions
    assert out["n/texts"] == len(examples) + len(composed)
    assert out["n/motions"] == len({e.motion_id for e in examples + composed})
    swapped = [replace(e, joints=e.reordered_joints, reordered_joints=e.joints)
               for e in composed]
    flipped = validation_metrics(model, examples + swapped, stats, words=False)
    for sim in ("dense", "lexical", "fused"):
        assert out[f"chronology/motion/{sim}"] + flipped[f"chronology/motion/{sim}"] == \
            pytest.approx(100.0), sim
    assert "chronology/n" not in validation_metrics(model, examples, stats, words=False)
