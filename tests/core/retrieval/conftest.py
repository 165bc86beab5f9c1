"""Shared fixtures of the retrieval tests: a tiny checkpoint with real patch statistics, a
gallery index built from real data (humanml3d_samples, raw_bvh, 10 Bandai val clips), and
hand-made scores (a scorer over given matrices, fused scores computed without the library)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from motionlex.core.data.datasets import MotionDataset
from motionlex.core.model.factory import create_model
from motionlex.core.model.model import MotionTextModel
from motionlex.core.patches import (
    PatchStats,
    PatchStatsAccumulator,
    part_resampling_matrix,
    sample_points,
)
from motionlex.core.retrieval.build import build_index


@pytest.fixture(scope="module")
def checkpoint(shared_data, tmp_path_factory):
    """A tiny model directory with patch statistics from real motions (loaded back)."""
    ds = MotionDataset(shared_data / "humanml3d_samples", "all")
    acc = PatchStatsAccumulator()
    for rec in ds.records:
        m = ds.load_motion(rec)
        acc.update(sample_points(m.joints, part_resampling_matrix(m.skeleton)))
    torch.manual_seed(0)
    d = tmp_path_factory.mktemp("ckpt") / "model"
    create_model("tiny", device="cpu").save_pretrained(
        d, extra_json={"patch_stats.json": acc.finalize("humanml3d_samples").to_dict()})
    return d


@pytest.fixture(scope="module")
def model(checkpoint):
    return MotionTextModel.from_pretrained(checkpoint, device="cpu")


@pytest.fixture(scope="module")
def stats(checkpoint):
    return PatchStats.load(checkpoint / "patch_stats.json")


@pytest.fixture(scope="module")
def bandai_val(shared_data, tmp_path_factory, make_subset):
    src = shared_data / "bandai"
    ids = [ln.strip() for ln in (src / "val.txt").read_text().splitlines() if ln.strip()]
    return make_subset(src, tmp_path_factory.mktemp("bv") / "bandai_val", ids[::7][:10])


@pytest.fixture(scope="module")
def built(shared_data, bandai_val, model, stats, checkpoint, tmp_path_factory):
    """An index of humanml3d_samples (7) + raw_bvh (10 BVH) + 10 Bandai val clips."""
    out = tmp_path_factory.mktemp("idx") / "gallery.mlx"
    data = [shared_data / "humanml3d_samples", shared_data / "raw_bvh", bandai_val]
    rep = build_index(model, data, out, patch_stats=stats, progress=False,
                      checkpoint=checkpoint)
    return rep, data


def _matrix_scorer(texts, dense, lexical):
    """A scorer over given ``(len(texts), M)`` dense and lexical matrices (rows by caption)."""
    row = {t: i for i, t in enumerate(texts)}

    def score(captions, motions):
        ix = np.ix_([row[t] for t in captions], np.asarray(motions, np.int64))
        return dense[ix], lexical[ix]
    return score


def _fused_by_hand(dense, lexical, w, over):
    """``w * dense + (1 - w) * lexical / its max over ``over`` (0: texts, m2t; 1: motions)``,
    written here rather than taken from :func:`~motionlex.core.retrieval.fusion.fuse`."""
    top = lexical.max(axis=over, keepdims=True)
    return w * dense + (1 - w) * lexical / np.where(top > 0, top, 1)


@pytest.fixture
def matrix_scorer():
    """``matrix_scorer(texts, dense, lexical)``: a scorer over given matrices."""
    return _matrix_scorer


@pytest.fixture
def fused_by_hand():
    """``fused_by_hand(dense, lexical, w, over)``: fused scores computed in the test."""
    return _fused_by_hand
