"""The batches of each phase, cut with the model's patch geometry (core/train/phase_data.py)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from motionlex.core.data.pairs import PairExample, compute_patch_stats
from motionlex.core.model.factory import model_config
from motionlex.core.motion.skeleton import SMPL22
from motionlex.core.train.phase_data import (
    MotionBatches,
    PhaseLoader,
    TextBatches,
    phase_dataset,
)
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
            assert len(batch["negative_motion_owner"]) == int(batch["negative_side"].sum())


def test_ddp_ranks_take_disjoint_shares_of_the_global_batches(examples) -> None:
    """Under DDP every rank cuts the same global batches (those of one process with a batch
    ``world_size`` times larger) and keeps its own contiguous share; composed pairs are
    drawn for the global batch, so no two ranks replace with the same one."""
    rng = np.random.default_rng(1)
    composed = [PairExample(rng.normal(size=(100, 22, 3)).astype(np.float32),
                            f"walks {i}, then sits", (f"walks {i}", "sits"), f"composed:{i}",
                            None, SMPL22) for i in range(3)]
    stats = compute_patch_stats(examples)
    cfg = TrainConfig(negatives_per_caption=1, mirror_p=0.5, compose_p=0.5)
    make = lambda bs, **kw: phase_dataset(  # noqa: E731
        "lexcmlp", cfg, model_config("tiny"), examples=examples, stats=stats, captions=[],
        batch_size=bs, composed=composed, **kw)
    alone, ranks = make(4), [make(2, rank=r, world_size=2) for r in range(2)]
    for epoch in range(3):
        for d in (alone, *ranks):
            d.set_epoch(epoch)
        assert len(alone) == len(ranks[0]) == len(ranks[1]) > 0
        for b in range(len(alone)):
            assert ranks[0].batches[b] + ranks[1].batches[b] == alone.batches[b]
            ids = [set(r[b]["motion_ids"]) for r in ranks]
            assert len(ids[0]) == len(ids[1]) == 2 and not ids[0] & ids[1]
            assert any(i.startswith("composed:") for i in ids[0] | ids[1])
    # a dataset pickled into a spawned process learns its rank later
    late = make(2, world_size=2)
    late.shard(1, 2)
    ranks[1].set_epoch(0)
    assert late.batches == ranks[1].batches
    with pytest.raises(ValueError, match="cannot fill one batch"):
        make(2, world_size=7)  # 6 motions, 7 ranks
    with pytest.raises(ValueError, match="rank must lie"):
        make(2, rank=2, world_size=2)


def test_ddp_text_and_motion_batches_are_sharded_too(examples) -> None:
    captions = [e.caption for e in examples]
    alone = TextBatches(captions, 6, 0)
    ranks = [TextBatches(captions, 3, 0, rank=r, world_size=2) for r in range(2)]
    assert len(alone) == len(ranks[0]) == 2
    for b in range(len(alone)):
        texts = [r[b]["texts"] for r in ranks]
        assert texts[0] + texts[1] == alone[b]["texts"] and not set(texts[0]) & set(texts[1])
    cfg, stats = TrainConfig(), compute_patch_stats(examples)
    motions = [MotionBatches(examples, stats, 2, cfg, rank=r, world_size=2) for r in range(2)]
    assert not set(motions[0].batches[0]) & set(motions[1].batches[0])
    assert not torch.equal(motions[0][0]["patches"], motions[1][0]["patches"])


def test_pair_batches_carry_their_captions_tokenised_as_the_model_would(examples) -> None:
    from motionlex.core.model.factory import create_model
    from motionlex.core.train.objectives import create_objective

    torch.manual_seed(0)
    model = create_model("tiny", device="cpu").eval()
    events = [dataclasses.replace(e, caption=f"{e.caption}, then sits down",
                                  events=(e.caption, "sits down")) for e in examples]
    cfg = TrainConfig(negatives_per_caption=1, mirror_p=0.0, event_text_p=0.0)
    data = phase_dataset("lexcmlp", cfg, model.config, examples=events,
                         stats=compute_patch_stats(events), captions=[], batch_size=4,
                         tokenizer=model.text.tokenizer, max_length=model.text.max_length)
    batch = data[0]
    assert batch["negative_texts"], "the batch should hold CAR negatives"
    expected = model.text.tokenize(batch["texts"] + batch["negative_texts"])
    for key in ("input_ids", "attention_mask"):
        assert torch.equal(batch["text_tokens"][key], expected[key]), key
    objective = create_objective("lexcmlp", model)
    plain = {k: v for k, v in batch.items() if k != "text_tokens"}
    with torch.no_grad():
        a, b = objective(model, batch, step=0), objective(model, plain, step=0)
    torch.testing.assert_close(a["loss"], b["loss"])
    bad = {**batch, "text_tokens": {k: v[:-1] for k, v in batch["text_tokens"].items()}}
    with pytest.raises(ValueError, match="text_tokens must hold"):
        objective(model, bad, step=0)


def test_motion_batches_crop_any_window_of_a_long_clip_the_last_included(monkeypatch) -> None:
    """Clips one frame longer than the crop can start at frame 0 or 1: over the epochs both
    windows are drawn (the last window of every clip is trainable, as in collate_pairs)."""
    import motionlex.core.train.phase_data as phase_data

    rng = np.random.default_rng(1)
    examples = [PairExample(rng.normal(size=(225, 22, 3)).astype(np.float32), f"moves {i}",
                            (f"moves {i}",), f"m{i}", None, SMPL22) for i in range(4)]
    data = MotionBatches(examples, compute_patch_stats(examples), 4, TrainConfig(mirror_p=0.0))
    starts = []
    real = phase_data.patches_from_joints
    monkeypatch.setattr(phase_data, "patches_from_joints",
                        lambda joints, m, stats, n, s: starts.extend(s) or real(joints, m,
                                                                                 stats, n, s))
    for epoch in range(8):
        data.set_epoch(epoch)
        data[0]
    assert set(starts) == {0, 1}


@pytest.mark.parametrize("workers", [0, 1])
def test_the_loader_resumes_in_the_epoch_and_at_the_batch_it_stopped(workers) -> None:
    """A loader given the state of one that stopped mid-epoch yields the rest of that
    epoch's batches (its shuffle, not epoch 0's), then whole epochs; after an epoch's last
    batch it starts the next epoch; its length stays the epoch's (Lightning's count). With
    a worker too (a multi-worker DataLoader iterates its sampler twice as it starts)."""
    captions = [f"caption number {i}" for i in range(16)]
    data = TextBatches(captions, 4, 0)
    epochs = []
    for e in range(3):
        data.set_epoch(e)
        epochs.append([data[b]["texts"] for b in range(len(data))])
    assert len(data) == 4 and epochs[1] != epochs[0]
    stopped = PhaseLoader(TextBatches(captions, 4, 0), num_workers=workers)
    assert stopped.state_dict() == {"epoch": 0, "next_batch": 0}
    stopped.mark(1, 1)  # batch 1 of epoch 1 trained on
    assert stopped.state_dict() == {"epoch": 1, "next_batch": 2}
    resumed = PhaseLoader(TextBatches(captions, 4, 0), num_workers=workers)
    resumed.load_state_dict(stopped.state_dict())
    assert len(resumed) == 4
    assert [b["texts"] for b in resumed] == epochs[1][2:]
    resumed.dataset.set_epoch(2)  # Lightning's next epoch: from its first batch
    assert [b["texts"] for b in resumed] == epochs[2]
    after_last = PhaseLoader(TextBatches(captions, 4, 0), num_workers=workers)
    after_last.load_state_dict({"epoch": 0, "next_batch": 4})
    assert [b["texts"] for b in after_last] == epochs[1]
    assert after_last.state_dict() == {"epoch": 1, "next_batch": 0}


class _ShortSecondEpoch(torch.utils.data.Dataset):
    """Batches whose count varies by epoch, as unique-caption batches may: epoch 1 has 3,
    the others 4 (Lightning counts every epoch at the first one's length)."""

    def __init__(self) -> None:
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return 3 if self.epoch == 1 else 4

    def __getitem__(self, b: int) -> dict:
        return {"texts": [f"e{self.epoch}b{b}"]}


def test_a_resume_after_a_short_epochs_last_batch_stays_in_that_epoch() -> None:
    """Review: a checkpoint on the last batch of a shorter epoch moved the loader to the next
    epoch while Lightning still counted the old one unfinished: the next epoch's batches
    were trained as its rest, then again from its first. The loader now yields nothing more
    of the short epoch; Lightning ends it and starts the next one itself."""
    resumed = PhaseLoader(_ShortSecondEpoch())
    resumed.load_state_dict({"epoch": 1, "next_batch": 3})
    assert len(resumed) == 4 and list(resumed) == [] and resumed.dataset.epoch == 1
    resumed.dataset.set_epoch(2)  # Lightning's next epoch
    assert [b["texts"][0] for b in resumed] == ["e2b0", "e2b1", "e2b2", "e2b3"]
    done = PhaseLoader(_ShortSecondEpoch())
    done.load_state_dict({"epoch": 0, "next_batch": 4})  # a full-length epoch: the next one
    assert [b["texts"][0] for b in done] == ["e1b0", "e1b1", "e1b2"]


def test_motion_phase_batches_use_every_motion_whatever_their_captions(shared_data) -> None:
    """A motion phase reads no caption: Bandai's template captions (30 clips and more share
    one) kept the unique-caption rule's batches of 128 to 256 of the 2,932 training motions
    per epoch (auditor's finding); every full batch's worth is used now, each motion once."""
    from motionlex.core.data.batches import unique_batches

    root = shared_data / "bandai"
    ids = [ln.strip() for ln in (root / "train.txt").read_text().splitlines() if ln.strip()]
    joints = np.zeros((40, 22, 3), np.float32)
    examples = []
    for i in ids:
        caption = (root / "texts" / f"{i}.txt").read_text().split("#", 1)[0]
        examples.append(PairExample(joints, caption, (caption,), i, None, SMPL22))
    captioned = unique_batches(examples, 128, np.random.default_rng(0))
    assert sum(map(len, captioned)) < len(ids) // 4  # the pair phases' rule: few motions
    stats = compute_patch_stats(examples[:8])
    data = MotionBatches(examples, stats, 128, TrainConfig())
    used = [i for b in data.batches for i in b]
    assert len(used) == len(set(used)) == len(ids) // 128 * 128
    data.set_epoch(1)
    assert [i for b in data.batches for i in b] != used  # reshuffled per epoch
