"""(motion, caption) examples from real data, patch statistics from train, mirroring."""

from __future__ import annotations

import numpy as np
import pytest

from motionlex.core.data.pairs import (
    PairExample,
    augment,
    composed_examples,
    compute_patch_stats,
    load_pair_examples,
)
from motionlex.core.motion.skeleton import SMPL22


@pytest.fixture(scope="module")
def examples(shared_data, tmp_path_factory) -> list[PairExample]:
    return load_pair_examples([shared_data / "humanml3d_samples"], "all", progress=False)


def test_examples_are_canonical_pairs_with_events(examples):
    assert examples
    for ex in examples:
        assert ex.joints.ndim == 3 and ex.joints.shape[1:] == (22, 3)
        assert ex.joints.dtype == np.float32 and ex.events and ex.caption
        assert ex.skeleton.name == "smpl22"
    assert any(len(ex.events) > 1 for ex in examples)


def test_missing_split_is_skipped(shared_data):
    assert load_pair_examples([shared_data / "humanml3d_samples"], "nosuchsplit",
                              progress=False) == []


def test_patch_stats_count_each_motion_once(examples):
    stats = compute_patch_stats(examples, source="samples")
    frames = sum(len(j) for j in {id(e.joints): e.joints for e in examples}.values())
    assert stats.count == frames and stats.source == "samples"
    assert stats.mean.shape == (80, 3) and (stats.std > 0).all()
    with pytest.raises(ValueError):
        compute_patch_stats([])


def test_augment_mirrors_joints_and_words():
    joints = np.random.default_rng(0).normal(size=(5, 22, 3)).astype(np.float32)
    ex = PairExample(joints, "waves the left hand", ("waves the left hand",), "m", None, SMPL22)
    assert augment(ex, np.random.default_rng(0), 0.0) is ex
    m = augment(ex, np.random.default_rng(0), 1.0)
    assert m.caption == "waves the right hand" and m.events == ("waves the right hand",)
    np.testing.assert_allclose(m.joints[:, 1, 0], -joints[:, 2, 0])


def test_composed_examples_need_three_labels(examples):
    rng = np.random.default_rng(0)
    assert composed_examples(examples[:1], 4, rng) == []
    assert composed_examples(examples, 0, rng) == []
