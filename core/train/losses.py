"""Training losses: contrastive InfoNCE with false-negative masks and hard negatives, MLM/MMM.

The pairwise terms on single hard negatives (side, order and CAR pairs) and CAR's accuracy
are in :mod:`motionlex.core.train.pair_losses`.

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

from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from motionlex.core.text.orders import normalize_caption

__all__ = [
    "ContrastiveLosses",
    "contrastive_loss",
    "flops_loss",
    "flops_weight",
    "masked_lm_loss",
    "masked_patch_loss",
    "near_duplicate_mask",
    "same_text_mask",
    "word_loss",
]

IGNORE_INDEX = -100
"""Label of tokens that are not predicted (PyTorch ``cross_entropy`` default)."""


@dataclass(frozen=True, eq=False)
class ContrastiveLosses:
    """Both directions of a contrastive loss (CLIP's symmetric InfoNCE, Radford et al.
    2021, laid out as open_clip's ``ClipLoss``; CAR's extra text columns, Fujiwara et al.,
    ECCV 2024, Sec. 4.1, eq. 3-5).

    Attributes:
        m2t: scalar, motion-to-text cross entropy over ``N + K`` text columns.
        t2m: scalar, text-to-motion cross entropy over the ``N`` true captions only.
        loss: scalar, ``(m2t + t2m) / 2``.
    """

    m2t: torch.Tensor
    t2m: torch.Tensor
    loss: torch.Tensor


def contrastive_loss(
    logits: torch.Tensor,
    *,
    false_negatives: torch.Tensor | None = None,
    t2m_negatives: torch.Tensor | None = None,
) -> ContrastiveLosses:
    """Symmetric InfoNCE with false-negative masking and extra hard negatives both ways.

    Row ``i`` is motion ``i``; column ``i < N`` is its true caption; columns ``N .. N+K-1``
    are extra captions that only ever appear as negatives (CAR's shuffled-event captions,
    side-swapped captions). ``t2m_negatives`` adds, per caption, extra motions that only
    appear as text-to-motion negatives (the mirrored motion of a caption that names a side,
    the reordered motion of a composed caption).

    ``m2t = mean_i -log softmax_j(L_ij)[i]`` over all ``N + K`` columns;
    ``t2m = mean_i -log softmax_j([L_ji ; E_ij])[i]`` over the ``N`` true captions and the
    ``M`` extra motions of caption ``i``. Pairs flagged in ``false_negatives`` (a motion and
    a caption identical, after normalisation, to its own caption) leave both softmaxes
    (their logit is set to ``-inf``; the text-to-motion direction reads the first ``N``
    columns transposed): identical captions are positives, never negatives.

    Args:
        logits: ``(N, N + K)`` float, already scaled (``scale * similarity``), ``K >= 0``.
        false_negatives: ``(N, N + K)`` bool or None; True where column ``j`` is not motion
            ``i``'s own caption but says the same thing. The diagonal is never masked.
        t2m_negatives: ``(N, M)`` float or None, scaled logits of caption ``i`` against
            extra motions; ``-inf`` marks an unused slot.

    Returns:
        :class:`ContrastiveLosses` with ``m2t``, ``t2m`` and their mean.

    Raises:
        ValueError: not 2-D, ``N == 0``, fewer columns than rows, or a mask / extra block
            whose shape does not match.

    Source:
        CAR (Fujiwara et al., ECCV 2024) eq. 3-5; CLIP symmetric loss (open_clip
        ``ClipLoss``); false-negative filtering as TMR (Petrovich et al., ICCV 2023, Sec. 3.2,
        ``InfoNCE_with_filtering`` in Mathux/TMR ``src/model/losses.py``). open_clip and CLIP
        average the two directions; CAR sums them (a factor 2).
    """
    if logits.dim() != 2 or logits.shape[0] == 0 or logits.shape[1] < logits.shape[0]:
        raise ValueError(
            f"contrastive logits must be (N, N + K) with N >= 1, K >= 0; got {tuple(logits.shape)}"
        )
    n = logits.shape[0]
    logits = logits.float()
    if false_negatives is not None:
        if tuple(false_negatives.shape) != tuple(logits.shape):
            raise ValueError(
                f"false_negatives must be {tuple(logits.shape)} like the logits; got "
                f"{tuple(false_negatives.shape)}"
            )
        mask = false_negatives.to(device=logits.device, dtype=torch.bool).clone()
        mask[:, :n].fill_diagonal_(False)
        logits = logits.masked_fill(mask, float("-inf"))
    labels = torch.arange(n, device=logits.device)
    m2t = F.cross_entropy(logits, labels)
    t2m_logits = logits[:, :n].t()
    if t2m_negatives is not None:
        if t2m_negatives.dim() != 2 or t2m_negatives.shape[0] != n:
            raise ValueError(f"t2m_negatives must be ({n}, M); got {tuple(t2m_negatives.shape)}")
        t2m_logits = torch.cat([t2m_logits, t2m_negatives.float().to(logits.device)], dim=1)
    t2m = F.cross_entropy(t2m_logits, labels)
    return ContrastiveLosses(m2t=m2t, t2m=t2m, loss=(m2t + t2m) / 2)


def same_text_mask(row_texts: Sequence[str], column_texts: Sequence[str]) -> torch.Tensor:
    """``(R, C)`` bool: True where a column's text equals a row's text after normalisation.

    The false-negative mask of :func:`contrastive_loss`: rows are the batch's true captions
    (one per motion), columns the true captions followed by the extra negative captions.
    Texts are compared by THE caption key,
    :func:`~motionlex.core.text.orders.normalize_caption`.

    Each distinct key gets an integer id and the ``R x C`` comparison is one tensor
    operation (a Python loop over the pairs took ~260 ms a step for a global batch of 1,024
    under DDP).

    Source: TMR (Petrovich et al., ICCV 2023) masks identical captions in its InfoNCE.
    """
    ids: dict[str, int] = {}
    rows = [ids.setdefault(normalize_caption(t), len(ids)) for t in row_texts]
    cols = [ids.setdefault(normalize_caption(t), len(ids)) for t in column_texts]
    return (torch.tensor(rows, dtype=torch.long).unsqueeze(1)
            == torch.tensor(cols, dtype=torch.long).unsqueeze(0))


def near_duplicate_mask(text_dense: torch.Tensor, n: int, threshold: float) -> torch.Tensor:
    """``(N, C)`` bool: True where an in-batch caption's text-text cosine to row ``i``'s caption
    exceeds ``threshold`` (TMR's near-duplicate filtering). Only the first ``N`` columns (the
    batch's captions) are filtered: the extra columns are hard negatives made from the row's
    own caption (its event-shuffled or side-swapped versions, CAR Sec. 4.1), near-duplicates
    in wording by design, and masking them would switch them off.

    Args:
        text_dense: ``(C, D)`` L2-normalised caption embeddings, the ``N`` true captions first.
        n: number of true captions (rows).
        threshold: cosine threshold in ``[-1, 1]``. TMR trains with ``threshold_selfsim``
            0.80 on its rescaled ``(cos+1)/2`` scale, i.e. cosine 0.6, of a frozen sentence
            encoder's embeddings (0.95, cosine 0.9, is its evaluation threshold); here the
            cosine is of the model's own text embeddings, detached, so the same number
            filters differently.

    Source: TMR (Petrovich et al., ICCV 2023), Sec. 3.2, ``InfoNCE_with_filtering``.
    """
    emb = text_dense.detach().float()
    mask = torch.zeros(n, emb.shape[0], dtype=torch.bool, device=emb.device)
    mask[:, :n] = (emb[:n] @ emb[:n].t()) > threshold
    return mask


def word_loss(max_logits: torch.Tensor, targets: torch.Tensor, temperature: float = 1.0
              ) -> torch.Tensor:
    """Listwise cross entropy of the vocabulary distribution against the caption's words.

    ``loss = mean_i -sum_j q_ij log softmax_j(l_ij / T)`` over rows with a target, where
    ``l_ij`` are the max-pooled vocabulary logits (before ``log1p(relu)``), ``q_i`` is uniform
    over the vocabulary ids of caption ``i``'s content words, and excluded entries (logits at
    float32's lowest value) are clamped to ``-1e4`` so that they carry no mass. The softmax
    over the vocabulary is the bottleneck distribution LexLIP and LexMAE already read from
    the same logits; a uniform multi-label target under a softmax is the listwise
    (ListNet-style) counterpart of SPLADE's per-term weights: it raises the caption's words
    together against every other word, which a pointwise term would not.

    Args:
        max_logits: ``(B, V)`` float, max-pooled vocabulary logits.
        targets: ``(B, V)`` float, rows summing to 1 (uniform over target ids) or all zero
            (no target: row left out).
        temperature: softmax temperature ``T > 0``.

    Returns:
        Scalar float32; 0 when no row has a target.

    Raises:
        ValueError: shapes that differ or ``temperature <= 0``.

    Source:
        Luo et al., LexLIP (ICCV 2023), Sec. 3.2 (softmax over max-pooled vocabulary logits);
        Formal et al., SPLADE (SIGIR 2021) (max-pooled ``log1p(relu)`` term weights); Cao et
        al., ListNet (ICML 2007) (cross entropy between a target and a softmax list).
    """
    if max_logits.shape != targets.shape or max_logits.dim() != 2:
        raise ValueError(f"max_logits and targets must both be (B, V); got "
                         f"{tuple(max_logits.shape)} and {tuple(targets.shape)}")
    if temperature <= 0:
        raise ValueError(f"temperature must be > 0; got {temperature}")
    # rows without a target have all-zero targets: they add 0 and are not counted (no
    # boolean indexing, so no host-device synchronisation on a GPU)
    has = targets.sum(-1) > 0
    logp = torch.log_softmax(max_logits.float().clamp(min=-1e4) / temperature, dim=-1)
    per_row = -(targets.float() * logp).sum(-1)
    return per_row.sum() / has.sum().clamp(min=1)


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


def uniformity_loss(embeddings: torch.Tensor, t: float = 2.0) -> torch.Tensor:
    """How evenly L2-normalised embeddings cover the sphere: ``log mean_{i<j} exp(-t ||z_i -
    z_j||^2)`` (lower = more uniform; a collapse to one point gives 0, its maximum).

    Args:
        embeddings: ``(B, D)`` float, ``B >= 2`` (normalised here).
        t: the Gaussian potential's scale (2 in the source).

    Returns:
        Scalar float32.

    Raises:
        ValueError: fewer than 2 rows or not 2-D.

    Source:
        Wang & Isola, "Understanding Contrastive Representation Learning through Alignment
        and Uniformity on the Hypersphere", ICML 2020, Sec. 4.1, eq. (3) (``lunif``).
    """
    if embeddings.dim() != 2 or embeddings.shape[0] < 2:
        raise ValueError(f"uniformity needs (B >= 2, D) embeddings; got {tuple(embeddings.shape)}")
    z = torch.nn.functional.normalize(embeddings.float(), dim=-1)
    return torch.pdist(z, p=2).pow(2).mul(-t).exp().mean().log()
