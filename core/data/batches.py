"""Batch samplers: which examples go together in one training batch.

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
            cap = normalize_caption(ex.caption)
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
