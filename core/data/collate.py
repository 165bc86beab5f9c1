"""The training batch: padding, masks and chronological negatives in one place.

A batch (the contract between data and model, see ``core/model/model.py``) is a dict:

- ``patches``: ``(B, 3, 224, 80)`` float32 tensor, z-scored motion-patch images
- ``row_mask``: ``(B, 14)`` bool tensor, True = a real 16-frame patch row
- ``lengths``: ``(B,)`` int64 tensor, valid frames per clip (<= 224)
- ``texts``: ``B`` captions (``texts[i]`` describes motion ``i``)
- ``text_groups``: ``(B,)`` int64 tensor; equal values = identical captions in the batch
  (so the loss can treat them as positives instead of false negatives)
- ``negative_texts``: ``K`` hard-negative captions: chronologically shuffled captions (CAR)
  then, with ``side_negatives``, the side-swapped caption of every caption naming a side
- ``negative_owner``: ``(K,)`` int64 tensor, the motion each negative belongs to
- ``negative_side``: ``(K,)`` bool tensor, True for the side-swapped captions
- ``negative_motion_patches``: ``(S, 3, 224, 80)`` float32, text-to-motion hard negatives
  (same crop, same pipeline as their pair's motion): with ``side_negatives`` the mirrored
  motion of every pair whose caption names a side, then with ``order_negatives`` the
  reordered motion of every composed pair (its clips joined in another order)
- ``negative_motion_row_mask``: ``(S, 14)`` bool; ``negative_motion_owner``: ``(S,)`` int64,
  their pair; ``negative_motion_kind``: ``(S,)`` int64, the index of their kind in
  :data:`NEGATIVE_MOTION_KINDS` (0 = mirrored, 1 = reordered)
- ``motion_ids``: ``B`` dataset ids (for logging)

The index metadata (:data:`CPU_KEYS`: ``text_groups``, ``negative_owner``, ``negative_side``,
``negative_motion_owner``, ``negative_motion_kind``) stay on the CPU when the batch moves to
an accelerator: the objectives take Python decisions on them (is there a side column?) that
would otherwise wait for the device in every step.

Source: padding/mask handling after TMR (Mathux/TMR ``src/data/collate.py``); negatives after
Fujiwara et al., ECCV 2024, Sec. 4.1 (shuffled events as extra motion-to-text columns); side
negatives and reordered motions are the same idea applied to space and to the motion side
(ours, ../shared/DESIGN.md "Side accuracy").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import torch

from motionlex.core.data.pairs import PairExample, mirror_joints
from motionlex.core.motion.skeleton import Skeleton
from motionlex.core.patch_batches import clip_matrices, patches_from_joints
from motionlex.core.patches import MAX_FRAMES, PatchStats
from motionlex.core.text.orders import (
    join_events,
    normalize_caption,
    shuffled_captions,
)
from motionlex.core.text.sides import mirror_caption, names_side

CPU_KEYS = ("text_groups", "negative_owner", "negative_side", "negative_motion_owner",
            "negative_motion_kind")
"""Batch keys that stay on the CPU when a batch moves to a device (module doc)."""
NEGATIVE_MOTION_KINDS = ("mirrored", "reordered")
"""Kinds of text-to-motion hard negatives; ``negative_motion_kind`` holds their index."""
MIRRORED, REORDERED = range(len(NEGATIVE_MOTION_KINDS))
"""Indices of the two kinds in :data:`NEGATIVE_MOTION_KINDS` (a caption's slot of each)."""


def collate_pairs(
    examples: Sequence[PairExample],
    matrix: np.ndarray | Mapping[Skeleton, np.ndarray],
    stats: PatchStats,
    rng: np.random.Generator,
    *,
    negatives_per_caption: int = 1,
    max_frames: int = MAX_FRAMES,
    random_crop: bool = True,
    event_text_p: float = 0.0,
    side_negatives: bool = False,
    order_negatives: bool = False,
) -> dict:
    """Build one training batch (see the module docstring for the keys).

    Args:
        examples: ``B`` pairs on the skeleton of ``matrix``.
        matrix: ``(80, J)`` resampling matrix, or one per skeleton when the pairs are on
            several (:func:`~motionlex.core.patch_batches.part_matrices`).
        stats: training-split patch statistics.
        rng: generator for crops and shuffles (seeded by the caller).
        negatives_per_caption: shuffled captions per multi-event caption (0 disables CAR
            negatives).
        max_frames: padded length.
        random_crop: crop clips longer than ``max_frames`` at a random start (else 0).
        event_text_p: probability of replacing a multi-event caption by its events joined
            with :func:`~motionlex.core.text.orders.join_events`, the glue the negatives
            use, so that the true order cannot be told from its surface form alone.
        side_negatives: add, for every caption that names a side, its side-swapped caption
            as a negative column and its mirrored motion as a text-to-motion negative.
        order_negatives: add, for every composed pair, its reordered motion
            (:attr:`PairExample.reordered_joints`) as a text-to-motion negative.

    Returns:
        The batch dict.

    Raises:
        ValueError: empty batch or a motion on a skeleton with no matrix.
    """
    if not examples:
        raise ValueError("empty batch")
    starts = [
        int(rng.integers(0, len(e.joints) - max_frames + 1))
        if random_crop and len(e.joints) > max_frames
        else 0
        for e in examples
    ]
    patches, row_mask, lengths = patches_from_joints(
        [e.joints for e in examples], clip_matrices(matrix, [e.skeleton for e in examples]),
        stats, max_frames, starts)
    texts = [
        join_events(e.events)
        if event_text_p > 0 and len(e.events) > 1 and rng.random() < event_text_p
        else e.caption
        for e in examples
    ]
    groups: dict[str, int] = {}
    text_groups = [groups.setdefault(normalize_caption(t), len(groups)) for t in texts]
    neg_texts: list[str] = []
    neg_owner: list[int] = []
    if negatives_per_caption > 0:
        true_set = {normalize_caption(t) for t in texts}
        for i, e in enumerate(examples):
            if len(e.events) < 2:
                continue
            original = normalize_caption(join_events(e.events))
            for neg in shuffled_captions(list(e.events), negatives_per_caption, rng):
                if normalize_caption(neg) in true_set or normalize_caption(neg) == original:
                    continue
                neg_texts.append(neg)
                neg_owner.append(i)
    neg_side = [False] * len(neg_texts)
    side_rows = []
    if side_negatives:
        for i, t in enumerate(texts):
            swapped = mirror_caption(t)
            if names_side(t) and normalize_caption(swapped) != normalize_caption(t):
                neg_texts.append(swapped)
                neg_owner.append(i)
                neg_side.append(True)
                side_rows.append(i)
    motion_negatives = [(i, MIRRORED, mirror_joints(examples[i].joints, examples[i].skeleton))
                        for i in side_rows]
    if order_negatives:
        motion_negatives += [(i, REORDERED, e.reordered_joints) for i, e in enumerate(examples)
                             if e.reordered_joints is not None]
    if motion_negatives:
        mp, mr, _ = patches_from_joints(
            [j for _, _, j in motion_negatives],
            clip_matrices(matrix, [examples[i].skeleton for i, _, _ in motion_negatives]),
            stats, max_frames,
            [min(starts[i], max(0, len(j) - max_frames)) for i, _, j in motion_negatives],
        )
        negative_motions = torch.from_numpy(mp), torch.from_numpy(mr)
    else:
        negative_motions = (torch.zeros((0, *patches.shape[1:]), dtype=torch.float32),
                            torch.zeros((0, row_mask.shape[1]), dtype=torch.bool))
    return {
        "patches": torch.from_numpy(patches),
        "row_mask": torch.from_numpy(row_mask),
        "lengths": torch.from_numpy(lengths),
        "texts": texts,
        "text_groups": torch.tensor(text_groups, dtype=torch.long),
        "negative_texts": neg_texts,
        "negative_owner": torch.tensor(neg_owner, dtype=torch.long),
        "negative_side": torch.tensor(neg_side, dtype=torch.bool),
        "negative_motion_patches": negative_motions[0],
        "negative_motion_row_mask": negative_motions[1],
        "negative_motion_owner": torch.tensor([i for i, _, _ in motion_negatives],
                                              dtype=torch.long),
        "negative_motion_kind": torch.tensor([k for _, k, _ in motion_negatives],
                                             dtype=torch.long),
        "motion_ids": [e.motion_id for e in examples],
    }
