"""Batch samplers: which examples go together in one training batch, and which rank takes
which share of it under DDP.

The batch dict itself is built by :func:`motionlex.core.data.collate.collate_pairs`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from motionlex.core.data.pairs import PairExample
from motionlex.core.text.orders import normalize_caption


def unique_batches(
    examples: Sequence[PairExample],
    batch_size: int,
    rng: np.random.Generator,
    drop_last: bool = True,
    *,
    distinct_captions: bool = True,
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
        distinct_captions: also keep identical captions apart (pair and text phases). A
            motion-only phase (CMMM, LexMMM) reads no caption: with this rule its batches
            of 128 held 256 of Bandai's 2,932 training motions per epoch (template
            captions are shared by 30 clips and more), so it passes False.

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
            cap = normalize_caption(ex.caption) if distinct_captions else None
            if len(batch) < batch_size and ex.motion_id not in motions and (
                    cap is None or cap not in captions):
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


def rank_share(batches: Sequence[Sequence[int]], rank: int, world_size: int) -> list[list[int]]:
    """Rank ``rank``'s share of every global batch: the ``rank``-th of ``world_size``
    contiguous, equal slices.

    Every rank builds the same global batches (same seed, same epoch), so the shares of one
    step are disjoint and together make the global batch: rank ``r`` takes examples
    ``[r * b, (r + 1) * b)`` with ``b = len(batch) // world_size``. With ``world_size == 1``
    the batches come back unchanged.

    Args:
        batches: global batches of example indices, each of ``world_size * b`` entries.
        rank: this process's global rank, ``0 <= rank < world_size``.
        world_size: number of processes.

    Returns:
        One list of example indices per global batch (``b`` each).

    Raises:
        ValueError: a rank outside ``[0, world_size)`` or a batch that does not split
            evenly into ``world_size`` shares.
    """
    if world_size < 1 or not 0 <= rank < world_size:
        raise ValueError(f"rank must lie in [0, world_size); got rank={rank}, "
                         f"world_size={world_size}")
    out = []
    for batch in batches:
        if len(batch) % world_size:
            raise ValueError(f"a global batch of {len(batch)} examples does not split into "
                             f"{world_size} equal shares")
        b = len(batch) // world_size
        out.append([int(i) for i in batch[rank * b:(rank + 1) * b]])
    return out
