"""Training losses: contrastive InfoNCE with chronological negatives, reconstruction losses.

Each loss is a small pure function on tensors (style anchor: open_clip ``loss.py``). The
temperature is learned by the model (``MotionTextModel.logit_scale``) and passed in as the
multiplier ``scale = exp(logit_scale)``, clamped at 100. The FLOPS regulariser keeps lexical
vectors sparse; its weight is ramped up quadratically.

Sources:
    - Symmetric InfoNCE: Radford et al., CLIP (ICML 2021), Fig. 3; open_clip
      ``mlfoundations/open_clip/src/open_clip/loss.py`` (``ClipLoss``).
    - Shuffled-event negatives as extra motion-to-text columns: Fujiwara, Tanaka, Yu,
      "Chronologically Accurate Retrieval", ECCV 2024, Sec. 4.1, eq. 3-5.
    - Masked language modelling: Devlin et al., BERT (NAACL 2019), Sec. 3.1.
    - FLOPS: Paria et al. (ICLR 2020); Formal et al., SPLADE v2 (arXiv 2109.10086), eq. 4.
    - Masked patch regression (MSE on masked patches only): Xie et al., SimMIM (CVPR 2022),
      Sec. 3.4; He et al., MAE (CVPR 2022), Sec. 3.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

__all__ = [
    "ContrastiveLosses",
    "car_pairwise_accuracy",
    "contrastive_loss",
    "flops_loss",
    "flops_weight",
    "masked_lm_loss",
    "masked_patch_loss",
]

IGNORE_INDEX = -100
"""Label of tokens that are not predicted (PyTorch ``cross_entropy`` default)."""


@dataclass(frozen=True)
class ContrastiveLosses:
    """Both directions of a contrastive loss.

    Attributes:
        m2t: scalar, motion-to-text cross entropy over ``N + K`` text columns.
        t2m: scalar, text-to-motion cross entropy over the ``N`` true captions only.
        loss: scalar, ``(m2t + t2m) / 2``.
    """

    m2t: torch.Tensor
    t2m: torch.Tensor
    loss: torch.Tensor


def contrastive_loss(logits: torch.Tensor) -> ContrastiveLosses:
    """Symmetric InfoNCE on a motion x text logit matrix with optional extra negative columns.

    Row ``i`` is motion ``i``; column ``i < N`` is its true caption; columns ``N .. N+K-1`` are
    shuffled-event captions (CAR negatives), which only ever appear as negatives.

    ``m2t = mean_i -log softmax_j(L_ij)[i]`` over all ``N + K`` columns;
    ``t2m = mean_i -log softmax_j(L_ji)[i]`` over the first ``N`` columns only (a shuffled
    caption has no matching motion, so its column has no text-to-motion term).

    Args:
        logits: ``(N, N + K)`` float, already scaled (``scale * similarity``), ``K >= 0``.

    Returns:
        :class:`ContrastiveLosses` with ``m2t``, ``t2m`` and their mean.

    Raises:
        ValueError: not 2-D, ``N == 0``, or fewer columns than rows.

    Source:
        CAR (Fujiwara et al., ECCV 2024) eq. 3-5; CLIP symmetric loss (open_clip ``ClipLoss``).
        open_clip and CLIP average the two directions; CAR sums them (a factor 2).
    """
    if logits.dim() != 2 or logits.shape[0] == 0 or logits.shape[1] < logits.shape[0]:
        raise ValueError(
            f"contrastive logits must be (N, N + K) with N >= 1, K >= 0; got {tuple(logits.shape)}"
        )
    n = logits.shape[0]
    logits = logits.float()
    labels = torch.arange(n, device=logits.device)
    m2t = F.cross_entropy(logits, labels)
    t2m = F.cross_entropy(logits[:, :n].t(), labels)
    return ContrastiveLosses(m2t=m2t, t2m=t2m, loss=(m2t + t2m) / 2)


def car_pairwise_accuracy(similarity: torch.Tensor, negative_owner: torch.Tensor) -> torch.Tensor:
    """Training diagnostic: share of shuffled captions scored below their motion's true caption.

    Args:
        similarity: ``(N, N + K)`` motion x text similarities (true captions first).
        negative_owner: ``(K,)`` int64, row (motion) index of each shuffled caption.

    Returns:
        Scalar float32 in ``[0, 1]`` (detached); NaN when ``K == 0``.

    Raises:
        ValueError: ``K`` differs from the number of extra columns, or an owner out of range.

    Source:
        CAR accuracy, Fujiwara et al. (ECCV 2024), Sec. 3.2 (eq. 2), on the training batch.
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
    owner = negative_owner.to(similarity.device).long()
    if int(owner.min()) < 0 or int(owner.max()) >= n:
        raise ValueError(f"negative_owner values must lie in [0, {n}); got {owner.tolist()}")
    sim = similarity.detach().float()
    true = sim[owner, owner]
    neg = sim[owner, n + torch.arange(k, device=sim.device)]
    return (true > neg).float().mean()


def masked_lm_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Cross entropy on the masked tokens only.

    Args:
        logits: ``(B, L, V)`` float token logits.
        labels: ``(B, L)`` int64, the original token id at masked positions and
            ``-100`` elsewhere.

    Returns:
        Scalar float32, mean over masked tokens.

    Raises:
        ValueError: shapes that do not match, or no masked token at all.

    Source:
        BERT masked language modelling (Devlin et al., 2019, Sec. 3.1).
    """
    if logits.dim() != 3 or labels.shape != logits.shape[:2]:
        raise ValueError(
            f"masked_lm_loss expects logits (B, L, V) and labels (B, L); got "
            f"{tuple(logits.shape)} and {tuple(labels.shape)}"
        )
    if not bool((labels != IGNORE_INDEX).any()):
        raise ValueError("masked_lm_loss: no masked token in the batch (all labels are -100)")
    return F.cross_entropy(
        logits.float().reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=IGNORE_INDEX
    )


def masked_patch_loss(
    prediction: torch.Tensor, target: torch.Tensor, mask: torch.Tensor
) -> torch.Tensor:
    """Mean squared error over the masked patches only.

    Args:
        prediction: ``(B, N, P)`` float, predicted patch values (``P = C * 16 * 16``).
        target: ``(B, N, P)`` float, the true (z-scored) patch values.
        mask: ``(B, N)`` bool, True for patches that were masked and must be reconstructed
            (padded patches must be False).

    Returns:
        Scalar float32, mean over masked patches and their values.

    Raises:
        ValueError: shapes that do not match, a non-bool mask, or no masked patch.

    Source:
        SimMIM (Xie et al., CVPR 2022) Sec. 3.4 (loss on masked patches); MAE Sec. 3.
    """
    if prediction.shape != target.shape or prediction.dim() != 3:
        raise ValueError(
            f"prediction and target must both be (B, N, P); got {tuple(prediction.shape)} and "
            f"{tuple(target.shape)}"
        )
    if mask.shape != prediction.shape[:2] or mask.dtype != torch.bool:
        raise ValueError(
            f"mask must be bool (B, N) = {tuple(prediction.shape[:2])}; got {mask.dtype} "
            f"{tuple(mask.shape)}"
        )
    if not bool(mask.any()):
        raise ValueError("masked_patch_loss: no masked patch in the batch")
    err = (prediction.float() - target.float()).pow(2).mean(dim=-1)
    return err[mask].mean()


def flops_loss(weights: torch.Tensor) -> torch.Tensor:
    """FLOPS regulariser ``sum_j (mean_i |w_ij|)^2``.

    Args:
        weights: ``(N, V)`` lexical vectors of a batch.

    Returns:
        Scalar tensor (float32).

    Raises:
        ValueError: not a 2-D tensor or an empty batch.

    Source:
        Paria et al., "Minimizing FLOPs to learn efficient sparse representations", ICLR 2020;
        SPLADE v2 eq. 4. Reference: ``FLOAP`` in ChiYeungLaw/LexLIP-ICCV23
        ``Phase2/src/modules/objectives.py``.
    """
    if weights.dim() != 2 or weights.shape[0] == 0:
        raise ValueError(f"flops_loss expects (N, V) with N >= 1; got {tuple(weights.shape)}")
    return weights.float().abs().mean(dim=0).pow(2).sum()


def flops_weight(step: int, max_weight: float, warmup_steps: int) -> float:
    """Weight of the FLOPS term at a training step, ramped up quadratically.

    ``max_weight * min(1, (step / warmup_steps) ** 2)``; ``warmup_steps == 0`` gives
    ``max_weight`` from the first step.

    Args:
        step: optimiser step, ``>= 0``.
        max_weight: weight after warm-up, ``>= 0``.
        warmup_steps: length of the ramp in steps, ``>= 0``.

    Returns:
        The weight (float).

    Raises:
        ValueError: a negative argument.

    Source:
        Formal et al., SPLADE v2 (arXiv 2109.10086), Sec. 3: "lambda ... increased
        quadratically ... until step T".
    """
    if step < 0 or max_weight < 0 or warmup_steps < 0:
        raise ValueError(
            "flops_weight needs step >= 0, max_weight >= 0, warmup_steps >= 0; got "
            f"step={step}, max_weight={max_weight}, warmup_steps={warmup_steps}"
        )
    if warmup_steps == 0:
        return float(max_weight)
    return float(max_weight) * min(1.0, (step / warmup_steps) ** 2)
