"""Fusion of dense and lexical similarity and the weight recorded by validation."""

from __future__ import annotations

import json

import numpy as np
import pytest

from motionlex.core.retrieval.fusion import (
    checkpoint_fusion_weight,
    choose_fusion_weight,
    fuse,
    normalize_lexical,
)

EYE2 = np.eye(2, dtype=bool)
SIM2 = np.array([[0.9, 0.1], [0.2, 0.8]])


def test_normalize_lexical_and_fuse() -> None:
    lex = np.array([[2.0, 4.0, 0.0], [0.0, 0.0, 0.0]], dtype=np.float32)
    np.testing.assert_array_equal(normalize_lexical(lex, 1), [[0.5, 1, 0], [0, 0, 0]])
    np.testing.assert_array_equal(normalize_lexical(lex, 0), [[1, 1, 0], [0, 0, 0]])
    dense = np.array([[0.2, -0.4, 0.6], [0.1, 0.3, 0.0]], dtype=np.float16)
    # 0.25 * dense + 0.75 * [[0.5, 1, 0], [0, 0, 0]]
    out = fuse(dense, lex, 0.25)
    assert out.dtype == np.float32  # result_type(float16, float32, float32)
    assert fuse(dense, lex.astype(np.float64), 0.25).dtype == np.float64
    np.testing.assert_allclose(out, [[0.425, 0.65, 0.15], [0.025, 0.075, 0.0]], atol=1e-3)
    np.testing.assert_array_equal(fuse(dense, lex, 1.0), dense.astype(np.float32))


def test_choose_fusion_weight() -> None:
    dense = np.array([[0.9, 0.1], [0.6, 0.5]])  # text1 wrong by dense alone
    lex = np.array([[1.0, 2.0], [0.0, 2.0]])  # per-row max -> [[0.5, 1], [0, 1]]: text0 wrong
    pos = np.eye(2, dtype=bool)
    # text0 right iff 0.9w + 0.5(1-w) > 0.1w + (1-w)  <=> w > 5/13 = 0.385
    # text1 right iff 0.5w + (1-w) > 0.6w              <=> w < 10/11 = 0.909
    assert choose_fusion_weight(dense, lex, pos, grid=[0.0, 0.5, 1.0]) == 0.5
    # every w in (0.385, 0.909) ties: the one nearest an even mix wins (it was the first, 0.4)
    assert choose_fusion_weight(dense, lex, pos) == pytest.approx(0.5)
    assert choose_fusion_weight(dense, lex, pos, direction="both") == pytest.approx(0.5)
    # a saturated validation set ties every weight: 0.5, not 0.0 (lexical only)
    assert choose_fusion_weight(np.eye(3), np.eye(3), np.eye(3, dtype=bool)) == 0.5
    # a tied range that leaves 0.5 out: its end nearest 0.5
    assert choose_fusion_weight(dense, lex, pos, grid=[0.0, 0.45, 0.4, 0.95]) == 0.45
    assert choose_fusion_weight(dense, lex, pos, grid=[0.95, 1.0]) == 0.95  # both wrong once


def test_motion_to_text_weight_scales_lexical_per_motion() -> None:
    """m2t fuses with each motion's (column's) lexical maximum, as a motion query would see
    its gallery of captions: checked against the weights ranked by hand, on a matrix where
    the per-caption scaling would choose another weight."""
    from motionlex.core.retrieval.metrics import bidirectional_metrics as metrics

    rng = np.random.default_rng(7)
    grid = np.linspace(0, 1, 11)
    for _ in range(50):
        dense = rng.normal(0.3, 0.2, (12, 12)) + 0.25 * np.eye(12)
        lex = rng.gamma(0.6, 1.0, (12, 12)) * rng.gamma(2.0, 1.0, (1, 12)) + np.eye(12)
        pos = np.eye(12, dtype=bool)

        def by_hand(axis: int, dense=dense, lex=lex, pos=pos) -> float:
            crit = [np.mean([metrics(fuse(dense, lex, w, axis=axis).T, pos.T, ks=(1, 5, 10))[
                "t2m"][f"R@{k}"] for k in (1, 5, 10)]) for w in grid]
            best = np.flatnonzero(np.isclose(crit, max(crit), rtol=0.0, atol=1e-9))
            return float(min(grid[best], key=lambda w: (abs(w - 0.5), w)))

        if by_hand(0) != by_hand(1):
            break
    else:
        pytest.fail("no matrix where the two scalings choose different weights")
    assert choose_fusion_weight(dense, lex, pos, grid, direction="m2t") == by_hand(0)


def test_checkpoint_fusion_weight(tmp_path):
    assert checkpoint_fusion_weight(tmp_path) is None
    (tmp_path / "val_metrics.json").write_text(json.dumps({"fusion/weight": 0.35}))
    assert checkpoint_fusion_weight(tmp_path) == 0.35
    (tmp_path / "val_metrics.json").write_text(json.dumps({"fusion_weight": 3.0}))
    assert checkpoint_fusion_weight(tmp_path) is None
    (tmp_path / "val_metrics.json").write_text(json.dumps({"fusion_weight": 0.3, "CAR": 50.0}))
    assert checkpoint_fusion_weight(tmp_path) == 0.3
    (tmp_path / "val_metrics.json").write_text("{not json")
    assert checkpoint_fusion_weight(tmp_path) is None


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: normalize_lexical(-SIM2), ">= 0"),
        (lambda: normalize_lexical(SIM2, axis=2), "axis"),
        (lambda: fuse(SIM2, np.ones((2, 3)), 0.5), "dense's shape"),
        (lambda: fuse(SIM2, SIM2, 1.5), r"\[0, 1\]"),
        (lambda: choose_fusion_weight(SIM2, SIM2, EYE2, grid=[]), "grid"),
        (lambda: choose_fusion_weight(SIM2, SIM2, EYE2, direction="x"), "direction"),
    ],
)
def test_raises_value_error(call, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        call()
