"""(motion, caption) training examples: loading, composed examples, patch statistics, mirroring.

A :class:`PairExample` is one caption with its (cropped, canonical) motion and its events;
:func:`load_pair_examples` reads them from dataset folders, :func:`composed_examples` adds
multi-event pairs built from real clips (:mod:`motionlex.core.data.composition`),
:func:`compute_patch_stats` computes the z-score statistics on the training split only
(../shared/DESIGN.md), and :func:`mirror_pair` / :func:`augment` mirror a pair (joints and
side words).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from motionlex.core.data.composition import (
    chronology_test_set,
    one_skeleton_pool,
    sample_composed_pairs,
)
from motionlex.core.data.datasets import MotionDataset
from motionlex.core.motion.motion import CANONICAL_FPS, Motion, mirror_motion
from motionlex.core.motion.skeleton import Skeleton, as_skeleton
from motionlex.core.patches import (
    PatchStats,
    PatchStatsAccumulator,
    part_resampling_matrix,
    sample_points,
)
from motionlex.core.text.events import split_events_batch
from motionlex.core.text.sides import mirror_caption

logger = logging.getLogger(__name__)

_PARSE_CHUNK = 1024
"""Captions parsed per step of the "parsing captions" bar."""

@dataclass(frozen=True, eq=False)
class PairExample:
    """One (motion, caption) training pair.

    Attributes:
        joints: ``(T, J, 3)`` float32, metres, canonical form (20 fps).
        caption: the caption.
        events: the caption's events in chronological order (1 for single-event captions).
        motion_id: dataset id of the motion.
        label: an action label when the dataset has one (Bandai ``action``), else None.
        skeleton: the motion's skeleton.
        reordered_joints: composed pairs only: ``(T, J, 3)`` float32, the same clips (same
            crops, same seams) joined in another order (:attr:`ComposedPair.motion_negative
            <motionlex.core.data.compose.ComposedPair>`), a text-to-motion hard negative of
            ``caption`` (``TrainConfig.order_negatives``); None for real clips.
    """

    joints: np.ndarray
    caption: str
    events: tuple[str, ...]
    motion_id: str
    label: str | None
    skeleton: Skeleton
    reordered_joints: np.ndarray | None = None


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
        if report.skipped or report.spans:  # the summary names spans outside their clip
            logger.warning("%s", report.summary())
        for s in samples:
            label = s.record.meta.get("action")
            for cap in s.captions:
                try:
                    m = s.motion.crop_seconds(cap.start, cap.end, canonical=True)
                except ValueError as e:
                    logger.debug("skipping caption span: %s", e)
                    continue
                examples.append((m.joints, cap.text, s.record.id, label, m.skeleton))
    if with_events and examples:  # spaCy: loading and parsing take a while, said by a bar
        caps = [e[1] for e in examples]
        events = []
        with tqdm(total=len(caps), desc="parsing captions", unit="caption",
                  disable=not progress) as bar:
            for i in range(0, len(caps), _PARSE_CHUNK):
                events += split_events_batch(caps[i:i + _PARSE_CHUNK])
                bar.update(len(caps[i:i + _PARSE_CHUNK]))
    else:
        events = [[e[1]] for e in examples]
    return [
        PairExample(j, c, tuple(ev) or (c,), mid, lab, sk)
        for (j, c, mid, lab, sk), ev in zip(examples, events)
    ]


def composed_examples(
    examples: Sequence[PairExample], n: int, rng: np.random.Generator, *, test_set: bool = False
) -> list[PairExample]:
    """Multi-event pairs composed from real clips of ``examples`` (see :mod:`~.compose`).

    One clip per distinct motion (its first caption) enters the pool, labelled by its
    action label when it has one. ``test_set=True`` uses the deterministic chronology test
    set builder (:func:`chronology_test_set`) seeded from ``rng``.

    Returns:
        Up to ``n`` pairs with their true event order in ``events``; empty when the pool has
        fewer than two distinct labels.
    """
    pool, seen = [], set()
    for e in examples:
        if e.motion_id in seen:
            continue
        seen.add(e.motion_id)
        motion = Motion(e.joints, CANONICAL_FPS, e.skeleton, name=e.motion_id)
        pool.append((motion, e.caption, e.label))
    pool, left_out, _ = one_skeleton_pool(pool)
    if left_out:
        logger.info("composed pairs from the %d motions on %s's skeleton (%d on other "
                    "skeletons left out: composition joins clips of one skeleton)",
                    len(pool), pool[0][0].name, left_out)
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
    skeleton = pool[0][0].skeleton
    return [
        PairExample(p.motion.motion.joints, p.caption, tuple(p.events),
                    "composed:" + "+".join(s or "?" for s in p.motion.sources), None, skeleton,
                    reordered_joints=p.motion_negative.motion.joints)
        for p in pairs
    ]


def distinct_motions(examples: Sequence[Any]) -> tuple[list[Any], np.ndarray]:
    """Distinct motions (same id and same frames) of pairs: the All protocol's gallery
    (:mod:`motionlex.core.retrieval.protocols`) and the motions patch statistics count.

    Two pairs share a motion when they have the same ``motion_id`` and equal joint arrays
    (compared by content, so two captions of one clip with the same time span, each cropped
    into its own array, are one gallery motion, not an exact copy of each other's positive).

    Args:
        examples: ``(motion, caption)`` pairs (``PairExample``: ``motion_id``, ``joints``
            ``(T, J, 3)``).

    Returns:
        ``(one example per distinct motion, (N,) int64 motion index of each example)``.
    """
    index: dict[tuple, int] = {}
    digests: dict[tuple, bytes] = {}  # by array layout: a shared array is hashed once
    motions: list[Any] = []
    owners = []
    for e in examples:
        layout = (e.joints.__array_interface__["data"][0], e.joints.shape, e.joints.strides)
        if layout not in digests:
            digests[layout] = hashlib.blake2b(np.ascontiguousarray(e.joints).tobytes(),
                                              digest_size=16).digest()
        key = (e.motion_id, e.joints.shape, digests[layout])
        if key not in index:
            index[key] = len(motions)
            motions.append(e)
        owners.append(index[key])
    return motions, np.array(owners, np.int64)


def first_caption_rows(examples: Sequence[Any]) -> np.ndarray:
    """Each motion id's first caption: the papers' test set.

    Yu et al. (CVPR 2024) Sec. 4.1: "for testing, we only use the first one"; TMR's test
    loader takes annotation 0 of each id, cropped to its time span. A dataset whose captions
    carry spans gives several cropped motions per id (:func:`distinct_motions`); this keeps
    one per id, the crop of its first caption.

    Args:
        examples: pairs with ``motion_id``, in dataset order (each id's captions in file order).

    Returns:
        ``(K,)`` int64 index into ``examples`` of each id's first caption, in first-seen order.
    """
    seen: set = set()
    rows = []
    for i, e in enumerate(examples):
        if e.motion_id not in seen:
            seen.add(e.motion_id)
            rows.append(i)
    return np.array(rows, np.int64)


def compute_patch_stats(examples: Sequence[PairExample], source: str = "") -> PatchStats:
    """Z-score statistics over the distinct motions of training examples (each once).

    Every frame of each distinct motion (the whole clip, not a ``max_frames`` crop) is
    resampled to its skeleton's 80 sample points (:func:`~motionlex.core.patches.sample_points`)
    and accumulated. Motions are de-duplicated as :func:`distinct_motions` does (same id,
    equal frames): the several captions of one clip, or of one time span of it, count once.
    Mirrored copies, made per batch by :func:`augment`, and ``reordered_joints`` are not
    counted.

    Args:
        examples: training pairs (the training split, unrepeated); ``joints`` ``(T, J, 3)``
            float32, metres, canonical form.
        source: free text stored in :attr:`PatchStats.source` (e.g. ``"bandai/train"``).

    Returns:
        :class:`~motionlex.core.patches.PatchStats`: ``mean`` and ``std`` ``(80, 3)``
        float32, metres (sample standard deviation floored at 1e-3 m), ``count`` the number
        of frames.

    Raises:
        ValueError: when ``examples`` is empty (or has no frames), or a joint array does not
            match its skeleton.
    """
    acc = PatchStatsAccumulator()
    for ex in distinct_motions(examples)[0]:
        acc.update(sample_points(ex.joints, part_resampling_matrix(ex.skeleton)))
    return acc.finalize(source=source)


def mirror_joints(joints: np.ndarray, skeleton: Skeleton) -> np.ndarray:
    """``(T, J, 3)`` canonical joints mirrored: left/right joints swapped, x negated
    (:func:`~motionlex.core.motion.motion.mirror_motion`); ``skeleton`` may be a built-in
    one's name."""
    return mirror_motion(Motion(joints, CANONICAL_FPS,
                                as_skeleton(skeleton, "mirror_joints"))).joints


def mirror_pair(ex: PairExample) -> PairExample:
    """The mirrored pair: joints mirrored (:func:`mirror_joints`), side words swapped (a
    composed pair's reordered motion mirrored too)."""
    reordered = (None if ex.reordered_joints is None
                 else mirror_joints(ex.reordered_joints, ex.skeleton))
    return replace(ex, joints=mirror_joints(ex.joints, ex.skeleton),
                   caption=mirror_caption(ex.caption),
                   events=tuple(mirror_caption(e) for e in ex.events),
                   reordered_joints=reordered)


def augment(ex: PairExample, rng: np.random.Generator, mirror_p: float) -> PairExample:
    """Mirror a training pair with probability ``mirror_p`` (see :func:`mirror_pair`)."""
    if mirror_p <= 0 or rng.random() >= mirror_p:
        return ex
    return mirror_pair(ex)


def why_no_pairs(root: str | Path, split: str = "train") -> str:
    """What a dataset folder that gave no training pairs holds, and how to fix it: no split
    file (the split files it has, how to add one), or how many of the split's motions have
    captions (and where they belong)."""
    root = Path(root)
    try:
        ds = MotionDataset(root, split, skip_missing=True)
    except FileNotFoundError:  # no split file (the data folder itself was found earlier)
        have = [p.stem for p in sorted(root.glob("*.txt")) if not p.with_suffix(".bvh").exists()]
        return (f"{root.name}: no {split}.txt (splits here: {', '.join(have) or 'none'}); add "
                f"{split}.txt and val.txt to {root}, listing motion ids one a line")
    joints = ds.layout == "joints"
    captioned = sum(1 for r in ds.records if r.captions)
    if joints and not (root / "texts").is_dir():  # the usual cause: the folder not copied
        return (f"{root.name}: {len(ds.records)} {split} motions, none with captions: "
                f"{root / 'texts'} is missing (add texts/ID.txt, one caption a line)")
    fix = (" (none loaded: see the warnings above)" if captioned else
           f" (add {'texts/ID.txt' if joints else 'ID.txt beside ID.bvh'}, one caption a line)"
           if ds.records else "")
    return (f"{root.name}: {len(ds.records)} {split} motions, {captioned} with captions "
            f"{'in texts/' if joints else 'beside them'}{fix}")


def split_ids_hint(root: str | Path) -> str:
    """What a split file of ``root`` lists: its motions' ids, the first few of them (for a
    folder without ``train.txt`` / ``val.txt``)."""
    try:
        data = MotionDataset(root, "all", skip_missing=True)
        ids = [r.id for r in data.records]
    except (OSError, ValueError):
        return "the motions' ids: file names without their suffix"
    shown = ", ".join(ids[:5]) + (", ..." if len(ids) > 5 else "")
    what = ("the names of its new_joints/*.npy files without the suffix"
            if data.layout == "joints" else
            "their file paths below the folder without the suffix")
    return f"its {len(ids)} motions' ids are {what}: {shown}"
