"""Training examples and batches: padding, masks and chronological negatives in one place.

A batch (the contract between data and model, see ``core/model.py``) is a dict:

- ``patches``: ``(B, 3, 224, 80)`` float32 tensor, z-scored motion-patch images
- ``row_mask``: ``(B, 14)`` bool tensor, True = a real 16-frame patch row
- ``lengths``: ``(B,)`` int64 tensor, valid frames per clip (<= 224)
- ``texts``: ``B`` captions (``texts[i]`` describes motion ``i``)
- ``text_groups``: ``(B,)`` int64 tensor; equal values = identical captions in the batch
  (so the loss can treat them as positives instead of false negatives)
- ``negative_texts``: ``K`` chronologically shuffled captions (CAR hard negatives)
- ``negative_owner``: ``(K,)`` int64 tensor, the motion each negative belongs to
- ``motion_ids``: ``B`` dataset ids (for logging)

Source: padding/mask handling after TMR (Mathux/TMR ``src/data/collate.py``); negatives after
Fujiwara et al., ECCV 2024, Sec. 4.1 (shuffled events as extra motion-to-text columns).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch

from motionlex.core.data.datasets import MotionDataset
from motionlex.core.motion.motion import mirror_caption, mirror_motion
from motionlex.core.motion.skeleton import Skeleton
from motionlex.core.patches import (
    MAX_FRAMES,
    PatchStats,
    PatchStatsAccumulator,
    patches_from_joints,
    sample_points,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PairExample:
    """One (motion, caption) training pair.

    Attributes:
        joints: ``(T, J, 3)`` float32, metres, canonical form (20 fps).
        caption: the caption.
        events: the caption's events in chronological order (1 for single-event captions).
        motion_id: dataset id of the motion.
        label: an action label when the dataset has one (Bandai ``action``), else None.
        skeleton: the motion's skeleton.
    """

    joints: np.ndarray
    caption: str
    events: tuple[str, ...]
    motion_id: str
    label: str | None
    skeleton: Skeleton


def load_pair_examples(
    roots: Sequence[str | Path],
    split: str,
    *,
    with_events: bool = True,
    progress: bool = True,
) -> list[PairExample]:
    """Load every (motion, caption) pair of ``split`` from one or more dataset folders.

    Motions are canonical; each caption's span crops its motion. Captions are split into
    events once, here (spaCy, batched), so training never parses text.

    Args:
        roots: dataset folders (HumanML3D/KIT-ML layout or BVH folders).
        split: split name; a folder without that split file is skipped with a warning
            (e.g. ``cmu_kitml`` has no validation ids).
        with_events: parse events (False gives single-event tuples, for speed in tests).
        progress: show a progress bar.

    Returns:
        The pairs, in dataset order.

    Raises:
        FileNotFoundError / DatasetError: a root that does not exist or is not a dataset.
    """
    examples: list[tuple] = []
    for root in roots:
        try:
            ds = MotionDataset(root, split)
        except FileNotFoundError as e:
            if "split file not found" in str(e):
                logger.warning("%s: no %s split, skipped", root, split)
                continue
            raise
        samples, report = ds.scan(progress=progress)
        if report.skipped:
            logger.warning("%s", report.summary())
        for s in samples:
            label = s.record.meta.get("action")
            for cap in s.captions:
                try:
                    m = s.motion.crop_seconds(cap.start, cap.end)
                except ValueError as e:
                    logger.warning("skipping caption span: %s", e)
                    continue
                examples.append((m.joints, cap.text, s.record.id, label, m.skeleton))
    if with_events and examples:
        from motionlex.core.text.events import split_events_batch

        events = split_events_batch([e[1] for e in examples])
    else:
        events = [[e[1]] for e in examples]
    return [
        PairExample(j, c, tuple(ev) or (c,), mid, lab, sk)
        for (j, c, mid, lab, sk), ev in zip(examples, events)
    ]


def composed_examples(
    examples: Sequence[PairExample], n: int, rng: np.random.Generator, *, test_set: bool = False
) -> list[PairExample]:
    """Multi-event pairs composed from real clips of ``examples`` (see :mod:`.compose`).

    One clip per distinct motion (its first caption) enters the pool, labelled by its
    action label when it has one. ``test_set=True`` uses the deterministic chronology test
    set builder (:func:`compose.chronology_test_set`) seeded from ``rng``.

    Returns:
        Up to ``n`` pairs with their true event order in ``events``; empty when the pool has
        fewer than two distinct labels.
    """
    from motionlex.core.data.compose import chronology_test_set, sample_composed_pairs
    from motionlex.core.motion.motion import Motion

    pool, seen = [], set()
    for e in examples:
        if e.motion_id in seen:
            continue
        seen.add(e.motion_id)
        pool.append((Motion(e.joints, 20.0, e.skeleton, name=e.motion_id), e.caption, e.label))
    if n <= 0 or len({(lab or c) for _, c, lab in pool}) < 3:
        return []
    try:
        if test_set:
            pairs = chronology_test_set(pool, n, int(rng.integers(0, 2**31)))
        else:
            pairs = sample_composed_pairs(pool, n, rng)
    except ValueError as err:
        logger.warning("no composed pairs: %s", err)
        return []
    skeleton = examples[0].skeleton
    return [
        PairExample(p.motion.motion.joints, p.caption, tuple(p.events),
                    "composed:" + "+".join(s or "?" for s in p.motion.sources), None, skeleton)
        for p in pairs
    ]


def compute_patch_stats(examples: Sequence[PairExample], source: str = "") -> PatchStats:
    """Z-score statistics over the distinct motions of training examples (each once).

    Raises:
        ValueError: when ``examples`` is empty.
    """
    from motionlex.core.patches import part_resampling_matrix

    acc = PatchStatsAccumulator()
    seen: set[int] = set()
    matrices: dict[str, np.ndarray] = {}
    for ex in examples:
        key = id(ex.joints)
        if key in seen:
            continue
        seen.add(key)
        mat = matrices.setdefault(ex.skeleton.name, part_resampling_matrix(ex.skeleton))
        acc.update(sample_points(ex.joints, mat))
    return acc.finalize(source=source)


def augment(ex: PairExample, rng: np.random.Generator, mirror_p: float) -> PairExample:
    """Mirror a training pair with probability ``mirror_p`` (joints and left/right words)."""
    if mirror_p <= 0 or rng.random() >= mirror_p:
        return ex
    from motionlex.core.motion.motion import Motion

    m = mirror_motion(Motion(ex.joints, 20.0, ex.skeleton))
    return replace(
        ex,
        joints=m.joints,
        caption=mirror_caption(ex.caption),
        events=tuple(mirror_caption(e) for e in ex.events),
    )


def collate_pairs(
    examples: Sequence[PairExample],
    matrix: np.ndarray,
    stats: PatchStats,
    rng: np.random.Generator,
    *,
    negatives_per_caption: int = 1,
    max_frames: int = MAX_FRAMES,
    random_crop: bool = True,
    event_text_p: float = 0.0,
) -> dict:
    """Build one training batch (see the module docstring for the keys).

    Args:
        examples: ``B`` pairs on the skeleton of ``matrix``.
        matrix: ``(80, J)`` resampling matrix.
        stats: training-split patch statistics.
        rng: generator for crops and shuffles (seeded by the caller).
        negatives_per_caption: shuffled captions per multi-event caption (0 disables CAR
            negatives).
        max_frames: padded length.
        random_crop: crop clips longer than ``max_frames`` at a random start (else 0).
        event_text_p: probability of replacing a multi-event caption by its events joined
            with :func:`events.join_events`, the glue the negatives use, so that the true
            order cannot be told from its surface form alone.

    Returns:
        The batch dict.

    Raises:
        ValueError: empty batch or a motion on another skeleton.
    """
    from motionlex.core.text.events import join_events, shuffled_captions

    if not examples:
        raise ValueError("empty batch")
    starts = [
        int(rng.integers(0, len(e.joints) - max_frames + 1))
        if random_crop and len(e.joints) > max_frames
        else 0
        for e in examples
    ]
    patches, row_mask, lengths = patches_from_joints(
        [e.joints for e in examples], matrix, stats, max_frames, starts
    )
    texts = [
        join_events(e.events)
        if event_text_p > 0 and len(e.events) > 1 and rng.random() < event_text_p
        else e.caption
        for e in examples
    ]
    groups: dict[str, int] = {}
    text_groups = [groups.setdefault(t.strip().lower(), len(groups)) for t in texts]
    neg_texts: list[str] = []
    neg_owner: list[int] = []
    if negatives_per_caption > 0:
        true_set = {t.strip().lower() for t in texts}
        for i, e in enumerate(examples):
            if len(e.events) < 2:
                continue
            original = join_events(e.events).strip().lower()
            for neg in shuffled_captions(list(e.events), negatives_per_caption, rng):
                if neg.strip().lower() in true_set or neg.strip().lower() == original:
                    continue
                neg_texts.append(neg)
                neg_owner.append(i)
    return {
        "patches": torch.from_numpy(patches),
        "row_mask": torch.from_numpy(row_mask),
        "lengths": torch.from_numpy(lengths),
        "texts": texts,
        "text_groups": torch.tensor(text_groups, dtype=torch.long),
        "negative_texts": neg_texts,
        "negative_owner": torch.tensor(neg_owner, dtype=torch.long),
        "motion_ids": [e.motion_id for e in examples],
    }


def unique_batches(
    examples: Sequence[PairExample],
    batch_size: int,
    rng: np.random.Generator,
    drop_last: bool = True,
) -> list[list[int]]:
    """One epoch of batches in which no motion and no caption appears twice.

    Identical captions (template captions, mirrored copies) and two captions of one motion
    would be false negatives for each other in InfoNCE; TMR filters such pairs by text
    similarity, we keep them out of the same batch. Examples that do not fit are deferred
    to later batches; leftovers that cannot form a full batch are dropped (``drop_last``).

    Args:
        examples: the training pairs.
        batch_size: ``B``.
        rng: seeded generator (one permutation per call).
        drop_last: drop a final partial batch.

    Returns:
        Lists of example indices.

    Raises:
        ValueError: ``batch_size < 1``.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    pending = list(rng.permutation(len(examples)))
    batches: list[list[int]] = []
    while pending:
        batch: list[int] = []
        motions: set[str] = set()
        captions: set[str] = set()
        rest: list[int] = []
        for i in pending:
            ex = examples[i]
            cap = ex.caption.strip().lower()
            if len(batch) < batch_size and ex.motion_id not in motions and cap not in captions:
                batch.append(int(i))
                motions.add(ex.motion_id)
                captions.add(cap)
            else:
                rest.append(i)
        if len(batch) < batch_size and drop_last:
            break
        batches.append(batch)
        pending = rest
    return batches
