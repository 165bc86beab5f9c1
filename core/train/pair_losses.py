"""Pairwise preferences on hard negatives: CAR's accuracy and its logistic-loss forms.

A hard negative pair is a true (motion, caption) similarity ``L_ii`` and one negative made
from it: an extra caption column of motion ``i`` (a chronologically shuffled caption for CAR,
a side-swapped caption) or an extra motion of caption ``i`` (its mirrored or its reordered
motion). :func:`car_pairwise_accuracy` counts how often the true one wins (a diagnostic);
the pair losses give each pair ``softplus(L_neg - L_ii) = -log sigmoid(L_ii - L_neg)``, a
loss of its own, so that such a distinction is learned at a rate set by its weight, not by
the batch size (inside the InfoNCE each is one negative among ``N + K``).

All of them read the owners and column selections on the CPU (as training keeps them) and
use sums and counts instead of boolean indexing: no host-device synchronisation on a GPU.

Source: CAR accuracy, Fujiwara et al. (ECCV 2024), Sec. 3.2-3.3 (eq. 2); as a logistic loss
(Bradley-Terry) on side, order and CAR pairs: ours (../shared/DESIGN.md "Mirroring").
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from motionlex.core.model.device import to_device


def _diagonal(logits: torch.Tensor) -> torch.Tensor:
    """``(N,)`` float32 true-pair logits ``L_ii`` of ``(N, N + K)`` logits."""
    rows = torch.arange(logits.shape[0], device=logits.device)
    return logits.float()[rows, rows]


def _column_pairs(logits: torch.Tensor, pos: torch.Tensor, negative_owner: torch.Tensor,
                  columns: torch.Tensor, false_negatives: torch.Tensor | None
                  ) -> tuple[torch.Tensor, torch.Tensor]:
    """Sum of ``softplus(L_{o,N+c} - L_oo)`` over the chosen extra columns ``c`` (owner
    ``o``), leaving out columns flagged in ``false_negatives``, and their count."""
    n, k = logits.shape[0], logits.shape[1] - logits.shape[0]
    if negative_owner.shape != (k,) or columns.shape != (k,):
        raise ValueError(f"negative_owner and the column selection must be ({k},) for {k} "
                         f"extra columns; got {tuple(negative_owner.shape)} and "
                         f"{tuple(columns.shape)}")
    dev = logits.device
    cols = torch.nonzero(columns.bool()).flatten()
    if not len(cols):
        return logits.float().sum() * 0.0, logits.new_zeros((), dtype=torch.float32)
    cols = to_device(cols, dev)
    owner = to_device(negative_owner, dev).long()[cols]
    pair = F.softplus(logits.float()[owner, n + cols] - pos[owner])
    keep = torch.ones_like(pair)
    if false_negatives is not None:
        keep = (~to_device(false_negatives, dev).bool()[owner, n + cols]).float()
    return (pair * keep).sum(), keep.sum()


def _motion_pairs(pos: torch.Tensor, t2m_negatives: torch.Tensor
                  ) -> tuple[torch.Tensor, torch.Tensor]:
    """Sum of ``softplus(E_ij - L_ii)`` over the used (finite) slots of ``t2m_negatives``,
    and their count (both 0-d tensors on ``pos``'s device)."""
    neg = to_device(t2m_negatives.float(), pos.device)
    used = torch.isfinite(neg)
    pair = F.softplus(torch.where(used, neg, torch.zeros_like(neg)) - pos.unsqueeze(1))
    return (pair * used).sum(), used.sum()


def column_pair_loss(logits: torch.Tensor, negative_owner: torch.Tensor,
                     columns: torch.Tensor, false_negatives: torch.Tensor | None = None
                     ) -> torch.Tensor:
    """Two-way cross entropy of each motion's caption against each chosen extra caption
    column of that motion, averaged over the pairs present (the CAR pair term,
    ``ObjectiveConfig.car_pair_weight``, on the shuffled-event columns).

    Args:
        logits: ``(N, N + K)`` float, scaled similarities, true captions first.
        negative_owner: ``(K,)`` int64, the row owning each extra column.
        columns: ``(K,)`` bool, the extra columns that form pairs.
        false_negatives: ``(N, N + K)`` bool or None; a column flagged here (it says the same
            as its row's caption) is no pair.

    Returns:
        Scalar float32; 0 (with gradient graph) when no column is chosen.

    Raises:
        ValueError: ``negative_owner`` / ``columns`` not ``(K,)``.
    """
    total, count = _column_pairs(logits, _diagonal(logits), negative_owner, columns,
                                 false_negatives)
    return total / count.clamp(min=1)


def motion_pair_loss(logits: torch.Tensor, t2m_negatives: torch.Tensor) -> torch.Tensor:
    """Two-way cross entropy of each caption's motion against its extra negative motions,
    averaged over the used slots (with the reordered motions of composed pairs, the order
    pair term, ``ObjectiveConfig.order_pair_weight``).

    Args:
        logits: ``(N, N + K)`` float, scaled similarities, true captions first.
        t2m_negatives: ``(N, M)`` float, scaled logits of caption ``i`` against its extra
            motions; ``-inf`` marks an unused slot.

    Returns:
        Scalar float32; 0 (with gradient graph) when no slot is used.
    """
    total, count = _motion_pairs(_diagonal(logits), t2m_negatives)
    return total / count.clamp(min=1)


def side_pair_loss(
    logits: torch.Tensor,
    negative_owner: torch.Tensor,
    side: torch.Tensor,
    t2m_negatives: torch.Tensor | None = None,
    false_negatives: torch.Tensor | None = None,
) -> torch.Tensor:
    """Two-way cross entropy of each side pair: a caption against its side-swapped caption
    (for its motion), and a motion against its mirrored motion (for its caption), averaged
    over all of them together (``ObjectiveConfig.side_pair_weight``).

    Args:
        logits: ``(N, N + K)`` float, scaled similarities, true captions first.
        negative_owner: ``(K,)`` int64, the row owning each extra column.
        side: ``(K,)`` bool, True for the side-swapped columns (the others are CAR's).
        t2m_negatives: ``(N, M)`` float or None, scaled logits of caption ``i`` against its
            mirrored motion(s); ``-inf`` marks an unused slot.
        false_negatives: ``(N, N + K)`` bool or None; a side column flagged here (it says
            the same as its row's caption) is no pair.

    Returns:
        Scalar float32; 0 (with gradient graph) when the batch has no side pair.

    Raises:
        ValueError: ``negative_owner`` / ``side`` not ``(K,)``.
    """
    pos = _diagonal(logits)
    total, count = _column_pairs(logits, pos, negative_owner, side, false_negatives)
    if t2m_negatives is not None:
        pair, used = _motion_pairs(pos, t2m_negatives)
        total, count = total + pair, count + used
    return total / count.clamp(min=1)


def car_pairwise_accuracy(similarity: torch.Tensor, negative_owner: torch.Tensor) -> torch.Tensor:
    """Training diagnostic: share of shuffled captions scored below their motion's true caption.

    Args:
        similarity: ``(N, N + K)`` motion x text similarities (true captions first).
        negative_owner: ``(K,)`` int64, row (motion) index of each shuffled caption.

    Returns:
        Scalar float32 in ``[0, 1]`` (detached); NaN when ``K == 0``.

    Raises:
        ValueError: ``K`` differs from the number of extra columns, or an owner out of range
            (checked when ``negative_owner`` is on the CPU, as training keeps it).

    Source:
        CAR accuracy, Fujiwara et al. (ECCV 2024), Sec. 3.2-3.3 (eq. 2), on the training batch.
    """
    n = similarity.shape[0]
    k = similarity.shape[1] - n
    if negative_owner.dim() != 1 or negative_owner.shape[0] != k:
        raise ValueError(
            f"negative_owner must be ({k},) for {k} negative columns; got "
            f"{tuple(negative_owner.shape)}"
        )
    if k == 0:
        return torch.tensor(float("nan"))
    if negative_owner.device.type == "cpu":  # training keeps owners on the CPU: no device sync
        if int(negative_owner.min()) < 0 or int(negative_owner.max()) >= n:
            raise ValueError(
                f"negative_owner values must lie in [0, {n}); got {negative_owner.tolist()}")
    owner = to_device(negative_owner, similarity.device).long()
    sim = similarity.detach().float()
    true = sim[owner, owner]
    neg = sim[owner, n + torch.arange(k, device=sim.device)]
    return (true > neg).float().mean()
