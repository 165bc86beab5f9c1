"""The batches of each phase, cut with the model's patch geometry (core/train/phase_data.py)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from motionlex.core.data.pairs import PairExample, compute_patch_stats
from motionlex.core.model.factory import model_config
from motionlex.core.motion.skeleton import SMPL22
from motionlex.core.train.phase_data import MotionBatches, TextBatches, phase_dataset
from motionlex.core.train.train_config import TrainConfig


@pytest.fixture(scope="module")
def examples() -> list[PairExample]:
    rng = np.random.default_rng(0)
    out = []
    for i in range(6):
        joints = rng.normal(size=(150 + 20 * i, 22, 3)).astype(np.float32)
        for cap in (f"a person does move {i}", f"someone moves {i} times"):
            out.append(PairExample(joints, cap, (cap,), f"m{i}", None, SMPL22))
    return out


def test_phase_batches_follow_the_model_patch_geometry(examples) -> None:
    cfg = TrainConfig(negatives_per_caption=0, mirror_p=0.0)
    stats = compute_patch_stats(examples)
    short = dataclasses.replace(model_config("tiny"), max_frames=112)
    for phase in ("lexmmm", "dense"):
        data = phase_dataset(phase, cfg, short, examples=examples, stats=stats, captions=[],
                             batch_size=4)
        batch = data[0]
        assert tuple(batch["patches"].shape) == (4, 3, 112, 80), phase
        assert tuple(batch["row_mask"].shape) == (4, 7), phase
    default = phase_dataset("cmmm", cfg, model_config("tiny"), examples=examples, stats=stats,
                            captions=[], batch_size=4)
    assert isinstance(default, MotionBatches)
    assert tuple(default[0]["patches"].shape) == (4, 3, 224, 80)


def test_text_batches_deduplicate_and_reshuffle(examples) -> None:
    captions = [e.caption for e in examples] + [" a person does move 0 ", ""]
    data = phase_dataset("lexmlm", TrainConfig(), model_config("tiny"), examples=examples,
                         stats=None, captions=captions, batch_size=5)
    assert isinstance(data, TextBatches) and len(data.captions) == 12 and len(data) == 2
    first = [data[b]["texts"] for b in range(len(data))]
    data.set_epoch(1)
    assert [data[b]["texts"] for b in range(len(data))] != first
    with pytest.raises(ValueError, match="no captions"):
        TextBatches(["  "], 4, 0)


def _identical_caption_pairs(batch: dict) -> int:
    from motionlex.core.text.orders import normalize_caption

    keys = [normalize_caption(t) for t in batch["texts"]]
    return len(keys) - len(set(keys))


def test_mirroring_happens_before_deduplication() -> None:
    rng = np.random.default_rng(0)
    out = []
    for i in range(40):  # mirror pairs: a left wave and a right wave of different motions
        side = ("left", "right")[i % 2]
        joints = rng.normal(size=(60, 22, 3)).astype(np.float32)
        cap = f"a person waves the {side} hand"
        out.append(PairExample(joints, cap, (cap,), f"m{i}", None, SMPL22))
    stats = compute_patch_stats(out)
    cfg = TrainConfig(negatives_per_caption=0, mirror_p=0.5, event_text_p=0.0)
    data = phase_dataset("dense", cfg, model_config("tiny"), examples=out, stats=stats,
                         captions=[], batch_size=2)
    assert len(data) > 0
    for epoch in range(3):
        data.set_epoch(epoch)
        assert all(_identical_caption_pairs(data[b]) == 0 for b in range(len(data)))


def test_no_identical_captions_in_real_bandai_batches(shared_data) -> None:
    """Bandai val (70 clips, side words in many captions): mirroring then de-duplicating
    leaves no identical-caption pair in a batch of 32 (mirroring after de-duplication left
    about one per batch on the train split)."""
    from motionlex.core.data.pairs import load_pair_examples

    examples = load_pair_examples([shared_data / "bandai"], "val", with_events=False,
                                  progress=False)
    cfg = TrainConfig(negatives_per_caption=0, mirror_p=0.5, event_text_p=0.0,
                      side_negatives=True)
    data = phase_dataset("dense", cfg, model_config("tiny"), examples=examples,
                         stats=compute_patch_stats(examples), captions=[], batch_size=32)
    for epoch in range(2):
        data.set_epoch(epoch)
        for b in range(len(data)):
            batch = data[b]
            assert _identical_caption_pairs(batch) == 0
            assert len(batch["mirrored_owner"]) == int(batch["negative_side"].sum())
