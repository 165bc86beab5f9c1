"""The batches of each training phase (datasets of whole collated batches, one per item).

Captions alone for the text phases, motions alone for the motion phases, (motion, caption)
pairs with CAR negatives for the pair phases. Every batch is built from a seeded generator, so
runs are reproducible whatever the number of DataLoader workers.

Under DDP (``world_size > 1``) every rank draws the same global batches of
``world_size * batch_size`` (unique motions and captions across the whole global batch) and
keeps its own contiguous share (:func:`~motionlex.core.data.batches.rank_share`), so no two
ranks see the same example in one step and the contrastive loss, which gathers features
across ranks, sees the global batch. With one process nothing changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import torch

from motionlex.core.data.batches import rank_share, unique_batches
from motionlex.core.data.collate import collate_pairs
from motionlex.core.data.pairs import PairExample, augment, mirror_pair
from motionlex.core.model.config import MotionTextConfig
from motionlex.core.model.text_encoder import tokenize_captions
from motionlex.core.patch_batches import clip_matrices, part_matrices, patches_from_joints
from motionlex.core.patches import MAX_FRAMES, POINTS_PER_PART, PatchStats
from motionlex.core.text.sides import mirror_caption
from motionlex.core.train.objectives import MOTION_PHASES, TEXT_PHASES
from motionlex.core.train.train_config import TrainConfig


def _per_rank_size(batch_size: int, available: int, rank: int, world_size: int,
                   what: str) -> int:
    """``min(batch_size, available // world_size)``: the per-rank batch that fits.

    Raises:
        ValueError: a rank outside ``[0, world_size)`` or fewer ``what`` than ranks.
    """
    if world_size < 1 or not 0 <= rank < world_size:
        raise ValueError(f"rank must lie in [0, world_size); got rank={rank}, "
                         f"world_size={world_size}")
    size = min(batch_size, available // world_size)
    if size < 1:
        raise ValueError(f"{available} distinct {what} cannot fill one batch on each of "
                         f"{world_size} ranks")
    return size


class PairBatches(torch.utils.data.Dataset):
    """An epoch of collated pair batches (unique motions and captions per batch).

    Batch ``b`` of epoch ``e`` is built with ``np.random.default_rng([seed, e, b])``, so runs
    are reproducible whatever the number of workers. The patch geometry (``max_frames``
    frames, ``points_per_part`` columns per body part) is the model's (its config).

    Args:
        batch_size: examples per step on this rank (the global batch is ``world_size``
            times larger).
        rank / world_size: this process's share under DDP (module doc); 0 / 1 alone.
        tokenizer / max_length: when given, each batch also carries ``text_tokens``, its
            true then negative captions tokenised
            (:func:`~motionlex.core.model.text_encoder.tokenize_captions`), so the training
            step does not tokenise (it runs here, in the data loader's workers).

    Raises:
        ValueError: no examples, or fewer distinct motions than ranks.
    """

    def __init__(self, examples: Sequence[PairExample], stats: PatchStats, batch_size: int,
                 cfg: TrainConfig, composed: Sequence[PairExample] = (), *,
                 max_frames: int = MAX_FRAMES, points_per_part: int = POINTS_PER_PART,
                 rank: int = 0, world_size: int = 1, tokenizer: Any = None,
                 max_length: int = 64):
        if not examples:
            raise ValueError("no training pairs")
        self.tokenizer, self.max_length = tokenizer, max_length
        self.examples = list(examples)
        self.composed = list(composed)
        self.stats = stats
        self.cfg = cfg
        self.requested_batch_size = batch_size
        self.max_frames = max_frames
        # one matrix, or one per skeleton when the data mixes skeletons (a BVH folder
        # beside a joints dataset): each clip is resampled on its own skeleton
        self.matrix = part_matrices([e.skeleton for e in (*self.examples, *self.composed)],
                                    points_per_part)
        self.epoch = 0
        self.shard(rank, world_size)

    def shard(self, rank: int, world_size: int) -> None:
        """Take rank ``rank``'s share of every global batch from now on (module doc).

        Raises:
            ValueError: a rank outside ``[0, world_size)`` or fewer motions than ranks.
        """
        self.batch_size = _per_rank_size(
            self.requested_batch_size, len({e.motion_id for e in self.examples}), rank,
            world_size, "motions")
        self.rank, self.world_size = rank, world_size
        self.set_epoch(self.epoch)

    def _rank_seed(self, *key: int) -> list[int]:
        """A generator seed for this rank (the rank joins the key only under DDP)."""
        return [*key, self.rank] if self.world_size > 1 else list(key)

    def set_epoch(self, epoch: int) -> None:
        """Draw the epoch's mirroring, then its batches on the mirrored captions.

        Mirroring comes BEFORE the unique-caption sampler: a pair mirrored after
        de-duplication may say what another pair of its batch says (about 0.65 such
        identical-caption pairs per batch of 32 on Bandai), a false negative.
        """
        self.epoch = epoch
        flip = np.random.default_rng([self.cfg.seed, epoch, 4]).random(len(self.examples))
        self.mirrored = flip < self.cfg.mirror_p
        views = [replace(e, caption=mirror_caption(e.caption)) if m else e
                 for e, m in zip(self.examples, self.mirrored)]
        rng = np.random.default_rng([self.cfg.seed, epoch])
        batches = unique_batches(views, self.batch_size * self.world_size, rng)
        self.batches = rank_share(batches, self.rank, self.world_size)

    def __len__(self) -> int:
        return len(self.batches)

    def __getitem__(self, b: int) -> dict:
        rng = np.random.default_rng([self.cfg.seed, self.epoch, b, 1])
        items = [mirror_pair(self.examples[i]) if self.mirrored[i] else self.examples[i]
                 for i in self.batches[b]]
        if self.composed and self.cfg.compose_p > 0:
            # drawn for the global batch (same on every rank), so no two ranks share one
            k = int(round(self.cfg.compose_p * len(items)))
            size = min(k * self.world_size, len(self.composed))
            picks = rng.choice(len(self.composed), size=size, replace=False)
            picks = picks[self.rank * k:(self.rank + 1) * k]
            if len(picks):
                items[len(items) - len(picks):] = [self.composed[i] for i in picks]
        if self.world_size > 1:
            rng = np.random.default_rng(self._rank_seed(self.cfg.seed, self.epoch, b, 1))
        batch = collate_pairs(
            items, self.matrix, self.stats, rng,
            negatives_per_caption=self.cfg.negatives_per_caption,
            event_text_p=self.cfg.event_text_p, max_frames=self.max_frames,
            side_negatives=self.cfg.side_negatives, order_negatives=self.cfg.order_negatives,
        )
        if self.tokenizer is not None:
            batch["text_tokens"] = tokenize_captions(
                self.tokenizer, batch["texts"] + batch["negative_texts"], self.max_length)
        return batch


class MotionBatches(PairBatches):
    """Batches of motions only (CMMM, LexMMM): one entry per distinct motion."""

    def __init__(self, examples: Sequence[PairExample], stats: PatchStats, batch_size: int,
                 cfg: TrainConfig, *, max_frames: int = MAX_FRAMES,
                 points_per_part: int = POINTS_PER_PART, rank: int = 0, world_size: int = 1):
        seen: dict[str, PairExample] = {}
        for e in examples:
            seen.setdefault(e.motion_id, e)
        super().__init__(list(seen.values()), stats, batch_size, cfg, max_frames=max_frames,
                         points_per_part=points_per_part, rank=rank, world_size=world_size)

    def set_epoch(self, epoch: int) -> None:
        """The epoch's batches of distinct motions; captions play no part (mirroring is
        drawn per item in :meth:`__getitem__`), so no unique-caption rule thins them."""
        self.epoch = epoch
        self.mirrored = np.zeros(len(self.examples), bool)
        rng = np.random.default_rng([self.cfg.seed, epoch])
        batches = unique_batches(self.examples, self.batch_size * self.world_size, rng,
                                 distinct_captions=False)
        self.batches = rank_share(batches, self.rank, self.world_size)

    def __getitem__(self, b: int) -> dict:
        rng = np.random.default_rng(self._rank_seed(self.cfg.seed, self.epoch, b, 2))
        items = [augment(self.examples[i], rng, self.cfg.mirror_p) for i in self.batches[b]]
        n = self.max_frames
        starts = [int(rng.integers(0, max(1, len(e.joints) - n + 1))) for e in items]
        patches, row_mask, lengths = patches_from_joints(
            [e.joints for e in items], clip_matrices(self.matrix, [e.skeleton for e in items]),
            self.stats, n, starts)
        return {"patches": torch.from_numpy(patches), "row_mask": torch.from_numpy(row_mask),
                "lengths": torch.from_numpy(lengths)}


class TextBatches(torch.utils.data.Dataset):
    """Batches of captions only (LexMLM), reshuffled per epoch; under DDP each rank takes its
    share of global batches of ``world_size * batch_size`` captions (module doc)."""

    def __init__(self, captions: Sequence[str], batch_size: int, seed: int, *, rank: int = 0,
                 world_size: int = 1):
        uniq = sorted(set(c.strip() for c in captions if c.strip()))
        if not uniq:
            raise ValueError("no captions for the text phase")
        self.captions = uniq
        self.requested_batch_size = batch_size
        self.seed = seed
        self.epoch = 0
        self.shard(rank, world_size)

    def shard(self, rank: int, world_size: int) -> None:
        """Take rank ``rank``'s share of every global batch from now on.

        Raises:
            ValueError: a rank outside ``[0, world_size)`` or fewer captions than ranks.
        """
        self.batch_size = _per_rank_size(self.requested_batch_size, len(self.captions), rank,
                                         world_size, "captions")
        self.rank, self.world_size = rank, world_size
        self.set_epoch(self.epoch)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch
        order = np.random.default_rng([self.seed, epoch, 3]).permutation(len(self.captions))
        size = self.batch_size * self.world_size
        n = len(order) // size
        batches = [order[i * size:(i + 1) * size] for i in range(n)]
        if self.world_size > 1:
            batches = rank_share(batches, self.rank, self.world_size)
        self.batches = batches

    def __len__(self) -> int:
        return len(self.batches)

    def __getitem__(self, b: int) -> dict:
        return {"texts": [self.captions[i] for i in self.batches[b]]}


def _whole(batch: dict) -> dict:
    """The loader's collate: a phase dataset's item is already a whole collated batch."""
    return batch


class _EpochOrder(torch.utils.data.Sampler[int]):
    """Batch indices ``0 .. len - 1`` of the dataset's current epoch; from ``start`` in the
    epoch a resumed run stopped in (keyed by that epoch, not consumed by ``iter``: a
    multi-worker DataLoader iterates its sampler twice as it starts)."""

    def __init__(self, batches: torch.utils.data.Dataset):
        self.batches = batches
        self.length = len(batches)  # what Lightning counted as the epoch (see PhaseLoader)
        self.resume_at = (-1, 0)  # (epoch, first batch)

    def __len__(self) -> int:
        return self.length

    def __iter__(self):
        epoch, start = self.resume_at
        return iter(range(start if epoch == self.batches.epoch else 0, len(self.batches)))


class PhaseLoader(torch.utils.data.DataLoader):
    """THE DataLoader of a phase's batches (:class:`PairBatches`, :class:`MotionBatches`,
    :class:`TextBatches`: one collated batch per item), resumable mid-epoch.

    Lightning stores :meth:`state_dict` in each checkpoint and, resuming, hands it to
    :meth:`load_state_dict` before it first iterates the loader: the resumed run then trains
    on exactly the batches the uninterrupted run would have, the rest of the same epoch
    (same shuffle, this rank's share) and the epochs after it. The trainer reports the
    position with :meth:`mark` before each batch (``MotionTextModule.on_train_batch_start``).
    ``len()`` stays the first epoch's, the number of batches per epoch Lightning counted
    before loading the state (and keeps for the whole fit); Lightning skips the batches
    already trained on in its own count.

    Args:
        batches: a phase dataset (``epoch`` attribute and ``set_epoch``).
        num_workers: DataLoader worker processes (they copy ``batches`` when the loader is
            iterated, i.e. at each epoch's start).
    """

    def __init__(self, batches: torch.utils.data.Dataset, num_workers: int = 0):
        self._order = _EpochOrder(batches)
        super().__init__(batches, batch_size=None, sampler=self._order,
                         num_workers=num_workers, collate_fn=_whole, persistent_workers=False)
        self._position = (batches.epoch, 0)  # (epoch, batches of it trained on)

    def mark(self, epoch: int, batch_idx: int) -> None:
        """Batch ``batch_idx`` of epoch ``epoch`` is being trained on: a checkpoint written
        after it resumes at ``batch_idx + 1``."""
        self._position = (int(epoch), int(batch_idx) + 1)

    def state_dict(self) -> dict[str, int]:
        """``{"epoch": E, "next_batch": B}``: where training goes on (B may be the epoch's
        length: the next epoch then starts). The same on every rank (no rank in it)."""
        return {"epoch": self._position[0], "next_batch": self._position[1]}

    def load_state_dict(self, state: dict[str, int]) -> None:
        """Continue at ``state`` (:meth:`state_dict`): that epoch's batches from
        ``next_batch`` on, or the next epoch from its start after the epoch's last batch."""
        epoch, start = int(state["epoch"]), int(state["next_batch"])
        self.dataset.set_epoch(epoch)
        # done only when Lightning counts it done too: it counts every epoch at the first
        # one's length, and a shorter epoch (fewer unique-caption batches) that ended early
        # is finished by an empty rest, after which Lightning starts the next epoch itself
        # (moving on here trained the next epoch's batches twice)
        if start >= len(self._order):
            epoch, start = epoch + 1, 0
            self.dataset.set_epoch(epoch)
        self._order.resume_at = self._position = (epoch, start)


def phase_dataset(phase: str, cfg: TrainConfig, model_config: MotionTextConfig, *,
                  examples: Sequence[PairExample], stats: PatchStats, captions: Sequence[str],
                  batch_size: int, composed: Sequence[PairExample] = (), rank: int = 0,
                  world_size: int = 1, tokenizer: Any = None,
                  max_length: int = 64) -> torch.utils.data.Dataset:
    """The batches of one phase: captions (text phases), motions (motion phases) or pairs,
    cut with the model's patch geometry; ``batch_size`` per rank, this rank's share of each
    global batch under DDP (module doc). With a ``tokenizer``, pair batches carry their
    captions tokenised (:class:`PairBatches`)."""
    if phase in TEXT_PHASES:
        return TextBatches(captions, batch_size, cfg.seed, rank=rank, world_size=world_size)
    geometry = {"max_frames": model_config.max_frames,
                "points_per_part": model_config.points_per_part,
                "rank": rank, "world_size": world_size}
    if phase in MOTION_PHASES:
        return MotionBatches(examples, stats, batch_size, cfg, **geometry)
    return PairBatches(examples, stats, batch_size, cfg, composed=composed,
                       tokenizer=tokenizer, max_length=max_length, **geometry)
