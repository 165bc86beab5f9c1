"""The training batch dict: padding, row masks, identical-caption groups, CAR negatives."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from motionlex.core.data.collate import collate_pairs
from motionlex.core.data.pairs import PairExample
from motionlex.core.motion.skeleton import SMPL22
from motionlex.core.patch_batches import patches_from_joints
from motionlex.core.patches import MAX_FRAMES, PatchStats, part_resampling_matrix


def _example(n: int, caption: str, events: tuple[str, ...], mid: str) -> PairExample:
    rng = np.random.default_rng(n)
    joints = rng.normal(0, 0.3, (n, SMPL22.num_joints, 3)).astype(np.float32)
    return PairExample(joints, caption, events, mid, None, SMPL22)


@pytest.fixture(scope="module")
def matrix() -> np.ndarray:
    return part_resampling_matrix(SMPL22)


def test_batch_keys_shapes_and_masks(matrix):
    exs = [_example(40, "A person waves", ("A person waves",), "a"),
           _example(300, "a person waves ", ("a person waves",), "b"),
           _example(64, "a person jumps, then sits",
                    ("a person jumps", "a person sits"), "c")]
    batch = collate_pairs(exs, matrix, PatchStats.identity(), np.random.default_rng(0),
                          negatives_per_caption=1)
    assert batch["patches"].shape == (3, 3, MAX_FRAMES, 80)
    assert batch["patches"].dtype == torch.float32
    assert batch["lengths"].tolist() == [40, MAX_FRAMES, 64]
    assert batch["row_mask"].shape == (3, MAX_FRAMES // 16)
    assert batch["row_mask"].sum(1).tolist() == [3, 14, 4]
    assert batch["text_groups"].tolist() == [0, 0, 1]  # identical captions share a group
    assert batch["negative_texts"] == ["a person sits, then a person jumps"]
    assert batch["negative_owner"].tolist() == [2]
    assert batch["motion_ids"] == ["a", "b", "c"] and batch["texts"][2] == exs[2].caption


def test_no_negatives_and_event_text(matrix):
    ex = _example(30, "a person jumps and sits", ("a person jumps", "a person sits"), "x")
    batch = collate_pairs([ex], matrix, PatchStats.identity(), np.random.default_rng(0),
                          negatives_per_caption=0, event_text_p=1.0, random_crop=False)
    assert batch["negative_texts"] == [] and batch["negative_owner"].shape == (0,)
    assert batch["texts"] == ["a person jumps, then a person sits"]


def test_empty_batch_raises(matrix):
    with pytest.raises(ValueError, match="empty batch"):
        collate_pairs([], matrix, PatchStats.identity(), np.random.default_rng(0))


def test_side_negatives_add_swapped_captions_and_mirrored_motions(matrix):
    exs = [_example(40, "a person waves the left hand", ("a person waves the left hand",), "a"),
           _example(60, "a person jumps, then sits", ("a person jumps", "a person sits"), "b"),
           _example(50, "a person turns clockwise", ("a person turns clockwise",), "c")]
    off = collate_pairs(exs, matrix, PatchStats.identity(), np.random.default_rng(0))
    assert off["negative_side"].tolist() == [False] and off["negative_motion_patches"].shape[0] == 0
    on = collate_pairs(exs, matrix, PatchStats.identity(), np.random.default_rng(0),
                       side_negatives=True)
    assert on["negative_texts"] == ["a person sits, then a person jumps",
                                    "a person waves the right hand",
                                    "a person turns counterclockwise"]
    assert on["negative_owner"].tolist() == [1, 0, 2]
    assert on["negative_side"].tolist() == [False, True, True]
    assert on["negative_motion_owner"].tolist() == [0, 2]
    assert on["negative_motion_patches"].shape == (2, 3, MAX_FRAMES, 80)
    torch.testing.assert_close(on["negative_motion_row_mask"], on["row_mask"][[0, 2]])
    # the mirrored motion is another image of the same clip, through the same pipeline
    assert not torch.equal(on["negative_motion_patches"][0], on["patches"][0])
    torch.testing.assert_close(on["patches"], off["patches"])


def test_order_negatives_add_the_reordered_motions_of_composed_pairs(matrix):
    composed = _example(80, "a person waves the left hand, then walks",
                        ("a person waves the left hand", "a person walks"), "c")
    reordered = np.random.default_rng(9).normal(0, 0.3, composed.joints.shape).astype(np.float32)
    from dataclasses import replace

    exs = [_example(40, "a person walks", ("a person walks",), "a"),
           replace(composed, reordered_joints=reordered)]
    off = collate_pairs(exs, matrix, PatchStats.identity(), np.random.default_rng(0),
                        side_negatives=True)
    assert off["negative_motion_owner"].tolist() == [1]  # the mirrored motion only
    assert off["negative_motion_kind"].tolist() == [0]
    on = collate_pairs(exs, matrix, PatchStats.identity(), np.random.default_rng(0),
                       side_negatives=True, order_negatives=True)
    assert on["negative_motion_owner"].tolist() == [1, 1]  # mirrored, then reordered
    assert on["negative_motion_kind"].tolist() == [0, 1]
    assert on["negative_texts"] == off["negative_texts"]  # no new caption column
    alone, _, _ = patches_from_joints([reordered], matrix, PatchStats.identity(), MAX_FRAMES,
                                      [0])
    torch.testing.assert_close(on["negative_motion_patches"][1], torch.from_numpy(alone[0]))
    torch.testing.assert_close(on["negative_motion_row_mask"][1], on["row_mask"][1])


def test_a_batch_on_two_skeletons_resamples_each_clip_on_its_own(shared_data, matrix):
    """A BVH folder trained beside a joints dataset: each clip of a batch is resampled on
    its own skeleton (the native Bandai skeleton has 21 joints, SMPL-22 22; a skeleton of
    the same joint count in another order would be read wrong by the other's matrix)."""
    from motionlex.core.motion.files import load_motion_file
    from motionlex.core.patch_batches import part_matrices
    from motionlex.core.patches import motion_patch_image

    bvh = load_motion_file(shared_data / "raw_bvh" / "bandai_1_dash_normal_001.bvh")
    npy = load_motion_file(shared_data / "bandai" / "new_joints" / "bn1_dash_active_001.npy")
    assert (bvh.skeleton.num_joints, npy.skeleton.num_joints) == (21, 22)
    exs = [PairExample(npy.joints, "a person dashes", ("a person dashes",), "npy", None,
                       npy.skeleton),
           PairExample(bvh.joints, "a person runs", ("a person runs",), "bvh", None,
                       bvh.skeleton)]
    mats = part_matrices([e.skeleton for e in exs])
    assert isinstance(mats, dict) and len(mats) == 2
    batch = collate_pairs(exs, mats, PatchStats.identity(), np.random.default_rng(0),
                          random_crop=False)
    for i, e in enumerate(exs):  # each clip as it would be alone on its own skeleton
        n = min(len(e.joints), MAX_FRAMES)
        alone = motion_patch_image(e.joints[:n], part_resampling_matrix(e.skeleton))
        assert np.allclose(batch["patches"][i, :, :n].numpy(), alone, atol=1e-5)
    with pytest.raises(ValueError, match="expected"):  # one matrix for both cannot work
        patches_from_joints([e.joints for e in exs], matrix, None)
    # one skeleton: the one-matrix fast path
    assert isinstance(part_matrices([SMPL22, SMPL22]), np.ndarray)
    with pytest.raises(ValueError, match="no resampling matrix for skeleton"):
        collate_pairs(exs, {npy.skeleton: mats[npy.skeleton]}, PatchStats.identity(),
                      np.random.default_rng(0))


def test_negative_motions_of_a_long_clip_share_its_random_crop(matrix):
    """A 500-frame clip is cropped to 224 frames at a random start: its mirrored and its
    reordered negatives are cut at that same start, so they differ from the clip only in side
    or order, never in which seconds of it were shown (a negative from another time window
    would let the model tell them apart by content)."""
    from dataclasses import replace

    from motionlex.core.data.pairs import mirror_joints

    ex = _example(500, "a person waves the left hand, then walks",
                  ("a person waves the left hand", "a person walks"), "long")
    reordered = np.roll(ex.joints, 250, axis=0)
    ex = replace(ex, reordered_joints=reordered)
    stats = PatchStats.identity()
    batch = collate_pairs([ex], matrix, stats, np.random.default_rng(4), side_negatives=True,
                          order_negatives=True)

    def image(joints, start):
        return torch.from_numpy(patches_from_joints([joints], matrix, stats, MAX_FRAMES,
                                                     [start])[0][0])

    starts = [s for s in range(500 - MAX_FRAMES + 1)
              if torch.equal(image(ex.joints, s), batch["patches"][0])]
    assert len(starts) == 1 and starts[0] > 0  # a random crop, found again
    assert batch["negative_motion_kind"].tolist() == [0, 1]
    torch.testing.assert_close(batch["negative_motion_patches"][0],
                               image(mirror_joints(ex.joints, SMPL22), starts[0]))
    torch.testing.assert_close(batch["negative_motion_patches"][1], image(reordered, starts[0]))
